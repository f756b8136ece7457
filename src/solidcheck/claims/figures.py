"""Quantities in product text — specific energy, energy density, cycles, charge time,
temperature, C-rate — in English and Chinese, with exact offsets into the original text.

The text is first *folded* one character for one character (full-width forms to ASCII,
traditional to simplified Chinese for the words matched here, the many minus signs and
spaces to one each), so every offset found in the folded text is an offset in the original:
``text[figure.start:figure.end] == figure.text`` always holds.

Every regular expression is compiled once, and every quantifier in them is bounded, so the
scan is linear in the length of the text (no catastrophic backtracking); the context looked
at around a figure is bounded too.

>>> [(f.kind, f.low, f.high) for f in find_figures("−30 °C to 100 °C, 1.2万次循环")]
[('temperature', -30.0, 100.0), ('cycles', 12000.0, 12000.0)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from .numbers import NUMBER_TOKEN, fold_for_matching, number_value, parse_number

__all__ = [
    "ChargeScope",
    "Duty",
    "Figure",
    "FigureKind",
    "Level",
    "Purpose",
    "find_figures",
    "fold_for_matching",
    "parse_number",
]

FigureKind = Literal[
    "specific_energy", "energy_density", "cycles", "charge_time", "temperature", "c_rate"]
Level = Literal["cell", "pack", "material"]
ChargeScope = Literal["full", "partial", "range_added", "unspecified"]
Duty = Literal["continuous", "peak"]
Purpose = Literal["operation", "storage", "test", "property"]

CANONICAL_UNITS: dict[FigureKind, str] = {
    "specific_energy": "Wh/kg",
    "energy_density": "Wh/L",
    "cycles": "cycles",
    "charge_time": "min",
    "temperature": "°C",
    "c_rate": "C",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One quantity found in the text, its value(s) in the canonical unit of its kind.

    A single value has ``low == high``; a range (``-30~100℃``) has both ends. The optional
    fields are what the words around the figure say about it, when they say it: ``level``
    for energy figures, ``charge_scope``/``soc_window_percent`` for charge times, ``duty``
    for C-rates and ``purpose`` for temperatures.
    """

    kind: FigureKind
    low: float
    high: float
    start: int
    end: int
    text: str
    is_range: bool = False
    level: Level | None = None
    charge_scope: ChargeScope | None = None
    soc_window_percent: tuple[float, float] | None = None
    duty: Duty | None = None
    purpose: Purpose | None = None

    @property
    def unit(self) -> str:
        return CANONICAL_UNITS[self.kind]

# --- units ---------------------------------------------------------------------------------

_PER = r"(?: ?/ ?| per | ?· ?| ?\. ?| )"
_INVERSE = r"(?: ?(?:\^ ?\(?-1\)?|-1|⁻¹))?"
_WH = r"(?:瓦时|瓦特时|瓦特小时|瓦小时|(?i:wh))"
_UNIT = re.compile(
    # C-rate: the letter right after the number (5C), or "5 C rate"
    r"(?P<crate>C(?![A-Za-z0-9])| C(?= ?-?(?i:rates?)(?![A-Za-z])|倍率))"
    r"|(?: {0,2}|-)(?:"
    rf"(?P<whkg>(?P<whkg_k>[kK])?(?i:wh){_PER}(?i:kg|kilogram(?:me)?s?){_INVERSE}(?![A-Za-z])"
    rf"|mWh{_PER}g{_INVERSE}(?![A-Za-z])"
    rf"|(?P<whkg_k2>[kK]|千)?{_WH} ?(?:/|每) ?(?:千克|公斤|(?i:kg)))"
    rf"|(?P<whl>(?P<whl_k>[kK])?(?i:wh){_PER}(?:L|l|(?i:lit(?:er|re)s?)){_INVERSE}(?![A-Za-z])"
    rf"|(?P<whl_k2>[kK]|千)?{_WH} ?(?:/|每) ?升)"
    r"|(?P<cycles>(?i:(?:full|deep|complete|charge|charging|discharge|charge[-/ ]discharge"
    r"|charge and discharge)[ -])?(?i:cycles?)(?![A-Za-z])"
    r"|次(?:深度|完整|满)?(?:充放电)?循环|次(?:深度|完整)?充放电)"
    r"|(?P<minutes>(?i:min(?:ute)?s?)(?![A-Za-z])|分钟)"
    r"|(?P<seconds>(?i:sec(?:ond)?s?)(?![A-Za-z])|秒钟?)"
    r"|(?P<hours>(?i:h(?:ou)?rs?|hours?)(?![A-Za-z])|h(?![A-Za-z0-9])|小时)"
    r"|(?P<celsius>° ?C(?![A-Za-z])|℃|(?i:deg(?:ree)?s? ?(?:celsius|centigrade))(?![A-Za-z])"
    r"|(?i:deg(?:ree)?s?) ?C(?![A-Za-z])|摄氏度)"
    r"|(?P<fahrenheit>° ?F(?![A-Za-z])|℉|(?i:deg(?:ree)?s? ?fahrenheit)(?![A-Za-z]))"
    r"|(?P<du>度(?!电))"
    r")"
)
_K_GROUPS = ("whkg_k", "whkg_k2", "whl_k", "whl_k2")
_SEPARATOR = re.compile(r" {0,2}(?:~|-|–|—|…|\.\.\.?|(?i:to|and)(?![A-Za-z])|至|到) {0,2}")
_UNIT_KINDS: dict[str, FigureKind] = {
    "crate": "c_rate", "whkg": "specific_energy", "whl": "energy_density", "cycles": "cycles",
    "minutes": "charge_time", "seconds": "charge_time", "hours": "charge_time",
    "celsius": "temperature", "fahrenheit": "temperature", "du": "temperature",
}

# Cycle counts written with the words before the number: 循环寿命超过1万次, cycle life of 10 000.
_CYCLE_PREFIX_STRONG = re.compile(
    r"(?=[cClL循])(?:(?i:cycle[- ]?life|cycling life|life ?cycles?)|循环寿命|循环次数)"
    r"[^\d\n。.;；!?！？]{0,20}\Z")
_CYCLE_PREFIX_WEAK = re.compile(
    r"(?=[cC循充])(?:(?i:cycled|cycling)|循环|充放电)[^\d\n。.;；!?！？,，]{0,6}\Z")
_CYCLE_SUFFIX = re.compile(r" {0,2}(?:次|圈|周|回|(?i:times|cycles?)(?![A-Za-z]))")
_NOT_A_COUNT = re.compile(
    r" {0,2}(?:[%‰年月天日个小]|[A-Za-z°℃]|(?i:years?|months?|days?|hours?|km|miles?))")

# --- context cues --------------------------------------------------------------------------

# Sentence breaks (a full stop only before a space or the end, never in 1.5) and clause
# breaks (a comma only outside a number: 10,000 is one number).
_HARD_STOP = re.compile(r"[。！？；!?;\n]|\.(?![^ \n])")
_SOFT_STOP = re.compile(r"[。！？；!?;\n、:：，]|\.(?![^ \n])|(?<!\d),|,(?!\d)")
_CONTEXT_BEFORE = 80
_CONTEXT_AFTER = 60

_CHARGE_WORDS = re.compile(  # not "discharge"
    r"(?<![A-Za-z])(?i:charg|recharg|refuel)|(?i:supercharg|fastcharg)"
    r"|充电|充满|快充|补能|满电|闪充|超充|充至|充到|充饱")
_CHARGE_CUES = re.compile(
    r"(?=[\dtTuU至到fFeE充满kKmMrR公续里])"
    r"(?:(?P<window>(?<![\d.])(?P<lo>\d{1,3}(?:\.\d)?) ?%? ?(?:充电?)?(?:-|–|—|~|(?i:to)|至|到) ?"
    r"(?P<hi>\d{1,3}(?:\.\d)?) ?%)"
    r"|(?P<target>(?:(?i:to|up to)|至|到) ?(?P<target_hi>\d{1,3}(?:\.\d)?) ?%)"
    r"|(?P<full>(?i:full[ -]?(?:re)?charg|fully|full battery|empty to full|to full)"
    r"|充满|满电|充饱|满充)"
    r"|(?P<range_added>(?<![A-Za-z])(?i:km|kilomet|miles?(?![A-Za-z])|range)|公里|续航|里程))")
_LEVEL_CUES = re.compile(
    r"(?=[tTcCaAmMeEpPsSvV理正负材电系模整成单])"
    r"(?:(?P<material>(?<![A-Za-z])(?i:theoretical|theory|cathode|anode|material|electrode)"
    r"|理论|正极|负极|材料|电极)"
    r"|(?P<pack>(?<![A-Za-z])(?i:packs?|systems?|modules?|vehicles?)(?![A-Za-z])"
    r"|电池包|电池系统|系统|模组|整包|整车|成组)"
    r"|(?P<cell>(?<![A-Za-z])(?i:cells?(?![A-Za-z]))|电芯|单体))")
_DUTY_CUES = re.compile(
    r"(?=[pPbBmMiItTcCsS峰脉瞬短持连长])"
    r"(?:(?P<peak>(?<![A-Za-z])(?i:peak|pulse|burst|momentary|instantaneous|transient)"
    r"|峰值|脉冲|瞬时|瞬间|短时)"
    r"|(?P<continuous>(?<![A-Za-z])(?i:continuous|sustained|constant)|持续|连续|长时))")
_PURPOSE_CUES = re.compile(
    r"(?=[sStTvVoOdDaAnNhHbBgGmMfFwWcCuUrR储存贮运真失测试烘针热加玻熔分闪沸工使放充低耐])"
    r"(?:(?P<storage>(?<![A-Za-z])(?i:storage|store|stored|shelf|transport)"
    r"|储存|存储|贮存|存放|运输)"
    r"|(?P<test>(?<![A-Za-z])(?i:test|vacuum|oven|drying|abuse|nail|hot[- ]?box|thermal runaway"
    r"|heated to|bak(?:e|ing))|真空|失重|测试|试验|烘|针刺|热箱|热失控|加热)"
    r"|(?P<property>(?<![A-Za-z])(?i:glass transition|melt|decompos|flash point|boiling)"
    r"|Tg(?![A-Za-z])|玻璃化|熔点|熔融|分解|闪点|沸点)"
    r"|(?P<operation>(?<![A-Za-z])(?i:operat|work|discharg|charg|usable|use[ds]?(?![A-Za-z])"
    r"|run)"
    r"|工作|运行|使用|放电|充电|低温性能|耐低温|耐高温))")
_LEVELS: dict[str, Level] = {"cell": "cell", "pack": "pack", "material": "material"}
_DUTIES: dict[str, Duty] = {"continuous": "continuous", "peak": "peak"}
_PURPOSES: dict[str, Purpose] = {"operation": "operation", "storage": "storage", "test": "test",
                                 "property": "property"}
_TEMPERATURE_CUE = re.compile(
    r"(?=[tTaAcCwW温环气])"
    r"(?:(?i:temperature|temp\.?(?![A-Za-z])|ambient|climate|weather)|温|环境|气候)")
_CONSUMER_3C = re.compile(r" ?(?:数码|产品|电子|消费|类|领域|行业|电池|锂电|市场"
                          r"|(?i:products?|electronics|devices?|market))")
_RATE_PAIR = re.compile(r"[/-]\d{1,3}(?:\.\d{1,2})?C(?![A-Za-z0-9])|-?(?i:rates?)(?![A-Za-z])")


def _nearest(pattern: re.Pattern[str], f: str, start: int, end: int, lo: int,
             hi: int) -> re.Match[str] | None:
    """The cue nearest to [start, end) inside [lo, hi), outside the figure itself."""
    best: tuple[int, re.Match[str]] | None = None
    for match in pattern.finditer(f, lo, hi):
        if match.start() < end and match.end() > start:
            continue
        distance = start - match.end() if match.end() <= start else match.start() - end
        if best is None or distance < best[0]:
            best = (distance, match)
    return None if best is None else best[1]


# --- the scan ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    value: float
    negative_word: bool
    celsius_word: bool


@dataclass(frozen=True, slots=True)
class _Unit:
    group: str
    start: int
    end: int
    k_prefix: bool

    @property
    def kind(self) -> FigureKind:
        return _UNIT_KINDS[self.group]


class _Scan:
    """One text being scanned: the original, its folded copy and its sentence breaks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.f = fold_for_matching(text)
        self._hard = [m.start() for m in _HARD_STOP.finditer(self.f)]
        self._soft = [m.start() for m in _SOFT_STOP.finditer(self.f)]

    def clause(self, start: int, end: int, *, soft: bool) -> tuple[int, int]:
        """From the break before ``start`` to the break after ``end``, bounded either way."""
        stops = self._soft if soft else self._hard
        i = bisect.bisect_left(stops, start)
        lo = stops[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(stops, end)
        hi = stops[j] if j < len(stops) else len(self.f)
        return max(lo, start - _CONTEXT_BEFORE), min(hi, end + _CONTEXT_AFTER)

    def nearest_cue(self, pattern: re.Pattern[str], start: int,
                    end: int) -> re.Match[str] | None:
        """The nearest cue in the figure's clause, else in its sentence."""
        lo, hi = self.clause(start, end, soft=True)
        cue = _nearest(pattern, self.f, start, end, lo, hi)
        if cue is None:
            wider = self.clause(start, end, soft=False)
            if wider != (lo, hi):
                cue = _nearest(pattern, self.f, start, end, *wider)
        return cue

    def tokens(self) -> list[_Token]:
        tokens = []
        for match in NUMBER_TOKEN.finditer(self.f):
            value = number_value(match["num"])
            if value is None:
                continue
            negative_word = bool(match["neg"] or match["celsius_neg"])
            negative = negative_word or match["sign"] in ("-", "–")
            tokens.append(_Token(match.start(), match.end(), -value if negative else value,
                                 negative_word, bool(match["celsius"])))
        return tokens

    def unit_at(self, pos: int) -> _Unit | None:
        match = _UNIT.match(self.f, pos)
        if match is None:
            return None
        group = next(g for g in _UNIT_KINDS if match[g] is not None)
        return _Unit(group, match.start(), match.end(), any(match[g] for g in _K_GROUPS))

    def temperature_words_near(self, start: int, end: int, reach: int) -> bool:
        """Temperature words in the clause, up to ``reach`` characters before ``start`` or
        after ``end``."""
        lo, hi = self.clause(start, end, soft=True)
        return (_TEMPERATURE_CUE.search(self.f, max(lo, start - reach), start) is not None
                or _TEMPERATURE_CUE.search(self.f, end, min(hi, end + reach)) is not None)

    def looks_like_code(self, start: int, end: int) -> bool:
        """A C-rate that is really part of a product code: EV-5C, 5C-200, A/5C."""
        f = self.f
        if start >= 2 and f[start - 1] in "-_/#" and f[start - 2].isascii() \
                and f[start - 2].isalnum():
            return True
        if end < len(f) - 1 and f[end] in "-_/#" and f[end + 1].isascii() \
                and f[end + 1].isalnum():
            return _RATE_PAIR.match(f, end) is None
        return False

    def figure(self, kind: FigureKind, low: float, high: float, start: int, end: int, *,
               is_range: bool) -> Figure | None:
        """The figure with what its context says about it; None when the context rules it
        out (a C-rate in a product code, a time with no charging in its sentence)."""
        if low > high:
            low, high = high, low
        level: Level | None = None
        duty: Duty | None = None
        purpose: Purpose | None = None
        scope: ChargeScope | None = None
        window: tuple[float, float] | None = None
        if kind in ("specific_energy", "energy_density", "cycles") and low < 0:
            return None  # a negative count or energy is a hyphen read as a sign
        if kind in ("specific_energy", "energy_density"):
            lo, hi = self.clause(start, end, soft=True)
            cue = _nearest(_LEVEL_CUES, self.f, start, end, lo, hi)
            level = _LEVELS.get(cue.lastgroup) if cue and cue.lastgroup else None
        elif kind == "charge_time":
            charge = self._charge(start, end, low)
            if charge is None:
                return None
            scope, window = charge
        elif kind == "c_rate":
            if low <= 0 or high > 1000 or self.looks_like_code(start, end):
                return None
            if high == 3 and not is_range and _CONSUMER_3C.match(self.f, end):
                return None  # 3C = computers, communications and consumer electronics
            cue = self.nearest_cue(_DUTY_CUES, start, end)
            duty = _DUTIES.get(cue.lastgroup) if cue and cue.lastgroup else None
        elif kind == "temperature":
            if not -273.15 <= low <= high <= 5000:
                return None
            cue = self.nearest_cue(_PURPOSE_CUES, start, end)
            purpose = _PURPOSES.get(cue.lastgroup) if cue and cue.lastgroup else None
        return Figure(kind=kind, low=low, high=high, start=start, end=end,
                      text=self.text[start:end], is_range=is_range, level=level,
                      charge_scope=scope, soc_window_percent=window, duty=duty,
                      purpose=purpose)

    def _charge(self, start: int, end: int,
                minutes: float) -> tuple[ChargeScope, tuple[float, float] | None] | None:
        """A time is a charge time only with charging words (or a state-of-charge window) in
        its sentence; the nearest window, full-charge or range words say what it charges."""
        if minutes <= 0:
            return None
        lo, hi = self.clause(start, end, soft=False)
        cue = _nearest(_CHARGE_CUES, self.f, start, end, lo, hi)
        if (cue is None or cue.lastgroup != "window") \
                and _CHARGE_WORDS.search(self.f, lo, hi) is None:
            return None
        if cue is None:
            return "unspecified", None
        if cue.lastgroup == "window":
            window = (float(cue["lo"]), float(cue["hi"]))
            if not 0 <= window[0] < window[1] <= 100:
                return "partial", None
            return ("full" if window == (0.0, 100.0) else "partial"), window
        if cue.lastgroup == "target":
            if float(cue["target_hi"]) >= 100:
                return "full", (0.0, 100.0)
            return "partial", None
        if cue.lastgroup == "full":
            return "full", (0.0, 100.0)
        return "range_added", None

    def cycle_prefix_figure(self, token: _Token) -> Figure | None:
        """A count with the cycle words before it: 循环寿命超过1万次, cycle life of 10,000."""
        f = self.f
        window_lo = max(0, token.start - 28)
        prefix = _CYCLE_PREFIX_STRONG.search(f, window_lo, token.start)
        strong = prefix is not None
        if prefix is None:
            prefix = _CYCLE_PREFIX_WEAK.search(f, window_lo, token.start)
        if prefix is None:
            return None
        suffix = _CYCLE_SUFFIX.match(f, token.end)
        if suffix is None and (not strong or _NOT_A_COUNT.match(f, token.end)):
            return None
        end = suffix.end() if suffix else token.end
        return self.figure("cycles", token.value, token.value, prefix.start(), end,
                           is_range=False)

    def resolved_kind(self, unit: _Unit, tokens: list[_Token],
                      partner: _Unit | None) -> FigureKind | None:
        """The kind a unit gives, where the unit alone is ambiguous.

        A bare 'C' is a temperature, not a C-rate, when a value is negative, the other end of
        its range is a temperature, or temperature words come just before. 度 is a
        temperature only with 零下/负/摄氏, a negative value, a ℃ partner or 温 just before
        (90度 is an angle, 一度电 a kilowatt-hour).
        """
        start = tokens[0].start
        if unit.group == "crate":
            if (any(t.value < 0 for t in tokens)
                    or (partner is not None and partner.kind == "temperature"
                        and partner.group != "crate")
                    or self.temperature_words_near(start, unit.end, 12)):
                return "temperature"
            return "c_rate"
        if unit.group == "du":
            if any(t.negative_word or t.celsius_word or t.value < 0 for t in tokens):
                return "temperature"
            if partner is not None and partner.kind == "temperature" and partner.group != "du":
                return "temperature"
            return "temperature" if self.temperature_words_near(start, start, 12) else None
        return unit.kind

    def single(self, token: _Token, unit: _Unit) -> Figure | None:
        kind = self.resolved_kind(unit, [token], None)
        if kind is None:
            return None
        value = _canonical(token.value, unit)
        return self.figure(kind, value, value, token.start, unit.end, is_range=False)

    def range(self, first: _Token, first_unit: _Unit | None, second: _Token,
              second_unit: _Unit) -> Figure | None:
        kind = self.resolved_kind(second_unit, [first, second], first_unit)
        if kind is None:
            return None
        if first_unit is not None and \
                self.resolved_kind(first_unit, [first, second], second_unit) != kind:
            return None
        low = _canonical(first.value, first_unit or second_unit)
        high = _canonical(second.value, second_unit)
        return self.figure(kind, low, high, first.start, second_unit.end, is_range=True)


def _canonical(value: float, unit: _Unit) -> float:
    if unit.k_prefix:
        return value * 1000.0
    if unit.group == "seconds":
        return value / 60.0
    if unit.group == "hours":
        return value * 60.0
    if unit.group == "fahrenheit":
        return (value - 32.0) * 5.0 / 9.0
    return value


def find_figures(text: str, *, kinds: Collection[FigureKind] | None = None) -> list[Figure]:
    """Every quantity of the known kinds in ``text``, in order of position.

    >>> [f.text for f in find_figures("400 Wh/kg, full charge in 5 minutes, 10,000 cycles")]
    ['400 Wh/kg', '5 minutes', '10,000 cycles']
    """
    scan = _Scan(text)
    tokens = scan.tokens()
    figures: list[Figure] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        unit = scan.unit_at(token.end)
        consumed = 1
        figure = None
        separator = _SEPARATOR.match(scan.f, unit.end if unit else token.end)
        if separator and i + 1 < len(tokens) and tokens[i + 1].start == separator.end():
            second = tokens[i + 1]
            second_unit = scan.unit_at(second.end)
            if second_unit is not None:
                figure = scan.range(token, unit, second, second_unit)
                if figure is not None:
                    consumed = 2
        if figure is None and unit is not None:
            figure = scan.single(token, unit)
        if figure is None and unit is None:
            figure = scan.cycle_prefix_figure(token)
        if figure is not None and (kinds is None or figure.kind in kinds):
            figures.append(figure)
        i += consumed
    return figures
