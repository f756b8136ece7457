"""The "classify a cell" form: the dossier its fields make, and where each problem goes.

The form's names are flat (``wl_temperature_c``), the dossier's are paths
(``weight_loss_test.temperature_c``). Every problem — a number that is not one, the dossier
model's, the evidence reader's, the API key's — is attached to the field a user can fix, so
the page can show it beside that field and list it in the error summary. Nothing is stored
unless the whole submission is valid and a lab key was given.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..build import build_dossier
from ..classify import classify
from ..conditions import ConditionsAnalysis
from ..dossier import parse_mapping
from ..errors import (
    AccessDeniedError,
    DatabaseError,
    InvalidInputError,
    MissingDependencyError,
    Problem,
)
from ..i18n.said import Said
from ..model import Dossier, Result
from ..readers import Reading, instrument_file_problem, read_evidence
from ..registry import ApiKeyRecord, EvidenceRecord, Registry, Submission
from ..rules import Ruleset, available_rulesets
from .deps import writer
from .form_fields import (
    CHOICE_FIELDS,
    NUMBER_FIELDS,
    SPECIMEN_ROWS,
    TEXT_FIELDS,
    VISIBLE_LIQUID,
    field_for_path,
    form_number,
    specimen_field,
    specimen_fields,
)
from .inputs import upload_name

__all__ = [
    "SPECIMEN_ROWS",
    "ClassifyOutcome",
    "ClassifySubmission",
    "FormErrors",
    "FormMessage",
    "ProblemSaid",
    "Upload",
    "classify_submission",
    "specimen_field",
]

EvidenceRole = Literal["oven_log", "weighings"]

#: the optional blocks of a dossier and the form fields that fill them
_BLOCKS = {
    "ratings": ["max_power_w", "energy_1c_wh"],
    "weight_loss_test": ["wl_temperature_c", "wl_duration_h", "wl_pressure_pa",
                         "wl_visible_liquid", "wl_balance_resolution_mg", *specimen_fields()],
}


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class ProblemSaid:
    """A problem the core found, said at a field in the page's language: with its path (a
    dossier file, the form as a whole) or without it (the field says where), its fix then
    said the way a form says it."""

    problem: Problem
    with_path: bool


#: what a form error holds: the page's own words (Markup), a catalogue message, a core
#: problem, or text the core gives only in English (a reader's, the registry's)
FormMessage = str | Said | ProblemSaid


@dataclass
class FormErrors:
    """Messages by form field (``""``: the form as a whole), in the order found; the pages
    say them in their language (``web/pages/forms.py``)."""

    by_field: dict[str, list[FormMessage]] = field(default_factory=dict)

    def add(self, name: str, message: FormMessage, *, unless_present: bool = False) -> None:
        """Record a message; ``unless_present`` keeps a field's first, more precise, one
        (a typed "not a number" over the model's "field required" that follows from it)."""
        if unless_present and name in self.by_field:
            return
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def items(self) -> list[tuple[str, FormMessage]]:
        return [(name, message) for name, messages in self.by_field.items()
                for message in messages]


@dataclass(frozen=True)
class ClassifySubmission:
    """What the form sent, as typed: strings, the ticked phases, and the files."""

    values: Mapping[str, str]
    phases: tuple[str, ...] = ()
    dossier_file: Upload | None = None
    oven_log: Upload | None = None
    weighings: Upload | None = None
    api_key: str = ""
    ruleset_id: str = ""

    def value(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def uploads(self) -> list[tuple[EvidenceRole, Upload]]:
        found: list[tuple[EvidenceRole, Upload]] = []
        if self.oven_log is not None:
            found.append(("oven_log", self.oven_log))
        if self.weighings is not None:
            found.append(("weighings", self.weighings))
        return found

    def describes_a_cell(self) -> bool:
        """Whether any field of the cell itself was filled in (rather than a file given)."""
        names = [*TEXT_FIELDS, *CHOICE_FIELDS, *NUMBER_FIELDS, "wl_visible_liquid",
                 *specimen_fields()]
        return bool(self.phases) or any(self.value(name) for name in names)


@dataclass
class ClassifyOutcome:
    """The page's answer: errors to show, or the result (and what was stored)."""

    errors: FormErrors
    result: Result | None = None
    dossier: Dossier | None = None
    #: what the build said (replaced declarations …), rendered in the page's language
    notes: tuple[Said, ...] = ()
    stored: Submission | None = None
    evidence: list[EvidenceRecord] = field(default_factory=list)
    #: the oven log given and the conditions read from it, for the page's figure
    oven_log: Reading | None = None
    oven_conditions: ConditionsAnalysis | None = None


def _put(data: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        data = data.setdefault(name, {})
    data[leaf] = value


def _fields_to_mapping(sub: ClassifySubmission,
                       errors: FormErrors) -> tuple[dict[str, Any], list[int]]:
    """The dossier the fields describe (not yet validated), and the table row of each
    specimen kept. A blank field is left out: the model says if it was needed."""
    data: dict[str, Any] = {"electrolyte": {"phases": list(sub.phases)}}
    if not sub.phases:  # said as the form says it, before the model's list-length words
        errors.add("phase_solid", Said("web.form.no_phase"))
    for name, path in {**TEXT_FIELDS, **CHOICE_FIELDS}.items():
        if sub.value(name):
            _put(data, path, sub.value(name))
    for name, path in NUMBER_FIELDS.items():
        if sub.value(name):
            number = form_number(sub.value(name))
            if number is None:
                errors.add(name, Said("web.form.not_a_number"))
            else:
                _put(data, path, number)
    visible = sub.value("wl_visible_liquid")
    if visible in VISIBLE_LIQUID:
        _put(data, "weight_loss_test.visible_liquid", VISIBLE_LIQUID[visible])
    rows = _specimens(sub, errors)
    if rows:
        _put(data, "weight_loss_test.specimens", [masses for _, masses in rows])
    # a block something was typed into is a block the model checks whole, so every field
    # still missing is reported now rather than after the typed one is fixed
    for block, names in _BLOCKS.items():
        if any(sub.value(name) for name in names):
            data.setdefault(block, {})
    return data, [row for row, _ in rows]


def _specimens(sub: ClassifySubmission,
               errors: FormErrors) -> list[tuple[int, dict[str, float]]]:
    """The filled rows of the specimen table; a half-filled row is an error."""
    rows = []
    for row in range(1, SPECIMEN_ROWS + 1):
        names = {"mass_before_g": specimen_field(row, "before"),
                 "mass_after_g": specimen_field(row, "after")}
        typed = {key: sub.value(name) for key, name in names.items()}
        if not any(typed.values()):
            continue
        masses: dict[str, float] = {}
        for key, name in names.items():
            number = form_number(typed[key]) if typed[key] else None
            if not typed[key]:
                errors.add(name, Said("web.form.specimen_needs_both"))
            elif number is None:
                errors.add(name, Said("web.form.not_a_mass"))
            else:
                masses[key] = number
        if len(masses) == 2:
            rows.append((row, masses))
    return rows


def _safe_name(filename: str, default: str) -> str:
    """A file's base name, safe to create in a folder of our own."""
    base = Path(filename.replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable()).strip()[:200]
    return default if base in {"", ".", ".."} else base


def _read_upload(role: EvidenceRole, upload: Upload, max_bytes: int,
                 errors: FormErrors) -> Reading | None:
    """An uploaded instrument file, read as the evidence of its role; None on a problem."""
    if len(upload.content) > max_bytes:
        errors.add(role, Said("web.form.file_too_large",
                              {"size": len(upload.content), "limit": max_bytes}))
        return None
    try:  # the name a file is written under in our folder, and the registry keeps
        name = upload_name(upload.filename, field_name=role)
    except InvalidInputError as exc:
        for problem in exc.problems:
            errors.add(role, ProblemSaid(problem, with_path=False))
        return None
    with tempfile.TemporaryDirectory(prefix="solidcheck-form-") as folder:
        path = Path(folder) / name
        path.write_bytes(upload.content)
        try:
            return read_evidence(path, kind=role)
        except InvalidInputError as exc:
            for problem in exc.problems:  # the reader's words, never our temporary folder
                errors.add(role, ProblemSaid(_hidden(problem, str(path), name, folder),
                                             with_path=True))
        except MissingDependencyError as exc:
            errors.add(role, str(exc))
    return None


def _hidden(problem: Problem, path: str, name: str, folder: str) -> Problem:
    """``problem`` with our temporary file said by its uploaded name, and no folder of ours,
    in its text and in the parameters its catalogue message is said with."""
    def hidden(value: Any) -> Any:
        return value.replace(path, name).replace(folder, "…") if isinstance(value, str) else value

    return dataclasses.replace(
        problem, path=hidden(problem.path), message=hidden(problem.message),
        fix=hidden(problem.fix), params={key: hidden(v) for key, v in problem.params.items()})


def _lab_key(secret: str, registry: Registry, errors: FormErrors) -> ApiKeyRecord | None:
    if not secret:
        return None
    try:
        key = registry.authenticate(secret)
    except AccessDeniedError:  # the only refusal authenticate makes: no such key
        errors.add("api_key", Said("web.form.key_not_valid"))
        return None
    if key.role not in ("lab", "admin"):
        errors.add("api_key", Said("web.form.key_may_not_store", {"role": repr(key.role)}))
        return None
    return key


def _ruleset(ruleset_id: str, errors: FormErrors) -> Ruleset | None:
    installed = {r.id: r for r in available_rulesets()}
    if not ruleset_id:
        return next(iter(installed.values()))
    if ruleset_id not in installed:
        errors.add("ruleset", Said("web.form.unknown_ruleset",
                                   {"ruleset": repr(ruleset_id), "installed": list(installed)}))
        return None
    return installed[ruleset_id]


def _report(problems: Iterable[Problem], errors: FormErrors, *, from_file: bool,
            specimen_rows: list[int]) -> None:
    for problem in problems:
        if from_file:
            errors.add("dossier_file", ProblemSaid(problem, with_path=True))
        else:
            name = field_for_path(problem.path, specimen_rows)
            if problem.path == "weight_loss_test.specimens" and any(
                    field.startswith("specimen_") for field in errors.by_field):
                continue  # the table's own message already says what is missing
            errors.add(name, ProblemSaid(problem, with_path=not name), unless_present=True)


def _cell_data(sub: ClassifySubmission,
               errors: FormErrors) -> tuple[dict[str, Any] | None, list[int]]:
    """The cell's declarations: from the dossier file if one was given, else the fields."""
    if sub.dossier_file is None:
        return _fields_to_mapping(sub, errors)
    if sub.describes_a_cell():
        errors.add("dossier_file", Said("web.form.fields_and_file"))
        return None, []
    name = _safe_name(sub.dossier_file.filename, "dossier")
    content = sub.dossier_file.content
    try:
        data = parse_mapping(content, source=name)
    except InvalidInputError as exc:
        _report(_instrument_file(name, content) or exc.problems, errors, from_file=True,
                specimen_rows=[])
        return None, []
    instrument = None if isinstance(data, Mapping) else _instrument_file(name, content)
    if instrument:
        _report(instrument, errors, from_file=True, specimen_rows=[])
        return None, []
    return data, []


def _instrument_file(name: str, content: bytes) -> list[Problem]:
    """An instrument file given as the dossier: which kind it is (as the command line says)."""
    problem = instrument_file_problem(Path(name), content)
    return [] if problem is None else [problem]


def classify_submission(sub: ClassifySubmission, *, registry: Registry,
                        max_evidence_bytes: int) -> ClassifyOutcome:
    """Validate, build, classify and — with a lab key — store one submission."""
    errors = FormErrors()
    ruleset = _ruleset(sub.ruleset_id, errors)
    cell, specimen_rows = _cell_data(sub, errors)
    readings = {role: _read_upload(role, upload, max_evidence_bytes, errors)
                for role, upload in sub.uploads()}
    key = _lab_key(sub.api_key.strip(), registry, errors)
    if cell is None or ruleset is None or None in readings.values():
        return ClassifyOutcome(errors)
    from_file = sub.dossier_file is not None
    try:
        built = build_dossier(cell, ruleset=ruleset, oven_log=readings.get("oven_log"),
                              weighings=readings.get("weighings"), source="form")
    except InvalidInputError as exc:
        _report(exc.problems, errors, from_file=from_file, specimen_rows=specimen_rows)
        return ClassifyOutcome(errors)
    if errors:
        return ClassifyOutcome(errors)
    outcome = ClassifyOutcome(errors, result=classify(built.dossier, ruleset),
                              dossier=built.dossier, notes=built.said,
                              oven_log=readings.get("oven_log"),
                              oven_conditions=built.conditions)
    if key is not None:
        _store(outcome, sub, registry, key, ruleset, max_evidence_bytes,
               from_file=from_file, specimen_rows=specimen_rows)
    return outcome


def _store(outcome: ClassifyOutcome, sub: ClassifySubmission, registry: Registry,
           key: ApiKeyRecord, ruleset: Ruleset, max_evidence_bytes: int, *, from_file: bool,
           specimen_rows: list[int]) -> None:
    """Submit the dossier, then attach the evidence files it was built from."""
    assert outcome.dossier is not None
    who = writer(key)
    try:
        outcome.stored = registry.submit(outcome.dossier, ruleset=ruleset, **who)
    except InvalidInputError as exc:
        _report(exc.problems, outcome.errors, from_file=from_file, specimen_rows=specimen_rows)
        return
    except AccessDeniedError as exc:  # another lab's cell
        outcome.errors.add("id", str(exc))
        return
    except DatabaseError as exc:  # e.g. a value longer than the database's column
        outcome.errors.add("", Said("web.form.not_stored", {"detail": str(exc)}))
        return
    for role, upload in sub.uploads():
        try:
            outcome.evidence.append(registry.add_evidence(
                outcome.stored.cell_id, filename=upload_name(upload.filename),
                content=upload.content, max_bytes=max_evidence_bytes, **who))
        except InvalidInputError as exc:
            for problem in exc.problems:
                outcome.errors.add(role, ProblemSaid(problem, with_path=True))
