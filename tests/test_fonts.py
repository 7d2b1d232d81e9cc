"""The shipped fonts: text_width() gives the width Chromium draws, from the font files themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild import fonts
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError

SAMPLES = ["AVATAR Workflow", "Hello, world", "WorkflowExecutionStarted", "activity: charge_card (attempt 3)", "Upload → chunk ✓"]

MEASURE_JS = """([text, family, weight]) => {
  const span = document.createElement('span');
  span.textContent = text;
  span.style.cssText = `white-space: pre; font: ${weight} 24px ${family}`;
  document.body.append(span);
  return document.fonts.ready.then(() => { const width = span.getBoundingClientRect().width; span.remove(); return width; });
}"""


@pytest.mark.browser
def test_text_width_is_what_chromium_draws(browser, tmp_path: Path):
    cfg = Config(build_dir=tmp_path / "build")
    page = browser.new_page()
    page.set_content(f"<style>{fonts.renderer_css(cfg).read_text()}</style><body></body>")
    for weight, mono in (("normal", False), ("bold", False), ("normal", True)):
        family = fonts.MONO_STACK if mono else fonts.TEXT_STACK
        for text in SAMPLES:
            drawn = page.evaluate(MEASURE_JS, [text, family, weight])
            assert fonts.text_width(text, 24, weight=weight, mono=mono, cfg=cfg) == pytest.approx(drawn, abs=0.25), (text, weight, mono)
    page.close()
    assert list((cfg.cache_dir / "fonts").glob("metrics-*.json"))  # read once, then from the cache


def test_kerning_and_scale_count():
    apart = fonts.text_width("A", 100) + fonts.text_width("V", 100)
    assert fonts.text_width("AV", 100) < apart - 1  # the pair is kerned, as the browser draws it
    assert fonts.text_width("Workflow", 48) == pytest.approx(2 * fonts.text_width("Workflow", 24))
    assert fonts.text_width("Workflow", 24, weight="bold") > fonts.text_width("Workflow", 24)
    with pytest.raises(ValueError, match="weight"):
        fonts.text_width("x", 24, weight="heavy")


def test_missing_font_packages_are_one_clear_message(tmp_path: Path):
    cfg = Config(build_dir=tmp_path / "build", node_modules=tmp_path / "node_modules")
    with pytest.raises(BuildError, match=r"run `npm ci`"):
        fonts.page_css(cfg, "text")


def test_the_page_fonts_carry_only_the_symbols_the_deck_uses():
    cfg = Config()
    assert fonts.missing_characters(cfg.node_modules, "Plain text, “quoted” — fine…") == ""
    assert fonts.missing_characters(cfg.node_modules, "a → b ✓ → c") == "→✓"
    css = fonts.page_css(cfg, "a → b ✓")
    assert css.count("@font-face") == len(fonts.TEXT_FACES) + len(fonts.MONO_FACES) + 1
    assert fonts.SYMBOL_FAMILY in css and "url(http" not in css
    licences = {package: (REPO_ROOT / "node_modules" / package / "LICENSE").read_text() for package in fonts.PACKAGES}
    assert "SIL OPEN FONT LICENSE" in licences["@fontsource/atkinson-hyperlegible-next"].upper()
    assert "Bitstream" in licences["@fontsource/dejavu-sans"]  # DejaVu: the Bitstream Vera licence
