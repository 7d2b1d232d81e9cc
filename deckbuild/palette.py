"""The theme's colours, read from the theme CSS itself, so slides and diagrams share one palette.

Every diagram type the pinned Mermaid draws is themed here from the theme's custom properties: the
structural colours (background, surface, text, accents) and a categorical palette (--chart-1..8) for
pie slices, git branches, radar curves, xychart series, timeline/mindmap/kanban sections (cScale),
journey sections and venn sets. Categorical fills are bright on the dark slide, so text on them is
the dark background colour; everything else is light text on dark. Whatever a diagram still gets
wrong (its own `style X fill:#fff`, a type with hard-coded light panels) the renderer repairs label
by label (deckbuild/node/mermaid-render.mjs, __fixTextContrast) with text_colours() below.
"""

from __future__ import annotations

import re

from deckbuild.errors import BuildError

# Custom properties the theme must declare (in its :root block); diagrams are coloured from them.
REQUIRED = ("background", "text", "heading", "accent-green", "accent-coral", "surface", "font-family")
PROPERTY_RE = re.compile(r"--(?P<name>[\w-]+)\s*:\s*(?P<value>[^;]+);")

FONT_FALLBACK = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'

# Used when a theme declares no --chart-N: mutually distinct (CIE76 deltaE >= 24) and each >= 6:1
# against #001f3f, so dark text reads on every one of them.
DEFAULT_CHART = ("#4FC3F7", "#FF6F61", "#7EE081", "#FFD166", "#C39BFF", "#FF9ECF", "#F6A04D", "#E0E0E0")
MERMAID_COLOUR_LIMIT = 12
C4_KINDS = ("person", "external_person", "system", "system_db", "system_queue", "external_system", "external_system_db",
            "external_system_queue", "container", "container_db", "container_queue", "external_container", "external_container_db",
            "external_container_queue", "component", "component_db", "component_queue", "external_component",
            "external_component_db", "external_component_queue", "boundary", "message")  # Mermaid's THEME_COLOR_LIMIT: cScale0..11, pie1..12


# Marp's built-in themes declare none of the properties above: their palettes, read off their CSS
# (marp-core's default, gaia and uncover, light variant). A deck's own CSS that declares none either
# gets the one of the built-in theme it @imports (or default's).
BUILTIN = {
    "default": {"background": "#ffffff", "text": "#1f2328", "heading": "#1f2328", "accent-green": "#0969da", "accent-coral": "#cf222e",
                "surface": "#f6f8fa", "color-dimmed": "#59636e", "mode": "light",
                "font-family": '-apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif'},
    "gaia": {"background": "#fff8e1", "text": "#455a64", "heading": "#455a64", "accent-green": "#0277bd", "accent-coral": "#c62828",
             "surface": "#f2ead2", "color-dimmed": "#6a7a7d", "mode": "light",
             "font-family": 'Lato, "Avenir Next", Avenir, "Trebuchet MS", "Segoe UI", sans-serif'},
    "uncover": {"background": "#fdfcff", "text": "#202228", "heading": "#202228", "accent-green": "#007cab", "accent-coral": "#c62828",
                "surface": "#f2f1f4", "color-dimmed": "#5f6368", "mode": "light",
                "font-family": '"Avenir Next", Avenir, "Trebuchet MS", "Segoe UI", sans-serif'},
}
# Categorical fills for a light slide (GitHub's, as marp's default theme uses): dark enough that the
# slide's light background colour reads on each as a label, and mutually distinct.
LIGHT_CHART = ("#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#bc4c00", "#57606a")


def theme_palette(theme: str, themes: dict) -> dict[str, str]:
    """The palette of the theme a deck is set in: a theme of ours declares its own; Marp's built-in
    themes, and a custom theme that declares none, get the built-in one they are (or import)."""
    path = themes.get(theme)
    if path is not None:
        css = path.read_text()
        try:
            return read_palette(css)
        except BuildError:
            imported = re.search(r"""@import(?:-theme)?\s+["'](default|gaia|uncover)["']""", css)
            return dict(BUILTIN[imported.group(1) if imported else "default"])
    return dict(BUILTIN.get(theme, BUILTIN["default"]))


def read_palette(theme_css: str) -> dict[str, str]:
    palette = {m["name"]: m["value"].strip() for m in PROPERTY_RE.finditer(_strip_comments(theme_css))}
    missing = [name for name in REQUIRED if name not in palette]
    if missing:
        raise BuildError("the theme CSS does not declare " + ", ".join(f"--{n}" for n in missing) + " (diagram colours come from them)")
    return palette


def _strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def chart_colours(p: dict[str, str]) -> list[str]:
    """The categorical palette: --chart-1, --chart-2, ... in order (the built-in one if none)."""
    found = []
    for n in range(1, 100):
        value = p.get(f"chart-{n}")
        if value is None:
            break
        found.append(value)
    return found or list(LIGHT_CHART if p.get("mode") == "light" else DEFAULT_CHART)


def mermaid_config(p: dict[str, str]) -> dict:
    """Mermaid 'base' theme driven by the deck palette: light text and green borders on dark navy.

    htmlLabels off: labels become real SVG <text>, which renders inside an <img>, prints to PDF as
    text, and does not depend on the page's CSS."""
    bg, text, heading, green, coral, surface = (p[k] for k in ("background", "text", "heading", "accent-green", "accent-coral", "surface"))
    dimmed = p.get("color-dimmed", text)
    chart = chart_colours(p)

    def cycle(n: int) -> str:
        return chart[n % len(chart)]

    categorical = {}
    for i in range(MERMAID_COLOUR_LIMIT):
        categorical[f"cScale{i}"] = cycle(i)  # timeline, mindmap, kanban sections; radar curves
        categorical[f"cScalePeer{i}"] = cycle(i)
        categorical[f"cScaleLabel{i}"] = bg
        categorical[f"cScaleInv{i}"] = text  # timeline/mindmap underlines drawn beside the fills
        categorical[f"pie{i + 1}"] = cycle(i)
    for i in range(8):
        categorical[f"git{i}"] = cycle(i)
        categorical[f"gitInv{i}"] = bg
        categorical[f"gitBranchLabel{i}"] = bg
        categorical[f"fillType{i}"] = cycle(i)  # journey sections
        categorical[f"venn{i + 1}"] = cycle(i)
    family = p["font-family"]
    return {
        "theme": "base",
        "fontFamily": family,
        "htmlLabels": False,
        "flowchart": {"htmlLabels": False, "curve": "basis", "padding": 14, "nodeSpacing": 40, "rankSpacing": 55},
        "themeCSS": _theme_css(p),
        "sequence": {"mirrorActors": False, "showSequenceNumbers": False, "actorMargin": 40, "messageMargin": 28},
        # C4 sizes its boxes with fonts of its own ("Open Sans"): measured and drawn in the deck's face instead.
        "c4": {**{f"{kind}FontFamily": family for kind in C4_KINDS}, **_c4_colours(p)},
        "themeVariables": {
            "darkMode": p.get("mode") != "light",
            "fontFamily": p["font-family"],
            "fontSize": "18px",
            "background": bg,
            "textColor": text,
            "primaryColor": surface,
            "primaryTextColor": heading,
            "primaryBorderColor": green,
            "secondaryColor": surface,
            "secondaryTextColor": heading,
            "secondaryBorderColor": coral,
            "tertiaryColor": bg,
            "tertiaryTextColor": text,
            "tertiaryBorderColor": text,
            "nodeBorder": green,
            "nodeTextColor": heading,
            "mainBkg": surface,
            "lineColor": text,
            "edgeLabelBackground": bg,
            "clusterBkg": bg,
            "clusterBorder": text,
            "titleColor": heading,
            "labelTextColor": heading,
            "errorBkgColor": coral,
            "errorTextColor": bg,
            # sequence
            "actorBkg": surface,
            "actorBorder": green,
            "actorTextColor": heading,
            "actorLineColor": text,
            "signalColor": text,
            "signalTextColor": text,
            "labelBoxBkgColor": surface,
            "labelBoxBorderColor": coral,
            "loopTextColor": text,
            "noteBkgColor": surface,
            "noteBorderColor": coral,
            "noteTextColor": heading,
            "activationBkgColor": surface,
            "activationBorderColor": green,
            "sequenceNumberColor": heading,  # on a surface-coloured disc (themeCSS)
            # class, state, ER, requirement, C4
            "classText": heading,
            "stateBkg": surface,
            "stateLabelColor": heading,
            "compositeBackground": bg,
            "compositeTitleBackground": surface,
            "compositeBorder": text,
            "altBackground": surface,
            "specialStateColor": text,
            "innerEndBackground": text,
            "transitionColor": text,
            "transitionLabelColor": text,
            "attributeBackgroundColorOdd": surface,
            "attributeBackgroundColorEven": bg,
            "rowOdd": surface,
            "rowEven": bg,
            "requirementBackground": surface,
            "requirementBorderColor": green,
            "requirementTextColor": heading,
            "relationColor": text,
            "relationLabelBackground": bg,
            "relationLabelColor": text,
            "personBkg": surface,
            "personBorder": green,
            # gantt: bright bars with dark labels; labels beside a bar are light
            "sectionBkgColor": surface,
            "altSectionBkgColor": bg,
            "sectionBkgColor2": surface,
            "excludeBkgColor": surface,
            "gridColor": dimmed,
            "taskBkgColor": cycle(0),
            "taskBorderColor": cycle(0),
            "activeTaskBkgColor": cycle(2),
            "activeTaskBorderColor": cycle(2),
            "doneTaskBkgColor": dimmed,
            "doneTaskBorderColor": dimmed,
            "critBkgColor": coral,
            "critBorderColor": coral,
            "taskTextColor": bg,
            "taskTextLightColor": bg,
            "taskTextDarkColor": bg,
            "taskTextOutsideColor": text,
            "taskTextClickableColor": cycle(3),
            "todayLineColor": coral,
            "vertLineColor": coral,
            # quadrant
            "quadrant1Fill": surface,
            "quadrant2Fill": surface,
            "quadrant3Fill": surface,
            "quadrant4Fill": surface,
            "quadrant1TextFill": heading,
            "quadrant2TextFill": heading,
            "quadrant3TextFill": heading,
            "quadrant4TextFill": heading,
            "quadrantPointFill": cycle(3),
            "quadrantPointTextFill": heading,
            "quadrantXAxisTextFill": text,
            "quadrantYAxisTextFill": text,
            "quadrantTitleFill": heading,
            "quadrantInternalBorderStrokeFill": text,
            "quadrantExternalBorderStrokeFill": green,
            # pie (opaque slices: Mermaid's default 0.7 lets the navy through and greys them out)
            "pieOpacity": "1",
            "pieStrokeColor": bg,
            "pieStrokeWidth": "2px",
            "pieOuterStrokeColor": text,
            "pieOuterStrokeWidth": "2px",
            "pieTitleTextColor": heading,
            "pieSectionTextColor": bg,
            "pieLegendTextColor": text,
            # git
            "commitLabelColor": text,
            "commitLabelBackground": surface,
            "tagLabelColor": bg,
            "tagLabelBackground": cycle(3),
            "tagLabelBorder": cycle(3),
            # event modeling: the kinds of box keep their conventional hues (command blue, event
            # orange, read model green, processor lilac), from the categorical palette, on dark lanes
            "emSwimlaneBackgroundOdd": surface,
            "emSwimlaneBackgroundStroke": bg,
            "emUiFill": cycle(7),
            "emUiStroke": cycle(7),
            "emCommandFill": cycle(0),
            "emCommandStroke": cycle(0),
            "emEventFill": cycle(6),
            "emEventStroke": cycle(6),
            "emReadModelFill": cycle(2),
            "emReadModelStroke": cycle(2),
            "emProcessorFill": cycle(4),
            "emProcessorStroke": cycle(4),
            # venn, architecture
            "vennTitleTextColor": heading,
            "vennSetTextColor": heading,
            "archEdgeColor": text,
            "archEdgeArrowColor": text,
            "archGroupBorderColor": text,
            **categorical,
            "xyChart": {
                "backgroundColor": "transparent",
                "titleColor": heading,
                "dataLabelColor": heading,
                "legendTextColor": text,
                "xAxisTitleColor": text,
                "xAxisLabelColor": text,
                "xAxisTickColor": text,
                "xAxisLineColor": text,
                "yAxisTitleColor": text,
                "yAxisLabelColor": text,
                "yAxisTickColor": text,
                "yAxisLineColor": text,
                "plotColorPalette": ",".join(chart),
            },
            "radar": {
                "axisColor": text,
                "graticuleColor": text,
                "graticuleOpacity": 0.25,
                "curveOpacity": 0.25,  # overlapping curves stay apart; their strokes carry the colour
                "curveStrokeWidth": 3,
                "axisLabelFontSize": 14,
                "legendFontSize": 14,
            },
            "packet": {
                "startByteColor": text,
                "endByteColor": text,
                "labelColor": heading,
                "titleColor": heading,
                "blockStrokeColor": text,
                "blockFillColor": surface,
            },
            "treeView": {
                "labelColor": text,
                "lineColor": text,
                "iconColor": cycle(0),
                "descriptionColor": cycle(2),
                "highlightBg": surface,
                "highlightStroke": cycle(3),
            },
            "treemap": {
                "sectionStrokeColor": text,
                "sectionFillColor": surface,
                "leafStrokeColor": bg,
                "leafFillColor": surface,
                "titleColor": bg,  # on the section's categorical fill
                "labelColor": bg,
                "valueColor": bg,
            },
            "wardley": {
                "backgroundColor": "transparent",
                "axisColor": text,
                "axisTextColor": text,
                "gridColor": dimmed,
                "componentFill": surface,
                "componentStroke": text,
                "componentLabelColor": heading,
                "linkStroke": text,
                "evolutionStroke": coral,
                "annotationStroke": text,
                "annotationTextColor": heading,
                "annotationFill": surface,
            },
            "cynefin": {
                "boundaryColor": text,
                "arrowColor": text,
                "cliffColor": coral,
                "textColor": heading,
                "labelColor": heading,
                "complexBg": _mix(cycle(2), bg, 0.25),
                "complicatedBg": _mix(cycle(0), bg, 0.25),
                "chaoticBg": _mix(cycle(1), bg, 0.25),
                "clearBg": _mix(cycle(3), bg, 0.25),
                "confusionBg": _mix(cycle(4), bg, 0.35),
            },
        },
    }


def _c4_colours(p: dict[str, str]) -> dict[str, str]:
    """C4 draws its own blues and greys (light text on some, dark on the greys, relations in #444 on
    our navy: 1-2:1). On the deck: every element a dark panel with light text; the system's own
    elements on the surface colour with a neon-green border, external ones on the slide colour with
    a silver border, so "ours" and "theirs" still differ at a glance."""
    colours = {}
    for kind in C4_KINDS:
        if kind in ("boundary", "message"):
            continue
        external = kind.startswith("external_")
        colours[f"{kind}_bg_color"] = p["background"] if external else p["surface"]
        colours[f"{kind}_border_color"] = p["text"] if external else p["accent-green"]
    return colours


def _theme_css(p: dict[str, str]) -> str:
    """CSS Mermaid scopes to each diagram (#my-svg ...): fixes no theme variable reaches."""
    return " ".join(
        [
            # Every text in the deck's shipped face (deckbuild/fonts.py embeds it in the SVG): some types
            # hard-code a family of their own ("trebuchet ms", C4's "Open Sans") in inline styles.
            f"text, tspan, foreignObject div, foreignObject span, foreignObject p {{ font-family: {p['font-family']} !important; }}",
            # Mermaid draws edge-label backgrounds at 50% opacity: on a dark slide the edge line then
            # strikes through the label. Opaque backgrounds keep labels readable.
            ".edgeLabel rect, .labelBkg { opacity: 1 !important; }",
            # Sequence numbers: light digits on a surface disc ringed in the line colour (Mermaid paints
            # the disc with signalColor, which is our light line colour: light on light).
            f"[id$='-sequencenumber'] {{ fill: {p['surface']} !important; stroke: {p['text']}; }}",
            # Mermaid places the root label of a mindmap from the circle's centre, not around it: half
            # of it would hang outside the circle, dark text on the dark slide.
            ".mindmap-node.section-root .label text { text-anchor: middle; }",
            # A <line> or <foreignObject> paints no fill, but inherits one: contrast checkers that read
            # the computed fill would take it for the label's background.
            "line, foreignObject { fill: none !important; }",
            # C4 relations: lines, arrowheads and labels in a hard-coded #444444, unreadable on navy.
            f"path[stroke='#444444'], line[stroke='#444444'] {{ stroke: {p['text']} !important; }}",
            f"text[fill='#444444'] {{ fill: {p['text']} !important; paint-order: stroke; stroke: {p['background']}; stroke-width: 5px; stroke-linejoin: round; }}",
            f"[id$='-arrowhead'] path, [id$='-arrowend'] path, [id$='-filled-head'] path {{ fill: {p['text']}; stroke: {p['text']}; }}",
            # Timeline's axis and its dashed connectors take a label colour (dark, for the bright
            # sections) and would vanish into the slide.
            f".lineWrapper line {{ stroke: {p['text']} !important; }}",
            # Treemap sections are a categorical colour at 60% with leaves at 30% on top: muddy mixes
            # with navy where some labels need light and others dark text. Opaque sections, leaves
            # outlined in the background colour: one bright colour per section, dark labels on all.
            ".treemapSection { fill-opacity: 1 !important; }",
            f".treemapLeaf {{ fill-opacity: 0 !important; stroke: {p['background']} !important; }}",
        ]
    )


def _mix(colour: str, under: str, alpha: float) -> str:
    """`colour` at `alpha` over `under` (both #rrggbb), as #rrggbb."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(under[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x * alpha + y * (1 - alpha)):02x}" for x, y in zip(a, b))


def text_colours(config: dict) -> dict:
    """What the renderer may give a label that reads poorly where it sits: the theme's light text or
    its dark background colour, whichever reads better there, to at least `minimum` (WCAG AA)."""
    theme = config.get("themeVariables", {})
    return {
        "light": theme.get("textColor", "#ffffff"),
        "dark": theme.get("background", "#000000"),
        "background": theme.get("background", "#000000"),
        "minimum": 4.5,
    }
