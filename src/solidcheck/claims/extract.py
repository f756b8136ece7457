"""The text of a product document, and the way back from an offset to the source file.

Audit rules match against one string, :attr:`ExtractedText.text`; findings carry offsets into
it. :meth:`ExtractedText.locate` maps an offset range back to where a reader finds it: the
line and column of a text, Markdown or HTML file (plus the HTML element), or the page of a
PDF. What counts as "the text" (see docs/audit.md, "Input formats"):

* plain text and Markdown — the file as decoded, verbatim (Markdown markup included, line
  endings kept), so offsets are offsets into the file's own text;
* HTML — the visible text: no ``script``/``style``/``template``/``noscript`` contents, no
  comments, no attribute values (so no image ``alt`` text); the ``<title>`` is kept, as it
  is shown in tabs and search results; entities are decoded (``&nbsp;`` becomes a space);
  whitespace collapses as in a browser (not in ``<pre>``), and block elements are separated
  by ``"\\n"`` so sentences of different paragraphs never run together;
* PDF — the text layer of each page (pypdfium2), pages joined by :data:`PAGE_SEPARATOR`.

The location map keeps one entry per text segment (one per file for text and Markdown, one
per page for PDF, one per text run for HTML) in sorted arrays searched with :mod:`bisect`, so
extraction and lookup stay cheap on multi-megabyte documents.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import Problem, TextExtractionError, file_problem
from .model import SourceLocation

__all__ = [
    "MAX_INPUT_BYTES",
    "PAGE_SEPARATOR",
    "ExtractedText",
    "TextFormat",
    "extract_from_bytes",
    "extract_text",
]

TextFormat = Literal["text", "markdown", "html", "pdf"]
TEXT_FORMATS: tuple[TextFormat, ...] = get_args(TextFormat)

#: Larger inputs are refused: product documents are far smaller, and the whole file is held
#: in memory (several times over for HTML) while it is read.
MAX_INPUT_BYTES = 200 * 1024 * 1024

#: Between the text of two PDF pages: a line break, a form feed, a line break.
PAGE_SEPARATOR = "\n\f\n"

#: How much decoded text is inspected for control characters, and how many are tolerated.
_SNIFF_CHARS = 65536
_MAX_CONTROL_SHARE = 0.02
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # not \t \n \v \f \r
_TEXT_LINE_BREAK = re.compile(r"\r\n?|\n")

_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAG = re.compile(
    r"<(?:head|body|title|meta|p|div|span|h[1-6]|br|hr|ul|ol|li|table|section|article|a)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass(frozen=True)
class ExtractedText:
    """A document's text as the audit rules see it, with its origin and a way back to it."""

    text: str = field(repr=False)
    format: TextFormat
    source: str
    sha256: str
    size_bytes: int
    #: what a user should know about the extraction (encoding guessed, pages without text)
    notes: tuple[str, ...] = ()
    _map: _SourceMap | None = field(default=None, repr=False, compare=False)

    @property
    def characters(self) -> int:
        return len(self.text)

    def locate(self, start: int, end: int) -> SourceLocation | None:
        """Where ``text[start:end]`` begins in the source file.

        ``None`` when no character of the range comes from the source: an empty document,
        or a range that holds only a separator extraction inserted (between HTML blocks, or
        between PDF pages). Raises ``ValueError`` for a range outside the text.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(
                f"range {start}:{end} is outside the extracted text (0:{len(self.text)})")
        return None if self._map is None else self._map.locate(start, end)


class _SourceMap:
    """Segments of the extracted text, each tied to a place in the source.

    Segment ``i`` covers ``text[starts[i]:ends[i]]``. Its ``origin`` is a PDF page number
    (``pages`` set) or an index into the decoded source string, turned into line and column
    through ``line_starts`` only when asked. A verbatim segment is a copy of the source, so
    an offset inside it maps character for character; any other (a decoded entity) maps to
    its own beginning.
    """

    __slots__ = ("elements", "ends", "line_starts", "origins", "pages", "starts", "verbatim")

    def __init__(self, *, pages: bool = False, line_starts: array[int] | None = None) -> None:
        self.pages = pages
        self.line_starts = line_starts if line_starts is not None else array("q", [0])
        self.starts: array[int] = array("q")
        self.ends: array[int] = array("q")
        self.origins: array[int] = array("q")
        self.verbatim = bytearray()
        self.elements: list[str | None] = []

    def add(self, start: int, end: int, origin: int, *, verbatim: bool = True,
            element: str | None = None) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.origins.append(origin)
        self.verbatim.append(verbatim)
        self.elements.append(element)

    def locate(self, start: int, end: int) -> SourceLocation | None:
        index = bisect_right(self.starts, start) - 1
        inside = index >= 0 and (start < self.ends[index]
                                 or (start == end and start <= self.ends[index]))
        if not inside:  # in a gap between segments: the next segment, if the range reaches it
            index += 1
            if index >= len(self.starts) or self.starts[index] >= end:
                return None
            start = self.starts[index]
        if self.pages:
            return SourceLocation(page=self.origins[index])
        offset = start - self.starts[index] if self.verbatim[index] else 0
        position = self.origins[index] + offset
        line = bisect_right(self.line_starts, position)
        return SourceLocation(line=line, column=position - self.line_starts[line - 1] + 1,
                              element=self.elements[index])


def _line_starts(text: str, breaks: re.Pattern[str] = _TEXT_LINE_BREAK) -> array[int]:
    starts = array("q", [0])
    starts.extend(match.end() for match in breaks.finditer(text))
    return starts


def _fail(source: str, message: str, fix: str, *, path: str = "") -> TextExtractionError:
    return TextExtractionError([Problem(path, message, fix)], source=source)


def _check_size(size: int, source: str) -> None:
    if size > MAX_INPUT_BYTES:
        raise _fail(
            source,
            f"the file is {size / 1048576:.1f} MiB; documents over "
            f"{MAX_INPUT_BYTES / 1048576:.0f} MiB are not audited",
            "split the document, or audit the part that makes the claims",
        )


def extract_text(path: Path | str, *, format: TextFormat | None = None) -> ExtractedText:
    """Extract the auditable text of a file; the format is recognised from the content
    (the extension is a hint) unless given.

    Raises ``TextExtractionError`` for a missing, oversized, binary, undecodable, encrypted
    or broken file. An empty file gives empty text.
    """
    path = Path(path)
    try:
        _check_size(path.stat().st_size, str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise TextExtractionError([file_problem(path, exc)], source=str(path)) from None
    return _extract(data, format=format, source=path.name, suffix=path.suffix.lower(),
                    shown=str(path))


def extract_from_bytes(data: bytes, *, format: TextFormat | None = None,
                       source: str) -> ExtractedText:
    """Like :func:`extract_text`, for a document already in memory (an upload); ``source``
    names it, and its extension is the format hint."""
    return _extract(data, format=format, source=source, suffix=Path(source).suffix.lower(),
                    shown=source)


def _extract(data: bytes, *, format: TextFormat | None, source: str, suffix: str,
             shown: str) -> ExtractedText:
    _check_size(len(data), shown)
    if format is not None and format not in TEXT_FORMATS:
        raise _fail(shown, f"unknown document format {format!r}",
                    f"use one of: {', '.join(TEXT_FORMATS)}", path="format")
    sha256 = hashlib.sha256(data).hexdigest()

    def result(text: str, fmt: TextFormat, notes: list[str],
               source_map: _SourceMap | None) -> ExtractedText:
        return ExtractedText(text=text, format=fmt, source=source, sha256=sha256,
                             size_bytes=len(data), notes=tuple(notes), _map=source_map)

    if format == "pdf" or (format is None and _looks_like_pdf(data, suffix)):
        text, notes, source_map = _extract_pdf(data, shown)
        return result(text, "pdf", notes, source_map)
    decoded, notes = _decode(data, shown)
    fmt = format or _text_format(decoded, suffix)
    if fmt == "html":
        text, source_map = _extract_html(decoded)
        return result(text, "html", notes, source_map)
    whole = _SourceMap(line_starts=_line_starts(decoded))
    whole.add(0, len(decoded), 0)
    return result(decoded, fmt, notes, whole if decoded else None)


def _looks_like_pdf(data: bytes, suffix: str) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-") or (suffix == ".pdf" and bool(data))


def _text_format(text: str, suffix: str) -> TextFormat:
    head = text[:1024]
    if _HTML_START.match(head):
        return "html"
    if suffix in _MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in _HTML_SUFFIXES or _HTML_TAG.search(head):
        return "html"
    return "text"


_BINARY_FIX = ("give a PDF, HTML, Markdown or plain-text file; save other documents (Word, "
               "images) as PDF with a text layer, or as UTF-8 text")


def _decode(data: bytes, shown: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 — what Chinese product
    documents come in. Binary content is refused rather than audited as mojibake."""
    notes: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _fail(shown, f"has a UTF-16 byte-order mark but is not UTF-16 text "
                        f"(invalid bytes at offset {exc.start})", _BINARY_FIX) from None
        notes.append("decoded as UTF-16 (byte-order mark)")
    else:
        if b"\x00" in data:
            raise _fail(shown, "binary content (NUL bytes), not text", _BINARY_FIX)
        body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            try:
                text = body.decode("gb18030")
            except UnicodeDecodeError:
                raise _fail(
                    shown, f"neither UTF-8 nor GB18030 text (first byte that is not UTF-8 at "
                    f"offset {exc.start})", "save the document as UTF-8 text, or as PDF",
                ) from None
            notes.append(f"not valid UTF-8 (first invalid byte at offset {exc.start}); "
                         "decoded as GB18030")
    sample = text[:_SNIFF_CHARS]
    controls = len(_CONTROL.findall(sample))
    if controls and controls > _MAX_CONTROL_SHARE * len(sample):
        raise _fail(shown, f"binary content: {controls} control characters in the first "
                    f"{len(sample)} characters", _BINARY_FIX)
    return text, notes


# --- HTML -------------------------------------------------------------------------------------

_SKIPPED = frozenset({"script", "style", "template", "noscript"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd",
    "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend",
    "li", "main", "menu", "nav", "ol", "optgroup", "option", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul", "textarea",
})
#: elements a new sibling of the same name implicitly closes (HTML's optional end tags)
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})
#: how far down the open-element stack an end tag looks for its start tag
_MAX_END_TAG_SEARCH = 256
_HTML_SPACE = "[ \t\n\f]"
#: whitespace a browser collapses (any but a lone space, and any at either end of a run);
#: the look-behind lets a match start only where a run starts, keeping the scan linear
_COLLAPSED = re.compile(
    rf"^{_HTML_SPACE}+|(?<!{_HTML_SPACE})(?:{_HTML_SPACE}+\Z|{_HTML_SPACE}{{2,}}|[\t\n\f])")
#: html.unescape's own character-reference pattern, to map decoded text back to the source
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


class _TextBuilder:
    """Appends text segments, inserting a space or line break between them only where one
    is due, and records where each segment came from."""

    def __init__(self, line_starts: array[int]) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.last = ""
        self.pending_space = False
        self.pending_break = False
        self.map = _SourceMap(line_starts=line_starts)

    def space(self) -> None:
        self.pending_space = True

    def line_break(self) -> None:
        self.pending_break = True

    def add(self, text: str, origin: int, *, verbatim: bool, element: str | None) -> None:
        if not text:
            return
        parts = self.parts
        if self.length:
            if self.pending_break:
                if self.last != "\n":
                    parts.append("\n")
                    self.length += 1
            elif self.pending_space and self.last not in " \n":
                parts.append(" ")
                self.length += 1
        self.pending_space = self.pending_break = False
        self.map.add(self.length, self.length + len(text), origin, verbatim=verbatim,
                     element=element)
        parts.append(text)
        self.length += len(text)
        self.last = text[-1]

    def text(self) -> str:
        # no-break spaces become spaces here, in one pass: same length, so the map holds
        return "".join(self.parts).replace("\xa0", " ")


class _VisibleText(HTMLParser):
    """Collects the visible text of an HTML document.

    A text run's extent in the source is known only when the next markup begins, so each
    run is held until then (``_pending``) and placed by the parser's positions.
    """

    def __init__(self, source: str, line_starts: array[int]) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = line_starts
        self.out = _TextBuilder(line_starts)
        self.stack: list[str] = []
        self.pre_depth = 0
        self.skipping: str | None = None
        self.skip_depth = 0
        self._pending: tuple[str, int, str | None, bool] | None = None

    def _position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _flush(self, end: int | None = None) -> None:
        if self._pending is None:
            return
        data, start, element, pre = self._pending
        self._pending = None
        raw = self.source[start:self._position() if end is None else end]
        out = self.out
        for text, offset, verbatim in _atoms(data, raw):
            origin = start + offset
            if not verbatim or pre:
                out.add(text, origin, verbatim=verbatim, element=element)
                continue
            at = 0
            for match in _COLLAPSED.finditer(text):
                out.add(text[at:match.start()], origin + at, verbatim=True, element=element)
                out.space()
                at = match.end()
            out.add(text[at:], origin + at, verbatim=True, element=element)

    def finish(self) -> None:
        self.close()
        self._flush(len(self.source))

    def handle_data(self, data: str) -> None:
        self._flush()
        if self.skipping is None:
            self._pending = (data, self._position(), self.stack[-1] if self.stack else None,
                             self.pre_depth > 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if self.skipping is not None:
            self.skip_depth += tag == self.skipping
            return
        if tag in _SKIPPED:
            self.skipping, self.skip_depth = tag, 1
            return
        if tag in _BLOCKS:
            self.out.line_break()
        if tag in _VOID:
            return
        if self.stack and ((tag == self.stack[-1] and tag in _SELF_CLOSING_SIBLINGS)
                           or (tag in _BLOCKS and self.stack[-1] == "p")):
            self._pop()
        self.stack.append(tag)
        self.pre_depth += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if self.skipping is not None:
            if tag == self.skipping:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skipping = None
            return
        if tag in _BLOCKS:
            self.out.line_break()
        depth = len(self.stack)
        for index in range(depth - 1, max(-1, depth - 1 - _MAX_END_TAG_SEARCH), -1):
            if self.stack[index] == tag:
                while len(self.stack) > index:
                    self._pop()
                break

    def _pop(self) -> None:
        self.pre_depth -= self.stack.pop() == "pre"

    def handle_comment(self, data: str) -> None:
        self._flush()

    def handle_decl(self, decl: str) -> None:
        self._flush()

    def handle_pi(self, data: str) -> None:
        self._flush()

    def unknown_decl(self, data: str) -> None:
        self._flush()


def _atoms(data: str, raw: str) -> list[tuple[str, int, bool]]:
    """Split a text run into (decoded text, offset in ``raw``, verbatim) pieces whose decoded
    texts join to ``data``: literal stretches are verbatim, character references are not.

    Falls back to one coarse piece if the source does not decode to what the parser gave.
    """
    if "&" not in raw:
        return [(data, 0, True)] if raw.startswith(data) else [(data, 0, False)]
    atoms: list[tuple[str, int, bool]] = []
    at = 0
    for match in _CHARREF.finditer(raw):
        if match.start() > at:
            atoms.append((raw[at:match.start()], at, True))
        atoms.append((html.unescape(match.group()), match.start(), False))
        at = match.end()
    if at < len(raw):
        atoms.append((raw[at:], at, True))
    if not "".join(atom[0] for atom in atoms).startswith(data):
        return [(data, 0, False)]
    kept: list[tuple[str, int, bool]] = []
    left = len(data)
    for text, offset, verbatim in atoms:  # drop what lies past the run (never emitted)
        if left <= 0:
            break
        kept.append((text[:left], offset, verbatim))
        left -= len(text)
    return kept


def _extract_html(decoded: str) -> tuple[str, _SourceMap | None]:
    # HTML parsers read CR LF and CR as LF; doing so first keeps every line and column.
    source = decoded.replace("\r\n", "\n").replace("\r", "\n")
    line_starts = _line_starts(source, re.compile("\n"))
    parser = _VisibleText(source, line_starts)
    parser.feed(source)
    parser.finish()
    text = parser.out.text()
    return text, parser.out.map if text else None


# --- PDF --------------------------------------------------------------------------------------


def _extract_pdf(data: bytes, shown: str) -> tuple[str, list[str], _SourceMap | None]:
    """The text layer of every page; pages joined by :data:`PAGE_SEPARATOR`."""
    import pypdfium2

    try:
        document: Any = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) == 4:  # FPDF_ERR_PASSWORD
            raise _fail(shown, "the PDF is encrypted (password-protected)",
                        "save an unprotected copy of the PDF and audit that") from None
        raise _fail(shown, f"not a readable PDF: {str(exc).rstrip('.')}",
                    "the file may be truncated or damaged: download or export it again"
                    ) from None
    pages: list[str] = []
    try:
        for number in range(len(document)):
            page = document[number]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(textpage.get_text_range().replace("\r\n", "\n"))
                finally:
                    textpage.close()
            finally:
                page.close()
    except pypdfium2.PdfiumError as exc:
        raise _fail(shown, f"page {len(pages) + 1} of the PDF cannot be read: "
                    f"{str(exc).rstrip('.')}",
                    "the file may be damaged: download or export it again") from None
    finally:
        document.close()

    notes: list[str] = []
    empty = [number for number, page_text in enumerate(pages, 1) if not page_text.strip()]
    if pages and len(empty) == len(pages):
        notes.append("the PDF has no text layer (a scan?): there is no text to audit — "
                     "run OCR on it first, or audit the document it was made from")
        return "", notes, None
    if empty:
        notes.append("no text layer on page" + ("s " if len(empty) > 1 else " ")
                     + ", ".join(map(str, empty)) + " (scanned images?); not audited")
    source_map = _SourceMap(pages=True)
    at = 0
    for number, page_text in enumerate(pages, 1):
        source_map.add(at, at + len(page_text), number)
        at += len(page_text) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), notes, source_map
