"""A deck's own pictures: the local images its Markdown names, found by the deck, wherever it is built.

marp-cli writes image URLs as they are written, relative to the Markdown file, so its HTML only
works beside the images and its PDF shows them only with --allow-local-files. Our HTML is one file
that works anywhere (build/<deck>.html, offline), so every local image a deck shows is embedded:
- Markdown images, backgrounds included: `![w:200](x.png)`, `![bg left:40%](photo.jpg)`;
- HTML `<img src>`, `<source src>`, `poster`;
- CSS `url(...)`: in `<style>` blocks, style attributes, `backgroundImage: url(...)` directives (front
  matter or comments) and the deck folder's own theme CSS.
A path is relative to the file that names it; one that names no file under the project is left as
written and reported as a warning at its line. Code is code: nothing inside a code region changes.
The export embeds data URIs; present mode serves the same files by URL (`resolve` decides).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from deckbuild import literal

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
               ".webp": "image/webp", ".avif": "image/avif", ".bmp": "image/bmp", ".ico": "image/x-icon"}
MARKDOWN_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\(\s*(<[^>\n]*>|[^\s)]+)")
HTML_SRC_RE = re.compile(r"""<(?:img|source|video|audio|input)\b[^>]*?\b(?:src|poster)\s*=\s*(["'])(.*?)\1""", re.I | re.S)
CSS_URL_RE = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""", re.I)
SCHEME_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|//|/|#)")


@dataclass
class Embedded:
    """What embedding found: the files used (for cache keys and serving) and the paths that name none."""

    files: dict[Path, str] = field(default_factory=dict)  # file -> the URL it was given
    missing: list[tuple[Path, int, str]] = field(default_factory=list)  # (source file, line, path as written)


def data_uri(path: Path) -> str:
    kind = IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _local(url: str, base: Path, root: Path) -> Path | None:
    """The file a relative URL names, if it is an image under the project; else None."""
    if not url or SCHEME_RE.match(url):
        return None
    path = (base / unquote(url.split("#", 1)[0].split("?", 1)[0])).resolve()
    if path.suffix.lower() not in IMAGE_TYPES:
        return None
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None  # outside the project: not ours to read
    return path


def embed(text: str, base: Path, root: Path, resolve: Callable[[Path], str], found: Embedded, source: Path | None = None,
          first_line: int = 1, *, code_aware: bool = True) -> str:
    """`text` with each local image URL replaced by `resolve(file)`; code regions untouched."""
    regions = literal.literal_regions(text) if code_aware else []
    code = [(s, e) for s, e in regions if not _is_link_target(text, s)]
    edits: list[tuple[int, int, str]] = []

    def consider(start: int, end: int, url: str) -> None:
        if any(s <= start < e for s, e in code):
            return
        stripped = url[1:-1] if url.startswith("<") and url.endswith(">") else url
        path = _local(stripped, base, root)
        if path is None:
            if stripped and not SCHEME_RE.match(stripped) and Path(stripped).suffix.lower() in IMAGE_TYPES:
                found.missing.append((source or base, first_line + text.count("\n", 0, start), stripped))
            return
        if not path.is_file():
            found.missing.append((source or base, first_line + text.count("\n", 0, start), stripped))
            return
        url_for = found.files.get(path) or resolve(path)
        found.files[path] = url_for
        edits.append((start, end, url_for))

    for match in MARKDOWN_IMAGE_RE.finditer(text):
        consider(match.start(1), match.end(1), match.group(1))
    for match in HTML_SRC_RE.finditer(text):
        consider(match.start(2), match.end(2), match.group(2))
    for match in CSS_URL_RE.finditer(text):
        consider(match.start(2), match.end(2), match.group(2))
    for start, end, url in sorted(set(edits), reverse=True):
        text = text[:start] + url + text[end:]
    return text


def _is_link_target(text: str, start: int) -> bool:
    """A literal region that is a link or image target (`](...)`), not code: images live there."""
    return text[max(0, start - 2):start] == "]("
