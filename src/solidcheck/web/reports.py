"""The HTML and PDF report of a stored result, drawn from the registry (for the API's
``GET /v1/results/{id}`` and the pages' download links).

The report shows the stored result, not a new classification. Its evidence is what the
registry holds for the cell: each file the dossier's ``evidence`` list names is written, by the
recorded name, into a private temporary folder beside the dossier when a file with the
recorded SHA-256 is stored — so the report checks and plots exactly as
``solidcheck report`` does beside a dossier file, and says "missing" for a file never
uploaded.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import formats
from .._version import __version__
from ..certificates import parse_certificate, verification_payload
from ..errors import InvalidInputError
from ..model import Dossier
from ..registry import CellDetail, Registry, ResultRecord
from ..report.html import Lang, render_html
from ..report.model import ReportItem, load_report_item
from ..report.pdf import render_pdf
from ..rules import Ruleset, available_rulesets, ruleset_by_id
from . import heavy
from .cache import report_cache, report_key

__all__ = ["ReportFormat", "render_result"]

ReportFormat = Literal["html", "pdf"]

#: the dossier's name in the temporary folder; an evidence file of that name is not written
_DOSSIER_NAME = ".solidcheck-dossier.json"


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """A report's bytes, its media type, and a download name made of safe characters only."""

    content: bytes
    media_type: str
    filename: str


def _render_result(registry: Registry, result_id: str, *, fmt: ReportFormat = "html",
                   lang: Lang = "en", published_only: bool = False,
                   lab: str | None = None) -> RenderedReport:
    """The report of one stored result, drawn (``render_result`` below: the same, cached)."""
    item, qr_payload = report_item(registry, result_id, published_only=published_only, lab=lab)
    # drawing (plots) and PDF layout are heavy work: a bounded pool, within the budget
    html = heavy.run_blocking(render_html, [item], lang=lang, qr_payload=qr_payload)
    content = heavy.run_blocking(render_pdf, html) if fmt == "pdf" else html.encode("utf-8")
    output_format = formats.get(fmt)  # media type and file suffix
    return RenderedReport(content, output_format.content_type,
                          f"solidcheck-result-{result_id}{output_format.suffix}")


def report_item(registry: Registry, result_id: str, *,
                published_only: bool = False,
                lab: str | None = None) -> tuple[ReportItem, str | None]:
    """What the report of a stored result shows, and the QR payload of its certificate
    (the newest, when the result has one)."""
    record = registry.get_result(result_id, published_only=published_only, lab=lab)
    cell = registry.get_cell(record.cell_id, published_only=published_only, lab=lab)
    version = next(v for v in cell.versions if v.version == record.version)
    with tempfile.TemporaryDirectory(prefix="solidcheck-report-") as folder:
        dossier_path = _write_with_evidence(registry, version.dossier, cell, Path(folder))
        item = heavy.run_blocking(_load_item, dossier_path, _ruleset_of(record),
                                  f"{cell.id} (version {version.version})")
    item = dataclasses.replace(item, result=record.result,
                               dossier_file=f"{cell.id} (version {version.version})",
                               dossier_sha256=version.sha256)
    return item, _certificate_payload(registry, cell, record)


def _load_item(dossier_path: Path, ruleset: Ruleset, shown_as: str) -> ReportItem:
    """``load_report_item`` (heavy: it reads the evidence files, and a spreadsheet can be
    slow); a problem names the stored dossier as ``shown_as``, never the server's temporary
    folder."""
    try:
        return load_report_item(dossier_path, ruleset)
    except InvalidInputError as exc:
        folder = str(dossier_path.parent)
        problems = [dataclasses.replace(p, path=p.path.replace(folder, "…"),
                                        message=p.message.replace(folder, "…"),
                                        fix=p.fix.replace(folder, "…")) for p in exc.problems]
        try:
            renamed = type(exc)(problems, source=shown_as, unlisted=exc.unlisted)
        except TypeError:  # a subclass with its own signature: the generic error says it
            renamed = InvalidInputError(problems, source=shown_as, unlisted=exc.unlisted)
        raise renamed from None


def _ruleset_of(record: ResultRecord) -> Ruleset:
    """The result's rule set, whose test conditions the oven log is judged against; the
    default one if it is no longer installed."""
    installed = {ruleset.id for ruleset in available_rulesets()}
    return ruleset_by_id(record.ruleset if record.ruleset in installed else None)


def _write_with_evidence(registry: Registry, dossier: Dossier, cell: CellDetail,
                         folder: Path) -> Path:
    """Write the dossier, and beside it every evidence file it names that the registry holds
    (matched by SHA-256); return the dossier's path."""
    dossier_path = folder / _DOSSIER_NAME
    dossier_path.write_text(json.dumps(dossier.model_dump(mode="json"), ensure_ascii=False),
                            encoding="utf-8")
    stored = {evidence.sha256 for evidence in cell.evidence}
    for evidence in dossier.evidence:
        name = Path(evidence.file.replace("\\", "/")).name  # as report.model looks it up
        if evidence.sha256 not in stored or name in ("", ".", "..", _DOSSIER_NAME):
            continue
        target = folder / name
        try:
            if not target.exists():
                target.write_bytes(registry.get_evidence(evidence.sha256))
        except (OSError, ValueError):  # a name the file system refuses: reported as missing
            continue
    return dossier_path


def _certificate_payload(registry: Registry, cell: CellDetail,
                         record: ResultRecord) -> str | None:
    ids = [c.id for c in cell.certificates if c.result_id == record.id]
    if not ids:
        return None
    try:
        return verification_payload(parse_certificate(registry.get_certificate(ids[0])))
    except InvalidInputError:  # stored certificates verified on the way in; never expected
        return None


# --------------------------------------------------------------------------- the cache

def render_result(registry: Registry, result_id: str, *, fmt: ReportFormat = "html",
                  lang: Lang = "en", published_only: bool = False,
                  lab: str | None = None) -> RenderedReport:
    """The report of one stored result. PDF needs the ``pdf`` extra (else
    ``MissingDependencyError``); ``NotFoundError`` for an unknown (or, with
    ``published_only``, an unpublished) result. Rendered once per content (``cache.py``:
    by a hash of the result, the dossier version, the evidence and certificate shown, the
    language and the format); the reader's access is checked first, on every request."""
    key = _report_cache_key(registry, result_id, fmt=fmt, lang=lang,
                            published_only=published_only, lab=lab)
    cached = report_cache().get(key)
    if cached is None:
        report = _render_result(registry, result_id, fmt=fmt, lang=lang,
                                published_only=published_only, lab=lab)
        cached = (report.content, report.media_type, report.filename)
        report_cache().put(key, cached, len(report.content))
    return RenderedReport(*cached)


def _report_cache_key(registry: Registry, result_id: str, *, fmt: ReportFormat, lang: Lang,
                      published_only: bool, lab: str | None) -> str:
    """A content hash of everything the report is drawn from — the result, the dossier
    version, the evidence files it names that the registry holds, the certificate whose QR
    code it shows, the language and the format, solidcheck's version — read as the reader
    may see it (``NotFoundError`` otherwise)."""
    record = registry.get_result(result_id, published_only=published_only, lab=lab)
    cell = registry.get_cell(record.cell_id, published_only=published_only, lab=lab)
    version = next(v for v in cell.versions if v.version == record.version)
    stored = {evidence.sha256 for evidence in cell.evidence}
    evidence = [(e.file, e.sha256) for e in version.dossier.evidence if e.sha256 in stored]
    certificate = next((c.sha256 for c in cell.certificates if c.result_id == record.id), None)
    return report_key("report", __version__, fmt, lang, record.id, record.sha256,
                      record.ruleset, cell.id, version.version, version.sha256, certificate,
                      evidence=evidence)
