// The handout: every slide of the exported HTML deck with its speaker notes below it, one slide per
// A4 page, printed by Chromium as a tagged PDF. Reads the deck Marp rendered (slides, theme, notes)
// rather than rendering again, so the handout shows exactly the deck.
//
// Usage: node handout.mjs '<json: {nodeModules, browser, args, input, output}>'
// Prints one JSON line {"slides": [{"label", "notes"}...]} on success; errors go to stderr, exit 1.

import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import url from "node:url";

const options = JSON.parse(process.argv[2]);
const require = createRequire(path.join(options.nodeModules, "_.js"));
const puppeteer = require("puppeteer");

// Runs in the deck's page: the handout document, as HTML text.
function handoutDocument() {
  const container = document.getElementById(":$p");
  const notes = new Map();
  for (const note of document.querySelectorAll(".bespoke-marp-note[data-index]")) notes.set(Number(note.dataset.index), note.innerHTML);
  const styles = [...document.querySelectorAll("style")]
    .filter((s) => s.textContent.includes("div#\\:\\$p") || s.textContent.includes("@font-face"))
    .map((s) => s.outerHTML);
  const slides = [...container.querySelectorAll(":scope > svg[data-marpit-svg]")];
  const parts = [];
  const report = [];
  slides.forEach((svg, index) => {
    const copy = svg.cloneNode(true);
    copy.removeAttribute("class");
    const box = svg.viewBox.baseVal;
    copy.setAttribute("style", `aspect-ratio: ${box.width} / ${box.height}`); // width 100%, height from the slide's own ratio
    const section = copy.querySelector("section");
    const label = section?.getAttribute("aria-label") || `Slide ${index + 1}`;
    const text = notes.get(index) || "";
    parts.push(`<h2 class="handout-label">${label.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</h2>`);
    parts.push(copy.outerHTML);
    parts.push(`<div class="handout-notes">${text || '<p class="handout-none">(no speaker notes)</p>'}</div>`);
    report.push({ label, notes: (new DOMParser().parseFromString(text, "text/html").body.textContent || "").trim() });
  });
  const lang = document.documentElement.lang || "en";
  const title = document.title;
  const author = document.querySelector('meta[name="author"]')?.content || "";
  const css = `
    @page { size: A4 portrait; margin: 14mm 16mm 16mm; }
    html, body { margin: 0; background: #fff; color: #111; }
    body { font: 12pt/1.45 "Atkinson Hyperlegible Next", "Deck Symbols", sans-serif; }
    .handout-label { font-size: 11pt; font-weight: 700; color: #222; margin: 0 0 3mm; break-before: page; break-after: avoid; }
    .handout-label:first-child { break-before: auto; }
    div#\\:\\$p > svg { display: block; width: 100% !important; height: auto !important; max-height: none !important; border: 0.3mm solid #777; break-inside: avoid; }
    .handout-notes { margin-top: 6mm; }
    .handout-notes p { margin: 0 0 3mm; }
    .handout-none { color: #555; font-style: italic; }
    .handout-notes code { font-family: "Atkinson Hyperlegible Mono", "Deck Symbols", monospace; }
  `;
  const html = `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><title>${title.replace(/</g, "&lt;")} (handout)</title>` +
    `<meta name="author" content="${author.replace(/"/g, "&quot;")}">${styles.join("")}<style>${css}</style></head>` +
    `<body><main><div id=":$p">${parts.join("")}</div></main></body></html>`;
  return { html, report };
}

let browser;
try {
  browser = await puppeteer.launch({ headless: "shell", executablePath: options.browser, args: options.args });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 720 });
  await page.goto(url.pathToFileURL(options.input).href, { waitUntil: "load" });
  const { html, report } = await page.evaluate(handoutDocument);
  if (!report.length) throw new Error("no slides found in " + options.input);
  if (options.dumpHtml) fs.writeFileSync(options.dumpHtml, html); // for looking at the layout in a browser
  await page.setContent(html, { waitUntil: "load" });
  await page.evaluate(() => document.fonts.ready);
  await page.pdf({ path: options.output, format: "A4", printBackground: true, preferCSSPageSize: true, tagged: true, outline: false, waitForFonts: true });
  process.stdout.write(JSON.stringify({ slides: report }) + "\n");
  await browser.close();
} catch (err) {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  await browser?.close().catch(() => {});
  process.exit(1);
}
