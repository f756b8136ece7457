"""The reader contract as a check a test can run: :func:`check_reader` on a reader and a sample.

Every built-in reader is held to it in solidcheck's own tests, and a reader published from
another package (entry-point group ``solidcheck.readers``) can run it in its tests::

    from solidcheck.readers.contract import check_reader

    def test_my_reader_keeps_the_contract():
        check_reader(MyReader(), Path("tests/data/run-001.xyz"))

It checks everything at once and raises one :class:`ReaderContractError` (an
``AssertionError``, so pytest shows it as a failed assertion) listing every broken point,
rather than stopping at the first: a reader author fixes them in one round.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import EvidenceError, MissingDependencyError
from . import _read_with, install_hint
from ._base import CHANNELS, HEAD_BYTES, Reader, Reading, ReadingKind

__all__ = ["ReaderContractError", "check_reader", "without_module"]

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a --reader id and a pip extra alike
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_EXTENSION = re.compile(r"^\.[a-z0-9][a-z0-9._-]*$")
#: canonical channels that hold labels, and those that hold counts; the others are numbers
_TEXT_CHANNELS = frozenset({"step_type", "specimen"})
_COUNT_CHANNELS = frozenset({"cycle", "step"})
#: the lowest value each channel can take in its canonical unit
_LOWEST = {"temperature_c": -273.15, "pressure_pa": 0.0, "mass_g": 0.0,
           "mass_before_g": 0.0, "mass_after_g": 0.0}
#: the fractions of the sample a truncated copy keeps
_CUTS = (0.9, 0.5, 0.05)


class ReaderContractError(AssertionError):
    """A reader that breaks its contract; ``problems`` lists every broken point."""

    def __init__(self, reader: str, problems: list[str]) -> None:
        self.reader = reader
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"reader {reader} breaks the reader contract in {len(problems)} "
                         f"point{'s' if len(problems) > 1 else ''}:\n{lines}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.reader, self.problems)


@contextmanager
def without_module(name: str) -> Iterator[None]:
    """Make ``import name`` (and of its submodules) fail within the block, as when the
    package is not installed; modules already imported are put back afterwards."""
    modules: dict[str, Any] = sys.modules  # a None entry is how Python blocks an import
    saved = {key: module for key, module in modules.items()
             if key == name or key.startswith(name + ".")}
    for key in saved:
        del modules[key]
    modules[name] = None
    try:
        yield
    finally:
        for key in [k for k in modules if k == name or k.startswith(name + ".")]:
            del modules[key]
        modules.update(saved)


def check_reader(reader: Reader, sample: Path) -> None:
    """Hold ``reader`` to the contract on ``sample``, a real file of its format.

    Checked: the class attributes are present and well formed; the module does not import
    the optional library when it is imported; the sample is recognised by ``can_read``, also
    without the optional library; it reads into a :class:`Reading` of this reader's name and
    kind whose columns are canonical channels with values possible in their canonical units
    (labels as text, counts as integers, time from 0 s, no temperature below absolute zero,
    no negative pressure or mass), and whose SHA-256 is the file's; truncated copies are
    refused with one ``EvidenceError`` naming the file and a fix for each problem — or,
    where a cut file is still a shorter valid file (a text table), read — never with
    anything else; and without the optional library reading raises
    ``MissingDependencyError`` whose message carries ``pip install 'solidcheck[extra]'``.
    Files are read as :func:`solidcheck.readers.read_evidence` reads them, so a vendor
    library's own exception is already one EvidenceError (``readers.guarded``); what the
    check holds a reader to is what a user then sees. Raises :class:`ReaderContractError`
    listing every broken point.
    """
    sample = Path(sample)
    label = repr(getattr(reader, "name", type(reader).__name__))
    problems = _attribute_problems(reader)
    if not sample.is_file() or sample.stat().st_size == 0:
        raise ReaderContractError(label, [*problems, f"the sample {sample} is not a file "
                                          "with content: give a real file of the format"])
    if problems:  # everything below relies on the attributes
        raise ReaderContractError(label, problems)
    problems += _import_problems(reader)
    problems += _recognition_problems(reader, sample)
    problems += _reading_problems(reader, sample)
    problems += _truncation_problems(reader, sample)
    problems += _missing_library_problems(reader, sample)
    if problems:
        raise ReaderContractError(label, problems)


def _attribute_problems(reader: Reader) -> list[str]:
    problems = []
    missing = object()
    values = {key: getattr(reader, key, missing) for key in
              ("name", "description", "kind", "extensions", "extra", "requires")}
    for key, value in values.items():
        if value is missing:
            problems.append(f"no class attribute {key!r} (see readers/_base.py Reader)")
    name, description, kind, extensions, extra, requires = values.values()
    if name is not missing and not (isinstance(name, str) and _NAME.match(name)):
        problems.append(f"name {name!r} is not a lower-case id like 'oven-csv'")
    if description is not missing and not (isinstance(description, str)
                                           and description.strip()):
        problems.append(f"description {description!r} is not a non-empty text")
    if kind is not missing and kind not in get_args(ReadingKind):
        problems.append(f"kind {kind!r} is not one of {', '.join(get_args(ReadingKind))}")
    if extensions is not missing and not (
        isinstance(extensions, tuple) and extensions
        and all(isinstance(e, str) and _EXTENSION.match(e) for e in extensions)
    ):
        problems.append(f"extensions {extensions!r} is not a non-empty tuple of lower-case "
                        "suffixes with their dot, like ('.csv', '.txt')")
    if extra is not missing and requires is not missing:
        if (extra is None) != (requires is None):
            problems.append(f"extra {extra!r} and requires {requires!r}: both or neither "
                            "must be set (the extra is what installs the required package)")
        if extra is not None and not (isinstance(extra, str) and _NAME.match(extra)):
            problems.append(f"extra {extra!r} is not a pip extra name like 'ngb'")
        if requires is not None and not (isinstance(requires, str) and _MODULE.match(requires)):
            problems.append(f"requires {requires!r} is not an importable module name")
    for method in ("can_read", "read"):
        if not callable(getattr(reader, method, None)):
            problems.append(f"no method {method}()")
    return problems


def _import_problems(reader: Reader) -> list[str]:
    """A module-level import of the optional library would break recognition without it."""
    if reader.requires is None:
        return []
    module = sys.modules.get(type(reader).__module__)
    bound = [key for key, value in vars(module).items() if isinstance(value, ModuleType)
             and (value.__name__ == reader.requires
                  or value.__name__.startswith(reader.requires + "."))] if module else []
    if bound:
        return [f"its module imports {reader.requires} at import time (as "
                f"{', '.join(bound)}): import it inside read(), so the format is recognised "
                "and the install hint given without it"]
    return []


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


def _recognition_problems(reader: Reader, sample: Path) -> list[str]:
    head = _head(sample)
    problems = []
    cases = [("", None)] if reader.requires is None else [
        ("", None), (f" without {reader.requires}", reader.requires)]
    for words, blocked in cases:
        try:
            if blocked is None:
                recognised = reader.can_read(head, sample)
            else:
                with without_module(blocked):
                    recognised = reader.can_read(head, sample)
        except Exception as exc:
            problems.append(f"can_read(head, sample){words} raised {_describe(exc)}")
            continue
        if recognised is not True:
            problems.append(f"can_read(head, sample){words} returned {recognised!r}, not True: "
                            "the sample is not recognised")
    return problems


def _reading_problems(reader: Reader, sample: Path) -> list[str]:
    try:
        reading = _read_with(reader, sample)
    except Exception as exc:
        return [f"reading the sample raised {_describe(exc)}"]
    if not isinstance(reading, Reading):
        return [f"read() returned {type(reading).__name__}, not a Reading"]
    problems = [f"the sample's reading: {problem}" for problem in _channel_problems(reading)]
    if (reading.format, reading.kind) != (reader.name, reader.kind):
        problems.append(f"the sample's reading has format {reading.format!r} and kind "
                        f"{reading.kind!r}, not the reader's {reader.name!r} and "
                        f"{reader.kind!r} (build it with readers.build_reading)")
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    if (reading.sha256, reading.size_bytes) != (digest, sample.stat().st_size):
        problems.append("the sample's reading does not carry the file's SHA-256 and size "
                        "(build it with readers.build_reading)")
    return problems


def _channel_problems(reading: Reading) -> list[str]:
    """What a reading's columns show of their channels and units."""
    if reading.rows == 0:
        return ["it has no rows"]
    problems = []
    for name in reading.table.column_names:
        if name not in CHANNELS:
            problems.append(f"column {name!r} is not a canonical channel (one of "
                            f"{', '.join(CHANNELS)}; readers/_base.py)")
            continue
        column = reading.table.column(name)
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if name in _TEXT_CHANNELS:
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                problems.append(f"{name} holds {column.type}, not text")
            continue
        if name in _COUNT_CHANNELS:
            if not pa.types.is_integer(kind):
                problems.append(f"{name} holds {column.type}, not integers")
            continue
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            problems.append(f"{name} holds {column.type}, not numbers in {CHANNELS[name]}")
            continue
        if name == "time_s" and column[0].as_py() != 0:
            problems.append(f"time_s starts at {column[0].as_py()!r}, not 0 (seconds since "
                            "the first row)")
        lowest = pc.min(column).as_py()
        if name in _LOWEST and lowest is not None and lowest < _LOWEST[name]:
            problems.append(f"{name} goes down to {lowest:g}, below {_LOWEST[name]:g} "
                            f"{CHANNELS[name]}: not in the canonical unit")
    unknown = sorted(set(reading.origins) - set(reading.table.column_names))
    if unknown:
        problems.append(f"origins name channels the table does not have: {', '.join(unknown)}")
    return problems


def _truncation_problems(reader: Reader, sample: Path) -> list[str]:
    content = sample.read_bytes()
    problems = []
    with tempfile.TemporaryDirectory(prefix="solidcheck-contract-") as folder:
        for cut in _CUTS:
            size = max(1, math.floor(len(content) * cut))
            truncated = Path(folder) / f"{int(cut * 100)}-percent-{sample.name}"
            truncated.write_bytes(content[:size])
            words = f"the sample cut to its first {size} bytes"
            try:
                reading = _read_with(reader, truncated)
            except EvidenceError as exc:
                problems += [f"{words}: {problem}" for problem in _error_problems(exc, truncated)]
                continue
            except Exception as exc:
                problems.append(f"{words} raised {_describe(exc)}, not EvidenceError: a "
                                "damaged file must be one clear error")
                continue
            problems += [f"{words}: {problem}" for problem in _channel_problems(reading)]
    return problems


def _error_problems(error: EvidenceError, path: Path) -> list[str]:
    """What keeps an EvidenceError from being one clear message about this file."""
    problems = []
    if error.source != str(path):
        problems.append(f"the EvidenceError names {error.source!r}, not the file read (pass "
                        "source=str(path))")
    if not error.problems:
        problems.append("the EvidenceError lists no problem")
    problems += [f"the EvidenceError's problem {problem.message!r} says no fix"
                 for problem in error.problems if not problem.fix]
    return problems


def _missing_library_problems(reader: Reader, sample: Path) -> list[str]:
    if reader.requires is None:
        return []
    hint = install_hint(reader)
    with without_module(reader.requires):
        try:
            _read_with(reader, sample)
        except MissingDependencyError as exc:
            if hint not in str(exc) or exc.extra != reader.extra:
                return [f"without {reader.requires}, the MissingDependencyError does not say "
                        f"{hint!r}: {exc}"]
            return []
        except Exception as exc:
            return [f"without {reader.requires}, reading raised {_describe(exc)}, not "
                    f"MissingDependencyError with {hint!r}"]
    return [f"without {reader.requires}, the sample was read: does requires name the "
            "package read() imports?"]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}" + (f" ({text[:200]})" if text else "")
