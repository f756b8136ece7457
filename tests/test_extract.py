"""Text extraction for the claims audit: what counts as the text of a text, Markdown, HTML or
PDF document, and how an offset into it leads back to the source file.

Every document is made by the test: PDFs with WeasyPrint from HTML (English and Chinese, the
Noto CJK fonts make the Chinese real text), encrypted ones with pypdf.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

import pypdf
import pytest
import weasyprint
from hypothesis import given, settings
from hypothesis import strategies as st

import solidcheck
from solidcheck.claims import extract
from solidcheck.claims.extract import (
    PAGE_SEPARATOR,
    ExtractedText,
    extract_from_bytes,
    extract_text,
)
from solidcheck.claims.model import SourceLocation
from solidcheck.errors import InvalidInputError, TextExtractionError

PROPERTY = settings(max_examples=100, deadline=None)


def at(result: ExtractedText, word: str, occurrence: int = 0) -> SourceLocation | None:
    """The location of the ``occurrence``-th ``word`` in the extracted text."""
    start = -1
    for _ in range(occurrence + 1):
        start = result.text.index(word, start + 1)
    return result.locate(start, start + len(word))


def source_at(source: str, location: SourceLocation | None, length: int) -> str:
    """The source text a line/column location points at."""
    assert location is not None and location.line is not None and location.column is not None
    line = source.split("\n")[location.line - 1]
    return line[location.column - 1:location.column - 1 + length]


# --- plain text and Markdown --------------------------------------------------------------------


def test_utf8_text_is_kept_verbatim_and_located_by_line_and_column(tmp_path: Path) -> None:
    content = "Our cells are solid-state.\r\nThey reach 400 Wh/kg\r\nat 25 °C.\n"
    path = tmp_path / "claims.txt"
    path.write_bytes(content.encode("utf-8"))
    result = extract_text(path)
    assert result.text == content  # line endings too: offsets are offsets into the file
    assert (result.format, result.source, result.notes) == ("text", "claims.txt", ())
    assert result.characters == len(content)
    assert result.size_bytes == len(content.encode())
    assert result.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert at(result, "400") == SourceLocation(line=2, column=12)
    assert at(result, "°C") == SourceLocation(line=3, column=7)
    assert result.locate(len(content), len(content)) == SourceLocation(line=4, column=1)


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "半固态电池\n固液混合".encode())
    result = extract_text(path)
    assert result.text == "半固态电池\n固液混合"
    assert at(result, "电池") == SourceLocation(line=1, column=4)
    assert at(result, "混合") == SourceLocation(line=2, column=3)


def test_gb18030_chinese_text_is_decoded_and_says_so(tmp_path: Path) -> None:
    content = "本产品采用全固态电池技术，能量密度达到 400 Wh/kg。\n第二行：固液混合电解质"
    path = tmp_path / "新闻稿.txt"
    path.write_bytes(content.encode("gb18030"))
    result = extract_text(path)
    assert result.text == content
    assert result.source == "新闻稿.txt"
    assert any("GB18030" in note for note in result.notes)
    assert at(result, "固液混合") == SourceLocation(line=2, column=5)


def test_utf16_with_byte_order_mark_is_text() -> None:
    result = extract_from_bytes("\ufeff全固态 all-solid-state".encode("utf-16-le"),
                                source="notepad.txt")
    assert result.text == "全固态 all-solid-state"
    assert any("UTF-16" in note for note in result.notes)


def test_markdown_is_audited_as_written(tmp_path: Path) -> None:
    content = "# The **all-solid-state** cell\n\n- [spec](https://example.com): *400 Wh/kg*\n"
    path = tmp_path / "README.md"
    path.write_text(content, encoding="utf-8")
    result = extract_text(path)
    assert result.format == "markdown"
    assert result.text == content  # markup included
    assert at(result, "all-solid-state") == SourceLocation(line=1, column=9)
    assert at(result, "400") == SourceLocation(line=3, column=33)


def test_empty_file_gives_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = extract_text(path)
    assert (result.text, result.characters, result.format) == ("", 0, "text")
    assert result.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert result.locate(0, 0) is None


def test_locate_refuses_a_range_outside_the_text() -> None:
    result = extract_from_bytes(b"solid", source="a.txt")
    for start, end in [(-1, 2), (3, 2), (0, 6)]:
        with pytest.raises(ValueError, match="outside the extracted text"):
            result.locate(start, end)


@pytest.mark.parametrize(("content", "name", "expected"), [
    (b"<!DOCTYPE html><title>x</title>", "page.txt", "html"),
    (b"\xef\xbb\xbf  <html lang=en><body>x", "download", "html"),
    (b"<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'>x</html>", "a", "html"),
    (b"Press release\n<p>Our cells</p>", "release.txt", "html"),
    (b"plain words, no tags", "page.html", "html"),
    (b"# Title\n<br>\ntext", "notes.md", "markdown"),
    (b"# Title", "notes.markdown", "markdown"),
    (b"<!doctype html><p>x", "notes.md", "html"),
    (b"1 < 2 and a <b> tag", "notes.txt", "text"),
    (b"%PDF-", "x.txt", "pdf"),
])
def test_format_is_recognised_by_content_with_the_extension_as_hint(
        content: bytes, name: str, expected: str) -> None:
    if expected == "pdf":
        with pytest.raises(TextExtractionError, match="not a readable PDF"):
            extract_from_bytes(content, source=name)
        return
    assert extract_from_bytes(content, source=name).format == expected


def test_an_explicit_format_wins() -> None:
    content = b"<p>solid&amp;state</p>"
    assert extract_from_bytes(content, source="a.html", format="text").text == content.decode()
    assert extract_from_bytes(content, source="a.txt", format="html").text == "solid&state"


# --- HTML ---------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Acme &amp; Sons — Batteries</title>
  <style>p { content: "semi-solid in a style"; }</style>
  <script>document.write("<p>solid-state in a script</p>");</script>
</head>
<body>
  <!-- a comment about all-solid-state cells -->
  <h1>The   all-solid-state
      battery</h1>
  <p>Energy&nbsp;density: 400&nbsp;Wh/kg &lt;measured&gt;,
     cycle life &gt; 1000 <img src="cell.png" alt="alt text is not visible">cycles.</p>
  <ul><li>First item<li>Second item: quasi-solid</ul>
  <div>Table:<table><tr><td>cell A</td><td>cell B</td></tr></table>after</div>
  <p>One<br>two<br/>three</p>
  <template><p>template text</p></template>
  <noscript>noscript text</noscript>
  <pre>kept
  as is</pre>
</body>
</html>
"""


@pytest.fixture(scope="module")
def page() -> ExtractedText:
    return extract_from_bytes(PAGE.encode(), source="page.html")


def test_html_is_recognised_and_gives_the_visible_text(page: ExtractedText) -> None:
    assert page.format == "html"
    assert page.text == (
        "Acme & Sons — Batteries\n"
        "The all-solid-state battery\n"
        "Energy density: 400 Wh/kg <measured>, cycle life > 1000 cycles.\n"
        "First item\nSecond item: quasi-solid\n"
        "Table:\ncell A\ncell B\nafter\n"
        "One\ntwo\nthree\n"
        "kept\n  as is"
    )


def test_html_leaves_out_what_a_reader_does_not_see(page: ExtractedText) -> None:
    for hidden in ["in a style", "in a script", "comment", "alt text", "template text",
                   "noscript", "charset", "cell.png"]:
        assert hidden not in page.text


def test_html_locate_gives_source_line_column_and_element(page: ExtractedText) -> None:
    expected = {
        "Sons": (5, 21, "title"),
        "all-solid-state": (11, 13, "h1"),
        "battery": (12, 7, "h1"),
        "400": (13, 27, "p"),
        "cycle": (14, 6, "p"),
        "cycles": (14, 77, "p"),
        "quasi-solid": (15, 38, "li"),
        "cell B": (16, 44, "td"),
        "after": (16, 68, "div"),
        "three": (17, 21, "p"),
        "as is": (21, 3, "pre"),
    }
    for word, (line, column, element) in expected.items():
        location = at(page, word)
        assert location == SourceLocation(line=line, column=column, element=element), word
        assert source_at(PAGE, location, len(word)) == word


def test_html_entities_locate_to_the_reference(page: ExtractedText) -> None:
    location = at(page, "<measured>")
    assert location == SourceLocation(line=13, column=42, element="p")
    assert source_at(PAGE, location, 4) == "&lt;"
    # a range that starts in a separator the extraction inserted is placed at its next text
    start = page.text.index("\nThe")
    assert page.locate(start, start + 4) == SourceLocation(line=11, column=7, element="h1")
    assert page.locate(start, start + 1) is None


def test_html_in_chinese_and_in_gb18030() -> None:
    source = ('<html><head><meta charset="gb18030"><title>新品发布</title></head>\n<body>\n'
              '<h2>半固态电池</h2>\n<p>采用&ldquo;全固态&rdquo;电解质，\n'
              '能量密度 400&nbsp;Wh/kg。</p>\n'
              '</body></html>')
    result = extract_from_bytes(source.encode("gb18030"), source="发布.html")
    assert result.text == "新品发布\n半固态电池\n采用“全固态”电解质， 能量密度 400 Wh/kg。"
    assert at(result, "全固态") == SourceLocation(line=4, column=13, element="p")
    assert at(result, "能量") == SourceLocation(line=5, column=1, element="p")
    assert at(result, "半固态") == SourceLocation(line=3, column=5, element="h2")


def test_html_with_crlf_line_endings_locates_the_same_lines() -> None:
    source = "<html>\r\n<body>\r\n<p>first\r\nsecond solid</p>\r\n</body></html>"
    result = extract_from_bytes(source.encode(), source="a.htm")
    assert result.text == "first second solid"
    assert at(result, "solid") == SourceLocation(line=4, column=8, element="p")


def test_malformed_html_still_gives_text() -> None:
    result = extract_from_bytes(b"<p>a < b &amp c &#xZZ; <div class='x>broken", source="a.html")
    assert result.text.startswith("a < b & c &#xZZ;")
    assert result.locate(0, result.characters) is not None


# --- PDF ----------------------------------------------------------------------------------------

TWO_PAGES = """<html><body style="font-family: 'Noto Sans CJK SC', sans-serif">
<p>Page one: our semi-solid battery, 350 Wh/kg.</p>
<p style="break-before: page">第二页：全固态电池 all-solid-state</p>
</body></html>"""


@pytest.fixture(scope="module")
def two_page_pdf() -> bytes:
    return bytes(weasyprint.HTML(string=TWO_PAGES).write_pdf())


def test_pdf_text_layer_by_page(two_page_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "datasheet.pdf"
    path.write_bytes(two_page_pdf)
    result = extract_text(path)
    assert result.format == "pdf"
    assert result.notes == ()
    first, second = result.text.split(PAGE_SEPARATOR)
    assert first == "Page one: our semi-solid battery, 350 Wh/kg."
    assert second == "第二页：全固态电池 all-solid-state"
    assert at(result, "semi-solid") == SourceLocation(page=1)
    assert at(result, "全固态") == SourceLocation(page=2)
    assert at(result, "all-solid-state") == SourceLocation(page=2)
    separator = result.text.index(PAGE_SEPARATOR)
    assert result.locate(separator, separator + len(PAGE_SEPARATOR)) is None
    assert result.locate(separator, result.characters) == SourceLocation(page=2)


def test_pdf_is_recognised_by_content_whatever_its_name(two_page_pdf: bytes) -> None:
    assert extract_from_bytes(two_page_pdf, source="download").format == "pdf"


def test_pdf_without_text_layer_is_empty_with_a_note() -> None:
    blank = weasyprint.HTML(string="<html><body style='background: grey'></body></html>")
    result = extract_from_bytes(bytes(blank.write_pdf()), source="scan.pdf")
    assert result.text == ""
    assert result.locate(0, 0) is None
    assert len(result.notes) == 1 and "no text layer" in result.notes[0]


def test_pdf_with_a_page_without_text_says_which() -> None:
    html = ("<p>text on page one</p><div style='break-before: page; height: 1cm'></div>"
            "<p style='break-before: page'>page three</p>")
    result = extract_from_bytes(bytes(weasyprint.HTML(string=html).write_pdf()), source="a.pdf")
    assert result.text.split(PAGE_SEPARATOR) == ["text on page one", "", "page three"]
    assert at(result, "three") == SourceLocation(page=3)
    assert result.notes == ("no text layer on page 2 (scanned images?); not audited",)


def test_encrypted_pdf_is_refused_with_a_fix(two_page_pdf: bytes) -> None:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(two_page_pdf))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(TextExtractionError) as caught:
        extract_from_bytes(buffer.getvalue(), source="locked.pdf")
    assert str(caught.value) == (
        "invalid document locked.pdf: 1 problem\n"
        "  - (top level): the PDF is encrypted (password-protected) — save an unprotected "
        "copy of the PDF and audit that"
    )


def test_truncated_pdf_is_refused_with_a_fix(two_page_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(two_page_pdf[: len(two_page_pdf) // 2])
    with pytest.raises(TextExtractionError) as caught:
        extract_text(path)
    message = str(caught.value)
    assert message.startswith(f"invalid document {path}: 1 problem\n  - (top level): "
                              "not a readable PDF: ")
    assert "truncated or damaged" in message
    assert "Traceback" not in message
    assert caught.value.__suppress_context__  # no chained PDFium traceback


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (bytes(range(256)) * 64, r"binary content \(NUL bytes\)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8, "neither UTF-8 nor GB18030"),
    (b"text\x01\x02\x03\x04\x05\x06 with \x07\x08 control \x0e\x0f characters",
     "control characters"),
])
def test_binary_garbage_is_refused(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    with pytest.raises(TextExtractionError, match=message) as caught:
        extract_text(path)
    assert isinstance(caught.value, InvalidInputError)
    assert str(caught.value).startswith(f"invalid document {path}: 1 problem")
    assert "save" in str(caught.value)  # the fix


def test_oversize_input_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(extract, "MAX_INPUT_BYTES", 1024)
    path = tmp_path / "big.txt"
    path.write_bytes(b"solid " * 200)
    for call in (lambda: extract_text(path),
                 lambda: extract_from_bytes(path.read_bytes(), source="big.txt")):
        with pytest.raises(TextExtractionError, match=r"over 0 MiB are not audited") as caught:
            call()
        assert "split the document" in str(caught.value)
    assert extract_from_bytes(b"solid", source="small.txt").text == "solid"


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(TextExtractionError, match=r"no such file: .*nope\.pdf"):
        extract_text(tmp_path / "nope.pdf")
    with pytest.raises(TextExtractionError, match="a folder, not a file"):
        extract_text(tmp_path)
    with pytest.raises(TextExtractionError, match="unknown document format 'docx'"):
        extract_from_bytes(b"x", source="a", format="docx")  # type: ignore[arg-type]


def test_error_is_exported_from_the_package() -> None:
    assert solidcheck.TextExtractionError is TextExtractionError
    assert "TextExtractionError" in solidcheck.__all__


# --- size ---------------------------------------------------------------------------------------


def test_multi_megabyte_inputs_extract_and_locate_quickly() -> None:
    paragraph = ("<p>Our <b>semi-solid</b> cells reach 350&nbsp;Wh/kg &amp; more.\n"
                 "   全固态电池 is the next step.</p>\n")
    source = "<html><body>\n" + paragraph * 40_000 + "</body></html>"  # ~4 MB
    started = time.perf_counter()
    html = extract_from_bytes(source.encode(), source="big.html")
    text = extract_from_bytes(("solid line\n" * 400_000).encode(), source="big.txt")
    assert time.perf_counter() - started < 30  # generous: CI machines are slow
    last = html.text.rindex("全固态")
    assert html.locate(last, last + 3) == SourceLocation(line=80_001, column=4, element="p")
    assert text.locate(text.characters - 5, text.characters) == SourceLocation(
        line=400_000, column=7)


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(st.text())
def test_any_utf8_text_is_extracted_verbatim(content: str) -> None:
    try:
        result = extract_from_bytes(content.encode("utf-8"), source="a.txt", format="text")
    except TextExtractionError as error:  # only for NUL bytes or many control characters
        assert "binary content" in str(error)
        return
    assert result.text == content.removeprefix("\ufeff")


HTML_PIECES = st.sampled_from([
    "<p>", "</p>", "<div class='a'>", "</div>", "<br>", "<br/>", "<li>", "<ul>", "</ul>",
    "<script>", "</script>", "<style>", "</style>", "<pre>", "</pre>", "<title>", "</title>",
    "<!-- c -->", "<!--", "-->", "<!DOCTYPE html>", "<?pi?>", "<![CDATA[x]]>", "<", ">", "&",
    "&amp;", "&nbsp;", "&lt;", "&#x534A;", "&#65;", "&bogus;", "&ampx", "&#", "<img alt='a'>",
    "<template>", "</template>", "<noscript>", "</noscript>", "<b>", "</b>", "\n", "\r\n", " ",
    "\t", "  ", "\xa0", "solid", "state", "全固态", "电池", "<p", "</", "='", '"',
])


@st.composite
def html_documents(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(HTML_PIECES, st.text(max_size=5)), max_size=40))
    return "".join(pieces)


@PROPERTY
@given(html_documents(), st.data())
def test_any_html_ish_input_extracts_and_locates(source: str, data: st.DataObject) -> None:
    try:
        result = extract_from_bytes(source.encode("utf-8"), source="x.html", format="html")
    except TextExtractionError as error:
        assert "binary content" in str(error)
        return
    size = result.characters
    for _ in range(5):
        start = data.draw(st.integers(0, size))
        end = data.draw(st.integers(start, size))
        location = result.locate(start, end)
        if location is not None:
            assert location.line is not None and location.column is not None
    # verbatim segments point at exactly their own characters in the (LF-normalised) source
    normalised = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    source_map = result._map
    if source_map is None:
        assert result.text == ""
        return
    for index, start in enumerate(source_map.starts):
        end = source_map.ends[index]
        origin = source_map.origins[index]
        if source_map.verbatim[index]:
            original = normalised[origin:origin + end - start].replace("\xa0", " ")
            assert original == result.text[start:end]
