"""Who may write what, and which verdicts the registry keeps, on SQLite and PostgreSQL: only
results it computed itself, certificates only from trusted issuers, each lab's cells its
own, and cell ids that cannot be made to look like another's."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from solidcheck import load_dossier
from solidcheck.certificates import (
    canonical_json,
    certificate_bytes,
    certify,
    generate_key,
    public_key_base64,
    verify,
)
from solidcheck.cli import app
from solidcheck.errors import (
    AccessDeniedError,
    DossierError,
    EvidenceError,
    InvalidInputError,
    NotFoundError,
)
from solidcheck.registry import Registry
from solidcheck.registry.db import _alembic_config

EXAMPLES = Path(__file__).parents[1] / "examples"
HYBRID = EXAMPLES / "semi-solid-marketed.yaml"
SULFIDE = EXAMPLES / "sulfide-high-energy.yaml"
OVEN_LOG = EXAMPLES / "lab" / "oven-log-s1.csv"
runner = CliRunner()


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    with Registry.open(database_url, create=True) as opened:
        yield opened


def resigned(cert: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """A certificate edited by its own issuer and signed again: valid as a signature."""
    body = {name: value for name, value in cert.items() if name != "signature"}
    signature = base64.b64encode(key.sign(canonical_json(body))).decode("ascii")
    return certificate_bytes({**body, "signature": {"algorithm": "Ed25519",
                                                     "value": signature}})


def trusted_key(registry: Registry, name: str = "Lab A") -> Ed25519PrivateKey:
    key = generate_key()
    registry.add_trusted_issuer(name=name, public_key=public_key_base64(key.public_key()),
                                actor="admin")
    return key


# --- certificates: only the registry's own verdicts ---------------------------------------


def test_a_resigned_forged_verdict_is_refused(registry: Registry) -> None:
    registry.submit(load_dossier(HYBRID), actor="lab", lab="Lab A")
    key = trusted_key(registry)
    honest = certify(HYBRID, key=key, issuer_name="Lab A")
    forged = copy.deepcopy(honest)
    forged["result"]["category"] = "solid_state"
    forged["result"]["code"] = forged["result"]["code"].replace("HSL", "SSB")
    assert verify(resigned(forged, key)).valid  # the signature itself is fine
    with pytest.raises(InvalidInputError) as refused:
        registry.add_certificate(resigned(forged, key), actor="lab", lab="Lab A")
    paths = {problem.path for problem in refused.value.problems}
    assert {"result.category", "result.code"} <= paths
    assert "hybrid_solid_liquid" in str(refused.value)
    cell = registry.get_cell("EX-HSL-10")
    assert {r.result.category for r in cell.results} == {"hybrid_solid_liquid"}
    assert cell.certificates == []
    assert registry.verify_chain().valid


def test_an_edited_finding_is_refused_too(registry: Registry) -> None:
    registry.submit(load_dossier(HYBRID), actor="lab", lab="Lab A")
    key = trusted_key(registry)
    edited = certify(HYBRID, key=key, issuer_name="Lab A")
    edited["result"]["findings"][0]["message"] = "all fine"
    with pytest.raises(InvalidInputError, match=r"result\.findings"):
        registry.add_certificate(resigned(edited, key), actor="lab", lab="Lab A")


def test_verify_with_the_dossier_compares_the_whole_result() -> None:
    key = generate_key()
    edited = certify(SULFIDE, key=key, issuer_name="Lab A")
    edited["result"]["electrolyte_type"] = "polymer"
    outcome = verify(resigned(edited, key), dossier_bytes=SULFIDE.read_bytes())
    assert not outcome.valid
    assert any("electrolyte_type" in reason for reason in outcome.reasons), outcome.reasons


def test_only_trusted_issuers_and_a_replay_is_stored_once(registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab", lab="Lab A")
    key = generate_key()
    data = certificate_bytes(certify(SULFIDE, key=key, issuer_name="Lab A"))
    with pytest.raises(InvalidInputError, match="trusted issuers"):
        registry.add_certificate(data, actor="lab", lab="Lab A")
    issuer = registry.add_trusted_issuer(name="Lab A", actor="admin",
                                         public_key=public_key_base64(key.public_key()))
    first = registry.add_certificate(data, actor="lab", lab="Lab A")
    again = registry.add_certificate(data, actor="lab", lab="Lab A")
    assert again == first
    assert len(registry.get_cell("EX-SUL-HE-01").certificates) == 1
    registry.remove_trusted_issuer(issuer.fingerprint, actor="admin")
    assert registry.trusted_issuers() == []
    later = certificate_bytes(certify(SULFIDE, key=key, issuer_name="Lab A",
                                      ruleset="csae-434-2025"))
    with pytest.raises(InvalidInputError, match="trusted issuers"):
        registry.add_certificate(later, actor="lab", lab="Lab A")
    assert len(registry.get_cell("EX-SUL-HE-01").certificates) == 1  # kept ones stay
    assert registry.verify_chain().valid


# --- ownership -----------------------------------------------------------------------------


def test_another_lab_may_not_write_to_a_cell(registry: Registry) -> None:
    registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A")
    other_maker = load_dossier(HYBRID).model_copy(update={"manufacturer": "B Corp"})
    key = trusted_key(registry, "Lab B")
    certificate = certificate_bytes(certify(HYBRID, key=key, issuer_name="Lab B"))
    writes = [
        lambda: registry.submit(other_maker, actor="b", lab="Lab B"),
        lambda: registry.submit(load_dossier(HYBRID), actor="b", lab="Lab B"),  # identical
        lambda: registry.reclassify("EX-HSL-10", ruleset="csae-434-2025", actor="b",
                                    lab="Lab B"),
        lambda: registry.add_evidence("EX-HSL-10", filename="log.csv", actor="b", lab="Lab B",
                                      content=OVEN_LOG.read_bytes()),
        lambda: registry.add_certificate(certificate, actor="b", lab="Lab B"),
    ]
    for write in writes:
        with pytest.raises(AccessDeniedError, match="belongs to another lab") as refused:
            write()
        assert refused.value.authenticated  # 403, not 401
    assert registry.get_cell("EX-HSL-10").manufacturer != "B Corp"
    registry.grant_access("EX-HSL-10", lab="Lab B", actor="admin")
    assert registry.submit(other_maker, actor="b", lab="Lab B").version == 2
    assert [g.lab for g in registry.grants("EX-HSL-10")] == ["Lab B"]
    registry.revoke_access("EX-HSL-10", lab="Lab B", actor="admin")
    with pytest.raises(AccessDeniedError):
        registry.reclassify("EX-HSL-10", ruleset="csae-434-2025", actor="b", lab="Lab B")
    # an admin (or the command line) may write any cell
    registry.reclassify("EX-HSL-10", ruleset="csae-434-2025", actor="root", lab="Ops",
                        admin=True)
    assert registry.verify_chain().valid


def test_unpublished_stays_unpublished_and_hidden(registry: Registry) -> None:
    submitted = registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A", publish=False)
    again = registry.reclassify("EX-HSL-10", ruleset="csae-434-2025", actor="a", lab="Lab A")
    assert not submitted.result.published and not again.published
    for reader in ({"published_only": True}, {"published_only": True, "lab": "Lab B"}):
        with pytest.raises(NotFoundError):
            registry.get_cell("EX-HSL-10", **reader)  # type: ignore[arg-type]
        with pytest.raises(NotFoundError):
            registry.get_result(again.id, **reader)  # type: ignore[arg-type]
        assert registry.list_cells(text="EX-HSL", **reader).total == 0  # type: ignore[arg-type]
    mine = registry.get_cell("EX-HSL-10", published_only=True, lab="Lab A")
    assert len(mine.results) == 2 and len(mine.versions) == 1
    assert registry.list_cells(text="EX-HSL", published_only=True, lab="Lab A").total == 1


def test_a_published_cell_shows_only_its_published_versions(registry: Registry) -> None:
    registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A")
    secret = load_dossier(HYBRID).model_copy(update={"model": "secret"})
    registry.submit(secret, actor="a", lab="Lab A", publish=False)
    public = registry.get_cell("EX-HSL-10", published_only=True)
    assert [v.version for v in public.versions] == [1]
    assert all(r.published for r in public.results)
    assert (public.model, public.latest_version) == (load_dossier(HYBRID).model, 1)
    listed = registry.list_cells(published_only=True).items
    assert [(c.model, c.latest_version) for c in listed] == [(load_dossier(HYBRID).model, 1)]
    assert registry.list_cells(text="secret", published_only=True).total == 0
    assert registry.list_cells(text="secret", published_only=True, lab="Lab A").total == 1
    assert registry.get_cell("EX-HSL-10").model == "secret"


# --- ids, names and keys -------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["a\u202eb", "a\u200bb", "a\x85b", "e\u0301", ".", "..",
                                    "a/b", "a%2Fb", " a", "a\u2028b"])
def test_cell_ids_that_hide_or_reorder_characters_are_refused(registry: Registry,
                                                              bad_id: str) -> None:
    dossier = load_dossier(SULFIDE).model_copy(update={"id": bad_id})
    with pytest.raises(DossierError) as refused:
        registry.submit(dossier, actor="a", lab="Lab A")
    assert refused.value.problems[0].path == "id"
    assert registry.list_cells().total == 0


def test_an_id_that_looks_like_an_existing_one_is_refused(registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="a", lab="Lab A")
    for look_alike in ("ex-sul-he-01", "EX\u2013SUL-HE-01", "\u0415X-SUL-HE-01"):  # Cyrillic Е
        dossier = load_dossier(SULFIDE).model_copy(update={"id": look_alike})
        with pytest.raises(DossierError, match="looks like the existing cell 'EX-SUL-HE-01'"):
            registry.submit(dossier, actor="b", lab="Lab B")


@pytest.mark.parametrize("name", ["..", ".", "a/../..", "x" * 256, "log\x7f.csv",
                                  "gol\u202e.csv", ""])
def test_evidence_names_are_checked_before_anything_is_read(registry: Registry,
                                                            name: str) -> None:
    registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A")
    with pytest.raises(EvidenceError) as refused:
        registry.add_evidence("EX-HSL-10", filename=name, content=OVEN_LOG.read_bytes(),
                              actor="a", lab="Lab A")
    assert refused.value.problems[0].path == "file"


def test_the_last_admin_key_cannot_be_revoked(registry: Registry) -> None:
    first, _ = registry.create_api_key(role="admin", name="ops", actor="cli")
    second, _ = registry.create_api_key(role="admin", name="ops 2", actor="cli")
    registry.revoke_api_key(first.id, actor="cli")
    with pytest.raises(InvalidInputError, match="last active admin key"):
        registry.revoke_api_key(second.id, actor="cli")
    assert registry.list_api_keys()[1].revoked_at is None


def test_a_key_acts_for_its_organisation(registry: Registry) -> None:
    named, _ = registry.create_api_key(role="lab", name="Lab A", actor="cli")
    instrument, _ = registry.create_api_key(role="lab", name="balance 3", actor="cli",
                                            organisation="Lab A")
    assert named.organisation == instrument.organisation == "Lab A"


# --- the command line and an existing registry ---------------------------------------------


def test_trust_and_grants_at_the_command_line(database_url: str, tmp_path: Path) -> None:
    database = ["--database", database_url]
    assert runner.invoke(app, ["registry", "init", *database]).exit_code == 0
    loaded = runner.invoke(app, ["registry", "load", str(HYBRID), "--lab", "Lab A", *database])
    assert loaded.exit_code == 0, loaded.output
    assert runner.invoke(app, ["keys", "generate", "-o", str(tmp_path / "a.key")]
                         ).exit_code == 0
    added = runner.invoke(app, ["registry", "issuers", "add", "--name", "Lab A",
                                "--public-key", str(tmp_path / "a.pub"), *database])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["registry", "issuers", "list", *database])
    assert "Lab A" in listed.stdout and "sha256:" in listed.stdout
    granted = runner.invoke(app, ["registry", "grant", "EX-HSL-10", "--lab", "Lab B",
                                  *database])
    assert granted.exit_code == 0, granted.output
    missing = runner.invoke(app, ["registry", "grant", "NO-SUCH", "--lab", "Lab B", *database])
    assert missing.exit_code == 2 and "no cell 'NO-SUCH'" in missing.output
    bad = runner.invoke(app, ["registry", "issuers", "add", "--name", "X", "--fingerprint",
                              "nonsense", *database])
    assert bad.exit_code == 2 and "public_key" in bad.output
    with Registry.open(database_url) as registry:
        assert registry.get_cell("EX-HSL-10").owner == "Lab A"
        assert [g.lab for g in registry.grants("EX-HSL-10")] == ["Lab B"]
        assert registry.verify_chain().valid


def test_a_registry_of_the_first_schema_is_upgraded(tmp_path: Path) -> None:
    """Keys act for their name, and a cell belongs to the lab whose key stored it first."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    command.upgrade(_alembic_config(url), "0001")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO api_keys (id, name, role, secret_sha256, created_at) VALUES "
            "('0123456789ab', 'Lab A', 'lab', :h, CURRENT_TIMESTAMP)"), {"h": "0" * 64})
        connection.execute(text(
            "INSERT INTO cells (id, dossier_id, latest_version, created_at, updated_at) VALUES "
            "(1, 'EX-1', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
            "(2, 'EX-2', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO dossier_versions (cell_id, version, content, sha256, created_at, "
            "created_by) VALUES (1, 1, '{}', '', CURRENT_TIMESTAMP, "
            "'key:0123456789ab (Lab A)'), (2, 1, '{}', '', CURRENT_TIMESTAMP, 'cli:root')"))
    engine.dispose()
    with Registry.open(url, create=True) as registry:
        assert [k.organisation for k in registry.list_api_keys()] == ["Lab A"]
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT dossier_id, owner, revision, id_skeleton FROM cells ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("EX-1", "Lab A", 1, "ex-1"),
                                           ("EX-2", None, 1, "ex-2")]


def test_trust_and_grants_changed_behind_the_log_are_found(registry: Registry) -> None:
    """A direct database edit that trusts a key or opens a cell is reported by verify."""
    registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A")
    trusted_key(registry)
    registry.grant_access("EX-HSL-10", lab="Lab B", actor="admin")
    registry.revoke_access("EX-HSL-10", lab="Lab B", actor="admin")
    assert registry.verify_chain().valid
    engine = create_engine(registry.url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO trusted_issuers (fingerprint, name, added_at, added_by) VALUES "
            "(:f, 'Mallory', CURRENT_TIMESTAMP, 'sql')"), {"f": "sha256:" + "0" * 64})
        connection.execute(text("UPDATE trusted_issuers SET name = 'Lab Z' "
                                "WHERE name = 'Lab A'"))
        connection.execute(text(
            "INSERT INTO cell_grants (cell_id, lab, created_at, created_by) SELECT id, "
            "'Lab M', CURRENT_TIMESTAMP, 'sql' FROM cells"))
    engine.dispose()
    problems = registry.verify_chain().problems
    assert any("Mallory" in p and "changed outside solidcheck" in p for p in problems)
    assert any("'Lab Z' trusted" in p and "'Lab A' trusted" in p for p in problems)
    assert any("'Lab M'" in p and "stored but not in the log" in p for p in problems)


def test_a_version_stored_before_the_limits_is_named_not_a_crash(registry: Registry) -> None:
    """A dossier stored by an earlier solidcheck with more specimens than the limit (the
    issue's stored memory bomb) makes reading its cell a DatabaseError that names it."""
    import json

    from solidcheck.errors import DatabaseError
    from solidcheck.model import MAX_SPECIMENS

    registry.submit(load_dossier(HYBRID), actor="a", lab="Lab A")
    content = load_dossier(HYBRID).model_dump(mode="json")
    specimen = content["weight_loss_test"]["specimens"][0]
    content["weight_loss_test"]["specimens"] = [specimen] * (MAX_SPECIMENS + 1)
    engine = create_engine(registry.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE dossier_versions SET content = :c"),
                           {"c": json.dumps(content)})
    engine.dispose()
    for read in (lambda: registry.get_cell("EX-HSL-10"),
                 lambda: registry.get_dossier("EX-HSL-10"),
                 lambda: list(registry.latest_dossiers())):
        with pytest.raises(DatabaseError, match=r"cell 'EX-HSL-10' was stored before"):
            read()


def test_a_long_key_name_never_shows_the_key_id(registry: Registry) -> None:
    """The audit log's actor is cut to its column, keeping the name readable as a name."""
    from solidcheck.registry.store import key_actor, shown_actor

    record, _ = registry.create_api_key(role="lab", name="L" * 200, actor="cli")
    actor = key_actor(record)
    assert len(actor) <= 200 and record.id in actor
    assert shown_actor(actor) == "L" * (200 - len(f"key:{record.id} (") - 1)
