"""The search page as a desk, through FastAPI's TestClient: sorting by a header, paging by key
with its totals, filters and order kept by every link, rows not classified under a rule set
saying so, the counts per category per rule set, and the export of the whole search as CSV,
XLSX and Parquet read back."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from itertools import zip_longest
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pytest

import test_pages  # its import of the TestClient is quiet
from conftest import only_rulesets_installed
from solidcheck.dossier import parse_dossier
from solidcheck.registry import Registry, SearchQuery
from test_pages import TestClient, cell_ids, text_of

# the pages' fixtures: the app on a copy of a registry holding every example
populated_database = test_pages.populated_database
app, client, registry = test_pages.app, test_pages.client, test_pages.registry

NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"


def link(html: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    assert found, rel
    return unescape(found[1])


def shown_rates(html: str) -> list[float | None]:
    """The deciding-rate column as shown, in the rows' order."""
    cells = re.findall(r'<td data-label="Deciding rate \(%\)" class="num">([^<]*)</td>', html)
    return [None if c == "—" else float(c.replace("\u2212", "-")) for c in cells]


def add_bulk(registry: Registry, count: int, *, prefix: str = "BULK") -> None:
    for number in range(count):
        registry.submit(parse_dossier(
            f"id: {prefix}-{number:02d}\nmanufacturer: Bulk Cells\n"
            "electrolyte: {phases: [liquid]}\nconducting_ion: lithium\n"), actor="test")


def test_sorting_by_a_header_orders_every_row_and_says_so(client: TestClient) -> None:
    page = client.get("/")
    header = re.search(r'<th scope="col" class="num"><a href="([^"]+)" class="sort">'
                       r"Deciding rate \(%\)", page.text)
    assert header, "the rate header links to a sort"
    ascending = client.get(unescape(header[1]))
    assert 'aria-sort="ascending"><a href="/?sort=rate&amp;dir=desc"' in ascending.text
    rates = shown_rates(ascending.text)
    filled = [r for r in rates if r is not None]
    assert filled == sorted(filled) and len(filled) >= 10
    assert rates[len(filled):] == [None] * (len(rates) - len(filled))  # no rate: last
    descending = shown_rates(client.get("/?sort=rate&dir=desc").text)
    assert [r for r in descending if r is not None] == sorted(filled, reverse=True)
    assert text_of(client.get("/?sort=rate&dir=desc").text).count("▼") == 1


def test_paging_by_key_counts_rows_and_keeps_filters_and_order(client: TestClient,
                                                               registry: Registry) -> None:
    add_bulk(registry, 25)
    first = client.get("/?q=bulk&sort=cell&dir=asc")
    assert cell_ids(first.text) == [f"BULK-{n:02d}" for n in range(20)]
    assert "25 cells found · rows 1–20 of 25" in text_of(first.text)
    following = link(first.text, "next")
    assert {"q=bulk", "sort=cell", "dir=asc"} <= set(following.split("?", 1)[1].split("&"))
    second = client.get(following)
    assert cell_ids(second.text) == [f"BULK-{n:02d}" for n in range(20, 25)]
    assert "rows 21–25 of 25" in text_of(second.text)
    assert 'rel="next"' not in second.text
    back = client.get(link(second.text, "prev"))
    assert cell_ids(back.text) == cell_ids(first.text)
    assert "rows 1–20 of 25" in text_of(back.text)
    form = second.text.split('id="search-form"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="sort" value="cell">' in form
    assert '<input type="hidden" name="dir" value="asc">' in form


def add_before_csae(registry: Registry, count: int) -> None:
    """Cells stored before CSAE's rule set was installed: no result under it."""
    with only_rulesets_installed(NATIONAL):
        add_bulk(registry, count, prefix="OLD")


def test_rows_not_classified_under_the_rule_set_say_so(client: TestClient,
                                                      registry: Registry) -> None:
    missing = 3
    add_before_csae(registry, missing)
    page = client.get(f"/?ruleset={CSAE}&sort=cell&dir=asc")
    words = text_of(page.text)
    assert words.count(f"not classified under {CSAE}") == missing + 1  # rows + the banner
    assert f"{missing} cells of the registry have no result under {CSAE}" in words
    assert f"solidcheck registry reclassify --ruleset {CSAE}" in words
    row = page.text.split('<a href="/cells/EX-SUL-07">', 1)[1].split("</tr>", 1)[0]
    assert "not classified" not in row and "—</td>" not in row.split("</td>", 4)[3]
    assert "no result under" not in text_of(client.get("/").text)  # the national: all


def test_counts_per_category_per_rule_set(client: TestClient, registry: Registry) -> None:
    registry.reclassify("EX-HSL-10", ruleset=CSAE, actor="test")
    page = client.get("/?category=hybrid_solid_liquid")
    national, csae = registry.search_counts(SearchQuery(category="hybrid_solid_liquid"),
                                            rulesets=["gbt-ssb-1-2026", CSAE])
    table = page.text.split('class="desk-counts-table"', 1)[1].split("</table>", 1)[0]
    hybrid = table.split("hybrid solid-liquid battery</th>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r">(\d+)</td>", hybrid) == [
        str(national.by_category["hybrid_solid_liquid"]),
        str(csae.by_category.get("hybrid_solid_liquid", 0))]
    unclassified = table.split("not classified</th>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r">(\d+)</td>", unclassified) == ["0", str(csae.unclassified)]
    svg = page.text.split('<svg class="plot counts"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert f"{CSAE}: " in svg


def test_a_bad_order_or_page_link_is_one_clear_message(client: TestClient,
                                                       registry: Registry) -> None:
    add_bulk(registry, 10)
    for query in ("sort=colour", "dir=up", "after=bm90LWEtY3Vyc29y", "after=x&before=y"):
        page = client.get(f"/?{query}")
        assert page.status_code == 422, query
        assert "There is a problem" in text_of(page.text), query
        assert "Traceback" not in page.text
    first = client.get("/?sort=rate&dir=desc")
    stale = link(first.text, "next").replace("sort=rate", "sort=cell")
    assert "start again from the first page" in text_of(client.get(stale).text)


def test_chinese_desk(client: TestClient, registry: Registry) -> None:
    add_before_csae(registry, 1)
    words = text_of(client.get(f"/?lang=zh&ruleset={CSAE}").text)
    assert f"未按 {CSAE} 分类" in words and "导出本次检索" in words and "第 1–" in words
    assert "判定失重率（%）" in words


# --------------------------------------------------------------------------- export

def exported(client: TestClient, suffix: str, query: str) -> tuple[Any, list[dict[str, Any]]]:
    response = client.get(f"/search.{suffix}?{query}")
    assert response.status_code == 200, response.text[:300]
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="solidcheck-search-[\w.-]+\.{suffix}"',
                        disposition)
    if suffix == "csv":
        rows = list(csv.DictReader(io.StringIO(response.text)))
    elif suffix == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip_longest(values[0], row)) for row in values[1:]]  # empty: not kept
    else:
        rows = pq.read_table(io.BytesIO(response.content)).to_pylist()
    return response, rows


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet"])
def test_export_is_the_whole_search_in_its_order(client: TestClient, registry: Registry,
                                                  suffix: str) -> None:
    add_bulk(registry, 25)
    registry.reclassify("EX-HSL-10", ruleset=CSAE, actor="test")
    query = SearchQuery(ruleset=CSAE, sort="rate", descending=True)
    wanted = [row for page in registry.search_all(query, published_only=True) for row in page]
    assert len(wanted) > 20  # more than the page shows
    page = client.get(f"/?ruleset={CSAE}&sort=rate&dir=desc")
    href = unescape(re.search(rf'<a href="(/search\.{suffix}[^"]+)" download>', page.text)[1])
    _, rows = exported(client, suffix, href.split("?", 1)[1])
    assert [r["cell_id"] for r in rows] == [w.cell_id for w in wanted]
    for got, want in zip(rows, wanted, strict=True):
        rate = got["weight_loss_percent"]
        # XLSX keeps 15 significant digits, as spreadsheets do
        assert (None if rate in ("", None) else float(rate)) == (
            None if want.weight_loss_percent is None
            else pytest.approx(want.weight_loss_percent, rel=1e-14))
        assert str(got["classified"]).lower() == str(want.result_id is not None).lower()
        assert (got["category"] or None) == want.category
        assert got["ruleset"] == CSAE
    classified = next(r for r in rows if r["cell_id"] == "EX-HSL-10")
    assert float(classified["margin_percent"]) == pytest.approx(-3.2)


def test_export_keeps_the_filters(client: TestClient) -> None:
    _, rows = exported(client, "csv", "category=solid_state&ion=sodium")
    assert {r["cell_id"] for r in rows} == {"EX-GAIN-15", "EX-POL-NA-03"}


def test_an_export_of_a_bad_search_is_refused_and_an_unknown_format_is_not_found(
        client: TestClient) -> None:
    refused = client.get("/search.csv?category=plasma")
    assert refused.status_code == 422
    assert "This search cannot be exported" in text_of(refused.text)
    assert client.get("/search.docx").status_code == 404


def test_a_text_that_looks_like_a_formula_stays_text(client: TestClient,
                                                     registry: Registry) -> None:
    """A maker named like a spreadsheet formula is not run by the spreadsheet opening the
    export (CSV: a leading apostrophe; XLSX: a text cell)."""
    maker = '=HYPERLINK("http://example.invalid","open")'
    registry.submit(parse_dossier(f"id: FORMULA-1\nmanufacturer: '{maker}'\n"
                                  "electrolyte: {phases: [liquid]}\nconducting_ion: lithium\n"),
                    actor="test")
    _, rows = exported(client, "csv", "q=formula")
    assert [r["manufacturer"] for r in rows] == ["'" + maker]
    response = client.get("/search.xlsx?q=formula")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == (maker, "s")
    _, typed = exported(client, "parquet", "q=formula")
    assert [r["manufacturer"] for r in typed] == [maker]
