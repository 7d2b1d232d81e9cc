// A warm Marp: one Node process that renders decks again and again, without paying Node's start-up
// and marp-cli's module loading on every save.
// Protocol: one JSON request per line on stdin, one JSON reply per line {"id", "code", "ms"} on the
// file descriptor named by argv[3] (stdout/stderr stay this process's log). EOF on stdin ends it.
//   {"id", "argv"}: marp-cli itself (the full bespoke page), loaded on first use;
//   {"id", "deck": {markdown_path, theme_paths, output_path, css, front_matter}}: marp-core alone
//     renders the whole deck: every slide's HTML, the CSS, the notes, and what marp read (global
//     directives, the themes asked for, where each slide starts, the front matter's YAML).
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const marpCliPath = process.argv[2];
const replyFd = Number(process.argv[3]);
const resolveFrom = (name, from) => require.resolve(name, { paths: [from] });
// marp-core, the engine marp-cli itself uses (resolved from marp-cli, so it is the same version), and
// the pieces of Marpit that read directives (the same code marp runs: no second parser).
const corePath = resolveFrom('@marp-team/marp-core', marpCliPath);
const { Marp } = require(corePath);
const marpitDirectives = require(resolveFrom('@marp-team/marpit/lib/markdown/directives/directives', corePath));
const { yaml: marpitYaml } = require(resolveFrom('@marp-team/marpit/lib/markdown/directives/yaml', corePath));
const jsYaml = require(resolveFrom('js-yaml', resolveFrom('@marp-team/marpit', corePath)));
let marpCli = null;
const { allowSvgData } = require('./marp_engine.cjs'); // as the exported deck's engine: SVG data URIs allowed

// marp-cli's own metadata directives (its engine adds them; marp-core alone does not know them).
const CLI_GLOBALS = ['author', 'description', 'image', 'keywords', 'title', 'url'];
// marp-cli's slide transitions, a local directive of its HTML viewer's engine: read there (the exported
// deck and the served page), known here so that it is never reported as a mistake.
const CLI_LOCALS = ['transition'];
const CLI_OPTIONS = ['marp']; // VS Code's switch: not a directive, never a mistake

let engine = null;
let engineThemes = null;
let asked = [];
function useThemes(themePaths) {
  const themes = themePaths.map((p) => fs.readFileSync(p, 'utf8'));
  const key = JSON.stringify(themes);
  if (engine === null || key !== engineThemes) {
    engine = allowSvgData(new Marp({ html: true, inlineSVG: true, script: false }));
    for (const css of themes) engine.themeSet.add(css);
    for (const name of CLI_GLOBALS) engine.customDirectives.global[name] = (value) => (typeof value === 'string' ? { [name]: value } : {});
    // Every theme name the deck asks for, known or not: an unknown one is marp's silent fallback to default.
    const has = engine.themeSet.has.bind(engine.themeSet);
    engine.themeSet.has = (name) => { asked.push(name); return has(name); };
    engineThemes = key;
    cssCache = { key: null, css: null };
  }
}

// The CSS is a function of the theme set and what the last render left in the engine: its global
// directives, its <style>s and its plugins' state (math). Packing it is most of a render, and a save
// rarely changes it: it is packed again only when that changed.
let cssCache = { key: null, css: null };
function styleKey() {
  const state = Object.getOwnPropertySymbols(engine).map((s) => {
    try { return JSON.stringify(engine[s], (k, v) => (k === 'mathjaxContext' || k === 'katexMacroContext' ? undefined : v)); } catch { return String(s); }
  });
  return JSON.stringify([engine.lastGlobalDirectives, engine.lastStyles, state]);
}

function directiveNames() {
  const own = (o) => Object.getOwnPropertyNames(o || {});
  const globals = [...Object.keys(marpitDirectives.globals), ...own(engine.customDirectives.global)];
  const locals = [...Object.keys(marpitDirectives.locals), ...own(engine.customDirectives.local)];
  return { globals, locals };
}

// The deck's front matter as Marp reads it (loose YAML, its own function) and, when it cannot, why.
function checkFrontMatter(text, names) {
  if (text === null || text === undefined) return null;
  const locals = [...names.locals, ...CLI_LOCALS];
  const parsed = marpitYaml(text, [...names.globals, ...locals]);
  if (parsed !== false) {
    const known = new Set([...names.globals, ...locals, ...locals.map((n) => `_${n}`), ...CLI_OPTIONS]);
    return { ok: true, unknown: Object.keys(parsed).filter((k) => !known.has(k)) };
  }
  try {
    const value = jsYaml.load(text, { schema: jsYaml.FAILSAFE_SCHEMA });
    return { ok: false, line: 0, reason: `it is not a set of "key: value" lines (YAML read it as ${value === null ? 'nothing' : typeof value})` };
  } catch (err) {
    return { ok: false, line: err.mark ? err.mark.line : 0, reason: err.reason || String(err.message).split('\n')[0] };
  }
}

function seeded(fn) {
  // Marpit names each <style scoped> with Math.random(): seeded here, the same deck renders the same
  // HTML and CSS every time, so a save elsewhere does not look like a change of those slides.
  const random = Math.random;
  let seed = 20231;
  Math.random = () => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646; };
  try { return fn(); } finally { Math.random = random; }
}

function renderDeck(request) {
  useThemes(request.theme_paths);
  const markdown = fs.readFileSync(request.markdown_path, 'utf8');
  asked = [];
  const html = seeded(() => engine.renderMarkdown(markdown, { htmlAsArray: true }));
  let css = null;
  if (request.css) {
    const key = styleKey();
    if (key !== cssCache.key) cssCache = { key, css: engine.renderStyle(engine.lastGlobalDirectives.theme) };
    css = cssCache.css;
  }
  const names = directiveNames();
  const lines = (engine.lastSlideTokens || []).map((tokens) => {
    const open = tokens.find((t) => t.type === 'marpit_slide_open');
    return open && open.map ? open.map[0] : null; // where the slide starts in the Markdown (0-based)
  });
  fs.writeFileSync(request.output_path, JSON.stringify({
    slides: html, css, notes: engine.lastComments || [], globals: engine.lastGlobalDirectives || {}, asked: [...new Set(asked)],
    themes: [...engine.themeSet.themes()].map((t) => t.name), lines,
    front_matter: checkFrontMatter(request.front_matter, names),
  }));
}

const reply = (obj) => fs.writeSync(replyFd, JSON.stringify(obj) + '\n');
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const request = JSON.parse(line);
    const started = performance.now();
    let code;
    try {
      if (request.deck) {
        renderDeck(request.deck);
        code = 0;
      } else {
        if (marpCli === null) marpCli = require(marpCliPath).marpCli;
        code = await marpCli(request.argv, {});
      }
    } catch (err) {
      console.error(String(err && err.stack || err));
      code = 1;
    }
    reply({ id: request.id, code, ms: performance.now() - started });
  });
}).on('close', () => queue.then(() => process.exit(0)));
reply({ id: 0, ready: true });
