"""The last touches on a PDF Chromium printed: bookmarks named after the slides, title and author.

Written as an incremental update (pypdf appends the changed objects after the original bytes), so
everything Chromium wrote stays exactly as it was: the tagged structure (/StructTreeRoot,
/MarkInfo), /Lang from the page's `lang`, the fonts. The result is written atomically.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from deckbuild.fsutil import atomic_write_bytes, sha256_json

if TYPE_CHECKING:
    from pypdf import PdfReader

# pypdf (and the Pillow it loads) is imported where a PDF is finished, not with this module: present
# mode imports the export stage but writes no PDF, and its start is on the presenter's clock.


def post_key() -> str:
    return sha256_json(Path(__file__).read_text())


def marp_slide_titles(reader: PdfReader) -> list[str]:
    """Marp's outline (--pdf-outlines) is "Page N" per page with that page's headings under it:
    the first heading of each page is its slide's title ("Slide N" when it has none)."""
    titles = [f"Slide {n}" for n in range(1, len(reader.pages) + 1)]
    outline = reader.outline
    for i, item in enumerate(outline):
        if isinstance(item, list):
            continue
        children = outline[i + 1] if i + 1 < len(outline) and isinstance(outline[i + 1], list) else []
        first = next((c for c in children if not isinstance(c, list)), None)
        page = reader.get_destination_page_number(item)
        if first is not None and 0 <= page < len(titles):
            titles[page] = " ".join(str(first.title).split())
    return titles


def finish(path: Path, bookmarks: list[tuple[str, int]], *, title: str, author: str) -> None:
    """Replace the outline by `bookmarks` ((title, 0-based page) in order); set title and author."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(str(path), incremental=True)
    root = writer.root_object
    if "/Outlines" in root:
        del root[NameObject("/Outlines")]
    for text, page in bookmarks:
        writer.add_outline_item(title=text, page_number=page)
    root[NameObject("/PageMode")] = NameObject("/UseOutlines")  # a viewer opens with the bookmarks shown
    metadata = {"/Title": title}
    if author:
        metadata["/Author"] = author
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    atomic_write_bytes(path, out.getvalue())


def finish_deck_pdf(path: Path, *, title: str, author: str) -> None:
    from pypdf import PdfReader

    titles = marp_slide_titles(PdfReader(str(path)))
    finish(path, [(t, n) for n, t in enumerate(titles)], title=title, author=author)


def finish_handout(path: Path, labels: list[str], *, title: str, author: str) -> None:
    """One bookmark per slide, at the page where its label ("Slide N of M: ...") is printed."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    texts = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    bookmarks, page = [], 0
    for label in labels:
        prefix = re.match(r"Slide \d+ of \d+", label)
        needle = prefix.group(0) if prefix else label
        found = next((n for n in range(page, len(texts)) if needle in texts[n]), page)
        bookmarks.append((label, found))
        page = found
    finish(path, bookmarks, title=title, author=author)
