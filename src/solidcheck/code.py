"""solidcheck's provisional classification code: encode, decode, validate.

The standard defines a code whose structure is not public. Until it is, solidcheck uses its
own, marked provisional wherever it is shown. Grammar (scheme ``SCP1``)::

    SCP1-<category>[-<electrolyte>-<ion>-<application>]/<ruleset id>

    category     LIQ liquid · HSL hybrid solid-liquid · SSB solid-state · UND undetermined
    electrolyte  SUL sulfide · OXI oxide · POL polymer · HAL halide · CMP composite · OTH other
    ion          LI lithium · NA sodium · OT other
    application  HE high-energy · HP high-power · OT other · XX not determined

The three sub-fields appear exactly when the category is solid-state, e.g.
``SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026`` or ``SCP1-HSL/csae-434-2025``. When the official
clause is published it becomes another versioned encoder beside this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .errors import CodeError, Problem
from .model import Application, Category, ConductingIon, SolidType

__all__ = ["PROVISIONAL_NOTE", "CodeFields", "decode_code", "encode_code"]

CODE_SCHEME = "SCP1"
PROVISIONAL_NOTE = (
    "provisional: solidcheck's own code (scheme SCP1) until the standard's coding clause is public"
)

_CATEGORY = {"liquid": "LIQ", "hybrid_solid_liquid": "HSL", "solid_state": "SSB",
             "undetermined": "UND"}
_ELECTROLYTE = {"sulfide": "SUL", "oxide": "OXI", "polymer": "POL", "halide": "HAL",
                "composite": "CMP", "other": "OTH"}
_ION = {"lithium": "LI", "sodium": "NA", "other": "OT"}
_APPLICATION = {"high_energy": "HE", "high_power": "HP", "other": "OT", None: "XX"}
_RULESET_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class CodeFields(BaseModel):
    """The fields a code carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: str = CODE_SCHEME
    category: Category
    electrolyte_type: SolidType | None = None
    conducting_ion: ConductingIon | None = None
    application: Application | None = None
    ruleset: str


def encode_code(fields: CodeFields) -> str:
    """The code for these fields; sub-axes are encoded only for solid-state."""
    head = f"{CODE_SCHEME}-{_CATEGORY[fields.category]}"
    if fields.category == "solid_state":
        if fields.electrolyte_type is None or fields.conducting_ion is None:
            raise ValueError("a solid-state code needs electrolyte_type and conducting_ion")
        head += (f"-{_ELECTROLYTE[fields.electrolyte_type]}-{_ION[fields.conducting_ion]}"
                 f"-{_APPLICATION[fields.application]}")
    return f"{head}/{fields.ruleset}"


def _lookup(
    table: Mapping[Any, str], letters: str, name: str, path: str, problems: list[Problem]
) -> Any:
    for value, code in table.items():
        if code == letters:
            return value
    problems.append(Problem(path, f"unknown {name} {letters!r}",
                            "use one of " + ", ".join(table.values())))
    return None


def decode_code(code: str) -> CodeFields:
    """The fields of a code, exactly as encoded; CodeError says what is malformed."""
    text = code.strip()
    body, slash, ruleset = text.partition("/")
    if not slash:
        raise CodeError([Problem("code", "no '/<ruleset id>' at the end",
                                 "a code looks like SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")],
                        source=repr(code))
    problems: list[Problem] = []
    if not _RULESET_ID.match(ruleset):
        problems.append(Problem("ruleset", f"{ruleset!r} is not a rule-set id",
                                "lower-case letters and digits joined by hyphens"))
    parts = body.split("-")
    if parts[0] != CODE_SCHEME:
        problems.append(Problem("scheme", f"unknown scheme {parts[0]!r}",
                                f"this version decodes {CODE_SCHEME} codes"))
    if len(parts) < 2:
        problems.append(Problem("category", "missing", "add LIQ, HSL, SSB or UND"))
        raise CodeError(problems, source=repr(code))
    category = _lookup(_CATEGORY, parts[1], "category", "category", problems)
    subfields = parts[2:]
    fields: dict[str, object] = {}
    if category == "solid_state":
        if len(subfields) != 3:
            problems.append(Problem(
                "category", f"a solid-state code has 3 sub-fields, got {len(subfields)}",
                "write SSB-<electrolyte>-<ion>-<application>"))
        else:
            fields = {
                "electrolyte_type": _lookup(_ELECTROLYTE, subfields[0], "electrolyte type",
                                            "electrolyte_type", problems),
                "conducting_ion": _lookup(_ION, subfields[1], "conducting ion",
                                          "conducting_ion", problems),
                "application": _lookup(_APPLICATION, subfields[2], "application",
                                       "application", problems),
            }
    elif category is not None and subfields:
        problems.append(Problem("category", f"only solid-state codes have sub-fields, got "
                                f"{'-'.join(subfields)!r}", f"write {parts[1]}/<ruleset id>"))
    if problems:
        raise CodeError(problems, source=repr(code))
    return CodeFields.model_validate({"category": category, "ruleset": ruleset, **fields})
