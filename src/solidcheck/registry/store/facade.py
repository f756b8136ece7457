"""The registry: dossiers, results, evidence, certificates and API keys, kept without loss.

Every write is one transaction that also appends to the hash-chained audit log, so a write
is either wholly there and logged, or not there at all. Writers are serialised by the chain
head's row lock (PostgreSQL) or SQLite's write lock, taken when the transaction begins.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import re
import secrets
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import ColumnElement, bindparam, exists, false, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased, sessionmaker

from ..._validation import path_of
from ..._version import __version__
from ...certificates import (
    canonical_json,
    fingerprint,
    parse_certificate,
    public_key_base64,
    result_differences,
    verify,
)
from ...certificates import parse_public_key as _parse_public_key
from ...classify import classify
from ...errors import (
    AccessDeniedError,
    DatabaseError,
    DossierError,
    EvidenceError,
    InvalidInputError,
    MissingDependencyError,
    NotFoundError,
    Problem,
)
from ...model import Dossier, Result
from ...rules import Ruleset, available_rulesets, load_ruleset
from ..db import HEAD_REVISION, database_url, make_engines, migrate, schema_revision
from ..identity import cell_id_problems, file_name_problems, id_skeleton
from ..records import (
    ApiKeyRecord,
    CellDetail,
    CellPage,
    CellSummary,
    CertificateRecord,
    ChainReport,
    EvidenceRecord,
    GrantRecord,
    IssuerRecord,
    LogEntry,
    ResultRecord,
    Role,
    Submission,
    VersionRecord,
)
from ..schema import (
    ApiKey,
    AuditEntry,
    Cell,
    CellEvidence,
    CellGrant,
    Certificate,
    ChainHead,
    DossierVersion,
    EvidenceFile,
    ResultRow,
    TrustedIssuer,
)

__all__ = ["DEFAULT_MAX_EVIDENCE_BYTES", "ROLES", "Registry", "key_actor", "sha256_hex",
           "shown_actor"]

ROLES: tuple[Role, ...] = ("reader", "lab", "admin")
DEFAULT_MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
GENESIS_HASH = "0" * 64
_KEY_PATTERN = re.compile(r"sc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
#: how the web service names a key in the audit log (``deps.actor_of``)
_KEY_ACTOR = re.compile(r"key:[0-9a-f]{12} \((.*)\)", re.DOTALL)
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")
_REVISION_OF = select(Cell.revision).where(Cell.dossier_id == bindparam("cell_id"))
_MAX_NAME = 500  # the cells table's manufacturer and model columns
_ACTOR_MAX = 200  # the created_by and audit-log actor columns


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def key_actor(key: ApiKeyRecord) -> str:
    """Who the audit log records for a write made with ``key``: its id and name, within the
    200 characters the log keeps (the name is cut, so :func:`shown_actor` still reads it)."""
    prefix = f"key:{key.id} ("
    return f"{prefix}{key.name[:_ACTOR_MAX - len(prefix) - 1]})"


def shown_actor(actor: str) -> str:
    """Who made a row, as readers see it: a key's name, never its id (the audit log keeps
    both)."""
    match = _KEY_ACTOR.fullmatch(actor)
    return match.group(1) if match else actor


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class Registry:
    """A registry database. Open with :meth:`open`; use as a context manager to close it."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self._read_engine, self._write_engine = make_engines(self.url)
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = False) -> Registry:
        """Open the registry; ``create`` makes or upgrades its tables, otherwise a database
        that is empty or at another schema version is refused with what to run."""
        registry = cls(url)
        revision = schema_revision(registry._write_engine)
        if revision != HEAD_REVISION:
            if not create:
                registry.close()
                state = "has no registry yet" if revision is None else (
                    f"is at schema revision {revision}, this solidcheck needs {HEAD_REVISION}")
                raise DatabaseError(f"the database {registry.display_url} {state} — run "
                                    "`solidcheck registry init` first")
            migrate(registry._write_engine)
        return registry

    @property
    def display_url(self) -> str:
        return self._write_engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self._read_engine.dispose()
        if self._write_engine is not self._read_engine:
            self._write_engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        try:
            with self._read() as session:
                yield session
        except SQLAlchemyError as exc:
            raise DatabaseError(f"the registry database failed: {exc.__class__.__name__}"
                                ) from exc

    @contextmanager
    def _writing(self) -> Iterator[tuple[Session, ChainHead]]:
        """One write transaction, holding the chain head (and so the right to append)."""
        try:
            with self._write.begin() as session:
                head = session.get(ChainHead, 1, with_for_update=True)
                if head is None:
                    raise DatabaseError("the registry's chain head is missing — the database "
                                        "was altered outside solidcheck; run `solidcheck "
                                        "registry verify`")
                yield session, head
        except SQLAlchemyError as exc:
            raise DatabaseError(f"the registry database failed: {exc.__class__.__name__}"
                                ) from exc

    @staticmethod
    def _append(session: Session, head: ChainHead, *, actor: str, action: str, subject: str,
                details: Mapping[str, object]) -> None:
        entry = {"seq": head.seq + 1, "at": _now().isoformat(timespec="microseconds"),
                 "actor": actor, "action": action, "subject": subject,
                 "details": dict(details), "prev_hash": head.entry_hash}
        entry_hash = sha256_hex(canonical_json(entry))
        session.add(AuditEntry(**entry, entry_hash=entry_hash))
        head.seq, head.entry_hash = cast(int, entry["seq"]), entry_hash
        session.flush()

    # ----------------------------------------------------------------- dossiers and results

    def submit(self, dossier: Dossier, *, actor: str, ruleset: Ruleset | str | None = None,
               publish: bool = True, lab: str | None = None, admin: bool = False) -> Submission:
        """Store a dossier (a new version when its content differs from the latest) and its
        classification under ``ruleset``. Submitting the same content again changes nothing
        and returns the stored result.

        ``lab`` is the organisation writing (a new cell becomes its own); None is the
        registry's operator at the command line, who, like ``admin``, may write any cell.
        Another lab's cell is refused (``AccessDeniedError``) unless an admin granted access.
        """
        _check_storable(dossier)
        rules = load_ruleset(ruleset) if not isinstance(ruleset, Ruleset) else ruleset
        content = dossier.model_dump(mode="json")
        digest = sha256_hex(canonical_json(content))
        result = classify(dossier, rules)
        with self._writing() as (session, head):
            now = _now()
            cell = session.scalar(select(Cell).where(Cell.dossier_id == dossier.id))
            new_version = True
            if cell is None:
                skeleton = id_skeleton(dossier.id)
                _refuse_look_alike(session, dossier.id, skeleton)
                cell = Cell(dossier_id=dossier.id, id_skeleton=skeleton, owner=lab, revision=0,
                            manufacturer=dossier.manufacturer, model=dossier.model,
                            latest_version=1, created_at=now, updated_at=now)
                session.add(cell)
                session.flush()
                version = self._add_version(session, head, cell, 1, content, digest, actor, now)
            else:
                _check_may_write(session, cell, lab=lab, admin=admin)
                version = self._version(session, cell.id, cell.latest_version)
                if version.sha256 == digest:
                    new_version = False
                else:
                    version = self._add_version(session, head, cell, cell.latest_version + 1,
                                                content, digest, actor, now)
                    cell.latest_version = version.version
                    cell.manufacturer, cell.model = dossier.manufacturer, dossier.model
                    cell.updated_at = now
            row = self._result_for(session, version.id, rules.id)
            if row is None:
                row = self._add_result(session, head, cell, version, result, actor=actor,
                                       publish=publish, now=now)
            return Submission(cell_id=cell.dossier_id, version=version.version,
                              new_version=new_version,
                              result=self._result_record(row, cell, version.version))

    def reclassify(self, cell_id: str, *, ruleset: Ruleset | str | None, actor: str,
                   publish: bool | None = None, lab: str | None = None,
                   admin: bool = False) -> ResultRecord:
        """Classify the cell's latest version under another rule set; earlier results stay.
        The new result is published as the version's earlier results are, unless ``publish``
        says otherwise. ``lab`` and ``admin`` as for :meth:`submit`."""
        rules = load_ruleset(ruleset) if not isinstance(ruleset, Ruleset) else ruleset
        with self._writing() as (session, head):
            cell = self._cell(session, cell_id)
            _check_may_write(session, cell, lab=lab, admin=admin)
            version = self._version(session, cell.id, cell.latest_version)
            row = self._result_for(session, version.id, rules.id)
            if row is None:
                result = classify(_stored_dossier(version.content, cell.dossier_id,
                                                  version.version), rules)
                row = self._add_result(session, head, cell, version, result, actor=actor,
                                       publish=_publish_state(session, version, publish),
                                       now=_now())
            return self._result_record(row, cell, version.version)

    def _add_version(self, session: Session, head: ChainHead, cell: Cell, number: int,
                     content: dict[str, Any], digest: str, actor: str,
                     now: datetime) -> DossierVersion:
        version = DossierVersion(cell_id=cell.id, version=number, content=content,
                                 sha256=digest, manufacturer=content.get("manufacturer"),
                                 model=content.get("model"), created_at=now, created_by=actor)
        session.add(version)
        cell.revision += 1
        session.flush()
        self._append(session, head, actor=actor, action="dossier.version",
                     subject=cell.dossier_id,
                     details={"version": number, "sha256": digest})
        return version

    def _add_result(self, session: Session, head: ChainHead, cell: Cell,
                    version: DossierVersion, result: Result, *, actor: str, publish: bool,
                    now: datetime) -> ResultRow:
        content = result.model_dump(mode="json")
        row = ResultRow(id=uuid.uuid4().hex, cell_id=cell.id, dossier_version_id=version.id,
                        ruleset=result.ruleset, solidcheck_version=result.solidcheck_version,
                        category=result.category, electrolyte_type=result.electrolyte_type,
                        conducting_ion=result.conducting_ion, application=result.application,
                        code=result.code, content=content,
                        sha256=sha256_hex(canonical_json(content)), published=publish,
                        created_at=now, created_by=actor)
        session.add(row)
        cell.revision += 1
        session.flush()
        self._append(session, head, actor=actor, action="result.create",
                     subject=cell.dossier_id,
                     details={"result": row.id, "version": version.version,
                              "ruleset": row.ruleset, "sha256": row.sha256})
        return row

    @staticmethod
    def _cell(session: Session, cell_id: str) -> Cell:
        cell = session.scalar(select(Cell).where(Cell.dossier_id == cell_id))
        if cell is None:
            raise NotFoundError(f"no cell {cell_id!r} in the registry — list them with "
                                "GET /v1/cells or the search page")
        return cell

    @staticmethod
    def _version(session: Session, cell_pk: int, number: int) -> DossierVersion:
        return session.scalars(select(DossierVersion).where(
            DossierVersion.cell_id == cell_pk, DossierVersion.version == number)).one()

    @staticmethod
    def _result_for(session: Session, version_pk: int, ruleset_id: str) -> ResultRow | None:
        return session.scalars(select(ResultRow).where(
            ResultRow.dossier_version_id == version_pk, ResultRow.ruleset == ruleset_id,
            ResultRow.solidcheck_version == __version__)).first()

    @staticmethod
    def _result_record(row: ResultRow, cell: Cell, version: int) -> ResultRecord:
        return ResultRecord(id=row.id, cell_id=cell.dossier_id, version=version,
                            ruleset=row.ruleset, solidcheck_version=row.solidcheck_version,
                            published=row.published, created_at=_aware(row.created_at),
                            created_by=shown_actor(row.created_by), sha256=row.sha256,
                            result=Result.model_validate(row.content))

    # ----------------------------------------------------------------- reading

    def list_cells(self, *, category: str | None = None, electrolyte_type: str | None = None,
                   conducting_ion: str | None = None, manufacturer: str | None = None,
                   text: str | None = None, ruleset: str | None = None,
                   published_only: bool = False, lab: str | None = None, limit: int = 50,
                   offset: int = 0) -> CellPage:
        """Cells with their latest version's result under ``ruleset`` (the default rule set
        when not given), newest first, filtered and paginated. ``published_only``: only
        cells with a published result and published results — except for the cells ``lab``
        may write."""
        ruleset_id = load_ruleset(ruleset).id
        shown: Any = Cell.latest_version
        result_filter: list[ColumnElement[bool]] = []
        if published_only:  # the newest version the reader may see; none: not listed
            version, row = aliased(DossierVersion), aliased(ResultRow)
            shown = (select(func.max(version.version))
                     .where(version.cell_id == Cell.id,
                            or_(exists().where(row.dossier_version_id == version.id,
                                               row.published.is_(True)),
                                _writable_cell(lab)))
                     .correlate(Cell).scalar_subquery())
            result_filter.append(or_(ResultRow.published.is_(True), _writable_cell(lab)))
        latest = (select(ResultRow.id)
                  .where(ResultRow.dossier_version_id == DossierVersion.id,
                         ResultRow.ruleset == ruleset_id, *result_filter)
                  .order_by(ResultRow.created_at.desc()).limit(1)
                  .correlate(DossierVersion, Cell).scalar_subquery())
        query = (select(Cell, DossierVersion, ResultRow).select_from(Cell)
                 .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                       & (DossierVersion.version == shown))
                 .outerjoin(ResultRow, ResultRow.id == latest))
        if category:
            query = query.where(ResultRow.category == category)
        if electrolyte_type:
            query = query.where(ResultRow.electrolyte_type == electrolyte_type)
        if conducting_ion:
            query = query.where(ResultRow.conducting_ion == conducting_ion)
        if manufacturer:
            query = query.where(func.lower(DossierVersion.manufacturer).contains(
                manufacturer.lower(), autoescape=True))
        if text:
            needle = text.lower()
            query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                      for column in (Cell.dossier_id, DossierVersion.manufacturer,
                                                     DossierVersion.model, ResultRow.code))))
        with self._reading() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(DossierVersion.created_at.desc(),
                                                  Cell.dossier_id)
                                   .limit(limit).offset(offset)).all()
        items = [CellSummary(id=cell.dossier_id, manufacturer=version.manufacturer,
                             model=version.model, latest_version=version.version,
                             category=row.category if row else None,
                             electrolyte_type=row.electrolyte_type if row else None,
                             conducting_ion=row.conducting_ion if row else None,
                             code=row.code if row else None, result_id=row.id if row else None,
                             updated_at=_aware(version.created_at))
                 for cell, version, row in rows]
        return CellPage(items=items, total=total, limit=limit, offset=offset)

    def get_cell(self, cell_id: str, *, published_only: bool = False,
                 lab: str | None = None) -> CellDetail:
        """A cell with every version, result, evidence file and certificate.
        ``published_only``: the published results, the versions they are of and their
        certificates — all of them for a cell ``lab`` may write; a cell with nothing
        published is not found."""
        with self._reading() as session:
            cell = self._cell(session, cell_id)
            hidden = published_only and not _lab_may_write(session, cell, lab)
            results_query = select(ResultRow).where(ResultRow.cell_id == cell.id)
            if hidden:
                results_query = results_query.where(ResultRow.published.is_(True))
            results = session.scalars(results_query.order_by(
                ResultRow.created_at.desc())).all()
            if hidden and not results:
                raise NotFoundError(f"no cell {cell_id!r} in the registry — list them with "
                                    "GET /v1/cells or the search page")
            versions_query = select(DossierVersion).where(DossierVersion.cell_id == cell.id)
            if hidden:
                versions_query = versions_query.where(DossierVersion.id.in_(
                    {r.dossier_version_id for r in results}))
            versions = session.scalars(versions_query.order_by(
                DossierVersion.version.desc())).all()
            number_of = {v.id: v.version for v in versions}
            evidence = session.execute(
                select(CellEvidence, EvidenceFile.size_bytes)
                .join(EvidenceFile, EvidenceFile.sha256 == CellEvidence.sha256)
                .where(CellEvidence.cell_id == cell.id)
                .order_by(CellEvidence.created_at.desc())).all()
            visible = {r.id for r in results}
            certificates = [row for row in self._certificate_rows(
                session, ResultRow.cell_id == cell.id) if row[0].result_id in visible]
        newest = versions[0]  # what the reader may see of it: the newest visible version
        return CellDetail(
            id=cell.dossier_id, manufacturer=newest.manufacturer, model=newest.model,
            owner=cell.owner, latest_version=newest.version,
            created_at=_aware(cell.created_at), updated_at=_aware(newest.created_at),
            versions=[VersionRecord(version=v.version, sha256=v.sha256,
                                    created_at=_aware(v.created_at),
                                    created_by=shown_actor(v.created_by),
                                    dossier=_stored_dossier(v.content, cell.dossier_id,
                                                            v.version))
                      for v in versions],
            results=[self._result_record(r, cell, number_of[r.dossier_version_id])
                     for r in results],
            evidence=[self._evidence_record(link, size) for link, size in evidence],
            certificates=[self._certificate_record(*row) for row in certificates])

    def cell_revision(self, cell_id: str) -> int | None:
        """A number that grows with every write concerning the cell (None: no such cell):
        a cached view of the cell is current while this is unchanged."""
        try:  # a bare connection: this read is on every cached request's path
            with self._read_engine.connect() as connection:
                revision: int | None = connection.scalar(_REVISION_OF, {"cell_id": cell_id})
                return revision
        except SQLAlchemyError as exc:
            raise DatabaseError(f"the registry database failed: {exc.__class__.__name__}"
                                ) from exc

    def get_result(self, result_id: str, *, published_only: bool = False,
                   lab: str | None = None) -> ResultRecord:
        """A stored result; ``published_only`` as for :meth:`get_cell`."""
        with self._reading() as session:
            row = session.get(ResultRow, result_id)
            cell = None if row is None else session.get_one(Cell, row.cell_id)
            if row is None or cell is None or (
                    published_only and not row.published
                    and not _lab_may_write(session, cell, lab)):
                raise NotFoundError(f"no result {result_id!r} in the registry — a cell's "
                                    "results are listed by GET /v1/cells/{id}")
            version = session.get_one(DossierVersion, row.dossier_version_id)
            return self._result_record(row, cell, version.version)

    def get_dossier(self, cell_id: str, version: int | None = None) -> Dossier:
        with self._reading() as session:
            cell = self._cell(session, cell_id)
            stored = self._version(session, cell.id, version or cell.latest_version)
            return _stored_dossier(stored.content, cell.dossier_id, stored.version)

    def latest_dossiers(self, *, page_rows: int = 10_000) -> Iterator[list[Dossier]]:
        """The latest version of every cell's dossier, by cell id, a page at a time (each
        page read in its own transaction, so an export of millions holds no long one): the
        input of a batch re-classification (``solidcheck registry export``)."""
        if page_rows < 1:
            raise ValueError("page_rows must be at least 1")
        after: str | None = None
        while True:
            query = (select(Cell.dossier_id, DossierVersion.content)
                     .join(DossierVersion, (DossierVersion.cell_id == Cell.id)
                           & (DossierVersion.version == Cell.latest_version))
                     .order_by(Cell.dossier_id).limit(page_rows))
            if after is not None:
                query = query.where(Cell.dossier_id > after)
            with self._reading() as session:
                rows = session.execute(query).all()
            if not rows:
                return
            yield [_stored_dossier(content, cell_id) for cell_id, content in rows]
            after = rows[-1][0]

    def ping(self) -> None:
        """Raise ``DatabaseError`` unless the database answers a query (health checks)."""
        with self._reading() as session:
            session.execute(select(1))

    # ----------------------------------------------------------------- evidence

    def add_evidence(self, cell_id: str, *, filename: str, content: bytes, actor: str,
                     max_bytes: int = DEFAULT_MAX_EVIDENCE_BYTES, lab: str | None = None,
                     admin: bool = False) -> EvidenceRecord:
        """Attach an instrument file to a cell. It must be one solidcheck can read (the
        reader's problems are the error otherwise); its bytes are stored once, by SHA-256.
        ``filename`` is a base name (no folder part, no control characters); ``lab`` and
        ``admin`` as for :meth:`submit`."""
        name = filename.strip()
        problems = file_name_problems(name)
        if problems:
            raise EvidenceError(problems, source="the upload")
        with self._reading() as session:  # before reading the file: refuse early
            _check_may_write(session, self._cell(session, cell_id), lab=lab, admin=admin)
        if len(content) > max_bytes:
            raise EvidenceError([Problem("", f"the file is {len(content)} bytes, over the "
                                         f"registry's limit of {max_bytes} bytes",
                                         "upload a smaller export, or ask the registry's "
                                         "administrator to raise the limit")], source=name)
        reader, kind, summary = _read_evidence_bytes(name, content)
        digest = sha256_hex(content)
        with self._writing() as (session, head):
            cell = self._cell(session, cell_id)
            _check_may_write(session, cell, lab=lab, admin=admin)
            now = _now()
            if session.get(EvidenceFile, digest) is None:
                session.add(EvidenceFile(sha256=digest, size_bytes=len(content),
                                         content=content, created_at=now))
            link = session.scalar(select(CellEvidence).where(
                CellEvidence.cell_id == cell.id, CellEvidence.sha256 == digest,
                CellEvidence.filename == name))
            if link is None:
                link = CellEvidence(cell_id=cell.id, sha256=digest, filename=name,
                                    reader=reader, kind=kind, summary=summary, created_at=now,
                                    created_by=actor)
                session.add(link)
                cell.revision += 1
                session.flush()
                self._append(session, head, actor=actor, action="evidence.add",
                             subject=cell.dossier_id,
                             details={"file": name, "sha256": digest, "size_bytes": len(content),
                                      "reader": reader})
            return self._evidence_record(link, len(content))

    def get_evidence(self, sha256: str, *, published_only: bool = False,
                     lab: str | None = None) -> bytes:
        """An evidence file's bytes; ``published_only``: only a file of a cell the reader
        may see (see :meth:`get_cell`)."""
        with self._reading() as session:
            row = session.get(EvidenceFile, sha256)
            if row is not None and published_only and session.scalar(
                    select(CellEvidence.id).join(Cell, Cell.id == CellEvidence.cell_id)
                    .where(CellEvidence.sha256 == sha256, _visible_cell(lab)).limit(1)) is None:
                row = None
            if row is None:
                raise NotFoundError(f"no evidence file with SHA-256 {sha256} in the registry")
            return row.content

    @staticmethod
    def _evidence_record(link: CellEvidence, size: int) -> EvidenceRecord:
        return EvidenceRecord(sha256=link.sha256, filename=link.filename, size_bytes=size,
                              reader=link.reader, kind=link.kind, summary=link.summary,
                              created_at=_aware(link.created_at),
                              created_by=shown_actor(link.created_by))

    # ----------------------------------------------------------------- certificates

    def add_certificate(self, data: bytes, *, actor: str, lab: str | None = None,
                        admin: bool = False) -> CertificateRecord:
        """Keep a certificate of a registered cell's stored version. It must verify, be
        signed by one of the registry's trusted issuers, and certify exactly the result the
        registry itself gives that version under that rule set (every field but the
        solidcheck version) — the registry stores only results it computed. The same
        certificate again returns the stored one. ``lab`` and ``admin`` as for
        :meth:`submit`."""
        cert = parse_certificate(data, source="certificate")
        outcome = verify(data, source="certificate")
        if not outcome.valid:
            raise InvalidInputError([Problem("", f"the certificate does not verify: {reason}",
                                             "upload the certificate file as issued")
                                     for reason in outcome.reasons], source="certificate")
        subject = cert["subject"]
        digest = sha256_hex(data)
        issuer_fingerprint = str(cert["issuer"]["key_fingerprint"])
        with self._writing() as (session, head):
            issuer = session.get(TrustedIssuer, issuer_fingerprint)
            if issuer is None or issuer.removed_at is not None:
                raise InvalidInputError([Problem(
                    "issuer.key_fingerprint",
                    f"the issuer {cert['issuer'].get('name')!r} ({issuer_fingerprint}) is not "
                    "among this registry's trusted issuers",
                    "ask an administrator to add the issuer's public key (`solidcheck "
                    "registry issuers add`) if the registry should accept its certificates")],
                    source="certificate")
            cell = self._cell(session, str(subject["dossier_id"]))
            _check_may_write(session, cell, lab=lab, admin=admin)
            known = self._certificate_rows(session, Certificate.sha256 == digest)
            if known:  # a replay: stored once
                return self._certificate_record(*known[0])
            version = session.scalar(select(DossierVersion).where(
                DossierVersion.cell_id == cell.id,
                DossierVersion.sha256 == subject["dossier_canonical_sha256"]))
            if version is None:
                raise InvalidInputError([Problem(
                    "subject.dossier_canonical_sha256",
                    f"no version of cell {cell.dossier_id!r} has the certified content",
                    "submit the certified dossier first (POST /v1/cells)")],
                    source="certificate")
            certified = Result.model_validate(cert["result"])
            rules = {r.id: r for r in available_rulesets()}.get(certified.ruleset)
            if rules is None:
                raise InvalidInputError([Problem(
                    "result.ruleset", f"rule set {certified.ruleset!r} is not installed in "
                    "this registry, so it cannot check the result",
                    "certify under an installed rule set (GET /v1/rulesets)")],
                    source="certificate")
            row = self._result_for(session, version.id, rules.id)
            own = (Result.model_validate(row.content) if row is not None
                   else classify(_stored_dossier(version.content, cell.dossier_id,
                                                 version.version), rules))
            differences = result_differences(certified, own)
            if differences:
                raise InvalidInputError([Problem(
                    f"result.{name}", f"the certificate says {mine}, but the registry "
                    f"classifies version {version.version} of the dossier as {theirs}",
                    "certify the registry's own result: re-issue the certificate from the "
                    "stored dossier with `solidcheck certify`") for name, mine, theirs
                    in differences], source="certificate")
            if row is None:
                row = self._add_result(session, head, cell, version, own, actor=actor,
                                       publish=_publish_state(session, version, None),
                                       now=_now())
            stored = Certificate(result_id=row.id, content=data, sha256=digest,
                                 issuer_fingerprint=issuer_fingerprint,
                                 issuer_name=issuer.name, created_at=_now(), created_by=actor)
            session.add(stored)
            cell.revision += 1
            session.flush()
            self._append(session, head, actor=actor, action="certificate.add",
                         subject=cell.dossier_id,
                         details={"certificate": stored.id, "result": row.id,
                                  "sha256": digest})
            return self._certificate_record(stored, row.ruleset, version.version)

    def get_certificate(self, certificate_id: int, *, published_only: bool = False,
                        lab: str | None = None) -> bytes:
        """A stored certificate's bytes; ``published_only``: only one of a result the reader
        may see (see :meth:`get_result`)."""
        with self._reading() as session:
            row = session.get(Certificate, certificate_id)
            if row is not None and published_only:
                result = session.get_one(ResultRow, row.result_id)
                cell = session.get_one(Cell, result.cell_id)
                if not result.published and not _lab_may_write(session, cell, lab):
                    row = None
            if row is None:
                raise NotFoundError(f"no certificate {certificate_id} in the registry")
            return row.content

    @staticmethod
    def _certificate_query(*where: ColumnElement[bool]) -> Any:
        return (select(Certificate, ResultRow.ruleset, DossierVersion.version)
                .join(ResultRow, ResultRow.id == Certificate.result_id)
                .join(DossierVersion, DossierVersion.id == ResultRow.dossier_version_id)
                .where(*where).order_by(Certificate.created_at.desc()))

    def _certificate_rows(self, session: Session, *where: ColumnElement[bool]
                          ) -> list[tuple[Certificate, str, int]]:
        return [(c, ruleset, version) for c, ruleset, version
                in session.execute(self._certificate_query(*where)).all()]

    @staticmethod
    def _certificate_record(row: Certificate, ruleset: str, version: int) -> CertificateRecord:
        return CertificateRecord(id=row.id, result_id=row.result_id, version=version,
                                 ruleset=ruleset, sha256=row.sha256,
                                 issuer_fingerprint=row.issuer_fingerprint,
                                 issuer_name=row.issuer_name,
                                 created_at=_aware(row.created_at))

    # ----------------------------------------------------------------- trusted issuers

    def add_trusted_issuer(self, *, name: str, actor: str, public_key: str | None = None,
                           key_fingerprint: str | None = None) -> IssuerRecord:
        """Trust certificates signed by a key: its base64 public key (as in a certificate's
        ``issuer.public_key``), or its fingerprint. Adding a removed issuer again restores it."""
        problems = []
        if not name.strip():
            problems.append(Problem("name", "blank", "name the issuer, e.g. the lab"))
        if public_key is not None:
            try:
                key = _parse_public_key(public_key, source="key")
            except InvalidInputError as exc:
                problems += [Problem("public_key", p.message, p.fix) for p in exc.problems]
            else:
                public_key, key_fingerprint_of = public_key_base64(key), fingerprint(key)
                if key_fingerprint not in (None, key_fingerprint_of):
                    problems.append(Problem("fingerprint", "does not match public_key (the "
                                            f"key's is {key_fingerprint_of})", "give one"))
                key_fingerprint = key_fingerprint_of
        elif key_fingerprint is None or not _FINGERPRINT.fullmatch(key_fingerprint):
            problems.append(Problem("public_key", "give the issuer's public key or its "
                                    "fingerprint (sha256:<64 hex>)",
                                    "copy issuer.public_key from one of its certificates, "
                                    "or use `solidcheck keys fingerprint`"))
        if problems:
            raise InvalidInputError(problems, source="trusted issuer")
        assert key_fingerprint is not None
        with self._writing() as (session, head):
            row = session.get(TrustedIssuer, key_fingerprint)
            if row is None:
                row = TrustedIssuer(fingerprint=key_fingerprint, name=name.strip(),
                                    public_key=public_key, added_at=_now(), added_by=actor,
                                    removed_at=None)
                session.add(row)
            elif row.removed_at is None and row.name == name.strip():
                return self._issuer_record(row)
            else:
                row.name, row.removed_at = name.strip(), None
                row.public_key = public_key or row.public_key
            session.flush()
            self._append(session, head, actor=actor, action="issuer.add",
                         subject=key_fingerprint, details={"name": row.name})
            return self._issuer_record(row)

    def remove_trusted_issuer(self, key_fingerprint: str, *, actor: str) -> IssuerRecord:
        """Stop accepting new certificates of an issuer; those kept stay."""
        with self._writing() as (session, head):
            row = session.get(TrustedIssuer, key_fingerprint)
            if row is None:
                raise NotFoundError(f"no trusted issuer {key_fingerprint!r} — list them with "
                                    "`solidcheck registry issuers list`")
            if row.removed_at is None:
                row.removed_at = _now()
                self._append(session, head, actor=actor, action="issuer.remove",
                             subject=key_fingerprint, details={})
            return self._issuer_record(row)

    def trusted_issuers(self, *, include_removed: bool = False) -> list[IssuerRecord]:
        with self._reading() as session:
            query = select(TrustedIssuer).order_by(TrustedIssuer.added_at)
            if not include_removed:
                query = query.where(TrustedIssuer.removed_at.is_(None))
            return [self._issuer_record(row) for row in session.scalars(query)]

    @staticmethod
    def _issuer_record(row: TrustedIssuer) -> IssuerRecord:
        return IssuerRecord(fingerprint=row.fingerprint, name=row.name,
                            public_key=row.public_key, added_at=_aware(row.added_at),
                            removed_at=_aware(row.removed_at) if row.removed_at else None)

    # ----------------------------------------------------------------- access grants

    def grant_access(self, cell_id: str, *, lab: str, actor: str) -> GrantRecord:
        """Let ``lab`` write to a cell it does not own (an administrator's decision)."""
        if not lab.strip() or len(lab) > 200:
            raise InvalidInputError([Problem("lab", "blank or over 200 characters",
                                             "give the lab's name as its keys' organisation")])
        with self._writing() as (session, head):
            cell = self._cell(session, cell_id)
            row = session.scalar(select(CellGrant).where(CellGrant.cell_id == cell.id,
                                                         CellGrant.lab == lab.strip()))
            if row is None:
                row = CellGrant(cell_id=cell.id, lab=lab.strip(), created_at=_now(),
                                created_by=actor)
                session.add(row)
                cell.revision += 1
                session.flush()
                self._append(session, head, actor=actor, action="cell.grant",
                             subject=cell.dossier_id, details={"lab": row.lab})
            return GrantRecord(cell_id=cell.dossier_id, lab=row.lab,
                               created_at=_aware(row.created_at))

    def revoke_access(self, cell_id: str, *, lab: str, actor: str) -> None:
        with self._writing() as (session, head):
            cell = self._cell(session, cell_id)
            row = session.scalar(select(CellGrant).where(CellGrant.cell_id == cell.id,
                                                         CellGrant.lab == lab))
            if row is None:
                raise NotFoundError(f"lab {lab!r} has no grant on cell {cell_id!r}")
            session.delete(row)
            cell.revision += 1
            session.flush()
            self._append(session, head, actor=actor, action="cell.ungrant",
                         subject=cell.dossier_id, details={"lab": lab})

    def grants(self, cell_id: str) -> list[GrantRecord]:
        with self._reading() as session:
            cell = self._cell(session, cell_id)
            return [GrantRecord(cell_id=cell.dossier_id, lab=row.lab,
                                created_at=_aware(row.created_at))
                    for row in session.scalars(select(CellGrant).where(
                        CellGrant.cell_id == cell.id).order_by(CellGrant.lab))]

    # ----------------------------------------------------------------- API keys

    def create_api_key(self, *, role: Role, name: str, actor: str,
                       organisation: str | None = None) -> tuple[ApiKeyRecord, str]:
        """A new key; the secret is returned once and only its SHA-256 is kept. The key acts
        for ``organisation`` (default: its name): the lab that owns the cells it creates."""
        organisation = (organisation if organisation is not None else name).strip()
        problems = []
        if role not in ROLES:
            problems.append(Problem("role", f"unknown role {role!r}",
                                    f"use one of: {', '.join(ROLES)}"))
        for field, value, fix in (("name", name.strip(), "say whose key it is"),
                                  ("organisation", organisation, "name the lab it acts for")):
            if not value or len(value) > 200 or not value.isprintable():
                problems.append(Problem(field, "blank, over 200 characters or with control "
                                        "characters", fix))
        if problems:
            raise InvalidInputError(problems)
        key_id = secrets.token_hex(6)
        secret = f"sc_{key_id}_{secrets.token_urlsafe(32)}"
        with self._writing() as (session, head):
            row = ApiKey(id=key_id, name=name.strip(), organisation=organisation, role=role,
                         secret_sha256=sha256_hex(secret.encode()), created_at=_now(),
                         revoked_at=None)
            session.add(row)
            session.flush()
            self._append(session, head, actor=actor, action="key.create", subject=key_id,
                         details={"role": role, "name": row.name,
                                  "organisation": organisation})
            return self._key_record(row), secret

    def revoke_api_key(self, key_id: str, *, actor: str) -> ApiKeyRecord:
        """Revoke a key; the last active admin key stays (the registry would have no one to
        manage its keys over the API)."""
        with self._writing() as (session, head):
            row = session.get(ApiKey, key_id)
            if row is None:
                raise NotFoundError(f"no API key {key_id!r}")
            if row.revoked_at is None and row.role == "admin" and not session.scalar(
                    select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.id != key_id,
                                            ApiKey.revoked_at.is_(None)).limit(1)):
                raise InvalidInputError([Problem(
                    "key", f"{key_id} is the last active admin key",
                    "create another admin key first (`solidcheck keys create --role admin`), "
                    "then revoke this one")])
            if row.revoked_at is None:
                row.revoked_at = _now()
                self._append(session, head, actor=actor, action="key.revoke", subject=key_id,
                             details={})
            return self._key_record(row)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        with self._reading() as session:
            return [self._key_record(row) for row in
                    session.scalars(select(ApiKey).order_by(ApiKey.created_at))]

    def authenticate(self, secret: str | None) -> ApiKeyRecord:
        """The key a secret belongs to; ``AccessDeniedError`` for none, unknown or revoked."""
        if not secret:
            raise AccessDeniedError("this needs an API key: send it as 'Authorization: "
                                    "Bearer <key>' (create one with `solidcheck keys create`)",
                                    authenticated=False)
        match = _KEY_PATTERN.fullmatch(secret.strip())
        row = None
        if match:
            with self._reading() as session:
                row = session.get(ApiKey, match.group(1))
        if (row is None or row.revoked_at is not None
                or not hmac.compare_digest(row.secret_sha256, sha256_hex(secret.strip().encode()))):
            raise AccessDeniedError("the API key is not valid (unknown, mistyped or revoked)",
                                    authenticated=False)
        return self._key_record(row)

    @staticmethod
    def _key_record(row: ApiKey) -> ApiKeyRecord:
        return ApiKeyRecord(id=row.id, name=row.name, organisation=row.organisation,
                            role=cast(Role, row.role),
                            created_at=_aware(row.created_at),
                            revoked_at=_aware(row.revoked_at) if row.revoked_at else None)

    # ----------------------------------------------------------------- the audit log

    def log(self, *, after: int = 0, limit: int = 1000) -> list[LogEntry]:
        with self._reading() as session:
            rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > after)
                                   .order_by(AuditEntry.seq).limit(limit)).all()
        return [LogEntry(seq=r.seq, at=r.at, actor=r.actor, action=r.action, subject=r.subject,
                         details=r.details, prev_hash=r.prev_hash, entry_hash=r.entry_hash)
                for r in rows]

    def verify_chain(self) -> ChainReport:
        """Check the audit log entry by entry, and that what it records is what is stored:
        a removed, altered or inserted entry, and a version or result changed, removed or
        added behind the log's back, is a problem."""
        problems: list[str] = []
        access = _LoggedAccess()
        expected_prev, count, seq = GENESIS_HASH, 0, 0
        logged: dict[str, dict[tuple[str, str], str]] = {"dossier.version": {},
                                                          "result.create": {},
                                                          "evidence.add": {},
                                                          "certificate.add": {}}
        with self._reading() as session:
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))\
                    .yield_per(1000):
                count += 1
                seq += 1
                if entry.seq != seq:
                    problems.append(f"entry {entry.seq}: expected entry {seq} — entries "
                                    f"{seq}–{entry.seq - 1} are missing")
                    seq = entry.seq
                if entry.prev_hash != expected_prev:
                    problems.append(f"entry {entry.seq}: its previous-entry hash does not "
                                    "match the entry before it (an entry was removed or "
                                    "altered)")
                recomputed = sha256_hex(canonical_json({
                    "seq": entry.seq, "at": entry.at, "actor": entry.actor,
                    "action": entry.action, "subject": entry.subject,
                    "details": entry.details, "prev_hash": entry.prev_hash}))
                if recomputed != entry.entry_hash:
                    problems.append(f"entry {entry.seq}: its content does not match its hash "
                                    "(the entry was altered)")
                expected_prev = entry.entry_hash
                if entry.action in logged:
                    details = entry.details
                    key = _logged_key(entry.action, entry.subject, details)
                    logged[entry.action][key] = str(details.get("sha256"))
                access.replay(entry.action, entry.subject, entry.details)
            head = session.get(ChainHead, 1)
            if head is None or head.seq != seq or head.entry_hash != expected_prev:
                problems.append("the chain head does not match the last entry (entries were "
                                "removed from the end, or the head was altered)")
            problems += self._check_stored(session, logged)
            problems += access.differences(session)
        return ChainReport(valid=not problems, entries=count, head_hash=expected_prev,
                           problems=problems)

    @staticmethod
    def _check_stored(session: Session,
                      logged: dict[str, dict[tuple[str, str], str]]) -> list[str]:
        problems = []
        stored: dict[str, dict[tuple[str, str], str]] = {action: {} for action in logged}
        for cell_id, version, content, digest in session.execute(
                select(Cell.dossier_id, DossierVersion.version, DossierVersion.content,
                       DossierVersion.sha256).join(Cell, Cell.id == DossierVersion.cell_id)):
            if sha256_hex(canonical_json(content)) != digest:
                problems.append(f"cell {cell_id!r} version {version}: its content does not "
                                "match its SHA-256 (altered)")
            stored["dossier.version"][(cell_id, str(version))] = digest
        for result_id, content, digest in session.execute(
                select(ResultRow.id, ResultRow.content, ResultRow.sha256)):
            if sha256_hex(canonical_json(content)) != digest:
                problems.append(f"result {result_id}: its content does not match its SHA-256 "
                                "(altered)")
            stored["result.create"][("", result_id)] = digest
        for cell_id, filename, digest, data in session.execute(
                select(Cell.dossier_id, CellEvidence.filename, CellEvidence.sha256,
                       EvidenceFile.content)
                .join(Cell, Cell.id == CellEvidence.cell_id)
                .join(EvidenceFile, EvidenceFile.sha256 == CellEvidence.sha256)):
            if sha256_hex(data) != digest:
                problems.append(f"evidence {filename!r} of cell {cell_id!r}: its bytes do not "
                                "match its SHA-256 (altered)")
            stored["evidence.add"][(cell_id, f"{filename}\x00{digest}")] = digest
        for certificate_id, data, digest in session.execute(
                select(Certificate.id, Certificate.content, Certificate.sha256)):
            if sha256_hex(data) != digest:
                problems.append(f"certificate {certificate_id}: its bytes do not match its "
                                "SHA-256 (altered)")
            stored["certificate.add"][("", str(certificate_id))] = digest
        names = {"dossier.version": "dossier version", "result.create": "result",
                 "evidence.add": "evidence file", "certificate.add": "certificate"}
        for action, in_log in logged.items():
            in_store = stored[action]
            for key in sorted(in_log.keys() - in_store.keys()):
                problems.append(f"{names[action]} {_show(key)} is in the log but not stored "
                                "(removed)")
            for key in sorted(in_store.keys() - in_log.keys()):
                problems.append(f"{names[action]} {_show(key)} is stored but not in the log "
                                "(added outside solidcheck)")
            for key in sorted(in_log.keys() & in_store.keys()):
                if in_log[key] != in_store[key]:
                    problems.append(f"{names[action]} {_show(key)}: its SHA-256 differs from "
                                    "the logged one (replaced)")
        return problems


def _stored_dossier(content: dict[str, Any], cell_id: str, version: int | None = None) -> Dossier:
    """A stored dossier version as the model. One stored before a limit it now breaks (more
    specimens than ``MAX_SPECIMENS``, say) is a ``DatabaseError`` naming it, not a crash."""
    try:
        return Dossier.model_validate(content)
    except ValidationError as exc:
        which = f"version {version} of cell {cell_id!r}" if version else f"cell {cell_id!r}"
        raise DatabaseError(f"{which} was stored before this solidcheck's limits and breaks "
                            f"them ({exc.error_count()} problems, e.g. "
                            f"{path_of(tuple(exc.errors()[0]['loc']))}): remove the cell "
                            "from the database, or classify it with the solidcheck that "
                            "stored it") from None


def _may_write(session: Session, cell: Cell, *, lab: str | None, admin: bool) -> bool:
    """The operator (``lab`` None), admins, the owning lab and the labs granted access."""
    if lab is None or admin or cell.owner == lab:
        return True
    return session.scalar(select(CellGrant.id).where(CellGrant.cell_id == cell.id,
                                                     CellGrant.lab == lab)) is not None


def _lab_may_write(session: Session, cell: Cell, lab: str | None) -> bool:
    """For reads: whether the reader's lab (None: anonymous) owns or was granted the cell."""
    return lab is not None and _may_write(session, cell, lab=lab, admin=False)


def _check_may_write(session: Session, cell: Cell, *, lab: str | None, admin: bool) -> None:
    if not _may_write(session, cell, lab=lab, admin=admin):
        owner = "the registry's administrators" if cell.owner is None else "another lab"
        raise AccessDeniedError(f"cell {cell.dossier_id!r} belongs to {owner}: lab {lab!r} may "
                                "not change it — ask its lab to make the change, or an "
                                "administrator to grant access (`solidcheck registry grant`)",
                                authenticated=True)


def _publish_state(session: Session, version: DossierVersion, publish: bool | None) -> bool:
    """``publish`` if given, else as the version's earlier results are (published if none):
    classifying again never makes a hidden result public."""
    if publish is not None:
        return publish
    earlier = session.scalar(select(ResultRow.published)
                             .where(ResultRow.dossier_version_id == version.id)
                             .order_by(ResultRow.created_at).limit(1))
    return True if earlier is None else bool(earlier)


def _refuse_look_alike(session: Session, cell_id: str, skeleton: str) -> None:
    twin = session.scalar(select(Cell.dossier_id).where(Cell.id_skeleton == skeleton).limit(1))
    if twin is not None:
        raise DossierError([Problem("id", f"looks like the existing cell {twin!r} (they differ "
                                    "only in case, dashes or look-alike letters)",
                                    f"use {twin!r} exactly to add a version of that cell, or "
                                    "choose a clearly different id")], source=cell_id)


def _writable_cell(lab: str | None) -> ColumnElement[bool]:
    """A cell ``lab`` owns or was granted (SQL, correlated to ``Cell``); none for no lab."""
    if lab is None:
        return false()
    return or_(Cell.owner == lab,
               exists().where(CellGrant.cell_id == Cell.id, CellGrant.lab == lab))


def _visible_cell(lab: str | None) -> ColumnElement[bool]:
    """For a reader who sees only published results: a cell with a published result, or one
    ``lab`` may write (SQL, correlated to ``Cell``)."""
    row = aliased(ResultRow)  # the query may select results too: not correlated to those
    published = exists().where(row.cell_id == Cell.id, row.published.is_(True))
    return or_(published, _writable_cell(lab))


def _check_storable(dossier: Dossier) -> None:
    """What the dossier format allows but a registry cannot keep or address, as one error."""
    problems = cell_id_problems(dossier.id)
    for field in ("manufacturer", "model"):
        value = getattr(dossier, field)
        if value is not None and len(value) > _MAX_NAME:
            problems.append(Problem(field, f"{len(value)} characters, over the registry's "
                                    f"{_MAX_NAME}", "shorten it"))
    if any("\x00" in text for text in _strings(dossier.model_dump(mode="json"))):
        problems.append(Problem("", "a text field contains a NUL character (U+0000), which "
                                "databases cannot store", "remove it"))
    if problems:
        raise DossierError(problems, source=dossier.id)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class _LoggedAccess:
    """Who may do what, as the audit log says it was decided — trusted issuers and access
    grants, which a direct database edit would otherwise change unseen."""

    def __init__(self) -> None:
        self.issuers: dict[str, tuple[str, bool]] = {}  # fingerprint → (name, trusted now)
        self.grants: set[tuple[str, str]] = set()  # (cell id, lab)

    def replay(self, action: str, subject: str, details: Mapping[str, object]) -> None:
        if action == "issuer.add":
            self.issuers[subject] = (str(details.get("name")), True)
        elif action == "issuer.remove" and subject in self.issuers:
            self.issuers[subject] = (self.issuers[subject][0], False)
        elif action == "cell.grant":
            self.grants.add((subject, str(details.get("lab"))))
        elif action == "cell.ungrant":
            self.grants.discard((subject, str(details.get("lab"))))

    def differences(self, session: Session) -> list[str]:
        problems = []
        stored = {row.fingerprint: (row.name, row.removed_at is None)
                  for row in session.scalars(select(TrustedIssuer))}
        for key in sorted(stored.keys() | self.issuers.keys()):
            if stored.get(key) != self.issuers.get(key):
                problems.append(f"trusted issuer {key}: the table says "
                                f"{_trust_state(stored.get(key))}, the log "
                                f"{_trust_state(self.issuers.get(key))} (changed outside "
                                "solidcheck)")
        granted = {(cell_id, lab) for cell_id, lab in session.execute(
            select(Cell.dossier_id, CellGrant.lab).join(Cell, Cell.id == CellGrant.cell_id))}
        for cell_id, lab in sorted(granted ^ self.grants):
            state = "stored but not in the log" if (cell_id, lab) in granted else \
                "in the log but not stored"
            problems.append(f"access of lab {lab!r} to cell {cell_id!r} is {state} (changed "
                            "outside solidcheck)")
        return problems


def _trust_state(state: tuple[str, bool] | None) -> str:
    if state is None:
        return "nothing"
    name, trusted = state
    return f"{name!r} {'trusted' if trusted else 'removed'}"


def _logged_key(action: str, subject: str, details: Mapping[str, object]) -> tuple[str, str]:
    if action == "dossier.version":
        return subject, str(details.get("version"))
    if action == "result.create":
        return "", str(details.get("result"))
    if action == "evidence.add":
        return subject, f"{details.get('file')}\x00{details.get('sha256')}"
    return "", str(details.get("certificate"))


def _show(key: tuple[str, str]) -> str:
    first, second = key
    second = second.split("\x00")[0]
    return f"{first!r} {second}" if first else second


def _read_evidence_bytes(name: str, content: bytes) -> tuple[str, str, str]:
    """Recognise and read an uploaded instrument file; its reader, kind and a summary."""
    from ...readers import read_evidence

    with tempfile.TemporaryDirectory(prefix="solidcheck-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            reading = read_evidence(path)
        except MissingDependencyError as exc:
            raise EvidenceError([Problem("", str(exc), "ask the registry's administrator to "
                                         "install the extra")], source=name) from None
        except EvidenceError as exc:  # name the upload, not the server's temporary path
            raise EvidenceError(exc.problems, source=name, unlisted=exc.unlisted) from None
    span = reading.time_span_s()
    channels = ", ".join(reading.table.column_names)
    summary = (f"{reading.format}: {reading.rows} rows"
               + (f" over {span / 3600:.2f} h" if span else "") + f" ({channels})")
    return reading.format, reading.kind, summary
