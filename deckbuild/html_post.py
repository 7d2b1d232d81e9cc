"""What the exported HTML deck gets after marp-cli wrote it: small scripts it needs offline.

The deck stays one self-contained file: each asset is inlined. `ASSETS` is the list; its content
is part of the export's cache key (export.export_key), so a changed script rebuilds the HTML."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = (STATIC / "replay.js",)  # Replay of the captured run on each demo slide


def assets_text() -> str:
    return "".join(path.read_text() for path in ASSETS)


def post_process(html: str) -> str:
    """marp-cli's HTML + the inlined assets, before </body>."""
    scripts = "".join(f"<script>{path.read_text()}</script>" for path in ASSETS if path.suffix == ".js")
    if "</body>" not in html:
        return html + scripts
    head, _, tail = html.rpartition("</body>")
    return head + scripts + "</body>" + tail
