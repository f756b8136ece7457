"""The search desk's reads on SQLite and PostgreSQL: every order pages by key through every
row once, in the order of its values, with the right totals and places; counts per category
under each rule set; a page link of another order is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import only_rulesets_installed
from solidcheck.dossier import load_dossier
from solidcheck.errors import InvalidInputError
from solidcheck.model import CATEGORIES
from solidcheck.registry import SORT_KEYS, Registry, SearchQuery, SearchRow

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")])
NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    with Registry.open(database_url, create=True) as opened:
        with only_rulesets_installed(NATIONAL):  # CSAE's installed afterwards: gaps under it
            for example in EXAMPLE_FILES:
                opened.submit(load_dossier(example), actor="test")
        opened.reclassify("EX-SUL-07", ruleset=CSAE, actor="test")
        opened.reclassify("EX-HSL-10", ruleset=CSAE, actor="test")
        yield opened


def sort_value(row: SearchRow, sort: str) -> Any:
    return {"updated": row.updated_at, "cell": row.cell_id, "manufacturer": row.manufacturer,
            "model": row.model, "category": row.category, "electrolyte": row.electrolyte_type,
            "ion": row.conducting_ion, "code": row.code, "rate": row.weight_loss_percent,
            "margin": row.margin_percent}[sort]


CATEGORY_ORDER = list(CATEGORIES)  # the standard's order, as the category filter lists them


def expected_order(rows: list[SearchRow], sort: str, descending: bool) -> list[str]:
    """The order a reader expects: by the column's value (categories in the standard's
    order), empty values last either way, ties by cell id in the same direction."""
    def key(row: SearchRow) -> Any:
        value = sort_value(row, sort)
        if sort == "category" and value is not None:
            value = CATEGORY_ORDER.index(value)
        return value

    filled = [r for r in rows if key(r) is not None]
    empty = sorted((r for r in rows if key(r) is None), key=lambda r: r.cell_id,
                   reverse=descending)
    filled.sort(key=lambda r: (key(r), r.cell_id), reverse=descending)
    return [r.cell_id for r in filled + empty]


@pytest.mark.parametrize("descending", [False, True])
def test_every_order_pages_by_key_through_every_row_once(registry: Registry,
                                                         descending: bool) -> None:
    for sort in SORT_KEYS:
        query = SearchQuery(sort=sort, descending=descending)
        pages = []
        after = None
        while True:
            page = registry.search_cells(query, after=after, limit=4)
            if not page.rows:
                break
            assert page.total == len(EXAMPLE_FILES)
            assert page.first_position == 4 * len(pages) + 1, sort
            pages.append(page)
            after = page.rows[-1].cursor
        rows = [row for page in pages for row in page.rows]
        assert [r.cell_id for r in rows] == expected_order(rows, sort, descending), sort
        assert len({r.cell_id for r in rows}) == len(EXAMPLE_FILES)
        back = registry.search_cells(query, before=pages[1].rows[0].cursor, limit=4)
        assert [r.cell_id for r in back.rows] == [r.cell_id for r in pages[0].rows]
        assert back.first_position == 1


def test_rows_carry_the_deciding_rate_and_its_margin(registry: Registry) -> None:
    stored = {row.cell_id: row for page in registry.search_all(SearchQuery(), page_rows=5)
              for row in page}
    assert len(stored) == len(EXAMPLE_FILES)
    for cell_id, row in stored.items():
        result = next(r.result for r in registry.get_cell(cell_id).results
                      if r.result.ruleset == NATIONAL)
        if result.weight_loss is None:
            assert row.weight_loss_percent is None and row.margin_percent is None
        else:
            assert row.weight_loss_percent == result.weight_loss.percent
            assert row.limit_percent == result.weight_loss.limit_percent
            assert row.margin_percent == result.weight_loss.margin_percent
    assert stored["EX-HSL-10"].weight_loss_percent == 4.2


def test_filters_and_counts_per_rule_set(registry: Registry) -> None:
    liquid_or_hybrid = SearchQuery(text="EX-", category="hybrid_solid_liquid")
    found = registry.search_cells(liquid_or_hybrid, limit=50)
    hybrids = {r.cell_id for r in found.rows}
    assert found.total == len(hybrids) and "EX-HSL-10" in hybrids
    national, csae = registry.search_counts(liquid_or_hybrid, rulesets=[NATIONAL, CSAE])
    assert national.by_category == {"hybrid_solid_liquid": len(hybrids)}
    assert national.unclassified == 0
    classified_under_csae = {"EX-SUL-07", "EX-HSL-10"} & hybrids
    assert sum(csae.by_category.values()) == len(classified_under_csae)
    assert csae.unclassified == len(hybrids) - len(classified_under_csae)

    everything = registry.search_counts(SearchQuery(ruleset=CSAE), rulesets=[CSAE])[0]
    assert everything.unclassified == len(EXAMPLE_FILES) - 2
    under_csae = registry.search_cells(SearchQuery(ruleset=CSAE, sort="cell"), limit=50).rows
    assert {r.cell_id for r in under_csae if r.result_id} == {"EX-SUL-07", "EX-HSL-10"}
    assert all(r.ruleset == CSAE for r in under_csae)


def test_unpublished_cells_are_hidden_from_public_searches(registry: Registry) -> None:
    _, secret = registry.create_api_key(role="lab", name="Lab B", actor="test")
    draft = load_dossier(EXAMPLES / "liquid-lfp.yaml").model_copy(update={"id": "DRAFT-1"})
    registry.submit(draft, actor="test", publish=False, lab="Lab B")
    public = registry.search_cells(SearchQuery(text="draft"), published_only=True)
    assert public.total == 0
    own = registry.search_cells(SearchQuery(text="draft"), published_only=True, lab="Lab B")
    assert [r.cell_id for r in own.rows] == ["DRAFT-1"]
    counts = registry.search_counts(SearchQuery(), rulesets=[NATIONAL], published_only=True)
    assert counts[0].total == len(EXAMPLE_FILES)
    assert secret


def test_a_page_link_of_another_order_is_refused(registry: Registry) -> None:
    first = registry.search_cells(SearchQuery(sort="rate"), limit=3)
    with pytest.raises(InvalidInputError, match="first page"):
        registry.search_cells(SearchQuery(sort="cell"), after=first.rows[-1].cursor)
    with pytest.raises(InvalidInputError, match="first page"):
        registry.search_cells(SearchQuery(), before="not-a-cursor")


def test_a_public_search_shows_the_newest_published_version(registry: Registry) -> None:
    changed = load_dossier(EXAMPLES / "liquid-lfp.yaml")
    changed = changed.model_copy(update={"model": "changed, not yet published"})
    assert registry.submit(changed, actor="test", publish=False).version == 2
    public = registry.search_cells(SearchQuery(text=changed.id), published_only=True)
    assert [(r.cell_id, r.version) for r in public.rows] == [(changed.id, 1)]
    assert public.rows[0].model != changed.model and public.rows[0].result_id
    operator = registry.search_cells(SearchQuery(text=changed.id))
    assert [(r.version, r.model) for r in operator.rows] == [(2, changed.model)]
