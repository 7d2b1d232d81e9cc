// Replay a demo's story picture: the rows of a captured run appear at the run's own pace,
// compressed to at most ten seconds. Works offline in the exported HTML (no server) and in present
// mode. The picture's rows carry data-t (ms since the workflow started); the finished picture is
// the static one, so a replay always ends where the slide began.
(() => {
  'use strict';
  const MAX_MS = 10000;

  function parts(svg) {
    return Array.from(svg.querySelectorAll('[data-t]')).map((el) => ({ el, t: Number(el.dataset.t) || 0 }));
  }

  function stop(svg) {
    const replay = svg.__storyReplay;
    if (!replay) return;
    replay.timers.forEach(clearTimeout);
    parts(svg).forEach(({ el }) => { el.style.visibility = ''; });
    svg.classList.remove('story-replaying');
    delete svg.__storyReplay;
    svg.dispatchEvent(new CustomEvent('story-replay-end', { bubbles: true }));
  }

  function play(svg) {
    stop(svg);
    const items = parts(svg);
    const total = Math.max(1, ...items.map((i) => i.t));
    const scale = Math.min(1, MAX_MS / total);
    items.forEach(({ el, t }) => { if (t > 0) el.style.visibility = 'hidden'; });
    svg.classList.add('story-replaying');
    const timers = items.filter((i) => i.t > 0).map(({ el, t }) => setTimeout(() => { el.style.visibility = ''; }, t * scale));
    timers.push(setTimeout(() => stop(svg), total * scale + 60));
    svg.__storyReplay = { timers, ms: total * scale };
    return total * scale;
  }

  // A real button in each demo slide that has a story picture: keyboard reachable, and its keys
  // (Enter, Space) press the button instead of turning the slide.
  function button(svg) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'story-replay';
    b.textContent = 'Replay';
    b.setAttribute('aria-label', 'Replay the captured run on this slide');
    b.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') e.stopPropagation(); });
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      if (svg.__storyReplay) { stop(svg); return; }
      b.textContent = 'Stop';
      play(svg);
    });
    svg.addEventListener('story-replay-end', () => { b.textContent = 'Replay'; });
    return b;
  }

  function attach(root) {
    (root || document).querySelectorAll('section svg.story').forEach((svg) => {
      const section = svg.closest('section');
      if (!section || section.querySelector(':scope > .story-replay')) return;
      section.appendChild(button(svg));
    });
  }

  window.storyReplay = { play, stop, button, attach };
  // The exported deck attaches its buttons itself; present mode puts Replay in its own bar.
  if (!document.querySelector('meta[name="present-role"]')) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => attach());
    else attach();
  }
})();
