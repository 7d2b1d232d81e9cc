// deckbuild/html_post.py: tell a screen reader which slide is showing. Each slide (a <section>) is
// labelled "Slide N of M: title" at build time; when the active one changes (arrow keys, the
// on-screen controls, a #N link), its label goes into the deck's aria-live region.
(() => {
  const live = document.getElementById("deck-announcer");
  const container = document.getElementById(":$p");
  if (!live || !container) return;
  const active = () => container.querySelector("svg.bespoke-marp-active > foreignObject > section");
  let shown = null;
  const announce = () => {
    const section = active();
    if (!section || section === shown) return;
    const first = shown === null;
    shown = section;
    if (!first) live.textContent = section.getAttribute("aria-label") || "";  // the page's own title is read on load
  };
  new MutationObserver(announce).observe(container, { subtree: true, attributes: true, attributeFilter: ["class"] });
  window.addEventListener("hashchange", announce);
  announce();
})();
