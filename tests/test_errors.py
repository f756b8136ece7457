"""Errors cross process boundaries intact: a Dask worker or a process pool pickles them.

Every exception class solidcheck defines is found at runtime (every module imported, the
subclasses walked), so a new one is checked without being listed here; one with an
``__init__`` of its own needs an example in ``EXAMPLES`` (and a ``__reduce__``).
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from collections.abc import Callable, Iterator

import pytest
import yaml

import solidcheck
from solidcheck import dossier
from solidcheck.charging import rows
from solidcheck.charging.live.tickets import TicketStateError
from solidcheck.errors import (
    MAX_PROBLEMS_LISTED,
    AccessDeniedError,
    CertificateError,
    DossierError,
    InvalidInputError,
    MissingDependencyError,
    MissingSystemLibraryError,
    Problem,
    SolidcheckError,
    UnknownRulesetError,
)
from solidcheck.readers.contract import ReaderContractError

PROBLEMS = [Problem("weight_loss_test.specimens.0.mass_after_g", "greater than mass_before_g",
                    "check the units"), Problem("", "top-level fault")]


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(solidcheck.__path__, "solidcheck."):
        if ".migrations" in module.name:  # Alembic scripts run only under Alembic
            continue
        try:
            importlib.import_module(module.name)
        except ModuleNotFoundError as exc:  # an optional extra that is not installed
            if (exc.name or "").startswith("solidcheck"):
                raise


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_import_every_module()
OURS = sorted({cls for cls in _subclasses(BaseException)
               if cls.__module__.partition(".")[0] == "solidcheck"},
              key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")

#: an instance of ``cls`` for each class that defines its own ``__init__``
EXAMPLES: dict[type[BaseException], Callable[[type[BaseException]], BaseException]] = {
    InvalidInputError: lambda cls: cls(PROBLEMS, source="cell.yaml", unlisted=7),
    CertificateError: lambda cls: cls(PROBLEMS, source="keys/lab.pem", what="key file"),
    UnknownRulesetError: lambda cls: cls("gbt-ssb-1-2099", ["gbt-ssb-1-2026", "csae-434-2025"],
                                         fix="read a file with load_ruleset(path)"),
    MissingDependencyError: lambda cls: cls("oven.xlsx (Excel workbook)", extra="xlsx",
                                            package="openpyxl"),
    AccessDeniedError: lambda cls: cls("the key is revoked", authenticated=True),
    dossier._TooLargeError: lambda cls: cls("nested 65 levels deep", "flatten it"),
    dossier._KeyError: lambda cls: cls("key 'id' appears twice", "remove one",
                                       yaml.Mark("cell.yaml", 40, 3, 0, None, None)),
    ReaderContractError: lambda cls: cls("acme_csv", ["no extensions", "reads a cut file"]),
    rows.RowError: lambda cls: cls("charging.rejected.irve_number", "puissance_nominale=-7"),
    # ch18-tickets
    TicketStateError: lambda cls: cls("T1", status="closed", act="resolve",
                                      allowed=("reopen",), why=""),
    # charcli: WeasyPrint installed without Pango
    MissingSystemLibraryError: lambda cls: cls(
        "PDF reports", extra="pdf", package="weasyprint", libraries="Pango, HarfBuzz",
        command="apt-get install libpango-1.0-0", make_target="pdf-deps",
        loader_message="cannot load library 'libgobject-2.0-0'"),
}


def example(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` made as its nearest own ``__init__`` expects."""
    for owner in cls.__mro__:
        if "__init__" in vars(owner):
            if owner in EXAMPLES:
                return EXAMPLES[owner](cls)
            assert owner.__module__ == "builtins", (
                f"{owner.__qualname__} has its own __init__: add an example to EXAMPLES and "
                "give it a __reduce__ that rebuilds it")
            break
    return cls("a message: what was wrong, where, how to fix it")


def test_every_solidcheck_error_is_collected() -> None:
    assert SolidcheckError in OURS
    assert {InvalidInputError, DossierError, UnknownRulesetError, AccessDeniedError} <= set(OURS)
    assert dossier._TooLargeError in OURS  # private ones too


@pytest.mark.parametrize("protocol", [0, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("cls", OURS, ids=lambda cls: cls.__qualname__)
def test_an_error_arrives_equal_after_pickling(cls: type[BaseException], protocol: int) -> None:
    error = example(cls)
    copy = pickle.loads(pickle.dumps(error, protocol=protocol))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert plain(copy.args) == plain(error.args)
    # problems, source, ruleset_id, extra, package, authenticated …
    assert plain(vars(copy)) == plain(vars(error))
    for name in ("what", "problems", "unlisted", "source", "available"):
        assert getattr(copy, name, None) == getattr(error, name, None), name


def plain(value: object) -> object:
    """``value`` with YAML marks (which compare by identity) as their fields."""
    if isinstance(value, yaml.Mark):
        return vars(value)
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def test_a_dossier_error_keeps_its_problems_and_count() -> None:
    error = DossierError(iter([PROBLEMS[0]] * (MAX_PROBLEMS_LISTED + 55)), source="big.yaml")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and copy.unlisted == 55
    assert str(copy).startswith(f"invalid dossier big.yaml: {MAX_PROBLEMS_LISTED + 55} problems")


def test_notes_added_to_an_error_travel_with_it() -> None:
    error = UnknownRulesetError("x", ["a"])
    error.add_note("while reading batch.parquet")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.__notes__ == ["while reading batch.parquet"]


def test_a_certificate_error_without_what_keeps_the_class_default() -> None:
    copy = pickle.loads(pickle.dumps(CertificateError(PROBLEMS)))
    assert copy.what == "certificate" and "what" not in vars(copy)
