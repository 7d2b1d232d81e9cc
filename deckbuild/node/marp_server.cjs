// A warm marp-cli: one Node process that converts Markdown to the bespoke HTML again and again,
// without paying Node's start-up and marp-cli's module loading on every save.
// Protocol: one JSON request per line on stdin {"id", "argv"}; one JSON reply per line
// {"id", "code", "ms"} on the file descriptor named by argv[3] (stdout/stderr stay marp-cli's own log). EOF on stdin ends the process.
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const marpCliPath = process.argv[2];
const replyFd = Number(process.argv[3]);
const { marpCli } = require(marpCliPath);
// marp-core, the engine marp-cli itself uses (resolved from marp-cli, so it is the same version).
const { Marp } = require(require.resolve('@marp-team/marp-core', { paths: [marpCliPath] }));

// The hot path of a save: marp-core alone renders the slides (no template, no theme re-parse:
// the engine is kept while the theme file's text is the same). marp-cli still writes the full page.
let engine = null;
let engineTheme = null;
function useTheme(themePath) {
  const theme = fs.readFileSync(themePath, 'utf8');
  if (engine === null || theme !== engineTheme) {
    engine = new Marp({ html: true, inlineSVG: true, script: false });
    engine.themeSet.add(theme);
    engineTheme = theme;
  }
}

function renderSlides(request) {
  useTheme(request.theme_path);
  const markdown = fs.readFileSync(request.markdown_path, 'utf8');
  // Marpit names each <style scoped> with Math.random(): seeded here, the same deck renders the same
  // HTML and CSS every time, so a save elsewhere does not look like a change of those slides.
  const random = Math.random;
  let seed = 20231;
  Math.random = () => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646; };
  let rendered;
  try {
    rendered = engine.render(markdown, { htmlAsArray: true });
  } finally {
    Math.random = random;
  }
  const { html, css, comments } = rendered;
  fs.writeFileSync(request.output_path, JSON.stringify({ slides: html, css, notes: comments }));
}

// A save's fastest path: only the Markdown of the changed slides, each in its place among empty
// slides (so its number, its pagination and every directive that is its own come out the same),
// without the CSS (the theme did not change). Returns those slides' HTML and notes by index.
function renderPartial(request) {
  useTheme(request.theme_path);
  const markdown = fs.readFileSync(request.markdown_path, 'utf8');
  const random = Math.random;
  let seed = 20231;
  Math.random = () => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646; };
  let html;
  try {
    html = engine.renderMarkdown(markdown, { htmlAsArray: true });
  } finally {
    Math.random = random;
  }
  const comments = engine.lastComments || [];
  const slides = {}, notes = {};
  for (const index of request.indexes) { slides[index] = html[index]; notes[index] = comments[index] || []; }
  fs.writeFileSync(request.output_path, JSON.stringify({ slides, notes, count: html.length }));
}

const reply = (obj) => fs.writeSync(replyFd, JSON.stringify(obj) + '\n');
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const request = JSON.parse(line);
    const started = performance.now();
    let code;
    try {
      if (request.slides) {
        renderSlides(request.slides);
        code = 0;
      } else if (request.partial) {
        renderPartial(request.partial);
        code = 0;
      } else code = await marpCli(request.argv, {});
    } catch (err) {
      console.error(String(err && err.stack || err));
      code = 1;
    }
    reply({ id: request.id, code, ms: performance.now() - started });
  });
}).on('close', () => queue.then(() => process.exit(0)));
reply({ id: 0, ready: true });
