// Present mode, in the page: live updates of the deck, the build-error overlay, and the demo controls.
// The server is the authority: every control carries the session token and is checked there.
(() => {
  'use strict';
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const token = meta('present-token');
  const state = { version: 0, temporal: null, demos: {}, build: null };
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

  const pids = (workers) => Object.entries(workers || {}).map(([role, list]) => `${role}: ${list.map((w) => w.pid).join(', ') || '—'}`).join(' · ');

  function renderLive(panel, demo, live) {
    const target = panel.querySelector('.demo-diagram') || panel;
    let view = panel.querySelector('.present-live');
    panel.classList.toggle('present-live-panel', live);
    if (!live) {
      panel.classList.remove('present-has-snapshot');
      target.classList.remove('present-live-on');
      if (view) view.remove();
      const facts = panel.querySelector('.present-snapshot');
      if (facts) facts.remove();
      panel.querySelectorAll('.present-hidden').forEach((n) => n.classList.remove('present-hidden'));
      return;
    }
    target.classList.add('present-live-on');
    if (!view) { view = el('div', 'present-live'); target.appendChild(view); }
    view.replaceChildren();
    const run = demo.run;
    view.append(el('div', 'present-live-head', `${run.status} · ${run.workflow_id}`));
    const list = el('ol', 'present-events');
    // Workflow-task bookkeeping is in the Web UI; the slide keeps the events that tell the story.
    const story = run.events.filter((e) => !/^WorkflowTask(Scheduled|Started|Completed)$/.test(e.type));
    story.slice(-7).forEach((e) => {
      const row = el('li');
      row.append(el('span', 'present-t', `+${e.t_s.toFixed(1)}s`), el('span', 'present-type', e.type), el('span', 'present-detail', e.detail));
      list.append(row);
    });
    view.append(list);
    if (Object.keys(demo.workers || {}).length) view.append(el('div', 'present-workers', `workers ${pids(demo.workers)}`));
    renderSnapshot(panel, demo);
  }

  function renderSnapshot(panel, demo) {
    const snap = demo.run && demo.run.snapshot;
    let box = panel.querySelector('.present-snapshot');
    panel.classList.toggle('present-has-snapshot', !!snap);
    if (!snap) { if (box) box.remove(); return; }
    const facts = panel.querySelector('.demo-facts');
    if (!box) {
      box = el('div', 'present-snapshot');
      (facts || panel).appendChild(box);
    }
    if (facts) Array.from(facts.children).forEach((c) => { if (c !== box) c.classList.add('present-hidden'); });
    const keepNote = box.querySelector('input');
    const noteValue = keepNote ? keepNote.value : '';
    box.replaceChildren();
    const name = demo.name;
    if (snap.note_for && snap.note_for.length) {
      const input = el('input', 'present-note');
      input.placeholder = `note for ${snap.note_for.join('/')}`;
      input.value = noteValue;
      // Typing must not drive the slides (bespoke listens to keys on the document).
      ['keydown', 'keyup', 'keypress'].forEach((t) => input.addEventListener(t, (e) => e.stopPropagation()));
      box.append(input);
    }
    (snap.rows || []).forEach((row) => {
      const line = el('div', 'present-row');
      line.append(el('span', 'present-row-label', row.label));
      (row.actions || []).forEach((action) => line.append(button(action, () => {
        const input = box.querySelector('input');
        const args = Object.assign({}, row.args, (snap.note_for || []).includes(action) ? { note: input ? input.value : '' } : {});
        return act(name, `/__present/demo/${name}/control/${action}`, args);
      }, !temporalUp() || demo.run.status !== 'running')));
      box.append(line);
    });
    if (snap.lines && snap.lines.length) {
      const trail = el('ul', 'present-lines');
      snap.lines.forEach((text) => trail.append(el('li', '', text)));
      box.append(trail);
    }
  }

  // ---- the stream -----------------------------------------------------------------------------------
  function connect() {
    const source = new EventSource(`/__present/events?token=${encodeURIComponent(token)}`);
    source.addEventListener('deck', (e) => onDeck(JSON.parse(e.data)));
    source.addEventListener('build', (e) => showBuild(JSON.parse(e.data)));
    source.addEventListener('temporal', (e) => { state.temporal = JSON.parse(e.data); decorateAll(); });
    source.addEventListener('demo', (e) => {
      const data = JSON.parse(e.data);
      const before = state.demos[data.name] || {};
      state.demos[data.name] = Object.assign(data, { localMessage: before.localMessage && !data.message ? before.localMessage : '' });
      decorate(data.name);
    });
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
