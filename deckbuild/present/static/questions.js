// Questions from the room (share mode), beside client.js and room.js; the board lives in Temporal
// (demos/questions), the server reads it back and sends every page what changed.
// - An audience phone: a "Questions" button on every slide opens a sheet: ask (280 characters, an
//   optional name), the room's questions by votes, upvote once, your own marked, told when answered.
//   A remote granted the controls also moderates from it.
// - The presenter view: a panel of every question (pending first when moderation is on) with
//   approve, hide, pin, answered; moderation on/off; the Markdown export.
// - The projected deck: the pinned question full screen.
// - Any page: a slide made with m.questions_live() shows the top questions live.
// Every text from the room is put in the page with textContent: it is never HTML, never a link.
(() => {
  'use strict';
  const present = window.__present;
  if (!present) return;
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const audience = present.role === 'audience';
  const room = meta('present-room');
  const view = new URLSearchParams(location.search).get('view');
  if (view === 'next') return; // the presenter view's preview of the next slide: nothing of this
  const token = meta('present-token');
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const button = (label, cls, action) => {
    const b = el('button', `q-btn ${cls || ''}`.trim(), label);
    b.type = 'button';
    b.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') e.stopPropagation(); });
    b.addEventListener('click', (e) => { e.stopPropagation(); action(b); });
    return b;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const newAttempt = () => Math.random().toString(36).slice(2, 12);
  const count = (text) => Array.from(text || '').length; // code points, as the server counts

  // ---- the board as this page holds it ---------------------------------------------------------
  const board = { version: null, questions: new Map(), pinned: 0, pending: 0, moderation: false, closed: false };
  let everything = null; // the presenter's (or a remote's with the controls): every question
  const state = { board, mine: { asked: new Map(), voted: new Set() }, receipts: {}, told: new Set() };
  present.questions = state; // tests read this

  const order = (pinned) => (a, b) => {
    const rank = (q) => (q.id === pinned ? 0 : { pending: 1, open: 2, answered: 3, hidden: 4 }[q.state] || 5);
    return rank(a) - rank(b) || (a.state === 'open' ? b.votes - a.votes : 0) || a.id - b.id;
  };
  const visibleSorted = () => Array.from(board.questions.values()).sort(order(board.pinned));

  function setMeta(data) {
    ['version', 'pinned', 'pending', 'moderation', 'closed'].forEach((k) => { if (k in data) board[k] = data[k]; });
  }
  function applyFull(data) {
    if (!data || (board.version !== null && data.version < board.version)) return;
    board.questions = new Map((data.questions || []).map((q) => [q.id, q]));
    setMeta(data);
    changed();
  }
  function applyDelta(delta) {
    if (delta.base !== null && delta.base !== board.version) {
      if (board.version === null || delta.version > board.version) look(); // missed a change: the whole board
      return;
    }
    (delta.changed || []).forEach((q) => board.questions.set(q.id, q));
    (delta.removed || []).forEach((id) => board.questions.delete(id));
    setMeta(delta);
    changed();
  }

  async function send(url, body) {
    const headers = audience ? { 'X-Room-Token': meta('present-room-token') } : { 'X-Present-Token': token };
    try {
      const response = await fetch(url, { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, headers), body: JSON.stringify(body || {}) });
      let data = {};
      try { data = await response.json(); } catch (e) { data = { status: 'error', reason: `HTTP ${response.status}` }; }
      if (response.status === 429) data = { status: 'waiting', reason: 'sent too fast: trying again' };
      return Object.assign({ status: 'error', reason: data.error || '' }, data, { http: response.status });
    } catch (e) {
      return { status: 'waiting', reason: 'the presenter\'s server is not answering: trying again', http: 0 };
    }
  }

  // A phone's first look, and after its stream came back: the board and its own questions.
  async function look() {
    if (!audience) return;
    try {
      const response = await fetch(`/r/${room}/questions`);
      if (!response.ok) return;
      const data = await response.json();
      if (data.mine) {
        state.mine.asked = new Map(data.mine.asked.map((q) => [q.id, q]));
        state.mine.voted = new Set(data.mine.voted);
      }
      if (data.all) everything = data.all;
      if (data.board) applyFull(data.board); else changed();
    } catch (e) { /* the stream's reconnect brings us back here */ }
  }

  // ---- what changed: every view redraws what it shows ------------------------------------------
  const views = [];
  function changed() {
    tellAnswered();
    views.forEach((fn) => fn());
  }

  // The asker is told when their question was answered: once, wherever the phone is.
  function tellAnswered() {
    if (!audience) return;
    state.mine.asked.forEach((mineQ, id) => {
      const q = board.questions.get(id);
      if (q) state.mine.asked.set(id, Object.assign({}, mineQ, q));
      const now = state.mine.asked.get(id);
      if (now.state === 'answered' && !state.told.has(id)) {
        state.told.add(id);
        toast(`Your question was answered: “${now.text}”`);
      }
    });
  }

  function toast(text) {
    let box = document.getElementById('q-toast');
    if (!box) {
      box = el('div', 'q-ui q-toast');
      box.id = 'q-toast';
      box.setAttribute('role', 'alert');
      document.body.appendChild(box);
    }
    box.replaceChildren(el('span', 'q-toast-text', text), button('OK', 'q-toast-ok', () => box.remove()));
  }

  // ---- the slide made with m.questions_live(): the top questions, live -----------------------------
  function liveSlides() {
    const open = visibleSorted().filter((q) => q.state === 'open');
    document.querySelectorAll('.questions-live').forEach((panel) => {
      const limit = Number(panel.dataset.limit) || 5;
      const key = JSON.stringify([board.version, limit]);
      if (panel.dataset.key === key) return;
      panel.dataset.key = key;
      if (panel.dataset.placeholder === undefined) panel.dataset.placeholder = panel.innerHTML;
      if (!open.length) { panel.innerHTML = panel.dataset.placeholder; return; }
      const list = el('ol', 'questions-live-list');
      open.slice(0, limit).forEach((q) => {
        const item = el('li', `questions-live-item${q.id === board.pinned ? ' pinned' : ''}`);
        item.append(el('span', 'questions-live-votes', `▲ ${q.votes}`), el('span', 'questions-live-text', q.text));
        if (q.name) item.append(el('span', 'questions-live-name', `— ${q.name}`));
        list.append(item);
      });
      const more = open.length > limit ? ` · ${open.length - limit} more on the phones` : '';
      panel.replaceChildren(list, el('p', 'questions-live-facts', `${open.length} open question${open.length === 1 ? '' : 's'}${more} · each ask and upvote is an Update to one workflow`));
    });
  }
  views.push(liveSlides);

  // ---- an audience phone -----------------------------------------------------------------------------
  function phone() {
    const opener = button('Questions', 'q-open', () => openSheet());
    opener.id = 'q-open';
    opener.setAttribute('aria-haspopup', 'dialog');
    if (window.__phone) {  // the phone page (phone.js): a button in its bar, never over the slide
      opener.classList.add('q-in-bar');
      window.__phone.addAction(opener);
    } else {
      const wrap = el('div', 'q-ui q-open-wrap');
      wrap.append(opener);
      document.body.appendChild(wrap);
    }

    const sheet = el('div', 'q-ui q-sheet');
    sheet.id = 'q-sheet';
    sheet.setAttribute('role', 'dialog');
    sheet.setAttribute('aria-modal', 'true');
    sheet.setAttribute('aria-labelledby', 'q-title');
    sheet.hidden = true;
    const head = el('div', 'q-head');
    const title = el('h2', 'q-title', 'Questions');
    title.id = 'q-title';
    head.append(title, button('Close', 'q-close', () => closeSheet()));

    const form = el('form', 'q-form');
    const textLabel = el('label', 'q-label', 'Your question');
    textLabel.htmlFor = 'q-text';
    const text = el('textarea', 'q-text');
    text.id = 'q-text';
    text.rows = 3;
    text.maxLength = 600; // the server counts characters as code points (280): the counter says it
    text.placeholder = 'Ask the speaker…';
    const counter = el('div', 'q-counter', '0 / 280');
    counter.setAttribute('aria-live', 'polite');
    const nameLabel = el('label', 'q-label', 'Your name (optional)');
    nameLabel.htmlFor = 'q-name';
    const name = el('input', 'q-name');
    name.id = 'q-name';
    name.autocomplete = 'nickname';
    name.maxLength = 80;
    const ask = el('button', 'q-btn q-ask', 'Ask');
    ask.type = 'submit';
    const receipt = el('div', 'q-receipt');
    receipt.setAttribute('role', 'status');
    form.append(textLabel, text, counter, nameLabel, name, ask, receipt);
    const summary = el('p', 'q-summary');
    const list = el('ol', 'q-list');
    list.setAttribute('aria-label', 'The room\'s questions, most upvoted first');
    sheet.append(head, form, summary, list);
    document.body.appendChild(sheet);

    // Typing must not drive the slides (bespoke listens to keys on the document).
    ['keydown', 'keyup', 'keypress'].forEach((t) => sheet.addEventListener(t, (e) => e.stopPropagation()));
    text.addEventListener('input', () => {
      const n = count(text.value.trim().replace(/\s+/g, ' '));
      counter.textContent = `${n} / 280`;
      counter.classList.toggle('over', n > 280);
    });

    function openSheet() {
      sheet.hidden = false;
      document.documentElement.classList.add('q-sheet-open');
      renderList();
      text.focus({ preventScroll: true });
    }
    function closeSheet() {
      sheet.hidden = true;
      document.documentElement.classList.remove('q-sheet-open');
      opener.focus({ preventScroll: true });
    }
    state.open = openSheet;
    // A modal sheet: Escape closes it, and Tab cycles within it (the page behind is not reachable
    // while it is open, as aria-modal says).
    sheet.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { closeSheet(); return; }
      if (e.key !== 'Tab') return;
      const stops = Array.from(sheet.querySelectorAll('button, textarea, input, a[href], [tabindex]:not([tabindex="-1"])'))
        .filter((n) => !n.disabled && n.offsetParent !== null);
      if (!stops.length) return;
      const first = stops[0], last = stops[stops.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });

    function showReceipt(r) {
      receipt.className = `q-receipt ${r.status}`;
      const words = {
        sending: 'Sending…',
        accepted: r.state === 'pending' ? `Asked (#${r.question_id}): it shows once the presenter approves it.`
          : r.again ? `You asked this already (#${r.question_id}).` : `Asked (#${r.question_id}). Thank you!`,
        waiting: `Waiting: ${r.reason}. Your question is kept and asked once.`,
        rejected: `Not asked: ${r.reason}`,
        error: `Not sent: ${r.reason}`,
      };
      receipt.textContent = words[r.status] || r.status;
    }

    // An ask that waits is kept on the phone (a reload or a new audience URL sends it again: the
    // same device and text are the same update, asked once).
    const PENDING_KEY = 'present-question-pending';
    async function submit(question, who) {
      ask.disabled = true;
      showReceipt({ status: 'sending' });
      try {
        localStorage.setItem(PENDING_KEY, JSON.stringify({ text: question, name: who }));
        for (let tries = 0; tries < 90; tries++) {
          const r = await send(`/r/${room}/questions/ask`, { text: question, name: who });
          showReceipt(r);
          if (r.status === 'accepted') {
            state.mine.asked.set(r.question_id, Object.assign({ id: r.question_id, text: question, name: who, votes: 0 }, board.questions.get(r.question_id) || {}, { state: r.state }));
            if (text.value === question) { text.value = ''; text.dispatchEvent(new Event('input')); }
            changed();
          }
          if (r.status !== 'waiting') break;
          await sleep(2000);
        }
      } finally {
        localStorage.removeItem(PENDING_KEY);
        ask.disabled = false;
      }
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const question = text.value.trim();
      if (!question) { showReceipt({ status: 'rejected', reason: 'the question is empty' }); return; }
      if (count(question.replace(/\s+/g, ' ')) > 280) { showReceipt({ status: 'rejected', reason: 'the question is too long (at most 280 characters)' }); return; }
      submit(question, name.value.trim());
    });
    try {
      const kept = JSON.parse(localStorage.getItem(PENDING_KEY) || 'null');
      if (kept && kept.text) { text.value = kept.text; name.value = kept.name || ''; submit(kept.text, kept.name || ''); }
    } catch (e) { localStorage.removeItem(PENDING_KEY); }

    async function vote(q) {
      const attempt = newAttempt(); // this press; sent again as is while it waits
      state.receipts[q.id] = { status: 'sending' };
      renderList();
      for (let tries = 0; tries < 60; tries++) {
        const r = await send(`/r/${room}/questions/${q.id}/upvote`, { attempt });
        state.receipts[q.id] = r;
        if (r.status === 'accepted' || /already upvoted/.test(r.reason || '')) state.mine.voted.add(q.id);
        renderList();
        if (r.status !== 'waiting') return;
        await sleep(2000);
      }
    }

    async function moderate(q, action) {
      state.receipts[q.id] = { status: 'sending' };
      renderList();
      state.receipts[q.id] = await send(`/r/${room}/questions/${q.id}/moderate/${action}`, {});
      renderList();
    }

    const nodes = new Map();
    function item(q) {
      const mine = state.mine.asked.has(q.id);
      const voted = state.mine.voted.has(q.id);
      const r = state.receipts[q.id];
      const key = JSON.stringify([q, mine, voted, r, board.pinned === q.id, !!everything]);
      let li = nodes.get(q.id);
      if (li && li.dataset.key === key) return li;
      if (!li) { li = el('li', 'q-item'); li.dataset.id = String(q.id); nodes.set(q.id, li); }
      li.dataset.key = key;
      li.className = `q-item ${q.state}${mine ? ' mine' : ''}${board.pinned === q.id ? ' pinned' : ''}`;
      const body = el('div', 'q-body');
      const badges = el('div', 'q-badges');
      if (board.pinned === q.id) badges.append(el('span', 'q-badge now', 'Now answering'));
      if (mine) badges.append(el('span', 'q-badge yours', 'Yours'));
      if (q.state === 'answered') badges.append(el('span', 'q-badge answered', 'Answered'));
      if (q.state === 'pending') badges.append(el('span', 'q-badge pending', 'Waiting for approval'));
      if (q.state === 'hidden') badges.append(el('span', 'q-badge hidden', 'Hidden by the presenter'));
      if (badges.childNodes.length) body.append(badges);
      body.append(el('p', 'q-qtext', q.text), el('p', 'q-who', q.name ? `— ${q.name}` : '— anonymous'));
      if (r && r.status !== 'accepted' && r.status !== 'sending') {
        const line = el('p', `q-item-receipt ${r.status}`, r.status === 'waiting' ? `Waiting: ${r.reason}` : `Not counted: ${r.reason}`);
        line.setAttribute('role', 'status');
        body.append(line);
      }
      if (everything) body.append(modButtons(q, (action) => moderate(q, action), 'q-mod'));
      const canVote = q.state === 'open' && !mine && !voted && !board.closed;
      const up = button(`▲ ${q.votes}`, `q-up${voted ? ' voted' : ''}`, () => vote(q));
      up.setAttribute('aria-pressed', voted ? 'true' : 'false');
      up.setAttribute('aria-label', `Upvote: ${q.votes} vote${q.votes === 1 ? '' : 's'}${voted ? ', you upvoted it' : ''}${mine ? ', your own question' : ''}`);
      up.disabled = !canVote || (r && r.status === 'sending');
      li.replaceChildren(up, body);
      return li;
    }

    function renderList() {
      const count_ = Array.from(board.questions.values()).filter((q) => q.state === 'open').length;
      opener.textContent = count_ ? `Questions · ${count_}` : 'Questions';
      const answeredMine = Array.from(state.mine.asked.values()).some((q) => q.state === 'answered');
      opener.classList.toggle('answered', answeredMine);
      if (sheet.hidden) return;
      // A remote with the controls sees every question (pending and hidden too), to moderate them.
      const shown = everything ? everything.questions.slice().sort(order(everything.pinned)) : visibleSorted();
      const waiting = Array.from(state.mine.asked.values()).filter((q) => q.state === 'pending' && !shown.some((s) => s.id === q.id));
      const rows = waiting.concat(shown);
      summary.textContent = board.closed ? 'Questions are closed: the talk is over.'
        : `${rows.length ? `${shown.filter((q) => q.state === 'open').length} open · ` : 'No questions yet. '}${board.pending ? `${board.pending} waiting for the presenter's approval · ` : ''}one upvote per question`;
      const keep = new Set();
      rows.forEach((q) => { const li = item(q); keep.add(q.id); list.appendChild(li); });
      nodes.forEach((li, id) => { if (!keep.has(id)) { li.remove(); nodes.delete(id); } });
    }
    views.push(renderList);
    present.listen((event, data) => {
      if (event === 'questions') applyDelta(data);
      if (event === 'questions_all') { everything = data; renderList(); }
      if (event === 'role' && data.role !== 'remote') { everything = null; renderList(); }
      if (event === 'role' && data.role === 'remote' && data.demo_controls) look();
    });
    // The stream dropped and came back (Wi-Fi, a restarted server): catch up with the whole board.
    let connected = present.connected;
    setInterval(() => { if (present.connected && !connected) look(); connected = present.connected; }, 1000);
    look();
  }

  // The moderation buttons a question offers in its state (presenter view and a granted remote).
  function modButtons(q, act, cls) {
    const row = el('div', cls);
    const pinned = (everything && everything.pinned) === q.id;
    const offer = [];
    if (q.state === 'pending' || q.state === 'hidden') offer.push(['approve', 'Approve']);
    if (q.state === 'open' || q.state === 'answered') offer.push(pinned ? ['unpin', 'Unpin'] : ['pin', 'Pin']);
    if (q.state === 'open' || q.state === 'pending') offer.push(['answer', 'Answered']);
    if (q.state === 'answered') offer.push(['reopen', 'Reopen']);
    if (q.state !== 'hidden') offer.push(['hide', 'Hide']);
    offer.forEach(([action, label]) => row.append(button(label, `q-act q-${action}`, () => act(action))));
    return row;
  }

  // ---- the presenter view: every question, to moderate ------------------------------------------------
  function presenterPanel() {
    const panel = el('section', 'q-ui q-panel');
    panel.setAttribute('aria-label', 'Questions from the room');
    const head = el('div', 'q-panel-head');
    const title = el('h2', 'q-panel-title', 'Questions');
    const toggle = button('Moderation: off', 'q-moderation', () => act('/__present/questions/moderation', { on: !(everything && everything.moderation) }));
    const exportLink = el('a', 'q-export', 'Export .md');
    exportLink.href = `/__present/questions.md?token=${encodeURIComponent(token)}`;
    exportLink.setAttribute('download', '');
    const fold = button('Hide', 'q-fold', () => { panel.classList.toggle('folded'); fold.textContent = panel.classList.contains('folded') ? 'Show' : 'Hide'; });
    head.append(title, toggle, exportLink, fold);
    const status = el('div', 'q-panel-status');
    status.setAttribute('role', 'status');
    const list = el('ol', 'q-panel-list');
    panel.append(head, status, list);
    document.body.appendChild(panel);

    async function act(url, body) {
      const r = await send(url, body);
      status.textContent = r.status === 'accepted' ? '' : r.status === 'waiting' ? `Waiting: ${r.reason}` : `Refused: ${r.reason}`;
    }

    function render() {
      if (!everything) { title.textContent = 'Questions'; return; }
      const qs = everything.questions.slice().sort(order(everything.pinned));
      const open = qs.filter((q) => q.state === 'open').length;
      title.textContent = `Questions · ${open} open${everything.pending ? ` · ${everything.pending} pending` : ''}`;
      toggle.textContent = `Moderation: ${everything.moderation ? 'on' : 'off'}`;
      toggle.setAttribute('aria-pressed', everything.moderation ? 'true' : 'false');
      const key = JSON.stringify([everything.version, everything.pinned]);
      if (list.dataset.key === key) return;
      list.dataset.key = key;
      list.replaceChildren(...qs.map((q) => {
        const li = el('li', `q-row ${q.state}${q.id === everything.pinned ? ' pinned' : ''}`);
        const line = el('div', 'q-row-line');
        line.append(el('span', 'q-row-votes', `▲ ${q.votes}`), el('span', 'q-row-text', q.text));
        const who = el('div', 'q-row-who', `#${q.id} · ${q.name || 'anonymous'}${q.id === everything.pinned ? ' · PINNED on screen' : ''}${q.state !== 'open' ? ` · ${q.state}` : ''}`);
        li.append(line, who, modButtons(q, (action) => act(`/__present/questions/${q.id}/${action}`, {}), 'q-row-actions'));
        return li;
      }));
      if (!qs.length) list.append(el('li', 'q-row empty', 'No questions yet: the room asks from its phones (Questions button).'));
    }
    views.push(render);
    render();
  }

  // ---- the projected deck: the pinned question, full screen ---------------------------------------------
  function projector() {
    const overlay = el('div', 'q-ui q-pinned');
    overlay.setAttribute('role', 'region');
    overlay.setAttribute('aria-label', 'Question from the room');
    overlay.setAttribute('aria-live', 'polite');
    overlay.hidden = true;
    document.body.appendChild(overlay);
    function render() {
      const q = everything && everything.pinned ? everything.questions.find((x) => x.id === everything.pinned) : null;
      overlay.hidden = !q;
      if (!q) { overlay.replaceChildren(); delete overlay.dataset.key; return; }
      const key = JSON.stringify(q);
      if (overlay.dataset.key === key) return;
      overlay.dataset.key = key;
      overlay.replaceChildren(el('div', 'q-pinned-label', 'Question from the room'), el('p', 'q-pinned-text', q.text),
        el('div', 'q-pinned-who', `${q.name ? `— ${q.name} · ` : ''}▲ ${q.votes} upvote${q.votes === 1 ? '' : 's'}`));
    }
    views.push(render);
  }

  function start() {
    if (audience) phone();
    else if (view === 'presenter') presenterPanel();
    else projector();
    if (!audience) {
      // The presenter's pages get the whole board on every change (the hub keeps the last one for a
      // page that connects later; client.js keeps one that came before this script ran).
      const take = (data) => {
        everything = data;
        applyFull(Object.assign({}, data, { questions: data.questions.filter((q) => q.state === 'open' || q.state === 'answered') }));
      };
      present.listen((event, data) => { if (event === 'questions') take(data); });
      if (present.questionsLast) take(present.questionsLast);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
