// Share mode's audience page: the deck on a phone in the room (deckbuild/present/audience.py builds the page).
//
// Held upright, a phone reads each slide reflowed at its width: a card per slide, made from the slide's
// own HTML (the projected slide, as client.js keeps it up to date, is the source: what the presenter's
// slide shows, the phone shows), text >= 16 px, code and tables scrolling inside their own boxes, each
// diagram in its phone layout (tap: full screen, pinch and pan), a demo's run as a vertical timeline
// (deckbuild/story/timeline.py: the same selected rows as the projected picture). Held sideways, or on
// a tablet or a laptop, it shows the slide as projected. It follows the presenter (slide and fragment);
// the reader may scroll back, and "Live: slide N" brings them back. A late joiner lands live.
//
// Mount point for other audience panels (issue 22's questions): window.__phone
//   addAction(button)                     a control in the bar (>= 44 px; never over a slide)
//   addSheet(id, {title, closable})       a panel above the bar (beside it, held sideways): {el, body, open(), close(), toggle(), shown}
//   on(event, fn)                          'slide' ({slide, live}) when the shown slide changes, 'live' (follow) when the presenter moves
//   current()                              {slide, live, following, portrait}
// Such a script is listed in audience.AUDIENCE_ASSETS (after this one) and its CSS beside it.
(() => {
  'use strict';
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const data = JSON.parse(($('#phone-data') || { textContent: '{}' }).textContent || '{}');
  const metaOf = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const room = metaOf('present-room');
  const app = $('#phone-app');
  const main = $('#phone-main');
  const flow = $('#phone-flow');
  const projected = $('#phone-projected');
  const bar = $('#phone-bar');
  const sheets = $('#phone-sheets');
  if (!app || !main || !flow || !projected) return;
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const MIN_TEXT = 16; // px: the floor for text on a phone
  const MIN_LABEL = 14; // px: a diagram's labels
  const reflowQuery = matchMedia('(orientation: portrait) and (max-width: 600px)');

  const listeners = {};
  const phone = window.__phone = {
    timelines: data.timelines || {},
    diagrams: data.diagrams || {},
    following: true,
    viewing: 1, // the slide shown (the live one while following)
    maxSeen: 1,
    latencies: [], // ms from a run's event on the server to its timeline on this phone (the benchmark reads them)
    shownAt: {}, // slide -> performance.now() when its card (or projected slide) was put in view
    paintedAt: {}, // slide -> the time (performance.timeOrigin + now) of the first frame showing it (the benchmark reads it)
    on(event, fn) { (listeners[event] = listeners[event] || []).push(fn); },
    current() { return { slide: phone.viewing, live: live().slide, following: phone.following, portrait: reflowing() }; },
    addAction, addSheet,
  };
  const emit = (event, value) => (listeners[event] || []).forEach((fn) => { try { fn(value); } catch (e) { console.error(e); } });
  const present = () => window.__present || {};
  const live = () => (present().follow || { slide: 1, fragment: 0 });
  const reflowing = () => reflowQuery.matches;
  const slides = () => $$(':scope > svg[data-marpit-svg]', projected);
  const count = () => slides().length;

  // ---- the bar and the sheets: controls beside the slide, never over it -----------------------------------
  function button(label, cls, action) {
    const b = el('button', `phone-btn ${cls || ''}`.trim(), label);
    b.type = 'button';
    b.addEventListener('click', (e) => { e.stopPropagation(); action(e); });
    return b;
  }
  function addAction(node) { bar.appendChild(node); return node; }
  function addSheet(id, options = {}) {
    let sheet = sheets.querySelector(`[data-sheet="${CSS.escape(id)}"]`);
    if (!sheet) {
      sheet = el('section', 'phone-sheet');
      sheet.dataset.sheet = id;
      sheet.hidden = true;
      sheet.setAttribute('role', 'region');
      sheet.setAttribute('aria-label', options.title || id);
      const head = el('div', 'phone-sheet-head');
      head.append(el('span', 'phone-sheet-title', options.title || id));
      if (options.closable !== false) head.append(button('Close', 'phone-quiet', () => api.close()));
      sheet.append(head, el('div', 'phone-sheet-body'));
      sheets.appendChild(sheet);
    }
    const api = {
      el: sheet,
      body: sheet.querySelector('.phone-sheet-body'),
      get shown() { return !sheet.hidden; },
      open() { if (sheet.hidden) { sheet.hidden = false; layout(); } },
      close() { if (!sheet.hidden) { sheet.hidden = true; layout(); } },
      toggle() { if (sheet.hidden) api.open(); else api.close(); },
    };
    return api;
  }

  const pill = button('Live', 'phone-live-pill', () => follow());
  pill.hidden = true;
  pill.setAttribute('aria-live', 'polite');
  const earlier = button('◀', 'phone-quiet phone-nav', () => lookAt(phone.viewing - 1));
  const later = button('▶', 'phone-quiet phone-nav', () => lookAt(phone.viewing + 1));
  earlier.setAttribute('aria-label', 'Earlier slide');
  later.setAttribute('aria-label', 'Later slide');
  bar.append(pill, earlier, later);

  // ---- colours and type from the theme: the page around the slides matches them ------------------------------
  function themeColours() {
    const first = slides()[0];
    const section = first && first.querySelector('section:not([data-marpit-advanced-background="pseudo"])');
    if (!section) return;
    const cs = getComputedStyle(section);
    const root = document.documentElement.style;
    let bg = cs.backgroundColor;
    if (!bg || bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent') bg = '#ffffff';
    root.setProperty('--phone-bg', bg);
    root.setProperty('--phone-fg', cs.color);
    root.setProperty('--phone-font', cs.fontFamily);
    const link = section.querySelector('a') || Array.from(slides()).map((svg) => svg.querySelector('a')).find(Boolean);
    const accent = cs.getPropertyValue('--accent-green').trim() || cs.getPropertyValue('--color-highlight').trim()
      || (link ? getComputedStyle(link).color : '') || cs.color;
    root.setProperty('--phone-accent', accent);
    const bad = cs.getPropertyValue('--accent-coral').trim();
    if (bad) root.setProperty('--phone-bad', bad);
    // Quieter text (a card's number, a time): between the text and the background, still >= 4.5:1.
    root.setProperty('--phone-dim', `color-mix(in srgb, ${cs.color} 72%, ${bg})`);
    // Text on the accent (the LIVE tag, the pill): black or white, whichever reads better on it.
    const probe = el('span');
    probe.style.color = accent;
    document.body.appendChild(probe);
    const rgb = (getComputedStyle(probe).color.match(/[\d.]+/g) || [0, 0, 0]).slice(0, 3).map(Number);
    probe.remove();
    const lum = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    const l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    root.setProperty('--phone-accent-fg', (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff');
    root.setProperty('--phone-btn-bg', cs.color);
    root.setProperty('--phone-btn-fg', bg);
    const meta = document.querySelector('meta[name="theme-color"]') || document.head.appendChild(Object.assign(document.createElement('meta'), { name: 'theme-color' }));
    meta.content = bg;
  }

  // ---- a slide reflowed: a card built from the projected slide ---------------------------------------------
  const cards = new Map(); // slide number -> card element
  function sectionsOf(svg) {
    const all = $$(':scope > foreignObject > section', svg);
    const content = all.find((s) => s.dataset.marpitAdvancedBackground === 'content') || all.find((s) => !s.dataset.marpitAdvancedBackground) || all[0];
    const background = all.find((s) => s.dataset.marpitAdvancedBackground === 'background');
    return { content, background };
  }

  function titleOf(section) {
    const label = section && section.getAttribute('aria-label');
    if (label) return label;
    const heading = section && section.querySelector('h1, h2, h3');
    return heading ? heading.textContent.trim() : '';
  }

  function buildCard(n) {
    const svg = slides()[n - 1];
    if (!svg) return null;
    const { content, background } = sectionsOf(svg);
    const card = cards.get(n) || el('article', 'phone-card');
    card.dataset.slide = String(n);
    card.setAttribute('aria-label', titleOf(content) || `Slide ${n} of ${count()}`);
    const head = el('div', 'phone-card-head');
    head.append(el('span', 'phone-card-num', `${n} / ${count()}`), el('span', 'phone-card-live', 'LIVE'));
    const box = el('div', 'phone-flow');
    const section = content.cloneNode(true);
    if (background) {  // Marp's background images (![bg](...)): shown as pictures above the slide's text
      const figures = $$('figure', background).map((figure) => {
        const url = /url\(["']?([^"')]+)["']?\)/.exec(figure.style.backgroundImage || '');
        if (!url) return null;
        const img = el('img', 'phone-bg-image');
        img.src = url[1];
        img.alt = '';
        return img;
      }).filter(Boolean);
      section.prepend(...figures);
      const bg = getComputedStyle(background).backgroundColor;
      if (bg && bg !== 'rgba(0, 0, 0, 0)') section.style.backgroundColor = bg;
    }
    reflow(section, n);
    box.appendChild(section);
    const scrollers = $$('.phone-scroll-x, pre', card).map((s) => s.scrollLeft);
    card.replaceChildren(head, box);
    $$('.phone-scroll-x, pre', card).forEach((s, i) => { if (scrollers[i]) s.scrollLeft = scrollers[i]; });
    card.classList.toggle('phone-is-live', n === live().slide);
    cards.set(n, card);
    return card;
  }

  function reflow(section, n) {
    section.removeAttribute('id');
    section.querySelectorAll('[id]').forEach((node) => node.removeAttribute('id'));
    // Demo panels are the projected slide's (client.js decorates those): the copy is only shown.
    section.querySelectorAll('[data-demo]').forEach((node) => { node.dataset.phoneDemo = node.dataset.demo; node.removeAttribute('data-demo'); });
    section.querySelectorAll('button, input, select, textarea, a[href]').forEach((node) => {
      if (node.closest('.present-bar, .present-snapshot') && node.tagName === 'BUTTON') node.remove();  // the presenter's controls
    });
    // marp-cli writes Marp's custom elements (<marp-pre is="marp-pre">, <marp-h1>, <marp-auto-scaling>), which
    // scale their text to fit the slide: on a phone they are plain elements again, at the page's sizes.
    Array.from(section.querySelectorAll('*')).filter((node) => node.localName.startsWith('marp-')).reverse().forEach((node) => {
      const plain = node.localName.slice(5);  // marp-pre -> pre, marp-h1 -> h1; marp-auto-scaling has none: unwrapped
      if (!/^(pre|h[1-6])$/.test(plain)) { node.replaceWith(...node.childNodes); return; }
      const swap = document.createElement(plain);
      for (const attr of Array.from(node.attributes)) if (attr.name !== 'is' && attr.name !== 'data-auto-scaling') swap.setAttribute(attr.name, attr.value);
      swap.append(...node.childNodes);
      node.replaceWith(swap);
    });
    // Marp's fitted headings (<!-- fit -->) are an <svg> scaling the text to the slide's width: text again.
    section.querySelectorAll('svg[data-marp-fitting]').forEach((svg) => {
      const inner = svg.querySelector('[data-marp-fitting-svg-content]');
      const span = el('span');
      span.innerHTML = inner ? inner.innerHTML : svg.textContent;
      svg.replaceWith(span);
    });
    fragments(section, n);
    // What the slide's bar says of its demo (LIVE / CACHED, STALE, the last action's outcome) goes above
    // the demo, where a reader looks first; on the projector it sits in the corners.
    const panel = section.querySelector('[data-phone-demo]');
    const notes = Array.from(section.querySelectorAll(':scope > .present-bar, :scope > .present-why'));
    if (panel && notes.length) panel.before(...notes);
    timelines(section);
    section.querySelectorAll('pre').forEach(codeBlock);
    section.querySelectorAll('table').forEach((table) => {
      if (table.closest('.phone-scroll-x')) return;
      const wrap = el('div', 'phone-scroll-x');
      wrap.tabIndex = 0;
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('aria-label', 'Table (scrolls sideways)');
      table.replaceWith(wrap);
      wrap.appendChild(table);
    });
    section.querySelectorAll('img').forEach(image);
    // The live slide's pictures load now; the slides above it when scrolled to.
    section.querySelectorAll('img').forEach((img) => { img.loading = n === live().slide ? 'eager' : 'lazy'; });
  }

  // Fragments: on the live slide, what the presenter revealed; a slide looked back at shows them all.
  function fragments(root, n) {
    const shown = n === live().slide ? (live().fragment || 0) : Infinity;
    root.querySelectorAll('[data-marpit-fragment]').forEach((node) => {
      const index = Number(node.dataset.marpitFragment) || 0;
      if (index > shown) node.dataset.phoneFragment = 'hidden';
      else node.removeAttribute('data-phone-fragment');
    });
  }

  // A demo's run: its timeline (the live one while the presenter's slide shows the live run, else the captured one).
  function timelines(section) {
    section.querySelectorAll('[data-phone-demo]').forEach((panel) => {
      const name = panel.dataset.phoneDemo;
      const captured = panel.querySelector('.demo-diagram > svg.story');
      if (captured) {
        const box = el('div', 'phone-timeline');
        box.dataset.phoneStory = 'captured';
        box.innerHTML = phone.timelines[name] || '';
        if (captured.classList.contains('present-hidden')) box.classList.add('present-hidden');
        if (!box.innerHTML) box.append(captured.cloneNode(true));  // no timeline for it: the picture as it is
        captured.replaceWith(box);
      }
      const view = panel.querySelector('.present-live');
      const run = ((present().demos || {})[name] || {}).run;
      const picture = run && run.picture;
      if (view && picture && picture.timeline) {
        const box = el('div', 'phone-timeline present-live');
        box.dataset.phoneStory = 'live';
        box.dataset.version = `${run.run_id}:${picture.version}`;
        box.dataset.at = String(performance.now());
        box.innerHTML = picture.timeline;
        view.replaceWith(box);
        if (picture.event_ms && lastEvent[name] !== undefined && lastEvent[name] !== picture.event_ms) {
          phone.latencies.push(Date.now() - picture.event_ms);
          if (phone.latencies.length > 500) phone.latencies.shift();
        }
        lastEvent[name] = picture.event_ms || 0;
      }
    });
  }
  const lastEvent = {};

  // Code: scrolls inside its own block, with a Copy button (the clipboard API needs a secure page; a
  // phone on the room's Wi-Fi is not one, so a selected textarea and execCommand stand in).
  function codeBlock(pre) {
    if (pre.closest('.phone-code')) return;
    const wrap = el('div', 'phone-code');
    const top = el('div', 'phone-code-bar');
    const copy = el('button', 'phone-copy', 'Copy');
    copy.type = 'button';
    copy.setAttribute('aria-label', 'Copy the code');
    top.append(copy);
    pre.replaceWith(wrap);
    pre.tabIndex = 0;
    wrap.append(top, pre);
  }
  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
    } catch (e) { /* fall through */ }
    const area = el('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;top:0;left:0;opacity:0;font-size:16px';
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }
  flow.addEventListener('click', async (event) => {
    const copy = event.target.closest('.phone-copy');
    if (copy) {
      const pre = copy.closest('.phone-code').querySelector('pre');
      const ok = await copyText(pre.textContent.replace(/\n$/, ''));
      phone.copied = ok ? pre.textContent : null;
      copy.textContent = ok ? 'Copied' : 'Select';
      if (!ok) window.getSelection().selectAllChildren(pre);
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
      return;
    }
    const diagram = event.target.closest('.phone-diagram');
    if (diagram) openViewer(diagram.querySelector('img'));
  });

  // ---- diagrams in their phone layout ----------------------------------------------------------------------
  const KEY = /\/__present\/svg\/([0-9a-f]{32})\.svg$/;
  const asking = new Set();
  function image(img) {
    if (img.classList.contains('emoji')) return;
    const src = img.getAttribute('src') || '';
    const key = (KEY.exec(src) || [])[1];
    const inDiagram = img.closest('.diagram');
    if (!key && !inDiagram) return;  // a photo: fitted to the width by the style sheet
    const info = key && phone.diagrams[key];
    if (key) img.src = `/r/${room}/diagram/${key}.svg`;
    img.removeAttribute('width');
    img.removeAttribute('height');
    img.style.cssText = '';
    img.addEventListener('error', () => { if (key && img.src.indexOf('/diagram/') >= 0) img.src = src; }, { once: true });
    const open = el('button', 'phone-diagram');
    open.type = 'button';
    open.setAttribute('aria-label', `Open the diagram full screen: ${img.alt || 'diagram'}`);
    img.replaceWith(open);
    open.appendChild(img);
    if (info) size(open, img, info);
    else if (key && !asking.has(key)) {
      asking.add(key);
      fetch(`/r/${room}/diagrams?keys=${key}`).then((r) => r.json()).then((found) => {
        Object.assign(phone.diagrams, found);
        const card = open.closest('.phone-card');
        if (card) rebuild(Number(card.dataset.slide));
      }).catch(() => {}).finally(() => asking.delete(key));
    }
  }
  // The width that keeps its smallest label >= 14 px: fitted when it can be, else in a box that scrolls sideways.
  function size(button, img, info) {
    const room = Math.max(200, flow.clientWidth - 32);
    const fitted = Math.min(info.w, room);
    const readable = info.w * (MIN_LABEL / Math.max(1, info.label));
    const width = Math.max(fitted, Math.min(info.w, readable));
    img.style.width = `${Math.round(width)}px`;
    img.dataset.phoneScale = String(width / info.w);
    if (width > room + 1) {
      const wrap = el('div', 'phone-scroll-x');
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('aria-label', 'Diagram (scrolls sideways; tap for full screen)');
      button.replaceWith(wrap);
      wrap.appendChild(button);
      const hint = el('div', 'phone-scroll-hint', 'Wide diagram: scroll sideways, or tap for full screen');
      wrap.after(hint);
    }
  }

  // Full screen: pinch to zoom, drag to pan, double tap to zoom in or out.
  function openViewer(img) {
    if (!img) return;
    const viewer = el('div', 'phone-viewer');
    viewer.setAttribute('role', 'dialog');
    viewer.setAttribute('aria-modal', 'true');
    viewer.setAttribute('aria-label', img.alt || 'Diagram');
    const head = el('div', 'phone-viewer-head');
    const close = button('Close', '', () => done());
    head.append(el('span', 'phone-viewer-title', img.alt || 'Diagram'), close);
    const stage = el('div', 'phone-viewer-stage');
    const big = el('img');
    big.src = img.currentSrc || img.src;
    big.alt = img.alt;
    stage.append(big);
    viewer.append(head, stage);
    app.appendChild(viewer);  // inside the page's controls: its keys reach it
    phone.viewer = viewer;
    const view = { s: 1, x: 0, y: 0, fit: 1 };
    const apply = () => { big.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.s})`; viewer.dataset.scale = String(view.s / view.fit); };
    const fit = () => {
      const w = big.naturalWidth || 300, h = big.naturalHeight || 300;
      big.style.width = `${w}px`;
      view.fit = Math.min(stage.clientWidth / w, stage.clientHeight / h);
      view.s = view.fit;
      view.x = (stage.clientWidth - w * view.s) / 2;
      view.y = (stage.clientHeight - h * view.s) / 2;
      apply();
    };
    if (big.complete) fit(); else big.addEventListener('load', fit, { once: true });
    const pointers = new Map();
    let start = null, lastTap = 0;
    const zoomAt = (cx, cy, s) => {
      s = Math.min(view.fit * 8, Math.max(view.fit * 0.5, s));
      view.x = cx - (cx - view.x) * (s / view.s);
      view.y = cy - (cy - view.y) * (s / view.s);
      view.s = s;
      apply();
    };
    stage.addEventListener('pointerdown', (e) => {
      try { stage.setPointerCapture(e.pointerId); } catch (err) { /* a pointer the browser no longer tracks */ }
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      start = { view: { ...view }, points: new Map(Array.from(pointers, ([k, v]) => [k, { ...v }])) };
      if (pointers.size === 1) {
        const now = performance.now();
        if (now - lastTap < 300) { const r = stage.getBoundingClientRect(); zoomAt(e.clientX - r.left, e.clientY - r.top, view.s > view.fit * 1.2 ? view.fit : view.s * 2.5); }
        lastTap = now;
      }
    });
    stage.addEventListener('pointermove', (e) => {
      if (!pointers.has(e.pointerId) || !start) return;
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      const r = stage.getBoundingClientRect();
      const now = Array.from(pointers.values()), then = Array.from(start.points.values());
      if (now.length >= 2 && then.length >= 2) {  // pinch: scale about the fingers' midpoint, and follow it
        const d = (a, b) => Math.hypot(a.x - b.x, a.y - b.y) || 1;
        const mid = (a, b) => ({ x: (a.x + b.x) / 2 - r.left, y: (a.y + b.y) / 2 - r.top });
        const s = Math.min(start.view.fit * 8, Math.max(start.view.fit * 0.5, start.view.s * d(now[0], now[1]) / d(then[0], then[1])));
        const m0 = mid(then[0], then[1]), m1 = mid(now[0], now[1]);
        view.s = s;
        view.x = m1.x - (m0.x - start.view.x) * (s / start.view.s);
        view.y = m1.y - (m0.y - start.view.y) * (s / start.view.s);
      } else if (now.length === 1 && then.length >= 1) {
        view.x = start.view.x + (now[0].x - then[0].x);
        view.y = start.view.y + (now[0].y - then[0].y);
      }
      apply();
    });
    const up = (e) => {
      pointers.delete(e.pointerId);
      start = { view: { ...view }, points: new Map(Array.from(pointers, ([k, v]) => [k, { ...v }])) };
    };
    stage.addEventListener('pointerup', up);
    stage.addEventListener('pointercancel', up);
    stage.addEventListener('wheel', (e) => { e.preventDefault(); const r = stage.getBoundingClientRect(); zoomAt(e.clientX - r.left, e.clientY - r.top, view.s * (e.deltaY < 0 ? 1.15 : 1 / 1.15)); }, { passive: false });
    const keys = (e) => { if (e.key === 'Escape') done(); };
    window.addEventListener('keydown', keys, true);
    function done() { window.removeEventListener('keydown', keys, true); viewer.remove(); phone.viewer = null; img.closest('.phone-diagram')?.focus(); }
    close.focus();
  }

  // ---- type: nothing under 16 px, nothing shouting -------------------------------------------------------
  function fitText(card) {
    const section = card.querySelector('.phone-flow > section');
    if (!section) return;
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim()) continue;
      const host = node.parentElement;
      if (!host || seen.has(host) || host.closest('svg, .story-timeline, .phone-diagram')) continue;
      seen.add(host);
      const px = parseFloat(getComputedStyle(host).fontSize);
      if (px < MIN_TEXT) host.style.setProperty('font-size', `${MIN_TEXT}px`, 'important');
      else if (px > 28 && !/^H[1-6]$/.test(host.tagName)) host.style.setProperty('font-size', '24px', 'important');  // a slide's big type, not shouting
    }
    // Layouts made for 1280 px (columns side by side) become one column: at phone width a second column
    // is a few words wide. Rows of small things (badges, buttons, a chart's bar and its number) stay rows.
    section.querySelectorAll('*').forEach((node) => {
      if (node.closest('.phone-scroll-x, .phone-code, .story-timeline, .present-bar, svg')) return;
      const cs = getComputedStyle(node);
      if (cs.display.includes('grid')) {
        const tracks = cs.gridTemplateColumns.split(' ').filter(Boolean).map(parseFloat);
        const wide = tracks.filter((w) => w >= 120);
        if (wide.length >= 2) node.style.setProperty('grid-template-columns', 'minmax(0, 1fr)', 'important');
      } else if (cs.display.includes('flex') && !cs.flexDirection.startsWith('column')) {
        const blocks = Array.from(node.children).filter((c) => /^(DIV|SECTION|FIGURE|UL|OL|P|TABLE|BLOCKQUOTE|PRE)$/.test(c.tagName));
        if (blocks.length >= 2) { node.style.setProperty('flex-direction', 'column', 'important'); node.style.setProperty('align-items', 'stretch', 'important'); }
      }
    });
  }

  // ---- which slide is shown ---------------------------------------------------------------------------------
  let ourTop = -1;  // where the page last scrolled itself (a scroll event there is not the reader's)
  function layout() {
    const portrait = reflowing();
    document.documentElement.classList.toggle('phone-projecting', !portrait);
    earlier.hidden = portrait;
    later.hidden = portrait;
    if (portrait) renderFlow(); else renderProjected();
    updateBar();
  }

  // The live slide's card first (it is what the reader came for), the others behind it, a few per idle
  // moment, nearest first: a late joiner at slide 60 sees slide 60 as soon as one card is made.
  const waiting = new Set();
  let pumping = false;
  function renderFlow() {
    const now = live().slide;
    const upto = Math.min(Math.max(phone.maxSeen, now), count());
    ensureCard(now);
    for (let n = 1; n <= upto; n++) if (n !== now && (!cards.has(n) || cards.get(n).dataset.stale)) waiting.add(n);
    cards.forEach((card, n) => {
      card.classList.toggle('phone-is-live', n === now);
      card.style.minHeight = n === now ? `${main.clientHeight}px` : '';  // the live slide can always be scrolled to the top
    });
    if (phone.following) scrollToCard(now);
    pump();
  }

  function ensureCard(n) {
    if (cards.has(n) && !cards.get(n).dataset.stale) return;
    const card = buildCard(n);
    if (!card) return;
    delete card.dataset.stale;
    if (!card.isConnected) {
      const next = Array.from(cards.keys()).filter((k) => k > n && cards.get(k).isConnected).sort((a, b) => a - b)[0];
      flow.insertBefore(card, next ? cards.get(next) : null);
    }
    fitText(card);
  }

  // Whatever changes above the card being read, it stays where it is on the screen.
  function keepAnchor(change) {
    const top = main.getBoundingClientRect().top;
    const anchor = Array.from(flow.children).find((card) => card.getBoundingClientRect().bottom > top + 1);
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    change();
    if (anchor && anchor.isConnected) {
      const moved = anchor.getBoundingClientRect().top - before;
      if (Math.abs(moved) > 0.5) { main.scrollTop += moved; ourTop = main.scrollTop; }
    }
  }

  function pump() {
    if (pumping || !waiting.size) return;
    pumping = true;
    const later = window.requestIdleCallback || ((fn) => setTimeout(() => fn({ timeRemaining: () => 8 }), 16));
    later((deadline) => {
      pumping = false;
      if (!reflowing()) return;
      const now = live().slide;
      keepAnchor(() => {
        let made = 0;
        while (waiting.size && (made < 2 || deadline.timeRemaining() > 6)) {
          const n = Array.from(waiting).sort((a, b) => Math.abs(a - now) - Math.abs(b - now))[0];
          waiting.delete(n);
          ensureCard(n);
          made += 1;
        }
      });
      pump();
    });
  }

  function scrollToCard(n) {
    const card = cards.get(n);
    if (!card) return;
    main.scrollTop = card.offsetTop;
    ourTop = main.scrollTop;
    phone.viewing = n;
    painted(n);
  }

  function renderProjected() {
    const n = phone.following ? live().slide : phone.viewing;
    phone.viewing = Math.max(1, Math.min(count(), n));
    slides().forEach((svg, i) => {
      const on = i + 1 === phone.viewing;
      svg.classList.toggle('phone-on', on);
      if (on) {
        svg.querySelectorAll('img[loading="lazy"]').forEach((img) => { img.loading = 'eager'; });  // shown: load it
        fragmentsProjected(svg, i + 1);
        const box = svg.viewBox.baseVal;
        const ratio = box && box.width ? box.height / box.width : 9 / 16;
        const w = Math.min(main.clientWidth, main.clientHeight / ratio);
        svg.style.width = `${Math.floor(w)}px`;
        svg.style.height = `${Math.floor(w * ratio)}px`;
      }
    });
    painted(phone.viewing);
  }
  function painted(n) {
    phone.shownAt[n] = performance.now();
    requestAnimationFrame(() => { phone.paintedAt[n] = performance.timeOrigin + performance.now(); });
  }
  function fragmentsProjected(svg, n) {
    const shown = n === live().slide ? (live().fragment || 0) : Infinity;
    svg.querySelectorAll('[data-marpit-fragment]').forEach((node) => {
      if ((Number(node.dataset.marpitFragment) || 0) > shown) node.dataset.phoneFragment = 'hidden';
      else node.removeAttribute('data-phone-fragment');
    });
  }

  function updateBar() {
    const n = live().slide;
    const away = !phone.following || phone.viewing !== n;
    pill.hidden = !away;
    pill.textContent = `Live: slide ${n}`;
    earlier.disabled = phone.viewing <= 1;
    later.disabled = phone.viewing >= Math.max(phone.maxSeen, n);
    document.documentElement.dataset.phoneFollowing = phone.following ? '1' : '0';
  }

  function follow() {
    phone.following = true;
    layout();
    emit('slide', phone.current());
  }
  function lookAt(n) {
    const top = Math.max(phone.maxSeen, live().slide);
    n = Math.max(1, Math.min(top, n));
    phone.following = n === live().slide;
    phone.viewing = n;
    if (reflowing()) scrollToCard(n); else renderProjected();
    updateBar();
    emit('slide', phone.current());
  }
  phone.lookAt = lookAt;
  phone.follow = follow;

  // The reader scrolls: still on the live slide, or looking back.
  main.addEventListener('scroll', () => {
    if (!reflowing() || Math.abs(main.scrollTop - ourTop) < 2) return;
    const top = main.scrollTop + 60;
    let shown = 1;
    cards.forEach((card, n) => { if (card.isConnected && card.offsetTop <= top) shown = Math.max(shown, n); });
    const following = shown === live().slide;
    if (following !== phone.following || shown !== phone.viewing) {
      phone.following = following;
      phone.viewing = shown;
      updateBar();
      emit('slide', phone.current());
    }
  }, { passive: true });

  // ---- keeping up: the presenter moves, the deck is patched, a demo's state changes ---------------------------
  let lastLive = { slide: 0, fragment: -1 };
  function onFollow() {
    const now = live();
    phone.maxSeen = Math.max(phone.maxSeen, now.slide);
    const moved = now.slide !== lastLive.slide;
    const before = lastLive;
    lastLive = { slide: now.slide, fragment: now.fragment || 0 };
    if (before.slide && cards.has(before.slide)) markStale(before.slide);  // its fragments: all shown now
    markStale(now.slide);
    if (moved && phone.following) phone.viewing = now.slide;
    if (reflowing()) {
      renderFlow();
      if (!moved && phone.following) revealFragment(now.slide);
    } else renderProjected();
    updateBar();
    emit('live', now);
  }
  function revealFragment(n) {
    const card = cards.get(n);
    const shown = card && Array.from(card.querySelectorAll('[data-marpit-fragment]:not([data-phone-fragment])')).pop();
    if (shown && shown.getBoundingClientRect().bottom > main.getBoundingClientRect().bottom) {
      shown.scrollIntoView({ block: 'end' });
      ourTop = main.scrollTop;
    }
  }
  function markStale(n) { const card = cards.get(n); if (card) card.dataset.stale = '1'; }
  function rebuild(n) {
    const card = cards.get(n);
    if (!card) return;
    keepAnchor(() => { buildCard(n); fitText(card); });
    if (phone.following && n === live().slide) keepNewestInView(card);
  }
  let touching = 0;
  main.addEventListener('touchstart', () => { touching = performance.now(); }, { passive: true });
  function keepNewestInView(card) {
    const rows = card.querySelectorAll('.phone-timeline.present-live .tl-row');
    const newest = rows[rows.length - 1];
    if (!newest || performance.now() - touching < 4000) return;
    const bottom = main.getBoundingClientRect().bottom;
    if (newest.getBoundingClientRect().bottom > bottom) { newest.scrollIntoView({ block: 'end' }); ourTop = main.scrollTop; }
  }

  // What the projected slides show changed (client.js patched a slide, drew a live run, a badge): the cards
  // of those slides are made again, once per frame. A countdown's tick is not a change.
  const dirty = new Set();
  let frame = 0;
  const observer = new MutationObserver((records) => {
    const all = slides();
    for (const record of records) {
      const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      if (!target || target.closest('.story-tick')) continue;
      if (record.type === 'attributes' && (record.attributeName === 'data-phone-fragment' || record.attributeName === 'style' && target.matches('svg[data-marpit-svg]')
        || record.attributeName === 'class' && target.matches('svg[data-marpit-svg]'))) continue;
      const svg = target.closest('svg[data-marpit-svg]');
      const n = all.indexOf(svg) + 1;
      if (n > 0) dirty.add(n);
    }
    if (dirty.size && !frame) frame = requestAnimationFrame(flush);
  });
  function flush() {
    frame = 0;
    const todo = Array.from(dirty);
    dirty.clear();
    if (reflowing()) todo.forEach((n) => { if (cards.has(n)) rebuild(n); });
    else if (todo.includes(phone.viewing)) renderProjected();
  }

  // Countdowns in the timelines tick here, as client.js ticks the picture's.
  const secondsText = (ms) => { const s = Math.max(0, ms) / 1000; return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`; };
  setInterval(() => {
    $$('.phone-timeline.present-live', flow).forEach((view) => {
      const since = performance.now() - Number(view.dataset.at || performance.now());
      view.querySelectorAll('.story-tick').forEach((t) => {
        const base = Number(t.dataset.leftMs) || 0;
        t.textContent = secondsText(t.dataset.dir === 'up' ? base + since : base - since);
      });
    });
  }, 200);

  // A newer deck: the captured timelines may have changed with it (a demo was captured again).
  let deckVersion = Number(metaOf('present-version')) || 0;
  function deckChanged() {
    const version = Number(document.documentElement.dataset.deckVersion) || 0;
    if (version <= deckVersion) return;
    deckVersion = version;
    fetch(`/r/${room}/timelines`).then((r) => r.json()).then((found) => {
      phone.timelines = found.timelines || phone.timelines;
      cards.forEach((card) => { card.dataset.stale = '1'; });
      if (reflowing()) renderFlow();
    }).catch(() => {});
  }

  // client.js hands each event to its listeners and carries on past one that fails: a failure here is
  // kept (phone.errors, the console) rather than lost.
  phone.errors = [];
  function guarded(fn) {
    try { fn(); } catch (err) { phone.errors.push(String(err && err.stack || err)); console.error(err); }
  }

  function start() {
    const p = present();
    themeColours();
    observer.observe(projected, { subtree: true, childList: true, attributes: true, characterData: true });
    new MutationObserver(deckChanged).observe(document.documentElement, { attributes: true, attributeFilter: ['data-deck-version'] });
    if (p.listen) p.listen((event) => { if (event === 'follow') guarded(onFollow); });
    reflowQuery.addEventListener('change', () => { layout(); emit('slide', phone.current()); });
    window.addEventListener('resize', () => { if (!reflowing()) renderProjected(); });
    if (p.follow) onFollow(); else layout();
    phone.ready = true;
  }
  // After client.js and room.js have run: they are deferred scripts after this one, and DOMContentLoaded
  // comes once all of them ran (a timer would not do: while a later script still downloads, the browser
  // runs timers). client.js's stream starts when it runs; its events so far are in its state.
  let started = false;
  const startOnce = () => {
    if (started) return;
    if (!(window.__present && window.__present.listen)) { setTimeout(startOnce, 20); return; }
    started = true;
    start();
  };
  if (document.readyState === 'complete') startOnce();
  else { document.addEventListener('DOMContentLoaded', startOnce, { once: true }); window.addEventListener('load', startOnce, { once: true }); }
})();
