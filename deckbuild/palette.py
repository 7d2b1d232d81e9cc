"""The theme's colours, read from the theme CSS itself, so slides and diagrams share one palette."""

from __future__ import annotations

import re

from deckbuild.errors import BuildError

# Custom properties the theme must declare (in its :root block); diagrams are coloured from them.
REQUIRED = ("background", "text", "heading", "accent-green", "accent-coral", "surface", "font-family")
PROPERTY_RE = re.compile(r"--(?P<name>[\w-]+)\s*:\s*(?P<value>[^;]+);")

FONT_FALLBACK = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'


def read_palette(theme_css: str) -> dict[str, str]:
    palette = {m["name"]: m["value"].strip() for m in PROPERTY_RE.finditer(theme_css)}
    missing = [name for name in REQUIRED if name not in palette]
    if missing:
        raise BuildError("the theme CSS does not declare " + ", ".join(f"--{n}" for n in missing) + " (diagram colours come from them)")
    return palette


def mermaid_config(p: dict[str, str]) -> dict:
    """Mermaid 'base' theme driven by the deck palette: light text and green borders on dark navy.

    htmlLabels off: labels become real SVG <text>, which renders inside an <img>, prints to PDF as
    text, and does not depend on the page's CSS."""
    return {
        "theme": "base",
        "htmlLabels": False,
        "flowchart": {"htmlLabels": False, "curve": "basis", "padding": 14, "nodeSpacing": 40, "rankSpacing": 55},
        # Mermaid draws edge-label backgrounds at 50% opacity: on a dark slide the edge line then
        # strikes through the label. Opaque backgrounds keep labels readable.
        "themeCSS": ".edgeLabel rect, .labelBkg { opacity: 1 !important; }",
        "sequence": {"mirrorActors": False, "showSequenceNumbers": False, "actorMargin": 40, "messageMargin": 28},
        "themeVariables": {
            "darkMode": True,
            "fontFamily": p["font-family"],
            "fontSize": "18px",
            "background": p["background"],
            "textColor": p["text"],
            "primaryColor": p["surface"],
            "primaryTextColor": p["heading"],
            "primaryBorderColor": p["accent-green"],
            "secondaryColor": p["surface"],
            "secondaryTextColor": p["heading"],
            "secondaryBorderColor": p["accent-coral"],
            "tertiaryColor": p["background"],
            "tertiaryTextColor": p["text"],
            "tertiaryBorderColor": p["text"],
            "nodeBorder": p["accent-green"],
            "nodeTextColor": p["heading"],
            "mainBkg": p["surface"],
            "lineColor": p["text"],
            "edgeLabelBackground": p["background"],
            "clusterBkg": p["background"],
            "clusterBorder": p["text"],
            "titleColor": p["heading"],
            "actorBkg": p["surface"],
            "actorBorder": p["accent-green"],
            "actorTextColor": p["heading"],
            "actorLineColor": p["text"],
            "signalColor": p["text"],
            "signalTextColor": p["text"],
            "labelBoxBkgColor": p["surface"],
            "labelBoxBorderColor": p["accent-coral"],
            "labelTextColor": p["heading"],
            "loopTextColor": p["text"],
            "noteBkgColor": p["surface"],
            "noteBorderColor": p["accent-coral"],
            "noteTextColor": p["heading"],
            "activationBkgColor": p["surface"],
            "activationBorderColor": p["accent-green"],
            "sequenceNumberColor": p["background"],
        },
    }
