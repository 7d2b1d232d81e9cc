// Present mode, in the page: live updates of the deck, the build-error overlay, and the demo controls.
// The server is the authority: every control carries the session token and is checked there.
(() => {
  'use strict';
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const token = meta('present-token');
  const state = { version: 0, temporal: null, demos: {}, build: null, pictureLatencies: [] };
  window.__present = state; // tests and the benchmark read this

  // ---- the deck: patch the slides that changed, on the slide the viewer is on ----------------------
  // The server sends only what changed since `base` (marp-core's HTML of those slides, their notes).
  // A page on another version, or a change that cannot be patched (slides added or removed, the
  // theme's CSS), reloads instead; bespoke keeps the slide in the URL's hash.
  const slideSvgs = (root) => Array.from(root.querySelectorAll('svg[data-marpit-svg]'));
  const notes = (root) => Array.from(root.querySelectorAll('.bespoke-marp-note'));

  function reloadFor(version) {
    if (sessionStorage.getItem('presentReloadFor') === String(version)) return; // already tried: wait for the next save
    sessionStorage.setItem('presentReloadFor', String(version));
    setTimeout(() => location.reload(), 150); // the full page trails a save by one marp-cli run
  }

  function patch(update) {
    const current = slideSvgs(document);
    for (const [index, html] of Object.entries(update.slides)) {
      const parsed = document.createElement('template');
      parsed.innerHTML = html;
      const fresh = parsed.content.firstElementChild;
      const target = current[Number(index)];
      for (const attr of Array.from(fresh.attributes)) if (attr.name !== 'class') target.setAttribute(attr.name, attr.value);
      target.replaceChildren(...Array.from(fresh.childNodes));
    }
    const noteEls = notes(document);
    for (const [index, html] of Object.entries(update.notes)) if (noteEls[Number(index)]) noteEls[Number(index)].innerHTML = html;
    decorateAll();
  }

  function onDeck(update) {
    if (update.version <= state.version) return;
    if (update.reload || update.base !== state.version || update.count !== slideSvgs(document).length) {
      reloadFor(update.version);
      return;
    }
    patch(update);
    state.version = update.version;
    state.patchedAt = performance.now();
    document.documentElement.dataset.deckVersion = String(state.version);
  }

  // ---- build errors: an overlay with file:line: message; the last good deck stays underneath ---------
  function showBuild(data) {
    state.build = data;
    let overlay = document.getElementById('present-error');
    if (!data.error) { if (overlay) overlay.remove(); return; }
    if (!overlay) {
      overlay = document.createElement('div');
      overlay.id = 'present-error';
      overlay.setAttribute('role', 'alert');
      document.body.appendChild(overlay);
    }
    overlay.replaceChildren();
    const title = document.createElement('strong');
    title.textContent = 'Build failed — the last good deck is still shown';
    const pre = document.createElement('pre');
    pre.textContent = data.error;
    overlay.append(title, pre);
  }

  // ---- notices: a helper process died and came back, in one line that fades (never in the way) -------
  function showNotice(text) {
    let box = document.getElementById('present-notice');
    if (!box) {
      box = document.createElement('div');
      box.id = 'present-notice';
      box.setAttribute('role', 'status');
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.classList.add('shown');
    clearTimeout(showNotice.timer);
    showNotice.timer = setTimeout(() => box.classList.remove('shown'), 6000);
    state.notices = (state.notices || []).concat([text]).slice(-20);
  }

  // ---- demo slides ---------------------------------------------------------------------------------
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Present-Token': token },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: `HTTP ${response.status}` }; }
    return data;
  }

  function button(label, action, disabled) {
    const b = el('button', 'present-btn', label);
    b.type = 'button';
    b.disabled = !!disabled;
    b.addEventListener('click', async (event) => {
      event.stopPropagation();
      b.disabled = true;
      try { await action(); } finally { b.disabled = !!disabled; }
    });
    return b;
  }

  const temporalUp = () => state.temporal && state.temporal.state === 'up';

  function setLocalMessage(name, text) {
    const demo = state.demos[name] || (state.demos[name] = { name });
    demo.localMessage = text;
    decorate(name);
  }

  async function act(name, url, body) {
    const data = await post(url, body);
    if (data.error) setLocalMessage(name, `failed: ${data.error}`);
    else if (data.rejected) setLocalMessage(name, `rejected: ${data.rejected}`);
    else setLocalMessage(name, '');
  }

  function badgeFor(demo) {
    const run = demo.run;
    if (run && run.status !== 'interrupted' && temporalUp()) return { text: 'LIVE', cls: 'live', why: run.status };
    let why = '';
    if (state.temporal && state.temporal.state !== 'up') why = `Temporal ${state.temporal.state}: ${state.temporal.reason || ''}`.trim();
    else if (run && run.status === 'interrupted') why = `live run interrupted: ${run.error}`;
    return { text: 'CACHED', cls: 'cached', why };
  }

  function decorate(name) {
    document.querySelectorAll(`[data-demo="${CSS.escape(name)}"]`).forEach((panel) => decoratePanel(panel, state.demos[name] || { name }));
  }

  function decorateAll() {
    const names = new Set(Array.from(document.querySelectorAll('[data-demo]')).map((p) => p.dataset.demo));
    names.forEach(decorate);
  }

  function decoratePanel(panel, demo) {
    const name = panel.dataset.demo;
    const section = panel.closest('section') || panel;
    let bar = section.querySelector(':scope > .present-bar');
    if (!bar) { bar = el('div', 'present-bar'); section.appendChild(bar); }
    bar.replaceChildren();
    const badge = badgeFor(demo);
    const tag = el('span', `present-badge ${badge.cls}`, badge.text);
    tag.title = badge.why;
    bar.append(tag);
    if (demo.stale) bar.append(el('span', 'present-badge stale', 'STALE'));
    if (demo.live !== false) {
      bar.append(button('Run live', () => act(name, `/__present/demo/${name}/run`), !temporalUp()));
      const workers = demo.workers || {};
      if (demo.killable) {
        const alive = (workers[demo.killable] || []).length > 0;
        bar.append(button('Kill worker', () => act(name, `/__present/demo/${name}/worker/kill`), !alive || !temporalUp()));
        bar.append(button('Start worker', () => act(name, `/__present/demo/${name}/worker/start`), alive || !temporalUp()));
      }
      if (demo.scalable) bar.append(button('+1 worker', () => act(name, `/__present/demo/${name}/worker/add`), !temporalUp()));
      if (demo.deploy && demo.deploy.length === 2 && !(workers[demo.deploy[1]] || []).length) {
        bar.append(button(`Deploy ${demo.deploy[1]}`, () => act(name, `/__present/demo/${name}/worker/deploy`), !temporalUp()));
      }
      const captured = panel.dataset.demoPart !== 'facts' && section.querySelector('.demo-diagram > svg.story');
      if (badge.cls !== 'live' && captured && window.storyReplay) {
        bar.append(button(captured.__storyReplay ? 'Stop' : 'Replay', () => {
          if (captured.__storyReplay) window.storyReplay.stop(captured);
          else { window.storyReplay.play(captured); captured.addEventListener('story-replay-end', () => decorate(name), { once: true }); }
          decorate(name);
        }));
      }
      if (demo.run && demo.run.url) {
        const link = el('a', 'present-link', 'Web UI');
        link.href = demo.run.url;
        link.target = '_blank';
        link.rel = 'noopener';
        bar.append(link);
      }
    }
    const why = [];
    if (badge.cls === 'cached' && badge.why) why.push(badge.why);
    if (demo.stale) why.push(demo.stale);
    const message = demo.localMessage || demo.message;
    if (message) why.push(message);
    let note = section.querySelector(':scope > .present-why');
    if (why.length) {
      if (!note) { note = el('div', 'present-why'); section.appendChild(note); }
      note.textContent = why.join(' · ');
      // Coral for what went wrong (CACHED's reason, a rejection, an error); silver for what was done.
      note.classList.toggle('ok', badge.cls === 'live' && !demo.stale && !/^(rejected|failed|could not)|\bfailed\b/.test(message || ''));
    } else if (note) note.remove();
    // A demo's second slide (its captured facts) keeps them; the live run shows on its first slide.
    if (panel.dataset.demoPart !== 'facts') renderLive(panel, demo, badge.cls === 'live');
  }

  // ---- the live picture: the run's story, drawn by the server from its real history ---------------
  // The server sends the whole SVG when the story changes (deckbuild/story, the code that drew the
  // captured picture underneath); countdowns tick here, from the time each picture arrived.
  function renderLive(panel, demo, live) {
    const target = panel.querySelector('.demo-diagram') || panel;
    const captured = target.querySelector(':scope > svg.story');
    let view = target.querySelector(':scope > .present-live');
    panel.classList.toggle('present-live-panel', live);
    if (!live) {
      panel.classList.remove('present-has-snapshot', 'present-side');
      if (view) view.remove();
      if (captured) captured.classList.remove('present-hidden');
      const box = panel.querySelector('.present-snapshot');
      if (box) box.remove();
      panel.querySelectorAll('.present-hidden').forEach((n) => n.classList.remove('present-hidden'));
      return;
    }
    const picture = demo.run.picture;
    if (!view) { view = el('div', 'present-live'); target.appendChild(view); }
    if (captured) captured.classList.add('present-hidden');
    if (picture && view.dataset.version !== `${demo.run.run_id}:${picture.version}`) {
      // How long from the server appending an event to the picture showing it (the benchmark reads
      // this): only for a newer picture of a run on show, not the first one a page is given.
      const newEvent = view.dataset.version && picture.event_ms && String(picture.event_ms) !== view.dataset.eventMs;
      view.innerHTML = picture.svg; // drawn by our server; every captured text in it is escaped there
      view.dataset.version = `${demo.run.run_id}:${picture.version}`;
      view.dataset.at = String(performance.now());
      view.dataset.eventMs = String(picture.event_ms || '');
      const svg = view.querySelector('svg');
      if (svg) svg.classList.add('story-live');
      if (newEvent) {
        state.pictureLatencies.push(Date.now() - picture.event_ms);
        if (state.pictureLatencies.length > 500) state.pictureLatencies.shift();
      }
      tick();
    }
    renderSnapshot(panel, demo);
  }

  const secondsText = (ms) => { const s = Math.max(0, ms) / 1000; return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`; };
  function tick() {
    document.querySelectorAll('.present-live').forEach((view) => {
      const since = performance.now() - Number(view.dataset.at || performance.now());
      view.querySelectorAll('tspan.story-tick').forEach((t) => {
        const base = Number(t.dataset.leftMs) || 0;
        t.textContent = secondsText(t.dataset.dir === 'up' ? base + since : base - since);
      });
    });
  }
  setInterval(tick, 200);

  // What the demo's snapshot offers: a list to act on (the inbox, a loan awaiting its officer) and a
  // few lines of state. Beside the picture when the demo asks for a side panel, under it otherwise
  // (in place of the caption, which the captured picture keeps).
  function renderSnapshot(panel, demo) {
    const snap = demo.run && demo.run.snapshot;
    let box = panel.querySelector('.present-snapshot');
    const rows = (snap && snap.rows) || [];
    const lines = (snap && snap.lines) || [];
    const side = !!demo.side_panel && rows.length > 0;
    panel.classList.toggle('present-has-snapshot', rows.length + lines.length > 0);
    panel.classList.toggle('present-side', side);
    if (!rows.length && !lines.length) { if (box) box.remove(); return; }
    if (!box) { box = el('div', 'present-snapshot'); panel.appendChild(box); }
    const keepNote = box.querySelector('input');
    const noteValue = keepNote ? keepNote.value : '';
    const hadFocus = keepNote && document.activeElement === keepNote;
    box.replaceChildren();
    const name = demo.name;
    if (snap.note_for && snap.note_for.length && rows.length) {
      const input = el('input', 'present-note');
      input.placeholder = `note for ${snap.note_for.join('/')}`;
      input.setAttribute('aria-label', input.placeholder);
      input.value = noteValue;
      // Typing must not drive the slides (bespoke listens to keys on the document).
      ['keydown', 'keyup', 'keypress'].forEach((t) => input.addEventListener(t, (e) => e.stopPropagation()));
      box.append(input);
      if (hadFocus) input.focus();
    }
    rows.forEach((row) => {
      const line = el('div', 'present-row');
      line.append(el('span', 'present-row-label', row.label));
      (row.actions || []).forEach((action) => line.append(button(action, () => {
        const input = box.querySelector('input');
        const args = Object.assign({}, row.args, (snap.note_for || []).includes(action) ? { note: input ? input.value : '' } : {});
        return act(name, `/__present/demo/${name}/control/${action}`, args);
      }, !temporalUp() || demo.run.status !== 'running')));
      box.append(line);
    });
    if (lines.length) {
      const trail = el('ul', 'present-lines');
      lines.slice(-4).forEach((text) => trail.append(el('li', '', text)));
      box.append(trail);
    }
  }

  // ---- the stream -----------------------------------------------------------------------------------
  // One stream per page. The presenter view's next-slide preview (an iframe of this page,
  // ?view=next) runs no stream of its own: it listens to its parent's.
  const handlers = {
    notice: (data) => showNotice(data.text),
    deck: (data) => onDeck(data),
    build: (data) => showBuild(data),
    temporal: (data) => { state.temporal = data; decorateAll(); },
    demo: (data) => {
      const before = state.demos[data.name] || {};
      state.demos[data.name] = Object.assign(data, { localMessage: before.localMessage && !data.message ? before.localMessage : '' });
      decorate(data.name);
    },
  };
  const listeners = [];
  state.listen = (fn) => { listeners.push(fn); };
  function dispatch(event, data) {
    handlers[event](data);
    listeners.forEach((fn) => { try { fn(event, data); } catch (e) { /* a closed preview */ } });
  }

  function parentPresent() {
    try {
      const parent = window.parent !== window && window.parent.__present;
      return new URLSearchParams(location.search).get('view') === 'next' && parent && parent.listen ? parent : null;
    } catch (e) { return null; }
  }

  function connect() {
    const parent = parentPresent();
    if (parent) {
      state.follows = 'parent';
      if (parent.temporal) handlers.temporal(parent.temporal);
      Object.values(parent.demos).forEach((demo) => handlers.demo(JSON.parse(JSON.stringify(demo))));
      parent.listen((event, data) => { if (event !== 'deck') handlers[event](JSON.parse(JSON.stringify(data))); });
      return;
    }
    const source = new EventSource(`/__present/events?token=${encodeURIComponent(token)}`);
    Object.keys(handlers).forEach((event) => source.addEventListener(event, (e) => dispatch(event, JSON.parse(e.data))));
    source.onerror = () => {
      // The session stopped or restarted: show it, and let EventSource retry.
      state.temporal = { state: 'down', reason: 'the present server is not answering' };
      decorateAll();
    };
  }

  function init() {
    state.version = Number(meta('present-version')) || 0;
    document.documentElement.dataset.deckVersion = String(state.version);
    decorateAll();
    connect();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
