"""Opening hours (the inventory's ``horaires``): when a port is closed, so that outage minutes
outside its opening hours can be given back (NEVI's excluded hours).

Understood: ``24/7`` and the simple OpenStreetMap form ``Mo-Fr 08:00-19:00; Sa 09:00-12:00``
(days ``Mo Tu We Th Fr Sa Su``, ranges and lists joined by ``,``, several time ranges joined by
``,``, ``24:00`` for midnight). The hours are taken as UTC: the inventory gives local hours
without a zone, and the canonical tables are UTC — stated in docs/charging.md. Anything else
(public holidays, months, ``off`` rules) is not understood: such a port is treated as always
open and counted, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import polars as pl

__all__ = ["closed_windows", "parse_opening_hours"]

_DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_ALWAYS = ("24/7", "mo-su 00:00-24:00")

#: weekday (Monday 0) → open ranges in minutes of the day
Week = dict[int, list[tuple[int, int]]]


def _days(text: str) -> set[int] | None:
    days: set[int] = set()
    for part in text.split(","):
        ends = part.split("-")
        if not all(end in _DAYS for end in ends) or len(ends) > 2:
            return None
        first, last = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        days.update(range(first, last + 1) if first <= last
                    else [*range(first, 7), *range(0, last + 1)])
    return days


def _ranges(text: str) -> list[tuple[int, int]] | None:
    ranges = []
    for part in text.split(","):
        found = _TIME.match(part.strip())
        if found is None:
            return None
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (0 <= start < end <= 1440 and m1 < 60 and m2 < 60):
            return None
        ranges.append((start, end))
    return ranges


def parse_opening_hours(text: str | None) -> Week | None:
    """The week of ``text`` (weekday → open ranges); None when it is always open or not
    given; ValueError for a form not understood (the caller counts it)."""
    if text is None or text.strip().lower() in ("", *_ALWAYS):
        return None
    week: Week = {}
    for rule in text.strip().lower().split(";"):
        rule = rule.strip()
        if not rule:
            continue
        head, _, times = rule.partition(" ")
        days = _days(head)
        ranges = _ranges(times) if times else None
        if days is None or ranges is None:
            raise ValueError(text)
        for day in days:
            week[day] = week.get(day, []) + ranges
    return week


def closed_windows(hours: list[str], *, start: datetime, end: datetime) -> tuple[
        pl.DataFrame, list[str]]:
    """The closed windows (opening_hours, start, end) of each understood form over [start,
    end), and the forms not understood. A loop over days and forms, not over events."""
    rows: list[tuple[str, datetime, datetime]] = []
    unparsed = []
    for text in hours:
        try:
            week = parse_opening_hours(text)
        except ValueError:
            unparsed.append(text)
            continue
        if week is None:
            continue
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:
            cursor = 0
            for open_from, open_to in [*sorted(week.get(day.weekday(), [])), (1440, 1440)]:
                if open_from > cursor:
                    rows.append((text, day + timedelta(minutes=cursor),
                                 day + timedelta(minutes=open_from)))
                cursor = max(cursor, open_to)
            day += timedelta(days=1)
    frame = pl.DataFrame(rows, schema={"opening_hours": pl.String,
                                       "start": pl.Datetime("ms", "UTC"),
                                       "end": pl.Datetime("ms", "UTC")}, orient="row")
    return frame, unparsed
