"""Code is code: the parts of a slide file that are shown as written, never read as Jinja.

Slide files are Jinja templates in their prose (macros, variables, demo panels), but technical
talks are full of braces that are not ours: JSX `style={{ flex: 1 }}`, Ansible and Helm
`{{ item.name }}`, Go `{{- range .X }}`, GitHub Actions `${{ }}`, a URL-encoded `{%22id%22`. The
rule (README, "Code is code"): these are literal, wherever they are written --

- the front matter (Marp's; passed through to marp untouched);
- fenced code blocks and indented code blocks;
- inline code spans (`...`, any number of backticks);
- link and image targets `[text](...)`, reference definitions `[id]: ...`, autolinks `<https://...>`
  and bare URLs;
- math: `$...$` and `$$ ... $$` blocks, as marp-core reads them.

Everything else (paragraphs, headings, lists, tables, HTML, comments) is template prose.

Where these regions are is decided by CommonMark itself: markdown-it-py (the Python port of the
markdown-it that Marp uses, same preset) parses the file's block structure, so an indented line
inside an HTML block or a list item is what Marp says it is. Inline regions are found in each
block's own lines. `protect()` swaps each region for a placeholder that keeps its line count
(so Jinja's line numbers stay the file's) and `restore()` puts the text back after rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

PLACEHOLDER_RE = re.compile(r"\x00(\d+)\n*\x00")
JINJA_OPEN = {"{{": "}}", "{%": "%}", "{#": "#}"}
AUTOLINK_RE = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>"  # <https://...>, and <user@host> below
                         r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*>")
HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s+[A-Za-z_:][\w.:\-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*\s*/?>|<!--.*?-->", re.S)
BARE_URL_RE = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<]*[^\s<?!.,:;*_~'\")\]]", re.I)
REFERENCE_RE = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*")
FRONT_MATTER_OPEN_RE = re.compile(r"^(-{3,})[ \t]*$")


@dataclass(frozen=True)
class FrontMatter:
    """Marp's YAML front matter, read as markdown-it-front-matter (which Marp uses) reads it."""

    text: str  # the YAML between the markers
    block: str  # the whole block, markers included, as written
    lines: int  # how many lines of the file it takes
    closed: bool = True  # False: no closing marker, and marp reads the whole file as front matter


def split_front_matter(source: str) -> FrontMatter | None:
    """The front matter at the very start of a file: a line of three or more dashes, up to a line
    with at least as many (or the end of the file, as markdown-it-front-matter does)."""
    lines = source.split("\n")
    opening = FRONT_MATTER_OPEN_RE.match(lines[0]) if lines else None
    if opening is None:
        return None
    markers = len(opening.group(1))
    end = next((i for i in range(1, len(lines)) if re.fullmatch(rf"-{{{markers},}}[ \t]*", lines[i])), None)
    if end is None:  # never closed: marp reads the whole file as front matter
        return FrontMatter("\n".join(lines[1:]), source, len(lines), closed=False)
    return FrontMatter("\n".join(lines[1:end]), "\n".join(lines[: end + 1]) + "\n", end + 1)


def _math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """marp-core's `$$` block rule (its math plugin), so math blocks are blocks here too."""
    pos = state.bMarks[start] + state.tShift[start]
    maximum = state.eMarks[start]
    if pos + 2 > maximum or state.src[pos : pos + 2] != "$$":
        return False
    if silent:
        return True
    first = state.src[pos + 2 : maximum]
    closed = first.strip().endswith("$$")
    line = start
    while not closed:
        line += 1
        if line >= end:
            break
        pos, maximum = state.bMarks[line] + state.tShift[line], state.eMarks[line]
        if pos < maximum and state.sCount[line] < state.blkIndent:
            break
        if state.src[pos:maximum].strip().endswith("$$"):
            closed = True
    state.line = line + 1
    token = state.push("math_block", "math", 0)
    token.block = True
    token.map = [start, state.line]
    return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # marp-core: markdown-it's commonmark preset with html, breaks, tables and strikethrough.
    md = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])
    md.block.ruler.after("blockquote", "math_block", _math_block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    return md


def literal_regions(source: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the regions of `source` shown as written, in order."""
    offsets = _line_offsets(source)
    regions: list[tuple[int, int]] = []
    front = split_front_matter(source)
    first_line = 0
    if front is not None:
        regions.append((0, offsets[min(front.lines, len(offsets) - 1)]))
        first_line = front.lines
    body = "\n" * first_line + source[regions[0][1]:] if front else source
    covered: set[int] = set(range(first_line))
    inline_blocks: set[tuple[int, int]] = set()
    for token in _parser().parse(body):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("fence", "code_block", "math_block"):
            regions.append((offsets[start], _line_end(source, offsets, end - 1)))
        elif token.type == "inline":
            inline_blocks.add((start, end))
        if token.type not in ("bullet_list_open", "ordered_list_open", "list_item_open", "blockquote_open", "table_open",
                              "thead_open", "tbody_open", "tr_open"):
            covered.update(range(start, end))
    for start, end in sorted(inline_blocks):
        regions.extend(_inline_regions(source, offsets[start], _line_end(source, offsets, end - 1)))
    lines = source.split("\n")
    for number, line in enumerate(lines):  # reference definitions are no token of their own
        if number not in covered and (match := REFERENCE_RE.match(line)):
            regions.append((offsets[number] + match.end(), offsets[number] + len(line)))
    return _merge(regions)


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for match in re.finditer("\n", source):
        offsets.append(match.end())
    offsets.append(len(source))  # one past the last line
    return offsets


def _line_end(source: str, offsets: list[int], line: int) -> int:
    """The offset just after the text of `line` (its newline not included)."""
    end = offsets[min(line + 1, len(offsets) - 1)]
    return end - 1 if end > 0 and source[end - 1 : end] == "\n" else end


def _inline_regions(source: str, start: int, end: int) -> list[tuple[int, int]]:
    """Code spans, link targets, autolinks, bare URLs and $math$ in one block's text."""
    found = []
    i = start
    while i < end:
        char = source[i]
        pair = source[i : i + 2]
        if char == "\\":
            i += 2
        elif pair in JINJA_OPEN:  # template code in prose: Jinja's, skipped whole
            close = source.find(JINJA_OPEN[pair], i + 2)
            i = end if close == -1 else close + 2
        elif char == "`":
            run = _run(source, i, "`")
            close = _closing_backticks(source, i + run, end, run)
            if close is None:
                i += run
            else:
                found.append((i, close + run))
                i = close + run
        elif char == "<":
            autolink = AUTOLINK_RE.match(source, i, end)
            tag = None if autolink else HTML_TAG_RE.match(source, i, end)
            if autolink:
                found.append((i, autolink.end()))
            i = (autolink or tag).end() if (autolink or tag) else i + 1
        elif pair == "](":
            close = _link_target_end(source, i + 2, end)
            if close is None:
                i += 2
            else:
                found.append((i + 2, close))
                i = close + 1
        elif char == "$":
            close = _inline_math_end(source, i, end)
            if close is None:
                i += 2 if pair == "$$" else 1
            else:
                found.append((i, close + 1))
                i = close + 1
        elif char in "hHfFwW" and (i == start or not source[i - 1].isalnum()) and (url := BARE_URL_RE.match(source, i, end)):
            found.append((i, url.end()))
            i = url.end()
        else:
            i += 1
    return found


def _run(text: str, at: int, char: str) -> int:
    n = at
    while n < len(text) and text[n] == char:
        n += 1
    return n - at


def _closing_backticks(text: str, at: int, end: int, run: int) -> int | None:
    """The start of the next backtick string of exactly `run` backticks (CommonMark code spans)."""
    while at < end:
        at = text.find("`", at, end)
        if at == -1:
            return None
        length = _run(text, at, "`")
        if length == run:
            return at
        at += length
    return None


def _link_target_end(text: str, at: int, end: int) -> int | None:
    """The offset of the `)` closing a link's (destination "title"), balanced parentheses allowed."""
    depth = 0
    quote = None
    i = at
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if quote:
            quote = None if char == quote else quote
        elif char == "<" and i == at:
            close = text.find(">", i, end)
            if close == -1:
                return None
            i = close
        elif char in "\"'" and i > at and text[i - 1] in " \t\n":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return None


def _inline_math_end(text: str, at: int, end: int) -> int | None:
    """marp-core's inline math: `$` not followed by a space, up to a `$` not escaped, not after a
    space and not before a digit. `$$` inside a paragraph opens nothing inline."""
    if text[at + 1 : at + 2] in ("", " ", "\t", "\n", "$"):
        return None
    close = at + 1
    while True:
        close = text.find("$", close, end)
        if close == -1:
            return None
        backslashes = _run_back(text, close - 1, "\\")
        if backslashes % 2 == 0:
            break
        close += 1
    if text[close - 1] in " \t\n" or text[close + 1 : close + 2].isdigit():
        return None
    return close


def _run_back(text: str, at: int, char: str) -> int:
    n = 0
    while at - n >= 0 and text[at - n] == char:
        n += 1
    return n


def _merge(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in regions if r[1] > r[0]):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


TEMPLATE_MARK_RE = re.compile(r"\{\{|\{%|\{#")


@dataclass(frozen=True)
class Protected:
    """A slide file with its literal regions swapped for placeholders: what Jinja compiles."""

    template: str
    texts: tuple[str, ...]  # the regions' text, by placeholder number

    def restore(self, rendered: str) -> str:
        """The rendered text with every region's text back in its place."""
        return PLACEHOLDER_RE.sub(lambda m: self.texts[int(m.group(1))], rendered)


RAW_TAG_RE = re.compile(r"{%-?\s*(raw|endraw)\s*-?%}")


def _authors_raw_blocks(source: str, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The author's own {% raw %}...{% endraw %} blocks (a deck written for the old rule): a `raw`
    tag in prose opens one, up to the next `endraw` wherever it is. What they hold is already literal."""
    inside = lambda at: any(start <= at < end for start, end in regions)  # noqa: E731
    blocks, at = [], 0
    while (opening := RAW_TAG_RE.search(source, at)) is not None:
        if opening.group(1) != "raw" or inside(opening.start()):
            at = opening.end()
            continue
        closing = next((m for m in RAW_TAG_RE.finditer(source, opening.end()) if m.group(1) == "endraw"), None)
        if closing is None:
            break  # Jinja reports the unclosed block
        blocks.append((opening.start(), closing.end()))
        at = closing.end()
    return blocks


def protect(source: str) -> Protected:
    """Only regions holding something Jinja would read need a placeholder; the rest stay as they are
    (the template Jinja compiles is then the file itself for most slides). A region inside (or
    overlapping) the author's own {% raw %} block is left to it."""
    template, texts, last = [], [], 0
    regions = literal_regions(source)
    raw_blocks = _authors_raw_blocks(source, regions)
    for start, end in regions:
        if any(start < block_end and block_start < end for block_start, block_end in raw_blocks):
            continue
        text = source[start:end]
        if not TEMPLATE_MARK_RE.search(text):
            continue
        template.append(source[last:start])
        template.append(f"\x00{len(texts)}" + "\n" * text.count("\n") + "\x00")
        texts.append(text)
        last = end
    template.append(source[last:])
    return Protected("".join(template), tuple(texts))


@dataclass(frozen=True)
class Fence:
    """A fenced code block as CommonMark reads it: its info string, its lines, its text."""

    info: str
    start: int  # 0-based line of the opening fence
    end: int  # 0-based line of the closing fence (the last line of the block when never closed)
    content: str
    closed: bool


def fences(text: str) -> list[Fence]:
    """Every fenced code block of `text` (in lists and quotes too), in order."""
    lines = text.split("\n")
    found = []
    for token in _parser().parse(text):
        if token.type != "fence" or token.map is None:
            continue
        start, end = token.map[0], token.map[1] - 1
        last = lines[end].strip() if end < len(lines) else ""
        closed = end > start and last.startswith(token.markup) and not last.strip(token.markup[0]).strip()
        found.append(Fence(token.info.strip(), start, end, token.content, closed))
    return found


def first_heading(text: str) -> str:
    """The text of the highest-level heading that comes first (what marp-cli takes for a deck's title
    when it has no `title` directive)."""
    best: tuple[int, str] | None = None
    tokens = _parser().parse(text)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            level = int(token.tag[1])
            if best is None or level < best[0]:
                best = (level, re.sub(r"<[^>]+>", "", tokens[index + 1].content).strip())
    return best[1] if best else ""
