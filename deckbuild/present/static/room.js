// Share mode, beside client.js. On an audience device: "Pair as remote" (a short code the presenter
// approves on the laptop), then the remote's controls: large Previous / Next buttons and swipes, the
// current slide's notes, the next slide's title, a timer, and (when granted) the demo controls.
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

  // ---- an audience device -------------------------------------------------------------------------
  function audienceUi() {
    const room = meta('present-room');
    const ui = el('div', 'room-ui');
    ui.setAttribute('role', 'region');
    ui.setAttribute('aria-label', 'Remote control');
    document.body.appendChild(ui);
    let pairedAt = null;

    async function pair() {
      const data = await present.post(`/r/${room}/pair`, {});
      present.pairing = data;
      render();
    }
    const nav = (dir) => present.post(`/r/${room}/nav`, { dir }).then((d) => { present.lastNav = d; });

    // A swipe turns the slide for a remote (follow-only pages let no touch reach bespoke).
    let touch = null;
    window.addEventListener('touchstart', (e) => { touch = e.touches[0] ? e.touches[0].clientX : null; }, true);
    window.addEventListener('touchend', (e) => {
      if (!present.remote || touch === null || !e.changedTouches[0]) return;
      const dx = e.changedTouches[0].clientX - touch;
      if (Math.abs(dx) > 60) nav(dx < 0 ? 'next' : 'prev');
      touch = null;
    }, true);

    function nextTitle() {
      const slides = Array.from(document.querySelectorAll('svg[data-marpit-svg]'));
      const follow = present.follow || { slide: 1 };
      const next = slides[follow.slide];
      const heading = next && next.querySelector('h1, h2');
      return next ? `Next: ${heading ? heading.textContent.trim() : `slide ${follow.slide + 1}`}` : 'Last slide';
    }

    function render() {
      ui.replaceChildren();
      const remote = present.remote;
      if (!remote) {
        ui.classList.remove('room-remote');
        document.documentElement.classList.remove('room-is-remote');
        const asking = (present.pairing && present.pairing.code) || (present.role_asking);
        if (asking) {
          ui.append(el('div', 'room-code', asking), el('div', 'room-hint', 'Show this code to the presenter to use this phone as the remote.'));
        } else {
          ui.append(button('Pair as remote', 'room-pair', pair));
        }
        return;
      }
      pairedAt = pairedAt || Date.now();
      ui.classList.add('room-remote');
      document.documentElement.classList.add('room-is-remote');
      const row = el('div', 'room-nav');
      row.append(button('◀ Previous', 'room-prev', () => nav('prev')), button('Next ▶', 'room-next', () => nav('next')));
      const follow = present.follow || { slide: 1, count: 0 };
      const info = el('div', 'room-info', `Slide ${follow.slide}${follow.count ? ` of ${follow.count}` : ''} · ${nextTitle()}`);
      const timer = el('div', 'room-timer', '0:00');
      timer.dataset.since = String(pairedAt);
      const notes = el('div', 'room-notes');
      notes.innerHTML = remote.notes || '<p>(no notes on this slide)</p>'; // the server's HTML of the deck's own notes, escaped there
      ui.append(row, info, timer);
      if (remote.demo_controls) {  // the current slide's demo, with buttons a thumb can press
        const demos = (present.follow && present.follow.demos) || [];
        demos.forEach((name) => {
          const box = el('div', 'room-demo');
          box.append(el('div', 'room-demo-name', `Demo: ${name}`), ...present.demoButtons(name));
          ui.append(box);
        });
      }
      ui.append(notes);
    }

    setInterval(() => {
      const timer = ui.querySelector('.room-timer');
      if (!timer) return;
      const s = Math.floor((Date.now() - Number(timer.dataset.since)) / 1000);
      timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 1000);

    present.listen((event, data) => {
      if (event === 'role') { present.role_asking = data.asking; if (data.role !== 'remote') present.pairing = data.asking ? { code: data.asking } : null; render(); }
      if (event === 'follow' || event === 'notes' || (event === 'demo' && present.remote && present.remote.demo_controls)) render();
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
