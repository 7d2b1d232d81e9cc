// A long-lived Mermaid renderer driven through mermaid-cli's own package: one Chromium, one page,
// Mermaid (and mermaid-cli's bundled page, CSS and plugins) loaded ONCE, then any number of diagrams.
//
// Why not `mmdc` or mermaid-cli's renderMermaid(): both open a fresh page per diagram and load the
// ~3 MB Mermaid bundle each time; a process launch alone costs ~1.6 s. This script does what
// renderMermaid() does (same page dist/index.html, same Interceptor, same CSS, zenuml, elk and
// tidy-tree, same XMLSerializer output) but keeps the page.
//
// Usage: node mermaid-render.mjs '<json: {nodeModules, browser, args}>'
// Protocol (JSON lines): prints {"ready": true, "browserPid"} once loaded (or {"fatal": msg} and exits 1);
// then for every stdin line {"id", "sources": [...], "config", "colours": {light, dark, background, minimum}}
// prints {"id", "results": [{"svg", "fixed", "alt", "fonts"} | {"error"}]}: "alt" says what the diagram
// shows (the author's accTitle/accDescr, else generated from Mermaid's own parse of it); "fonts" lists
// the faces its visible texts use, with their characters, for deckbuild/fonts.py to embed.
// options.fontCss: a stylesheet of @font-face rules (the shipped fonts), loaded before any diagram.
// Logs go to stderr. Ends (closing Chromium) when stdin closes or on SIGTERM/SIGINT.

import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import url from "node:url";

const options = JSON.parse(process.argv[2]);
const nodeModules = options.nodeModules;
const cliDir = path.join(nodeModules, "@mermaid-js", "mermaid-cli");
const cliIndexUrl = url.pathToFileURL(path.join(cliDir, "src", "index.js")).href;

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const log = (...parts) => process.stderr.write(parts.join(" ") + "\n");

let browser;
let closing = false;
async function shutdown(code) {
  if (closing) return;
  closing = true;
  try {
    await browser?.close();
  } catch (err) {
    log("closing Chromium:", String(err));
  }
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));

async function esmBundle(resolve, pkg, file) {
  return path.resolve(path.dirname(url.fileURLToPath(resolve(pkg, cliIndexUrl))), file);
}

async function start() {
  // Resolve everything the way mermaid-cli does, from mermaid-cli's own location.
  const fromCli = createRequire(path.join(cliDir, "package.json")); // mermaid-cli's own dependency, wherever npm put it
  const { resolve } = await import(url.pathToFileURL(fromCli.resolve("import-meta-resolve")).href);
  const puppeteer = (await import(resolve("puppeteer", cliIndexUrl))).default;
  const { Interceptor } = await import(url.pathToFileURL(path.join(cliDir, "src", "puppeteerIntercept.js")).href);
  const bundles = {
    mermaid: await esmBundle(resolve, "mermaid", "mermaid.esm.mjs"),
    elk: await esmBundle(resolve, "@mermaid-js/layout-elk", "mermaid-layout-elk.esm.mjs"),
    zenuml: await esmBundle(resolve, "@mermaid-js/mermaid-zenuml", "mermaid-zenuml.esm.mjs"),
  };
  try {
    bundles.tidyTree = await esmBundle(resolve, "@mermaid-js/layout-tidy-tree", "mermaid-layout-tidy-tree.esm.mjs");
  } catch {
    // optional dependency of mermaid-cli
  }
  browser = await puppeteer.launch({ headless: "shell", executablePath: options.browser, args: options.args, handleSIGTERM: false, handleSIGINT: false });
  const page = await browser.newPage();
  page.on("console", (msg) => log("[page]", msg.text()));
  page.on("pageerror", (err) => log("[page error]", String(err)));
  await page.setViewport({ width: 800, height: 600, deviceScaleFactor: 1 }); // mmdc's defaults
  await page.goto(url.pathToFileURL(path.join(cliDir, "dist", "index.html")).href);
  await page.$eval("body", (body) => { body.style.margin = "0"; });
  const interceptor = new Interceptor();
  const urls = {};
  for (const [name, file] of Object.entries(bundles)) {
    urls[name] = await interceptor.fileUrlToInterceptUrl(url.pathToFileURL(file));
  }
  page.on("request", interceptor.interceptRequestHandler);
  await page.setRequestInterception(true);
  const css = [
    "@fortawesome/fontawesome-free/css/brands.css",
    "@fortawesome/fontawesome-free/css/regular.css",
    "@fortawesome/fontawesome-free/css/solid.css",
    "@fortawesome/fontawesome-free/css/fontawesome.css",
    "katex/dist/katex.css",
  ];
  if (options.fontCss) await page.addStyleTag({ path: options.fontCss }); // layout measures the shipped fonts
  for (const sheet of css) {
    const href = await interceptor.fileUrlToInterceptUrl(new URL(resolve(sheet, cliIndexUrl)), { allowParentDirectoryLevel: 2 });
    await page.addStyleTag({ url: href });
  }
  await page.evaluate(async (urls) => {
    const { default: mermaid } = await import(urls.mermaid);
    const { default: elkLayouts } = await import(urls.elk);
    const { default: zenuml } = await import(urls.zenuml);
    const { default: tidyTree } = urls.tidyTree ? await import(urls.tidyTree) : { default: undefined };
    await Promise.all(Array.from(document.fonts, (font) => font.load()));
    await mermaid.registerExternalDiagrams([zenuml]);
    mermaid.registerLayoutLoaders([...elkLayouts, ...(tidyTree ?? [])]);
    window.__mermaid = mermaid;
  }, urls);
  await page.evaluate(PAGE_HELPERS);
  await page.evaluate(`window.__fontsUsed = ${fontsUsed.toString()}; window.__describe = ${describe.toString()};`);
  return page;
}

// Runs in the page: render one diagram, make its texts readable, serialize it.
const PAGE_HELPERS = `
window.__renderOne = async (definition, config, colours) => {
  const mermaid = window.__mermaid;
  const container = document.getElementById("container");
  container.innerHTML = "";
  document.body.style.background = colours.background; // the slide behind the transparent SVG
  try {
    mermaid.initialize({ startOnLoad: false, ...config });
    const { svg: svgText } = await mermaid.render("my-svg", definition, container);
    container.innerHTML = svgText;
    const svg = container.getElementsByTagName("svg")[0];
    if (!svg) return { error: "Mermaid produced no SVG" };
    svg.style.backgroundColor = "transparent";
    window.__solidSequenceNumberDiscs(svg);
    const fixed = window.__fixTextContrast(svg, colours);
    const fonts = window.__fontsUsed(svg);
    const alt = await window.__describe(mermaid, definition, svg);
    const out = new XMLSerializer().serializeToString(svg);
    return { svg: out, fixed, alt, fonts };
  } catch (err) {
    return { error: String((err && err.message) || err) };
  } finally {
    container.innerHTML = "";
    // Mermaid leaves its scratch element behind when a diagram fails to parse.
    for (const stray of document.querySelectorAll("body > [id^=dmy-svg], body > #my-svg")) stray.remove();
  }
};

// A sequence number's disc is a line marker: painted, but invisible to hit testing (so to contrast
// checkers, and to the repair below). Draw each disc as a real circle right under its number instead.
window.__solidSequenceNumberDiscs = (svg) => {
  const shape = svg.querySelector("marker[id$='-sequencenumber'] circle");
  if (!shape) return;
  const style = getComputedStyle(shape);
  for (const line of svg.querySelectorAll("line[marker-start$='-sequencenumber)']")) {
    const scale = parseFloat(getComputedStyle(line).strokeWidth) || 1;
    const disc = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    disc.setAttribute("class", "sequenceNumberDisc");
    disc.setAttribute("cx", line.getAttribute("x1"));
    disc.setAttribute("cy", line.getAttribute("y1"));
    disc.setAttribute("r", String(parseFloat(shape.getAttribute("r")) * scale));
    disc.setAttribute("style", "fill: " + style.fill + "; stroke: " + style.stroke + "; stroke-width: " + parseFloat(style.strokeWidth) * scale + "px");
    line.after(disc);
    line.removeAttribute("marker-start");
  }
};

// Every text whose colour reads poorly against what is painted behind it (a user 'style X fill:#fff',
// a categorical fill, a diagram type the theme variables do not reach) gets the theme's light or dark
// text colour, whichever reads better there. "Behind" is decided as a browser paints it: every filled
// shape under the text's centre, in document (paint) order, blended by its opacity, over the slide.
window.__fixTextContrast = (svg, colours) => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const hex = (h) => ({ r: parseInt(h.slice(1, 3), 16), g: parseInt(h.slice(3, 5), 16), b: parseInt(h.slice(5, 7), 16), a: 1 });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const blend = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const page = hex(colours.background);
  const choices = [colours.light, colours.dark, "#ffffff", "#000000"];
  const visible = (e) => (e.checkVisibility ? e.checkVisibility({ visibilityProperty: true, opacityProperty: true }) : true);

  // Filled shapes (SVG geometry and HTML boxes inside foreignObject labels), in paint order.
  const shapes = [];
  for (const e of svg.querySelectorAll("*")) {
    const isSvg = e instanceof SVGGeometryElement;
    const isHtml = e instanceof HTMLElement;
    if (!isSvg && !isHtml) continue;
    const s = getComputedStyle(e);
    const c = parse(isSvg ? s.fill : s.backgroundColor);
    if (!c) continue;
    const alpha = c.a * parseFloat(s.opacity) * (isSvg ? parseFloat(s.fillOpacity || "1") : 1);
    if (alpha <= 0.05 || !visible(e)) continue;
    const box = e.getBoundingClientRect();
    if (box.width < 0.5 || box.height < 0.5) continue;
    shapes.push({ e, isSvg, box, colour: { ...c, a: alpha } });
  }
  const behind = (x, y) => {
    let under = page;
    for (const { e, isSvg, box, colour } of shapes) {
      if (x < box.left || x > box.right || y < box.top || y > box.bottom) continue;
      if (isSvg) {
        const ctm = e.getScreenCTM();
        if (!ctm) continue;
        const local = new DOMPoint(x, y).matrixTransform(ctm.inverse());
        if (!e.isPointInFill(local)) continue;
      }
      under = blend(colour, under);
    }
    return under;
  };

  let fixed = 0;
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || el.closest("style, title, desc")) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const isSvgText = el instanceof SVGElement;
    const s = getComputedStyle(el);
    const fg = parse(isSvgText ? s.fill : s.color) || parse(s.color);
    if (!fg) continue;
    const under = behind(r.left + r.width / 2, r.top + r.height / 2);
    if (ratio(blend(fg, under), under) >= colours.minimum) continue;
    const scored = choices.map((c) => ({ c, k: ratio(hex(c), under) }));
    const pick = scored.find((x) => x.k >= colours.minimum) || scored.reduce((a, b) => (b.k > a.k ? b : a));
    el.style.setProperty(isSvgText ? "fill" : "color", pick.c, "important");
    if (isSvgText) el.style.setProperty("fill-opacity", "1", "important");
    el.style.setProperty("opacity", "1", "important");
    fixed++;
  }
  return fixed;
};
`;

// The faces the visible texts are drawn in (computed weight, style, text or mono) and their characters.
function fontsUsed(svg) {
  const used = new Map();
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("style, title, desc")) continue;
    const s = getComputedStyle(el);
    const key = [parseInt(s.fontWeight, 10) || 400, s.fontStyle === "italic" ? "italic" : "normal", /mono/i.test(s.fontFamily) ? "mono" : "text"].join("|");
    used.set(key, (used.get(key) || "") + node.textContent);
  }
  return [...used].map(([key, text]) => {
    const [weight, style, kind] = key.split("|");
    return { weight: Number(weight), style, kind, chars: [...new Set(text)].join("") };
  });
}

// What the diagram shows, in words: the author's accTitle/accDescr when written; otherwise, from
// Mermaid's own parse, the steps of a sequence diagram in order and the links of a flowchart; for
// every other type its kind and the labels it shows. Never just "a diagram".
// (Runs in the page; KINDS lives inside so that toString() carries it.)
async function describe(mermaid, definition, svg) {
  const KINDS = {
  sequence: "Sequence diagram", flowchart: "Flowchart", "flowchart-v2": "Flowchart", "flowchart-elk": "Flowchart", graph: "Flowchart",
  class: "Class diagram", classDiagram: "Class diagram", state: "State diagram", stateDiagram: "State diagram", er: "Entity relationship diagram",
  journey: "User journey", gantt: "Gantt chart", pie: "Pie chart", quadrantChart: "Quadrant chart", requirement: "Requirement diagram",
  gitGraph: "Git graph", c4: "C4 diagram", mindmap: "Mind map", timeline: "Timeline", zenuml: "Sequence diagram", sankey: "Sankey diagram",
  xychart: "Chart", block: "Block diagram", packet: "Packet diagram", kanban: "Kanban board", architecture: "Architecture diagram",
  radar: "Radar chart", treemap: "Treemap", venn: "Venn diagram", info: "Mermaid version information", swimlane: "Swimlane diagram",
  treeView: "Tree view", eventmodeling: "Event model", ishikawa: "Fishbone diagram", wardley: "Wardley map", cynefin: "Cynefin framework",
  railroad: "Railroad diagram", railroadEbnf: "Railroad diagram", railroadAbnf: "Railroad diagram", railroadPeg: "Railroad diagram",
  };
  const decoder = document.createElement("textarea"); // Mermaid's parse keeps labels HTML-escaped ("&amp;")
  const decode = (t) => { decoder.innerHTML = t; return decoder.value; };
  const clean = (t) => decode(String(t ?? "").replace(/<br\s*\/?>/gi, " ").replace(/<[^>]+>/g, "")).replace(/\s+/g, " ").trim();
  let diagram = null;
  try { diagram = await mermaid.mermaidAPI.getDiagramFromText(definition); } catch { /* described from the SVG below */ }
  const db = diagram?.db ?? {};
  const accTitle = clean(db.getAccTitle?.() ?? svg.querySelector(":scope > title")?.textContent);
  const accDescr = clean(db.getAccDescription?.() ?? svg.querySelector(":scope > desc")?.textContent);
  if (accTitle || accDescr) return [accTitle, accDescr].filter(Boolean).join(". ");
  const type = diagram?.type ?? "";
  const kind = KINDS[type] || "Diagram";
  const title = clean(db.getDiagramTitle?.() || db.getTitle?.()).replace(/^"(.*)"$/, "$1");
  const head = title ? `${kind} "${title}"` : kind;
  const list = (items) => items.length <= 1 ? items.join("") : items.slice(0, -1).join(", ") + " and " + items.at(-1);
  const MAX = 40;
  const more = (n) => (n > MAX ? `; and ${n - MAX} more` : "");
  try {
    if (type === "sequence" && db.getMessages) {
      const actors = db.getActors();
      const name = (key) => clean(actors.get(key)?.description || key);
      const T = db.LINETYPE || {};
      const blocks = new Map([[T.LOOP_START, "loop"], [T.ALT_START, "if"], [T.ALT_ELSE, "else"], [T.OPT_START, "optionally"],
        [T.PAR_START, "in parallel"], [T.PAR_AND, "and"], [T.CRITICAL_START, "critical"], [T.CRITICAL_OPTION, "option"], [T.BREAK_START, "break"]]);
      const steps = [];
      let block = ""; // "loop every minute", "if success": said before the step it starts
      for (const m of db.getMessages()) {
        const text = clean(m.message);
        const lead = block ? `${block}, ` : "";
        if (m.type === T.NOTE) { steps.push(`${lead}note: ${text}`); block = ""; }
        else if (blocks.has(m.type)) block = `${blocks.get(m.type)}${text ? ` ${text}` : ""}`;
        else if (m.from && m.to) { steps.push(`${lead}${name(m.from)} to ${name(m.to)}${text ? `: ${text}` : ""}`); block = ""; }
      }
      return `${head} between ${list([...actors.keys()].map(name))}. In order: ${steps.slice(0, MAX).join("; ")}${more(steps.length)}.`;
    }
    if (type === "xychart") {
      // Its db keeps drawing state only: the numbers come from the definition itself.
      const quoted = (t) => clean(String(t ?? "").replace(/^["']|["']$/g, ""));
      const values = (t) => t.split(",").map((v) => quoted(v.trim())).filter(Boolean);
      const x = definition.match(/^\s*x-axis\s+(?:("[^"]*"|\S+)\s+)?\[([^\]]*)\]/m);
      const y = definition.match(/^\s*y-axis\s+("[^"]*"|[^\s\d][^\n]*?)(?:\s+-?[\d.]+\s*-->|\s*$)/m);
      const series = [...definition.matchAll(/^\s*(bar|line)\s+(?:("[^"]*")\s+)?\[([^\]]*)\]/gm)];
      if (x && series.length) {
        const categories = values(x[2]);
        const yTitle = y ? quoted(y[1]) : "value";
        const parts = series.map(([, mark, name, data]) => {
          const nums = values(data);
          const pairs = categories.map((c, i) => `${c}: ${nums[i] ?? "?"}`).join(", ");
          return `${mark === "bar" ? "bars" : "a line"}${name ? ` "${quoted(name)}"` : ""} of ${yTitle} by ${x[1] ? quoted(x[1]) : "category"}: ${pairs}`;
        });
        return `${head} with ${parts.join("; and ")}.`;
      }
    }
    if (type === "c4" && db.getC4ShapeArray) {
      const shapes = db.getC4ShapeArray();
      const byAlias = new Map(shapes.map((e) => [e.alias, clean(e.label?.text || e.alias)]));
      const parts = shapes.map((e) => {
        const what = clean(e.typeC4Shape?.text).replace(/_/g, " ");
        const descr = clean(e.descr?.text);
        return `${clean(e.label?.text || e.alias)}${what ? ` (${what})` : ""}${descr ? `: ${descr}` : ""}`;
      });
      const rels = (db.getRels?.() || []).map((r) =>
        `${byAlias.get(r.from) || r.from} to ${byAlias.get(r.to) || r.to}${clean(r.label?.text) ? `: ${clean(r.label.text)}` : ""}${clean(r.techn?.text) ? ` [${clean(r.techn.text)}]` : ""}`);
      const boundaries = (db.getBoundaries?.() || []).map((b) => clean(b.label?.text)).filter((b) => b && b !== "global");
      return `${head} of ${parts.slice(0, MAX).join("; ")}${more(parts.length)}.` +
        (boundaries.length ? ` Boundaries: ${list(boundaries)}.` : "") +
        (rels.length ? ` Relations: ${rels.slice(0, MAX).join("; ")}${more(rels.length)}.` : "");
    }
    if (type.startsWith("flowchart") && db.getEdges) {
      const vertices = db.getVertices();
      const label = (id) => clean((vertices.get ? vertices.get(id) : vertices[id])?.text || id);
      const links = db.getEdges().map((e) => `${label(e.start)} to ${label(e.end)}${clean(e.text) ? ` (${clean(e.text)})` : ""}`);
      const ids = vertices.keys ? [...vertices.keys()] : Object.keys(vertices);
      const lonely = ids.filter((id) => !db.getEdges().some((e) => e.start === id || e.end === id)).map(label);
      return `${head}: ${links.slice(0, MAX).join("; ")}${more(links.length)}${lonely.length ? `; also ${list(lonely)}` : ""}.`;
    }
  } catch { /* fall back to the labels */ }
  // Every other type: its labels, one per <text> (its tspans joined) or HTML label, in drawing order.
  const labels = [];
  for (const el of svg.querySelectorAll("text, foreignObject")) {
    if (el.closest("style, title, desc") || (el.tagName === "text" && el.closest("foreignObject"))) continue;
    const parts = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) parts.push(walker.currentNode.textContent);
    const text = clean(parts.join(" "));
    if (text && text !== title && !labels.includes(text)) labels.push(text);
  }
  return `${head}${labels.length ? ` showing ${labels.slice(0, MAX).join(", ")}${more(labels.length)}` : ""}.`;
}

async function main() {
  let page;
  try {
    page = await start();
  } catch (err) {
    send({ fatal: String((err && err.stack) || err) });
    await shutdown(1);
    return;
  }
  send({ ready: true, browserPid: browser.process()?.pid ?? null });
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // One request at a time: Mermaid renders serially on one page anyway.
  for await (const line of lines) {
    if (!line.trim()) continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch (err) {
      send({ id: null, fatal: "bad request line: " + String(err) });
      continue;
    }
    const results = [];
    try {
      for (const source of request.sources) {
        // Mermaid's own errors come back as {error} from inside the page; an exception here means
        // the page or Chromium itself broke: say so and exit, the caller starts a fresh renderer.
        results.push(await page.evaluate((d, c, k) => window.__renderOne(d, c, k), source, request.config, request.colours));
      }
    } catch (err) {
      send({ id: request.id, fatal: "Chromium failed: " + String((err && err.message) || err) });
      await shutdown(1);
      return;
    }
    send({ id: request.id, results });
  }
  await shutdown(0);
}

main();
