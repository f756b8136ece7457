"""The summary of a batch run: rows, categories per rule set, how categories move from the
first rule set to the others, and a histogram of the deciding weight-loss rates.

Both engines build it from their results tables, chunk by chunk or partition by partition,
and the figure of a run (``report/batch.py``) draws it; it needs only Arrow and NumPy, so
drawing it loads neither engine (nor Polars).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["RATE_BINS", "RATE_BIN_PERCENT", "BatchSummary", "RateHistogram", "result_column"]


def result_column(ruleset_id: str, ruleset_ids: Sequence[str], name: str = "category") -> str:
    """The name of one rule set's result column (``name``, a field of ``RESULT_FIELDS``) in
    a results table of these rule sets: prefixed by the rule set when there are several."""
    return f"{ruleset_id}.{name}" if len(ruleset_ids) > 1 else name


_BINS_PER_PERCENT = 40  # an integer, so a rate of exactly 0.5 % or 1 % starts its bin
RATE_BIN_PERCENT = 1 / _BINS_PER_PERCENT
RATE_BINS = 100
"""The summary's histogram of weight-loss rates: bins of 0.025 % from 0 to 2.5 %, fine
enough to show the rates crowding either limit (0.5 % and 1 %)."""


@dataclass
class RateHistogram:
    """Deciding weight-loss rates of the rows with a test under one rule set: counts per
    bin (``RATE_BIN_PERCENT`` wide from 0), and how many fell below 0 (a mass gain) or at
    or beyond the last bin."""

    counts: np.ndarray[Any, np.dtype[np.int64]] = field(
        default_factory=lambda: np.zeros(RATE_BINS, dtype=np.int64))
    below: int = 0
    above: int = 0

    @classmethod
    def of(cls, percent: pa.ChunkedArray | pa.Array) -> RateHistogram:
        values = np.asarray(pc.drop_null(percent).to_numpy(zero_copy_only=False), np.float64)
        place = np.floor(values * _BINS_PER_PERCENT)
        inside = (place >= 0) & (place < RATE_BINS)
        return cls(np.bincount(place[inside].astype(np.int64), minlength=RATE_BINS),
                   below=int(np.count_nonzero(place < 0)),
                   above=int(np.count_nonzero(place >= RATE_BINS)))

    def add(self, other: RateHistogram) -> None:
        self.counts = self.counts + other.counts
        self.below += other.below
        self.above += other.above

    def as_dict(self) -> dict[str, Any]:
        return {"bin_percent": RATE_BIN_PERCENT, "counts": self.counts.tolist(),
                "below_0": self.below, f"from_{RATE_BIN_PERCENT * RATE_BINS:g}": self.above}


@dataclass
class BatchSummary:
    """What a run classified: rows, categories per rule set, and how the category of each
    row moves from the first rule set to each of the others (the comparison a rule-set
    change is about)."""

    ruleset_ids: tuple[str, ...]
    rows: int = 0
    categories: dict[str, Counter[str]] = field(default_factory=dict)
    moves: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    rates: dict[str, RateHistogram] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        for rid in self.ruleset_ids:
            self.categories.setdefault(rid, Counter())
            self.rates.setdefault(rid, RateHistogram())
        for rid in self.ruleset_ids[1:]:
            self.moves.setdefault(rid, Counter())

    @classmethod
    def of(cls, results: pa.Table, ruleset_ids: Sequence[str]) -> BatchSummary:
        """The summary of one results table (a chunk or a partition).

        Categories are counted on their dictionary codes (a handful of words), not as
        strings: a tenth of the classification's time is otherwise spent here."""
        ids = tuple(ruleset_ids)
        coded = {rid: _coded(results.column(result_column(rid, ids))) for rid in ids}
        summary = cls(ids, rows=results.num_rows)
        for rid, (codes, words) in coded.items():
            counts = np.bincount(codes, minlength=len(words))
            summary.categories[rid] = Counter({words[i]: int(n) for i, n in enumerate(
                counts.tolist()) if n})
        for rid in ids:
            summary.rates[rid] = RateHistogram.of(results.column(result_column(
                rid, ids, "weight_loss.percent")))
        first_codes, first_words = coded[ids[0]]
        for rid in ids[1:]:
            codes, words = coded[rid]
            pairs = np.bincount(first_codes * len(words) + codes,
                                minlength=len(first_words) * len(words))
            summary.moves[rid] = Counter({
                (first_words[i // len(words)], words[i % len(words)]): int(n)
                for i, n in enumerate(pairs.tolist()) if n})
        return summary

    def add(self, other: BatchSummary) -> None:
        self.rows += other.rows
        for rid, counts in other.categories.items():
            self.categories.setdefault(rid, Counter()).update(counts)
        for rid, moves in other.moves.items():
            self.moves.setdefault(rid, Counter()).update(moves)
        for rid, histogram in other.rates.items():
            self.rates.setdefault(rid, RateHistogram()).add(histogram)

    def changed(self, ruleset_id: str) -> int:
        """Rows whose category under ``ruleset_id`` differs from the first rule set's."""
        return sum(n for (a, b), n in self.moves.get(ruleset_id, Counter()).items() if a != b)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rulesets": list(self.ruleset_ids),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds else None,
            "categories": {rid: dict(sorted(self.categories.get(rid, Counter()).items()))
                           for rid in self.ruleset_ids},
            "changes": {rid: {"from": self.ruleset_ids[0], "changed": self.changed(rid),
                              "moves": [{"from": a, "to": b, "rows": n} for (a, b), n
                                        in sorted(self.moves[rid].items()) if a != b]}
                        for rid in self.ruleset_ids[1:]},
            "weight_loss_percent": {rid: self.rates[rid].as_dict()
                                    for rid in self.ruleset_ids},
        }


def _coded(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray[Any, np.dtype[np.int64]],
                                                        list[Any]]:
    """A string column (dictionary-encoded or not) as codes into its distinct words; a null
    (never a category, but as the count of strings had it) is a word of its own, None."""
    if isinstance(column, pa.ChunkedArray):
        column = (column.unify_dictionaries() if pa.types.is_dictionary(column.type)
                  else column).combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    words: list[Any] = [*column.dictionary.cast(pa.string()).to_pylist(), None]
    codes = pc.fill_null(column.indices, len(words) - 1)
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64), words
