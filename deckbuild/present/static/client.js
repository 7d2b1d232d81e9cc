// Present mode, in the page: live updates of the deck, the build-error overlay, and the demo controls.
// The server is the authority: every control carries the session token and is checked there.
// The same script runs the audience's page in share mode (role "audience", room.js beside it): it
// follows the presenter's slide, shows the live pictures, and offers controls only to a remote the
// presenter allowed them (the server checks that too).
(() => {
  'use strict';
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const token = meta('present-token');
  const role = meta('present-role') || 'presenter';
  const audience = role === 'audience';
  const room = meta('present-room');
  const api = audience ? `/r/${room}` : '/__present';
  const state = { version: 0, temporal: null, demos: {}, build: null, pictureLatencies: [], role, remote: null, follow: null };
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

  // A page that is behind (it loaded a full page older than the newest save, or its stream dropped)
  // asks for every slide of the newest version and patches them: no reload while saves keep coming.
  async function catchUp() {
    if (state.catchingUp) return;
    state.catchingUp = true;
    try {
      const url = audience ? `${api}/deck` : `/__present/deck?token=${encodeURIComponent(token)}`;
      const response = await fetch(url);
      if (!response.ok) return;
      const snapshot = await response.json();
      if (snapshot.version <= state.version) return;
      if (snapshot.count !== slideSvgs(document).length || state.version < snapshot.reload_at) { reloadFor(snapshot.version); return; }
      patch({ slides: snapshot.slides, notes: snapshot.notes });
      state.version = snapshot.version;
      state.caughtUp = (state.caughtUp || 0) + 1;
      document.documentElement.dataset.deckVersion = String(state.version);
    } finally {
      state.catchingUp = false;
    }
  }

  function onDeck(update) {
    if (update.version <= state.version) return;
    if (update.reload || update.count !== slideSvgs(document).length) {
      reloadFor(update.version);
      return;
    }
    if (update.base !== state.version) { catchUp(); return; }
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

  state.post = post;
  async function post(url, body) {
    const headers = audience ? { 'X-Room-Token': meta('present-room-token') } : { 'X-Present-Token': token };
    const response = await fetch(url, {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
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
    // Enter and Space press the button; they must not also turn the slide (bespoke listens on the document).
    b.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') event.stopPropagation(); });
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

  // The buttons a demo offers (the slide's bar; a remote's panel shows the same, bigger).
  function demoButtons(name, demo, panel) {
    const out = [];
    const section = panel ? (panel.closest('section') || panel) : null;
    const badge = badgeFor(demo);
    // The presenter's slide bar; on an audience device only a granted remote's panel (the slide's own bar
    // is too small on a phone to press).
    const controls = audience ? !panel && state.remote && state.remote.demo_controls && !demo.viewer : true;
    if (demo.live !== false && controls) {
      out.push(button('Run live', () => act(name, `${api}/demo/${name}/run`), !temporalUp()));
      const workers = demo.workers || {};
      if (demo.killable) {
        const alive = (workers[demo.killable] || []).length > 0;
        out.push(button('Kill worker', () => act(name, `${api}/demo/${name}/worker/kill`), !alive || !temporalUp()));
        out.push(button('Start worker', () => act(name, `${api}/demo/${name}/worker/start`), alive || !temporalUp()));
      }
      if (demo.scalable) out.push(button('+1 worker', () => act(name, `${api}/demo/${name}/worker/add`), !temporalUp()));
      if (demo.deploy && demo.deploy.length === 2 && !(workers[demo.deploy[1]] || []).length) {
        out.push(button(`Deploy ${demo.deploy[1]}`, () => act(name, `${api}/demo/${name}/worker/deploy`), !temporalUp()));
      }
      const snap = demo.run && demo.run.status === 'running' && demo.run.snapshot;
      if (panel && snap) {  // a row meant for the bar (a poll's Close: its chart fills the slide)
        (snap.rows || []).filter((row) => row.bar).forEach((row) => (row.actions || []).forEach((action) => out.push(button(
          action[0].toUpperCase() + action.slice(1), () => act(name, `${api}/demo/${name}/control/${action}`, row.args)))));
      }
      if (!panel && snap) {  // a remote has no list beside the picture: its actions, by row
        (snap.rows || []).forEach((row) => (row.actions || []).forEach((action) => out.push(button(`${action}: ${row.label}`,
          () => act(name, `${api}/demo/${name}/control/${action}`, Object.assign({}, row.args, { note: 'from the remote' }))))));
      }
    }
    const captured = section && panel.dataset.demoPart !== 'facts' && section.querySelector('.demo-diagram > svg.story');
    if (badge.cls !== 'live' && captured && window.storyReplay && !audience) {
      out.push(button(captured.__storyReplay ? 'Stop' : 'Replay', () => {
        if (captured.__storyReplay) window.storyReplay.stop(captured);
        else { window.storyReplay.play(captured); captured.addEventListener('story-replay-end', () => decorate(name), { once: true }); }
        decorate(name);
      }));
    }
    if (!audience && demo.run && demo.run.url) {
      const link = el('a', 'present-link', 'Web UI');
      link.href = demo.run.url;
      link.target = '_blank';
      link.rel = 'noopener';
      out.push(link);
    }
    return out;
  }
  state.demoButtons = (name) => demoButtons(name, state.demos[name] || { name }, null);

  function decoratePanel(panel, demo) {
    const name = panel.dataset.demo;
    const section = panel.closest('section') || panel;
    let bar = section.querySelector(':scope > .present-bar');
    if (!bar) { bar = el('div', 'present-bar'); section.appendChild(bar); }
    const badge = badgeFor(demo);
    const buttons = demoButtons(name, demo, panel);
    // A run sends a picture many times a second: the bar is rebuilt only when what it shows changed
    // (no style and layout work for nothing, and a focused button keeps its focus).
    const barKey = JSON.stringify([badge.text, badge.why, demo.stale || '', buttons.map((b) => [b.textContent, !!b.disabled, b.href || ''])]);
    if (bar.dataset.key !== barKey) {
      bar.dataset.key = barKey;
      bar.replaceChildren();
      const tag = el('span', `present-badge ${badge.cls}`, badge.text);
      tag.title = badge.why;
      bar.append(tag);
      if (demo.stale) bar.append(el('span', 'present-badge stale', 'STALE'));
      bar.append(...buttons);
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
    if (panel.dataset.demoPart === 'poll') renderTally(panel, demo, badge.cls === 'live');
    else if (panel.dataset.demoPart !== 'facts') renderLive(panel, demo, badge.cls === 'live');
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

  // A poll's slide, live: its bars count the room's votes as the workflow's tally query says.
  function renderTally(panel, demo, live) {
    const chart = panel.querySelector('.poll-chart');
    const facts = panel.querySelector('.poll-facts');
    if (!chart) return;
    if (chart.dataset.captured === undefined) {
      chart.dataset.captured = chart.innerHTML;
      if (facts) facts.dataset.captured = facts.innerHTML;
    }
    const tally = live && demo.run && demo.run.snapshot && demo.run.snapshot.tally;
    if (!tally) {
      chart.innerHTML = chart.dataset.captured;
      if (facts) facts.innerHTML = facts.dataset.captured;
      panel.classList.remove('present-live-panel');
      return;
    }
    panel.classList.add('present-live-panel');
    const top = Math.max(1, ...tally.answers.map((a) => a.votes));
    const rows = Array.from(chart.querySelectorAll('.poll-answer'));
    tally.answers.forEach((answer, i) => {
      const row = rows[i];
      if (!row) return;
      row.querySelector('.poll-count').textContent = String(answer.votes);
      row.querySelector('.poll-fill').style.width = `${(100 * answer.votes / top).toFixed(1)}%`;
    });
    if (facts) {
      facts.textContent = `Live: ${tally.total} vote${tally.total === 1 ? '' : 's'} from this room, each an Update the workflow's validator accepted`
        + (tally.closed ? ' · the poll is closed.' : ' · the poll is open.');
    }
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
    const boxKey = JSON.stringify([rows, lines.slice(-4), snap.note_for || [], !temporalUp() || demo.run.status !== 'running']);
    if (box.dataset.key === boxKey) return;  // unchanged: the list, its buttons and a note being typed stay as they are
    box.dataset.key = boxKey;
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
        return act(name, `${api}/demo/${name}/control/${action}`, args);
      }, !temporalUp() || demo.run.status !== 'running')));
      box.append(line);
    });
    if (lines.length) {
      const trail = el('ul', 'present-lines');
      lines.slice(-4).forEach((text) => trail.append(el('li', '', text)));
      box.append(trail);
    }
  }

  // ---- where the deck is: the presenter's page tells the room; a remote's step comes back --------------
  // Bespoke keeps the slide in the hash and the fragment in ?f=; a popstate makes it read both.
  function goTo(slide, fragment) {
    const url = new URL(location.href);
    if (fragment) url.searchParams.set('f', String(fragment)); else url.searchParams.delete('f');
    url.hash = `#${slide}`;
    if (url.href === location.href) return;
    history.replaceState(history.state, '', url);
    window.dispatchEvent(new PopStateEvent('popstate', { state: history.state }));
  }
  state.goTo = goTo;

  function position() {
    const slides = slideSvgs(document);
    const active = slides.findIndex((s) => s.classList.contains('bespoke-marp-active'));
    if (active < 0) return null;
    const current = slides[active];
    const fragments = current.querySelectorAll('[data-marpit-fragment]').length;
    const shown = current.querySelectorAll('[data-bespoke-marp-fragment="active"]').length;
    const demos = Array.from(new Set(Array.from(current.querySelectorAll('[data-demo]')).map((p) => p.dataset.demo)));
    return { slide: active + 1, fragment: shown, fragments, count: slides.length, demos };
  }

  function reportPosition() {
    let last = '';
    const report = () => {
      const now = position();
      const key = JSON.stringify(now);
      if (!now || key === last) return;
      last = key;
      state.position = now;
      post('/__present/follow', now).catch(() => {});
    };
    new MutationObserver(report).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class', 'data-bespoke-marp-fragment'] });
    report();
  }

  // ---- the stream -----------------------------------------------------------------------------------
  // One stream per page. The presenter view's next-slide preview (an iframe of this page,
  // ?view=next) runs no stream of its own: it listens to its parent's.
  const handlers = {
    notice: (data) => showNotice(data.text),
    deck: (data) => onDeck(data),
    build: (data) => { if (!audience) showBuild(data); },
    temporal: (data) => { state.temporal = data; decorateAll(); },
    demo: (data) => {
      const before = state.demos[data.name] || {};
      state.demos[data.name] = Object.assign(data, { localMessage: before.localMessage && !data.message ? before.localMessage : '' });
      decorate(data.name);
    },
    navigate: (data) => { if (!audience) goTo(data.slide, data.fragment); }, // a remote's step, as the server counted it
    follow: (data) => { state.follow = data; if (audience) goTo(data.slide, data.fragment); },
    role: (data) => { state.remote = data.role === 'remote' ? data : null; decorateAll(); },
    notes: (data) => { if (state.remote) state.remote.notes = data.notes; },
    room: (data) => { state.room = data; },
    questions: (data) => { state.questionsLast = data; }, questions_all: (data) => { state.questionsAll = data; },  // questions.js (issue 22)
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
      parent.listen((event, data) => { if (!['deck', 'navigate', 'follow'].includes(event)) handlers[event](JSON.parse(JSON.stringify(data))); });
      return;
    }
    const url = audience ? `${api}/events` : `/__present/events?token=${encodeURIComponent(token)}`;
    const source = new EventSource(url);
    Object.keys(handlers).forEach((event) => source.addEventListener(event, (e) => dispatch(event, JSON.parse(e.data))));
    source.onopen = () => { state.connected = true; };
    source.onerror = () => {
      // The session stopped or restarted, or the phone slept: show it, and let EventSource retry
      // (a device that comes back is told the current slide first).
      state.connected = false;
      state.temporal = { state: 'down', reason: 'the present server is not answering' };
      decorateAll();
    };
  }

  // The audience follows: its own keys and swipes do not turn the slides (room.js gives a remote its own).
  function followOnly() {
    const ours = '.room-ui, .q-ui, .present-bar, .present-snapshot';
    const stop = (e) => { if (!(e.target.closest && e.target.closest(ours))) e.stopImmediatePropagation(); };
    ['keydown', 'keyup', 'wheel', 'touchstart', 'touchmove', 'touchend'].forEach((t) => window.addEventListener(t, stop, true));
  }

  // The presenter view's side panels (the room, the questions) stand at the foot of the notes column:
  // the notes end above the highest of them (--present-side-panels, client.css), never under it.
  function keepNotesClearOfPanels() {
    const notes = document.querySelector('.bespoke-marp-presenter-note-container');
    if (!notes) {  // bespoke builds the presenter view after this script: wait for it
      const wait = new MutationObserver(() => {
        if (document.querySelector('.bespoke-marp-presenter-note-container')) { wait.disconnect(); keepNotesClearOfPanels(); }
      });
      wait.observe(document.body, { childList: true, subtree: true });
      return;
    }
    const measure = () => {
      const column = notes.getBoundingClientRect();
      const tops = Array.from(document.querySelectorAll('.room-panel, .q-panel')).map((p) => p.getBoundingClientRect())
        .filter((r) => r.height > 0 && r.left < column.right && r.right > column.left).map((r) => r.top);
      const reserve = tops.length ? Math.max(0, Math.ceil(column.bottom - Math.min(...tops) + 8)) : 0;
      document.documentElement.style.setProperty('--present-side-panels', `${reserve}px`);
    };
    const sizes = new ResizeObserver(measure);
    const watch = () => { document.querySelectorAll('.room-panel, .q-panel').forEach((p) => sizes.observe(p)); measure(); };
    new MutationObserver(watch).observe(document.body, { childList: true });
    sizes.observe(notes);
    window.addEventListener('resize', measure);
    watch();
  }

  function init() {
    state.version = Number(meta('present-version')) || 0;
    document.documentElement.dataset.deckVersion = String(state.version);
    document.documentElement.dataset.presentRole = role;
    decorateAll();
    connect();
    if (audience) followOnly();
    else if (meta('present-share') && !parentPresent()) reportPosition();
    if (!audience && new URLSearchParams(location.search).get('view') === 'presenter') keepNotesClearOfPanels();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
