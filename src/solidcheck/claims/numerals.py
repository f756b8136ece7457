"""The Chinese numerals the figure extractor reads (``numerals.toml``), as validated data.

The characters (digits, 十/百/千, 万/亿, the decimal point 点) are vocabulary, so they live in
a data file with their provenance; ``figures.py`` builds its patterns and its value parser
from what is loaded here. Every example in the file is a test of the parser.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..rules import Rule, parse_data_file

__all__ = ["Numerals", "NumeralsFile", "load_numerals", "parse_numerals"]

_DATA_FILE = "numerals.toml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class NumeralExample(_Data):
    """A numeral as written and the value it must be read as."""

    text: str = Field(min_length=1)
    value: float


class Numerals(Rule):
    """Chinese digits and units; one character each, no character in two roles."""

    why_zh: str = Field(min_length=1)
    digits: dict[str, int]
    small_units: dict[str, int]
    big_units: dict[str, int]
    decimal_point: str = Field(min_length=1, max_length=1)
    max_fraction_digits: int = Field(ge=1, le=10)
    examples: list[NumeralExample] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_character_one_role(self) -> Numerals:
        problems = []
        tables = {"digits": self.digits, "small_units": self.small_units,
                  "big_units": self.big_units}
        seen: dict[str, str] = {self.decimal_point: "decimal_point"}
        for name, table in tables.items():
            for char, value in table.items():
                if len(char) != 1:
                    problems.append(f"{name}: {char!r} is not one character")
                if char in seen:
                    problems.append(f"{name}: {char!r} is also in {seen[char]}")
                seen[char] = name
                if name == "digits" and not 0 <= value <= 9:
                    problems.append(f"digits: {char!r} = {value} is not a digit 0–9")
                if name != "digits" and value < 10:
                    problems.append(f"{name}: {char!r} = {value} is not a unit (≥ 10)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class NumeralsFile(_Data):
    format: Literal[1]
    numerals: Numerals


def parse_numerals(text: str, *, source: str = "<string>") -> NumeralsFile:
    """Parse and validate numeral TOML; raise RulesetError naming every bad key."""
    return parse_data_file(text, NumeralsFile, source=source)


@functools.cache
def load_numerals() -> Numerals:
    """The installed numerals (validated once, then cached)."""
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text("utf-8")
    return parse_numerals(text, source=_DATA_FILE).numerals
