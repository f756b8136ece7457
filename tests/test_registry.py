"""The registry on SQLite and on a real PostgreSQL server: nothing overwritten, nothing lost,
and anything changed behind its back found by `registry verify`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from solidcheck import classify, load_dossier
from solidcheck.certificates import certificate_bytes, certify, generate_key, public_key_base64
from solidcheck.cli import app
from solidcheck.errors import (
    AccessDeniedError,
    DatabaseError,
    DossierError,
    EvidenceError,
    InvalidInputError,
    NotFoundError,
)
from solidcheck.registry import Registry
from solidcheck.registry.schema import Base
from solidcheck.rules import available_rulesets, installed_ruleset_text

EXAMPLES = Path(__file__).parents[1] / "examples"
HYBRID = EXAMPLES / "semi-solid-marketed.yaml"
SULFIDE = EXAMPLES / "sulfide-high-energy.yaml"
OVEN_LOG = EXAMPLES / "lab" / "oven-log-s1.csv"
runner = CliRunner()


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    with Registry.open(database_url, create=True) as opened:
        yield opened


def edited(path: Path, **changes: object):  # type: ignore[no-untyped-def]
    return load_dossier(path).model_copy(update=changes)


def tamper(registry: Registry, statement: str, **params: object) -> None:
    """Change the database the way someone with SQL access could, outside solidcheck."""
    engine = create_engine(registry.url)
    with engine.begin() as connection:
        connection.execute(text(statement), params)
    engine.dispose()


def test_migrations_create_exactly_the_tables_the_code_uses(registry: Registry) -> None:
    engine = create_engine(registry.url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_an_empty_database_is_refused_with_what_to_run(database_url: str) -> None:
    with pytest.raises(DatabaseError, match="solidcheck registry init"):
        Registry.open(database_url)


def test_an_edit_is_a_new_version_and_nothing_is_overwritten(registry: Registry) -> None:
    first = registry.submit(load_dossier(HYBRID), actor="lab-a")
    second = registry.submit(edited(HYBRID, manufacturer="Renamed Co."), actor="lab-b")
    assert (first.version, first.new_version) == (1, True)
    assert (second.version, second.new_version) == (2, True)
    cell = registry.get_cell("EX-HSL-10")
    assert [v.version for v in cell.versions] == [2, 1]
    assert cell.versions[1].dossier == load_dossier(HYBRID)
    assert cell.versions[0].created_by == "lab-b" and cell.manufacturer == "Renamed Co."
    kept = [first.result, *first.other_rulesets, second.result, *second.other_rulesets]
    assert {r.id for r in cell.results} == {r.id for r in kept}
    assert registry.get_result(first.result.id).result == first.result.result


def test_the_stored_result_is_what_classify_gives(registry: Registry) -> None:
    submission = registry.submit(load_dossier(SULFIDE), actor="lab")
    assert submission.result.result == classify(load_dossier(SULFIDE))
    assert submission.result.ruleset == "gbt-ssb-1-2026"
    assert submission.result.solidcheck_version == submission.result.result.solidcheck_version


def test_submitting_the_same_dossier_again_changes_nothing(registry: Registry) -> None:
    first = registry.submit(load_dossier(SULFIDE), actor="lab")
    entries = registry.verify_chain().entries
    again = registry.submit(load_dossier(SULFIDE), actor="lab")
    assert not again.new_version and again.result.id == first.result.id
    assert registry.verify_chain().entries == entries


def test_reclassifying_under_another_rule_set_keeps_the_earlier_result(
        registry: Registry) -> None:
    national = registry.submit(load_dossier(EXAMPLES / "between-the-limits.yaml"), actor="lab")
    csae = registry.reclassify("EX-SUL-07", ruleset="csae-434-2025", actor="lab")
    assert national.result.result.category == "hybrid_solid_liquid"
    assert csae.result.category == "solid_state" and csae.ruleset == "csae-434-2025"
    assert {r.ruleset for r in registry.get_cell("EX-SUL-07").results} == {
        "gbt-ssb-1-2026", "csae-434-2025"}


def test_search_filters_and_pages(registry: Registry) -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        registry.submit(load_dossier(path), actor="lab")
    everything = registry.list_cells(limit=200)
    assert everything.total == len(list(EXAMPLES.glob("*.yaml")))
    solid = registry.list_cells(category="solid_state", limit=200)
    assert solid.total == sum(c.category == "solid_state" for c in everything.items) > 0
    assert all(c.category == "solid_state" for c in solid.items)
    sodium = registry.list_cells(conducting_ion="sodium")
    assert {c.id for c in sodium.items} and all(c.conducting_ion == "sodium"
                                               for c in sodium.items)
    pages = [registry.list_cells(limit=5, offset=offset).items for offset in (0, 5, 10, 15)]
    assert sorted(c.id for page in pages for c in page) == sorted(
        c.id for c in everything.items)
    assert [c.id for c in registry.list_cells(text="semi s8").items] == []
    assert [c.id for c in registry.list_cells(text="半固态").items] == ["EX-HSL-10"]
    assert registry.list_cells(text="%").total == 0  # a wildcard is a character, not a match-all


def test_the_listing_follows_the_latest_version(registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    liquid = load_dossier(SULFIDE).model_copy(update={
        "electrolyte": load_dossier(EXAMPLES / "liquid-lfp.yaml").electrolyte,
        "weight_loss_test": None})
    registry.submit(liquid, actor="lab")
    (cell,) = registry.list_cells(text="EX-SUL-HE-01").items
    assert (cell.latest_version, cell.category) == (2, "liquid")


def test_what_a_database_cannot_keep_is_refused_with_every_problem(registry: Registry) -> None:
    """Valid dossiers, but a '/' id cannot be addressed, and PostgreSQL refuses NUL and
    over-long names: one DossierError, not a database failure, and nothing stored."""
    with pytest.raises(DossierError) as raised:
        registry.submit(edited(SULFIDE, id="lab/A/1", manufacturer="x" * 501, model="S\x008"),
                        actor="lab")
    assert [p.path for p in raised.value.problems] == ["id", "manufacturer", ""]
    assert "NUL" in str(raised.value)
    assert registry.list_cells().total == 0 and registry.verify_chain().entries == 0


def test_evidence_is_read_stored_once_and_attached(registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    registry.submit(load_dossier(HYBRID), actor="lab")
    content = OVEN_LOG.read_bytes()
    one = registry.add_evidence("EX-SUL-HE-01", filename="log.csv", content=content, actor="lab")
    registry.add_evidence("EX-HSL-10", filename="log.csv", content=content, actor="lab")
    assert one.sha256 == hashlib.sha256(content).hexdigest() and one.reader == "oven-csv"
    assert registry.get_evidence(one.sha256) == content
    assert [e.filename for e in registry.get_cell("EX-HSL-10").evidence] == ["log.csv"]
    engine = create_engine(registry.url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM evidence_files")).scalar()
    engine.dispose()
    assert stored == 1


def test_unreadable_or_oversized_evidence_is_refused_and_nothing_stored(
        registry: Registry) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    entries = registry.verify_chain().entries
    with pytest.raises(EvidenceError):
        registry.add_evidence("EX-SUL-HE-01", filename="x.csv", content=b"\x00garbage" * 50,
                              actor="lab")
    with pytest.raises(EvidenceError, match="over the registry's limit"):
        registry.add_evidence("EX-SUL-HE-01", filename="log.csv",
                              content=OVEN_LOG.read_bytes(), actor="lab", max_bytes=1000)
    with pytest.raises(NotFoundError):
        registry.add_evidence("NO-SUCH-CELL", filename="log.csv",
                              content=OVEN_LOG.read_bytes(), actor="lab")
    assert registry.get_cell("EX-SUL-HE-01").evidence == []
    assert registry.verify_chain().entries == entries


def test_api_keys_are_kept_hashed_and_can_be_revoked(registry: Registry) -> None:
    record, secret = registry.create_api_key(role="lab", name="Lab A", actor="admin")
    assert registry.authenticate(secret) == record
    engine = create_engine(registry.url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).all()
    engine.dispose()
    assert secret not in repr(rows) and secret.split("_")[-1] not in repr(rows)
    with pytest.raises(AccessDeniedError):
        registry.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    registry.revoke_api_key(record.id, actor="admin")
    with pytest.raises(AccessDeniedError, match="revoked"):
        registry.authenticate(secret)
    with pytest.raises(InvalidInputError, match="unknown role"):
        registry.create_api_key(role="root", name="x", actor="admin")  # type: ignore[arg-type]


def test_a_certificate_is_kept_with_the_result_it_certifies(registry: Registry,
                                                           tmp_path: Path) -> None:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    key = generate_key()
    registry.add_trusted_issuer(name="Lab", public_key=public_key_base64(key.public_key()),
                                actor="admin")
    certificate = certificate_bytes(certify(SULFIDE, key=key, issuer_name="Lab"))
    record = registry.add_certificate(certificate, actor="lab")
    cell = registry.get_cell("EX-SUL-HE-01")
    assert record.result_id in {r.id for r in cell.results}
    assert (record.version, record.issuer_name) == (1, "Lab")
    assert registry.get_certificate(record.id) == certificate
    other = certificate_bytes(certify(HYBRID, key=key, issuer_name="Lab"))
    with pytest.raises(NotFoundError):
        registry.add_certificate(other, actor="lab")  # that cell is not registered
    forged = certificate.replace(b'"solid_state"', b'"liquid"', 1)
    with pytest.raises(InvalidInputError, match="does not verify"):
        registry.add_certificate(forged, actor="lab")
    assert registry.verify_chain().valid


# --- the audit log ------------------------------------------------------------------------


@pytest.fixture
def populated(registry: Registry) -> Registry:
    registry.submit(load_dossier(SULFIDE), actor="lab")
    registry.submit(load_dossier(HYBRID), actor="lab")
    registry.submit(edited(HYBRID, model="S9"), actor="lab")
    registry.add_evidence("EX-HSL-10", filename="log.csv", content=OVEN_LOG.read_bytes(),
                          actor="lab")
    report = registry.verify_chain()
    # three versions, each classified under every installed rule set, and one file
    assert report.valid and report.entries == 3 + 3 * len(available_rulesets()) + 1, \
        report.problems
    return registry


@pytest.mark.parametrize(("statement", "expected"), [
    ("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2", "entry 2: its content"),
    ("DELETE FROM audit_log WHERE seq = 3", "entries 3–3 are missing"),
    ("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
     "chain head does not match"),
    ("UPDATE dossier_versions SET created_by = 'x', content = "
     "(SELECT content FROM dossier_versions WHERE version = 2) WHERE version = 1 "
     "AND cell_id = (SELECT id FROM cells WHERE dossier_id = 'EX-HSL-10')",
     "version 1: its content does not match"),
    ("DELETE FROM results WHERE category = 'solid_state'", "is in the log but not stored"),
    ("UPDATE evidence_files SET content = :junk", "its bytes do not match"),
])
def test_verify_finds_every_change_made_behind_its_back(populated: Registry, statement: str,
                                                         expected: str) -> None:
    tamper(populated, statement, junk=b"other bytes")
    report = populated.verify_chain()
    assert not report.valid
    assert any(expected in problem for problem in report.problems), report.problems


def test_a_row_added_outside_solidcheck_is_found(populated: Registry) -> None:
    tamper(populated, "INSERT INTO api_keys (id, name, organisation, role, secret_sha256, "
                      "created_at) VALUES ('0000', 'x', 'x', 'admin', :h, CURRENT_TIMESTAMP)",
           h="0" * 64)
    tamper(populated, "INSERT INTO results SELECT 'zz' || substr(id, 3), cell_id, "
                      "dossier_version_id, ruleset, solidcheck_version, category, "
                      "electrolyte_type, conducting_ion, application, code, content, sha256, "
                      "published, created_at, created_by FROM results WHERE category = "
                      "'solid_state'")
    report = populated.verify_chain()
    assert any("stored but not in the log" in p for p in report.problems), report.problems


# --- the command line ------------------------------------------------------------------------


def test_registry_commands_end_to_end(database_url: str) -> None:
    database = ["--database", database_url]
    assert runner.invoke(app, ["registry", "init", *database]).exit_code == 0
    loaded = runner.invoke(app, ["registry", "load", str(SULFIDE), str(HYBRID), *database])
    assert loaded.exit_code == 0, loaded.stderr
    assert "2 dossier(s) loaded" in loaded.stdout
    created = runner.invoke(app, ["registry", "keys", "create", "--role", "lab", "--name", "A",
                                  *database])
    secret = created.stdout.strip()
    assert created.exit_code == 0 and secret.startswith("sc_") and "\n" not in secret
    assert "deprecated" not in created.stderr
    with Registry.open(database_url) as registry:
        assert registry.authenticate(secret).role == "lab"
    listed = runner.invoke(app, ["registry", "keys", "list", *database])
    assert "lab" in listed.stdout and secret not in listed.stdout
    intact = runner.invoke(app, ["registry", "verify", *database])
    assert intact.exit_code == 0 and "intact" in intact.stdout
    with Registry.open(database_url) as registry:
        tamper(registry, "UPDATE audit_log SET subject = 'X' WHERE seq = 1")
    broken = runner.invoke(app, ["registry", "verify", *database])
    assert broken.exit_code == 3 and "entry 1" in broken.stdout


def test_api_key_commands_under_registry_keys(database_url: str) -> None:
    """`registry keys create|list|revoke` manage the web service's API keys."""
    database = ["--database", database_url]
    assert runner.invoke(app, ["registry", "init", *database]).exit_code == 0
    created = runner.invoke(app, ["registry", "keys", "create", "--role", "reader", "--name",
                                  "R", *database])
    assert created.exit_code == 0, created.stderr
    key_id = created.stderr.split()[2]
    listed = runner.invoke(app, ["registry", "keys", "list", *database])
    assert listed.exit_code == 0 and f"{key_id}  reader  active" in listed.stdout
    revoked = runner.invoke(app, ["registry", "keys", "revoke", key_id, *database])
    assert revoked.exit_code == 0 and revoked.stdout.startswith(f"revoked {key_id} (reader")
    assert "revoked 20" in runner.invoke(app, ["registry", "keys", "list", *database]).stdout
    unknown = runner.invoke(app, ["registry", "keys", "revoke", "no-such-key", *database])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.stderr


def test_the_old_keys_names_still_work_with_a_note(database_url: str) -> None:
    """`keys create|list|revoke` (before the API keys moved under `registry`) do exactly what
    they did, after one line on stderr naming the new command."""
    database = ["--database", database_url]
    assert runner.invoke(app, ["registry", "init", *database]).exit_code == 0
    created = runner.invoke(app, ["keys", "create", "--role", "lab", "--name", "A", *database])
    assert created.exit_code == 0, created.stderr
    note, *rest = created.stderr.splitlines()
    assert note == ("note: `solidcheck keys create` is deprecated and will be removed; use "
                    "`solidcheck registry keys create`")
    assert rest[0].startswith("API key ") and created.stdout.strip().startswith("sc_")
    key_id = rest[0].split()[2]
    listed = runner.invoke(app, ["keys", "list", *database])
    assert listed.exit_code == 0 and key_id in listed.stdout
    assert listed.stderr.splitlines() == ["note: `solidcheck keys list` is deprecated and will "
                                          "be removed; use `solidcheck registry keys list`"]
    revoked = runner.invoke(app, ["keys", "revoke", key_id, *database])
    assert revoked.exit_code == 0 and revoked.stdout.startswith(f"revoked {key_id}")
    assert "`solidcheck registry keys revoke`" in revoked.stderr


def test_load_checks_every_file_before_storing_any(database_url: str, write_file) -> None:  # type: ignore[no-untyped-def]
    bad = write_file("bad.yaml", "id: X\nelectrolyte: {phases: [plasma]}\n")
    runner.invoke(app, ["registry", "init", "--database", database_url])
    outcome = runner.invoke(app, ["registry", "load", str(SULFIDE), str(bad),
                                  "--database", database_url])
    assert outcome.exit_code == 2 and "bad.yaml" in outcome.stderr
    assert "Traceback" not in outcome.stderr
    with Registry.open(database_url) as registry:
        assert registry.list_cells().total == 0


def test_load_reads_a_rule_set_file_or_refuses_an_unknown_id(tmp_path: Path) -> None:
    """`registry load -r` takes an installed id or a rule-set file (read by the command, not
    the registry); an unknown one is exit 2 before anything is stored."""
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    runner.invoke(app, ["registry", "init", "--database", url])
    unknown = runner.invoke(app, ["registry", "load", str(SULFIDE), "-r", "gbt-ssb-1-2099",
                                  "--database", url])
    assert unknown.exit_code == 2 and "gbt-ssb-1-2099" in unknown.stderr
    with Registry.open(url) as registry:
        assert registry.list_cells().total == 0
    rules_file = tmp_path / "csae-434-2025.toml"
    rules_file.write_text(installed_ruleset_text("csae-434-2025"), encoding="utf-8")
    loaded = runner.invoke(app, ["registry", "load", str(SULFIDE), "-r", str(rules_file),
                                 "--database", url])
    assert loaded.exit_code == 0, loaded.stderr
    with Registry.open(url) as registry:
        assert {r.ruleset for r in registry.get_cell("EX-SUL-HE-01").results} == {
            "csae-434-2025", "gbt-ssb-1-2026"}  # the file's, and every installed one


def test_load_attaches_the_evidence_a_dossier_names(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    built = tmp_path / "cell.yaml"
    lab = EXAMPLES / "lab"
    made = runner.invoke(app, ["dossier", "build", str(lab / "cell-s1.yaml"), "--oven-log",
                               str(lab / "oven-log-s1.csv"), "--weighings",
                               str(lab / "weighings-s1.csv"), "-o", str(built)])
    assert made.exit_code == 0, made.stderr
    for name in ("oven-log-s1.csv", "weighings-s1.csv"):
        (tmp_path / name).write_bytes((lab / name).read_bytes())
    runner.invoke(app, ["registry", "init", "--database", url])
    loaded = runner.invoke(app, ["registry", "load", str(built), "--database", url])
    assert "2 evidence file(s) attached" in loaded.stdout, loaded.stdout


def test_servers_started_together_on_a_new_database_all_open_it(database_url: str) -> None:
    """Several workers creating the tables at once take turns instead of failing."""
    from concurrent.futures import ThreadPoolExecutor

    def open_and_close(_: int) -> str:
        with Registry.open(database_url, create=True) as registry:
            return registry.display_url

    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(open_and_close, range(4)))
    assert len(opened) == 4
    with Registry.open(database_url) as registry:
        assert registry.verify_chain().valid


def test_export_gives_every_cell_s_latest_dossier_page_by_page(registry: Registry) -> None:
    examples = [load_dossier(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    for dossier in examples:
        registry.submit(dossier, actor="lab-a")
    registry.submit(edited(HYBRID, manufacturer="Renamed Co."), actor="lab-b")
    latest = {d.id: d for d in examples} | {"EX-HSL-10": edited(HYBRID,
                                                               manufacturer="Renamed Co.")}
    pages = list(registry.latest_dossiers(page_rows=3))
    assert [len(p) for p in pages[:-1]] == [3] * (len(pages) - 1) and pages[-1]
    exported = [d for page in pages for d in page]
    assert sorted(d.id for d in exported) == sorted(latest)
    assert len({d.id for d in exported}) == len(exported)  # no cell twice across pages
    assert all(d == latest[d.id] for d in exported)


def test_registry_export_command_feeds_batch(tmp_path: Path, database_url: str) -> None:
    database = ["--database", database_url]
    assert runner.invoke(app, ["registry", "init", *database]).exit_code == 0
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    assert runner.invoke(app, ["registry", "load", *files, *database]).exit_code == 0
    table = tmp_path / "cells.csv"
    exported = runner.invoke(app, ["registry", "export", "-o", str(table), *database])
    assert exported.exit_code == 0, exported.output
    assert f"wrote {len(files)} dossier(s)" in exported.stderr
    results = tmp_path / "results.parquet"
    classified = runner.invoke(app, ["batch", str(table), "-o", str(results),
                                     "--summary", "json"])
    assert classified.exit_code == 0, classified.output
    by_id = {d.id: classify(d).category for d in map(load_dossier, files)}
    rows = pq.read_table(results, columns=["id", "category"]).to_pylist()
    assert {r["id"]: r["category"] for r in rows} == by_id
    refused = runner.invoke(app, ["registry", "export", "-o", str(tmp_path / "c.txt"),
                                  *database])
    assert refused.exit_code == 2 and "name it .parquet, .csv or .jsonl" in refused.stderr
