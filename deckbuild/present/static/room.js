// Share mode, beside client.js. On an audience device (the phone page, phone.js): "Pair as remote" (a
// short code the presenter approves on the laptop), then the remote's controls in a panel of the page:
// large Previous / Next buttons and swipes, the current slide's notes, the next slide's title, a timer,
// and (when granted) the demo controls; a vote open on the slide, as answer buttons for every device.
// In the presenter view: the room (who asks to pair, who is paired, how many follow) and the
// audience URL's QR code, full screen. Every action is checked on the server; this only shows them.
(() => {
  'use strict';
  const present = window.__present;
  if (!present) return;
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const button = (label, cls, action) => {
    const b = el('button', `room-btn ${cls || ''}`.trim(), label);
    b.type = 'button';
    b.addEventListener('click', (e) => { e.stopPropagation(); action(); });
    return b;
  };

  // ---- an audience device ---------------------------------------------------------------------------
  // The phone page (phone.js) gives the controls their places: buttons in its bar, panels ("sheets")
  // above it (beside it, held sideways), never over the slide.
  function audienceUi() {
    const room = meta('present-room');
    const phone = window.__phone;
    if (!phone) return;
    const remoteSheet = phone.addSheet('remote', { title: 'Remote', closable: true });
    const voteSheet = phone.addSheet('vote', { title: 'Vote', closable: false });
    const pairButton = phone.addAction(button('Pair as remote', 'phone-btn phone-quiet room-pair', () => pairOrShow()));
    let pairedAt = null;

    async function pairOrShow() {
      if (present.remote || (present.pairing && present.pairing.code)) { remoteSheet.toggle(); return; }
      const data = await present.post(`/r/${room}/pair`, {});
      present.pairing = data;
      render();
      remoteSheet.open();
    }
    const nav = (dir) => present.post(`/r/${room}/nav`, { dir }).then((d) => { present.lastNav = d; });

    // A swipe sideways turns the slide for a remote (a viewer's page only scrolls).
    let touch = null;
    window.addEventListener('touchstart', (e) => { touch = e.touches[0] ? { x: e.touches[0].clientX, y: e.touches[0].clientY } : null; }, true);
    window.addEventListener('touchend', (e) => {
      if (!present.remote || touch === null || !e.changedTouches[0] || phone.viewer) return;
      const dx = e.changedTouches[0].clientX - touch.x, dy = e.changedTouches[0].clientY - touch.y;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) nav(dx < 0 ? 'next' : 'prev');
      touch = null;
    }, true);

    function nextTitle() {
      const slides = Array.from(document.querySelectorAll('#phone-projected > svg[data-marpit-svg]'));
      const follow = present.follow || { slide: 1 };
      const next = slides[follow.slide];
      const heading = next && next.querySelector('h1, h2');
      return next ? `Next: ${heading ? heading.textContent.trim() : `slide ${follow.slide + 1}`}` : 'Last slide';
    }

    // A vote open on the current slide (a poll, the room deciding a loan): big answer buttons for
    // every device. The server names the device; a vote that waits for a worker is sent again (the
    // same vote, the same update: counted once).
    const mine = {};  // run id -> {answer, status, reason}
    function ballotOnSlide() {
      const demos = (present.follow && present.follow.demos) || [];
      for (const name of demos) {
        const run = (present.demos[name] || {}).run;
        const ballot = run && run.status === 'running' && run.snapshot && run.snapshot.ballot;
        if (ballot) return { name, run, ballot };
      }
      return null;
    }
    async function vote(name, runId, answer) {
      mine[runId] = { answer, status: 'sending' };
      render();
      for (let tries = 0; tries < 60; tries++) {
        const response = await fetch(`/r/${room}/vote/${name}`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Room-Token': meta('present-room-token') },
          body: JSON.stringify({ answer }),
        });
        let data = {};
        try { data = await response.json(); } catch (e) { data = { status: 'error', reason: `HTTP ${response.status}` }; }
        mine[runId] = { answer, status: data.status || 'error', reason: data.reason || '', seq: data.seq };
        render();
        if (data.status !== 'waiting' && response.status !== 429) return;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    function ballotUi(open) {
      const box = el('div', 'room-ballot');
      box.append(el('div', 'room-question', open.ballot.question));
      const receipt = mine[open.run.run_id];
      open.ballot.answers.forEach((a) => {
        const b = button(`${a.key === a.text.toLowerCase() ? '' : `${a.key}. `}${a.text}`, 'phone-btn room-answer', () => vote(open.name, open.run.run_id, a.key));
        b.disabled = !open.ballot.open || (receipt && ['sending', 'waiting', 'accepted'].includes(receipt.status));
        if (receipt && receipt.answer === a.key) b.classList.add('chosen');
        box.append(b);
      });
      if (receipt) {
        const text = {
          sending: 'Sending…', accepted: `Counted${receipt.seq ? ` (vote #${receipt.seq})` : ''}. Thank you!`,
          waiting: `Waiting: ${receipt.reason}. Your vote is kept and counted once.`, rejected: `Not counted: ${receipt.reason}`,
          error: `Not sent: ${receipt.reason}`,
        }[receipt.status] || receipt.status;
        const line = el('div', `room-receipt ${receipt.status}`, text);
        line.setAttribute('role', 'status');
        box.append(line);
      }
      if (!open.ballot.open) box.append(el('div', 'room-receipt', 'The vote is closed.'));
      return box;
    }

    let ballotKey = '';
    function render() {
      const open = ballotOnSlide();
      const key = JSON.stringify(open ? [open.run.run_id, open.ballot, mine[open.run.run_id]] : null);
      if (key !== ballotKey) {  // rebuilt only when what it shows changed (a tally refresh leaves a thumb on a button alone)
        ballotKey = key;
        voteSheet.body.replaceChildren(...(open ? [ballotUi(open)] : []));
        if (open) voteSheet.open(); else voteSheet.close();
      }
      document.documentElement.classList.toggle('room-voting', !!open);
      const remote = present.remote;
      const body = remoteSheet.body;
      body.replaceChildren();
      if (!remote) {
        document.documentElement.classList.remove('room-is-remote');
        pairButton.textContent = 'Pair as remote';
        const asking = (present.pairing && present.pairing.code) || present.role_asking;
        if (asking) {
          body.append(el('div', 'room-code', asking), el('div', 'room-hint', 'Show this code to the presenter to use this phone as the remote.'));
        } else {
          body.append(el('div', 'room-hint', 'A paired phone turns the slides and shows the notes.'), button('Ask to pair', 'phone-btn', () => pairOrShow()));
          if (!present.pairing) remoteSheet.close();
        }
        return;
      }
      pairedAt = pairedAt || Date.now();
      pairButton.textContent = 'Remote';
      document.documentElement.classList.add('room-is-remote');
      const row = el('div', 'room-nav');
      row.append(button('◀ Previous', 'phone-btn room-prev', () => nav('prev')), button('Next ▶', 'phone-btn room-next', () => nav('next')));
      const follow = present.follow || { slide: 1, count: 0 };
      const info = el('div', 'room-info', `Slide ${follow.slide}${follow.count ? ` of ${follow.count}` : ''} · ${nextTitle()}`);
      const timer = el('div', 'room-timer', '0:00');
      timer.dataset.since = String(pairedAt);
      const notes = el('div', 'room-notes');
      notes.innerHTML = remote.notes || '<p>(no notes on this slide)</p>'; // the server's HTML of the deck's own notes, escaped there
      body.append(row, info, timer);
      if (remote.demo_controls) {  // the current slide's demo, with buttons a thumb can press
        const demos = (present.follow && present.follow.demos) || [];
        demos.forEach((name) => {
          const box = el('div', 'room-demo');
          box.append(el('div', 'room-demo-name', `Demo: ${name}`), ...present.demoButtons(name));
          body.append(box);
        });
      }
      body.append(notes);
      if (!remoteSheet.shown && !remoteSheet.dismissed) remoteSheet.open();
    }

    setInterval(() => {
      const timer = remoteSheet.body.querySelector('.room-timer');
      if (!timer) return;
      const s = Math.floor((Date.now() - Number(timer.dataset.since)) / 1000);
      timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 1000);

    present.listen((event, data) => {
      if (event === 'role') { present.role_asking = data.asking; if (data.role !== 'remote') present.pairing = data.asking ? { code: data.asking } : null; render(); }
      if (event === 'follow' || event === 'notes' || event === 'demo') render();
    });
    render();
  }

  // ---- the presenter view -------------------------------------------------------------------------
  function presenterUi() {
    const view = new URLSearchParams(location.search).get('view');
    if (view !== 'presenter') return; // the projector shows the deck, not the room
    const panel = el('div', 'room-ui room-panel');
    panel.setAttribute('role', 'region');
    panel.setAttribute('aria-label', 'Room');
    document.body.appendChild(panel);
    const decide = (code, approve, demos) => present.post('/__present/room/decide', { code, approve, demo_controls: demos });
    const revoke = (code) => present.post('/__present/room/revoke', { code });

    function showQr() {
      let overlay = document.getElementById('room-qr');
      if (overlay) { overlay.remove(); return; }
      overlay = el('div', 'room-ui room-qr');
      overlay.id = 'room-qr';
      const img = el('img');
      img.src = '/__present/room/qr';
      img.alt = 'QR code of the audience URL';
      overlay.append(img, button('Close', '', () => overlay.remove()));
      document.body.appendChild(overlay);
    }

    function render() {
      const listing = present.room || { asking: [], remotes: [], devices: 0 };
      panel.replaceChildren();
      const head = el('div', 'room-head', `Room · ${listing.devices} following`);
      head.append(button('QR', 'room-qr-btn', showQr));
      panel.append(head);
      listing.asking.forEach((code) => {
        const row = el('div', 'room-row');
        row.append(el('span', 'room-code-small', `Pair ${code}?`), button('Allow', 'room-allow', () => decide(code, true, false)),
          button('Allow + demos', 'room-allow-demos', () => decide(code, true, true)), button('Deny', 'room-deny', () => decide(code, false, false)));
        panel.append(row);
      });
      listing.remotes.forEach((remote) => {
        const row = el('div', 'room-row');
        row.append(el('span', 'room-code-small', `Remote ${remote.code}${remote.demo_controls ? ' (demos)' : ''}`), button('Revoke', 'room-revoke', () => revoke(remote.code)));
        panel.append(row);
      });
    }
    present.listen((event) => { if (event === 'room') render(); });
    render();
  }

  const start = () => (present.role === 'audience' ? audienceUi() : presenterUi());
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
