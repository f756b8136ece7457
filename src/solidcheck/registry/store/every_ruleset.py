"""Every cell under every installed rule set (issue 20): a dossier classified under each of
them when it is stored, the whole registry reclassified a page of cells per transaction, and
how many cells still lack a result under a rule set.

A result already stored for the same dossier version, rule set and solidcheck version is
never written again (``cells.result_for``'s rule), so reclassifying twice writes nothing the
second time; every result written is a ``result.create`` entry of the audit log, as
``Registry.submit`` writes it, so ``verify_chain`` stays intact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, cast

from sqlalchemy import exists, func, select

from ..._version import __version__
from ...classify import classify
from ...model import Category, Dossier, Result
from ...rules import Ruleset, available_rulesets, ruleset_by_id
from ..records import CategoryChange, ReclassifyReport, RulesetTally
from ..schema import Cell, DossierVersion, ResultRow
from . import cells
from ._shared import now

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..schema import ChainHead

__all__ = ["DEFAULT_PAGE_CELLS", "EveryRulesetMixin", "classified_everywhere",
           "rulesets_named"]

#: cells reclassified in one write transaction: other writers wait for it, so it is short —
#: a result written (classified, logged, flushed) takes about 4 ms on SQLite, so a page under
#: one new rule set holds the write lock about 0.4 s
DEFAULT_PAGE_CELLS = 100


def rulesets_named(ruleset: Ruleset | str | None = None) -> list[Ruleset]:
    """The rule sets a reclassification covers: the one named (an installed id), else every
    installed one, the default first. An unknown id is ``UnknownRulesetError``."""
    if ruleset is None:
        return available_rulesets()
    return [ruleset if isinstance(ruleset, Ruleset) else ruleset_by_id(ruleset)]


def classified_everywhere(dossier: Dossier, primary: Ruleset) -> list[Result]:
    """The dossier's result under ``primary`` first, then under every other installed rule
    set: what storing a dossier keeps, so no rule set's view of the registry has a gap."""
    others = [r for r in available_rulesets() if r.id != primary.id]
    return [classify(dossier, rules) for rules in (primary, *others)]


class _PageResults:
    """The stored results of a page's cells, read once: which (version, rule set) pairs this
    solidcheck has classified, the category a cell last had under each rule set, and whether
    each version's results are published."""

    def __init__(self, session: Session, cell_pks: Sequence[int]) -> None:
        self.current: set[tuple[int, str]] = set()
        self.last_category: dict[tuple[int, str], Category] = {}
        self.first_published: dict[int, bool] = {}
        rows = session.execute(
            select(ResultRow.cell_id, ResultRow.dossier_version_id, ResultRow.ruleset,
                   ResultRow.solidcheck_version, ResultRow.category, ResultRow.published)
            .where(ResultRow.cell_id.in_(cell_pks))
            .order_by(ResultRow.created_at, ResultRow.id))
        for cell_pk, version_pk, ruleset, made_by, category, published in rows:
            if made_by == __version__:
                self.current.add((version_pk, ruleset))
            self.last_category[(cell_pk, ruleset)] = cast("Category", category)
            self.first_published.setdefault(version_pk, bool(published))


class EveryRulesetMixin:
    """The reclassification of the whole registry and its gaps, for ``Registry``."""

    if TYPE_CHECKING:
        def _reading(self) -> AbstractContextManager[Session]: ...
        def _writing(self) -> AbstractContextManager[tuple[Session, ChainHead]]: ...

    def reclassify_all(self, *, actor: str, ruleset: Ruleset | str | None = None,
                       page_cells: int = DEFAULT_PAGE_CELLS) -> Iterator[ReclassifyReport]:
        """Classify every cell's latest version under every installed rule set (or the one
        named), one write transaction per page of ``page_cells`` cells by cell id, as
        ``latest_dossiers`` reads them: a stop loses at most the page under way, and running
        again carries on where it was. Yields what each page did (sum them with
        ``ReclassifyReport.combined``). A new result is published as the version's earlier
        results are; results already there are left as they are."""
        if page_cells < 1:
            raise ValueError("page_cells must be at least 1")
        covered = rulesets_named(ruleset)
        after = ""
        while True:
            with self._writing() as (session, head):
                page = session.scalars(select(Cell).where(Cell.dossier_id > after)
                                       .order_by(Cell.dossier_id).limit(page_cells)).all()
                if not page:
                    return
                report = _reclassify_page(session, head, page, covered, actor=actor)
            after = page[-1].dossier_id
            yield report

    def cells_without_result(self, ruleset_id: str) -> int:
        """How many cells have no result under the rule set for their latest version (by
        any solidcheck version): the gap a page names ("not classified under … yet") and
        ``solidcheck registry reclassify`` fills."""
        ruleset_id = ruleset_by_id(ruleset_id).id
        classified = exists().where(ResultRow.cell_id == Cell.id,  # indexed: no scan
                                    ResultRow.dossier_version_id == DossierVersion.id,
                                    ResultRow.ruleset == ruleset_id)
        query = (select(func.count()).select_from(Cell)
                 .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                       & (DossierVersion.version == Cell.latest_version))
                 .where(~classified))
        with self._reading() as session:
            return session.scalar(query) or 0


def _reclassify_page(session: Session, head: ChainHead, page: Sequence[Cell],
                     covered: Sequence[Ruleset], *, actor: str) -> ReclassifyReport:
    versions = {v.cell_id: v for v in session.scalars(
        select(DossierVersion).join(Cell, (Cell.id == DossierVersion.cell_id)
                                    & (DossierVersion.version == Cell.latest_version))
        .where(Cell.id.in_([cell.id for cell in page])))}
    stored = _PageResults(session, [cell.id for cell in page])
    written = dict.fromkeys((r.id for r in covered), 0)
    changes: dict[tuple[str, Category, Category], int] = {}
    at = now()
    for cell in page:
        version = versions[cell.id]
        dossier: Dossier | None = None
        for rules in covered:
            if (version.id, rules.id) in stored.current:
                continue
            if dossier is None:
                dossier = cells.stored_dossier(version.content, cell.dossier_id,
                                               version.version)
            result = classify(dossier, rules)
            cells.add_result(session, head, cell, version, result, actor=actor,
                             publish=stored.first_published.get(version.id, True), now=at)
            written[rules.id] += 1
            before = stored.last_category.get((cell.id, rules.id))
            if before is not None and before != result.category:
                key = (rules.id, before, result.category)
                changes[key] = changes.get(key, 0) + 1
    return ReclassifyReport(cells=len(page), rulesets=[
        RulesetTally(ruleset=rules.id, written=written[rules.id],
                     unchanged=len(page) - written[rules.id],
                     changes=[CategoryChange(before=before, after=after, cells=count)
                              for (ruleset_id, before, after), count in sorted(changes.items())
                              if ruleset_id == rules.id])
        for rules in covered])
