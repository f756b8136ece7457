"""``Registry``: the one object callers hold — opening the database, the read and write
transactions, and every operation on dossiers, results, evidence, certificates, trusted
issuers, access grants, API keys and the audit log. Each method is one transaction; the row
work of each concern is in the module of that name beside this one.

Every write is one transaction that also appends to the hash-chained audit log, so a write
is either wholly there and logged, or not there at all. Writers are serialised by the chain
head's row lock (PostgreSQL) or SQLite's write lock, taken when the transaction begins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ...certificates import canonical_json
from ...classify import classify
from ...errors import DatabaseError
from ...model import Dossier
from ...rules import Ruleset, ruleset_by_id
from .. import db
from ..db import HEAD_REVISION, database_url, make_engines, migrate, schema_revision
from ..records import (
    ApiKeyRecord,
    CellDetail,
    CellPage,
    CertificateRecord,
    ChainReport,
    EvidenceRecord,
    GrantRecord,
    IssuerRecord,
    LogEntry,
    ResultRecord,
    Role,
    Submission,
)
from ..schema import ApiKey, Cell, ChainHead
from . import api_keys, audit_log, cells, evidence, issuers, ownership, reads, stored_certificates
from ._shared import now, sha256_hex
from .every_ruleset import EveryRulesetMixin, classified_everywhere
from .evidence import DEFAULT_MAX_EVIDENCE_BYTES
from .live import LiveMixin
from .ownership import check_may_write
from .search import SearchMixin
from .stations import StationsMixin
from .tickets import TicketsMixin
from .webhooks import WebhooksMixin

_REVISION_OF = select(Cell.revision).where(Cell.dossier_id == bindparam("cell_id"))


class Registry(StationsMixin, LiveMixin, TicketsMixin, WebhooksMixin, SearchMixin,
               EveryRulesetMixin):
    """A registry database. Open with :meth:`open`; use as a context manager to close it.
    The charging stations' operations are in ``stations.py``, the live state and alerts'
    in ``live.py``, the tickets' in ``tickets.py``, the webhooks' in ``webhooks.py``; the
    whole registry reclassified, and its gaps, in ``every_ruleset.py``."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self._read_engine, self._write_engine = make_engines(self.url)
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = False) -> Registry:
        """Open the registry; ``create`` makes or upgrades its tables, otherwise a database
        that is empty or at another schema version is refused with what to run (a missing
        SQLite file is not created)."""
        if not create:
            db.refuse_absent_registry(database_url(url))
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

    # ----------------------------------------------------------------- dossiers and results

    def submit(self, dossier: Dossier, *, actor: str, ruleset: Ruleset | str | None = None,
               publish: bool = True, lab: str | None = None, admin: bool = False) -> Submission:
        """Store a dossier (a new version when its content differs from the latest) and its
        classification under ``ruleset`` — and under every other installed rule set
        (``other_rulesets``), so each rule set's view of the registry is whole. Submitting
        the same content again changes nothing and returns the stored results.

        ``lab`` is the organisation writing (a new cell becomes its own); None is the
        registry's operator at the command line, who, like ``admin``, may write any cell.
        Another lab's cell is refused (``AccessDeniedError``) unless an admin granted access.
        """
        cells.check_storable(dossier)
        rules = ruleset_by_id(ruleset) if not isinstance(ruleset, Ruleset) else ruleset
        content = dossier.model_dump(mode="json")
        digest = sha256_hex(canonical_json(content))
        results = classified_everywhere(dossier, rules)  # this one first, then the others
        with self._writing() as (session, head):
            at = now()
            cell, version, new_version = cells.store_version(
                session, head, dossier, content, digest, actor=actor, lab=lab, admin=admin,
                now=at)
            records = []
            for result in results:
                row = cells.result_for(session, version.id, result.ruleset)
                if row is None:
                    row = cells.add_result(session, head, cell, version, result, actor=actor,
                                           publish=publish, now=at)
                records.append(cells.result_record(row, cell, version.version))
            return Submission(cell_id=cell.dossier_id, version=version.version,
                              new_version=new_version, result=records[0],
                              other_rulesets=records[1:])

    def reclassify(self, cell_id: str, *, ruleset: Ruleset | str | None, actor: str,
                   publish: bool | None = None, lab: str | None = None,
                   admin: bool = False) -> ResultRecord:
        """Classify the cell's latest version under another rule set; earlier results stay.
        The new result is published as the version's earlier results are, unless ``publish``
        says otherwise. ``lab`` and ``admin`` as for :meth:`submit`."""
        rules = ruleset_by_id(ruleset) if not isinstance(ruleset, Ruleset) else ruleset
        with self._writing() as (session, head):
            cell = cells.find_cell(session, cell_id)
            check_may_write(session, cell, lab=lab, admin=admin)
            version = cells.version_of(session, cell.id, cell.latest_version)
            row = cells.result_for(session, version.id, rules.id)
            if row is None:
                result = classify(cells.stored_dossier(version.content, cell.dossier_id,
                                                       version.version), rules)
                row = cells.add_result(session, head, cell, version, result, actor=actor,
                                       publish=cells.publish_state(session, version, publish),
                                       now=now())
            return cells.result_record(row, cell, version.version)

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
        ruleset_id = ruleset_by_id(ruleset).id
        with self._reading() as session:
            return reads.list_page(session, ruleset_id=ruleset_id, category=category,
                                   electrolyte_type=electrolyte_type,
                                   conducting_ion=conducting_ion, manufacturer=manufacturer,
                                   text=text, published_only=published_only, lab=lab,
                                   limit=limit, offset=offset)

    def get_cell(self, cell_id: str, *, published_only: bool = False,
                 lab: str | None = None) -> CellDetail:
        """A cell with every version, result, evidence file and certificate.
        ``published_only``: the published results, the versions they are of and their
        certificates — all of them for a cell ``lab`` may write; a cell with nothing
        published is not found."""
        with self._reading() as session:
            return reads.cell_detail(session, cell_id, published_only=published_only, lab=lab)

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
            return reads.visible_result(session, result_id, published_only=published_only,
                                        lab=lab)

    def get_dossier(self, cell_id: str, version: int | None = None) -> Dossier:
        with self._reading() as session:
            cell = cells.find_cell(session, cell_id)
            stored = cells.version_of(session, cell.id, version or cell.latest_version)
            return cells.stored_dossier(stored.content, cell.dossier_id, stored.version)

    def latest_dossiers(self, *, page_rows: int = 10_000) -> Iterator[list[Dossier]]:
        """The latest version of every cell's dossier, by cell id, a page at a time (each
        page read in its own transaction, so an export of millions holds no long one): the
        input of a batch re-classification (``solidcheck registry export``)."""
        if page_rows < 1:
            raise ValueError("page_rows must be at least 1")
        after: str | None = None
        while True:
            with self._reading() as session:
                rows = reads.latest_page(session, after=after, page_rows=page_rows)
            if not rows:
                return
            yield [cells.stored_dossier(content, cell_id) for cell_id, content in rows]
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
        name = evidence.checked_name(filename)
        with self._reading() as session:  # before reading the file: refuse early
            check_may_write(session, cells.find_cell(session, cell_id), lab=lab, admin=admin)
        evidence.check_size(name, content, max_bytes=max_bytes)
        reader, kind, summary = evidence.read_upload(name, content)
        digest = sha256_hex(content)
        with self._writing() as (session, head):
            cell = cells.find_cell(session, cell_id)
            check_may_write(session, cell, lab=lab, admin=admin)
            return evidence.attach(session, head, cell, name=name, content=content,
                                   digest=digest, reader=reader, kind=kind, summary=summary,
                                   actor=actor)

    def get_evidence(self, sha256: str, *, published_only: bool = False,
                     lab: str | None = None) -> bytes:
        """An evidence file's bytes; ``published_only``: only a file of a cell the reader
        may see (see :meth:`get_cell`)."""
        with self._reading() as session:
            return evidence.content_of(session, sha256, published_only=published_only, lab=lab)

    # ----------------------------------------------------------------- certificates

    def add_certificate(self, data: bytes, *, actor: str, lab: str | None = None,
                        admin: bool = False) -> CertificateRecord:
        """Keep a certificate of a registered cell's stored version. It must verify, be
        signed by one of the registry's trusted issuers, and certify exactly the result the
        registry itself gives that version under that rule set (every field but the
        solidcheck version) — the registry stores only results it computed. The same
        certificate again returns the stored one. ``lab`` and ``admin`` as for
        :meth:`submit`."""
        cert = stored_certificates.verified(data)
        digest = sha256_hex(data)
        with self._writing() as (session, head):
            return stored_certificates.keep(session, head, data, cert, digest=digest,
                                            actor=actor, lab=lab, admin=admin)

    def get_certificate(self, certificate_id: int, *, published_only: bool = False,
                        lab: str | None = None) -> bytes:
        """A stored certificate's bytes; ``published_only``: only one of a result the reader
        may see (see :meth:`get_result`)."""
        with self._reading() as session:
            return stored_certificates.content_of(session, certificate_id,
                                                  published_only=published_only, lab=lab)

    # ----------------------------------------------------------------- trusted issuers

    def add_trusted_issuer(self, *, name: str, actor: str, public_key: str | None = None,
                           key_fingerprint: str | None = None) -> IssuerRecord:
        """Trust certificates signed by a key: its base64 public key (as in a certificate's
        ``issuer.public_key``), or its fingerprint. Adding a removed issuer again restores it."""
        key_fingerprint, public_key = issuers.checked_key(
            name=name, public_key=public_key, key_fingerprint=key_fingerprint)
        with self._writing() as (session, head):
            return issuers.add(session, head, key_fingerprint=key_fingerprint,
                               public_key=public_key, name=name, actor=actor)

    def remove_trusted_issuer(self, key_fingerprint: str, *, actor: str) -> IssuerRecord:
        """Stop accepting new certificates of an issuer; those kept stay."""
        with self._writing() as (session, head):
            return issuers.remove(session, head, key_fingerprint, actor=actor)

    def trusted_issuers(self, *, include_removed: bool = False) -> list[IssuerRecord]:
        with self._reading() as session:
            return issuers.listed(session, include_removed=include_removed)

    # ----------------------------------------------------------------- access grants

    def grant_access(self, cell_id: str, *, lab: str, actor: str) -> GrantRecord:
        """Let ``lab`` write to a cell it does not own (an administrator's decision)."""
        ownership.check_lab_name(lab)
        with self._writing() as (session, head):
            cell = cells.find_cell(session, cell_id)
            return ownership.grant(session, head, cell, lab=lab, actor=actor)

    def revoke_access(self, cell_id: str, *, lab: str, actor: str) -> None:
        with self._writing() as (session, head):
            cell = cells.find_cell(session, cell_id)
            ownership.revoke(session, head, cell, lab=lab, actor=actor)

    def grants(self, cell_id: str) -> list[GrantRecord]:
        with self._reading() as session:
            return ownership.grants_of(session, cells.find_cell(session, cell_id))

    # ----------------------------------------------------------------- API keys

    def create_api_key(self, *, role: Role, name: str, actor: str,
                       organisation: str | None = None) -> tuple[ApiKeyRecord, str]:
        """A new key; the secret is returned once and only its SHA-256 is kept. The key acts
        for ``organisation`` (default: its name): the lab that owns the cells it creates."""
        organisation = api_keys.checked_organisation(role=role, name=name,
                                                     organisation=organisation)
        key_id, secret = api_keys.new_secret()
        with self._writing() as (session, head):
            record = api_keys.create(session, head, key_id=key_id, secret=secret, role=role,
                                     name=name, organisation=organisation, actor=actor)
            return record, secret

    def revoke_api_key(self, key_id: str, *, actor: str) -> ApiKeyRecord:
        """Revoke a key; the last active admin key stays (the registry would have no one to
        manage its keys over the API)."""
        with self._writing() as (session, head):
            return api_keys.revoke(session, head, key_id, actor=actor)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        with self._reading() as session:
            return api_keys.all_keys(session)

    def authenticate(self, secret: str | None) -> ApiKeyRecord:
        """The key a secret belongs to; ``AccessDeniedError`` for none, unknown or revoked."""
        given, key_id = api_keys.parsed_secret(secret)
        row = None
        if key_id is not None:  # a secret not of a key's shape is refused without a read
            with self._reading() as session:
                row = session.get(ApiKey, key_id)
        return api_keys.matching_key(row, given)

    # ----------------------------------------------------------------- the audit log

    def log(self, *, after: int = 0, limit: int = 1000) -> list[LogEntry]:
        with self._reading() as session:
            return audit_log.entries(session, after=after, limit=limit)

    def verify_chain(self) -> ChainReport:
        """Check the audit log entry by entry, and that what it records is what is stored:
        a removed, altered or inserted entry, and a version or result changed, removed or
        added behind the log's back, is a problem."""
        with self._reading() as session:
            return audit_log.verify_chain(session)
