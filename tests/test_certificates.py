"""Certificates: keys, certify, verify, and that no change to a certificate goes unnoticed."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from typer.testing import Result as CliResult

from solidcheck import CertificateError, InvalidInputError
from solidcheck.certificates import (
    CERTIFICATE_FORMAT,
    canonical_json,
    certificate_bytes,
    certificate_digest,
    certify,
    fingerprint,
    generate_key,
    load_private_key,
    load_public_key,
    parse_trusted_issuers,
    public_key_base64,
    verification_payload,
    verify,
    write_private_key,
)
from solidcheck.cli import app

EXAMPLES = Path(__file__).parents[1] / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
PASSPHRASE_ENV = "SOLIDCHECK_KEY_PASSPHRASE"
TRUSTED_ENV = "SOLIDCHECK_TRUSTED_ISSUERS"
CLEAN_ENV: dict[str, str | None] = {PASSPHRASE_ENV: None, TRUSTED_ENV: None}

runner = CliRunner()

# A small dossier with an evidence entry, so that every member of the format is present.
SMALL_DOSSIER = """\
id: CERT-1
electrolyte: {phases: [solid], solid_type: oxide}
conducting_ion: lithium
application: high_power
weight_loss_test:
  temperature_c: 120
  duration_h: 6
  pressure_pa: 50
  visible_liquid: false
  specimens: [{mass_before_g: 20.0, mass_after_g: 19.99}]
evidence:
  - kind: weighings
    file: weighings.csv
    sha256: abababababababababababababababababababababababababababababababab
    size_bytes: 120
    format: weighings_csv
    fields: [weight_loss_test.specimens]
"""

# Members whose absence (or a wrong type) makes a file malformed (exit 2), not invalid.
REQUIRED = {"format", "version", "issued_at", "issuer", "issuer.name", "issuer.key_fingerprint",
            "issuer.public_key", "subject", "subject.dossier_id", "subject.dossier_sha256",
            "subject.dossier_canonical_sha256", "subject.evidence", "result", "signature",
            "signature.algorithm", "signature.value"}


def invoke(*args: object, env: dict[str, str | None] | None = None) -> CliResult:
    return runner.invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})})


def assert_clean_failure(result: CliResult) -> None:
    """Exit 2 with a message on stderr, nothing on stdout, never a traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert not result.stdout
    assert result.stderr.strip()
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A key pair written by `solidcheck keys generate` (private, public)."""
    folder = tmp_path_factory.mktemp("keys")
    result = invoke("keys", "generate", "-o", folder / "lab.key", "--name", "Example Lab")
    assert result.exit_code == 0, result.stderr
    return folder / "lab.key", folder / "lab.pub"


@pytest.fixture(scope="module")
def trusted_file(keys: tuple[Path, Path]) -> Path:
    """A trusted-issuers file listing the fixture key, from the snippet `generate` printed."""
    public = keys[1]
    fp = invoke("keys", "fingerprint", public).stdout.strip()
    path = public.with_name("trusted.toml")
    path.write_text(f'[[issuer]]\nname = "Example Lab"\nfingerprint = "{fp}"\n', "utf-8")
    return path


@pytest.fixture(scope="module")
def small(keys: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[dict[str, Any], Path]:
    """A certificate of SMALL_DOSSIER by the fixture key, and that dossier's file."""
    folder = tmp_path_factory.mktemp("small")
    dossier = folder / "cert-1.yaml"
    dossier.write_text(SMALL_DOSSIER, "utf-8")
    cert = certify(dossier, key=load_private_key(keys[0], passphrase=None),
                   issuer_name="Example Lab")
    return cert, dossier


def write_cert(path: Path, cert: dict[str, Any]) -> Path:
    path.write_bytes(certificate_bytes(cert))
    return path


def resign(cert: dict[str, Any], key_path: Path) -> dict[str, Any]:
    """``cert`` with a valid signature over its (possibly changed) content."""
    key = load_private_key(key_path, passphrase=None)
    body = {k: v for k, v in cert.items() if k != "signature"}
    value = base64.b64encode(key.sign(canonical_json(body))).decode()
    return {**body, "signature": {"algorithm": "Ed25519", "value": value}}


# --------------------------------------------------------------------------- keys


def test_generate_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    result = invoke("keys", "generate", "-o", tmp_path / "lab.key", "--name", "Example Lab")
    assert result.exit_code == 0, result.stderr
    private, public = tmp_path / "lab.key", tmp_path / "lab.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    pem = private.read_text("ascii")
    body = "".join(pem.strip().splitlines()[1:-1])
    assert body not in result.output and "PRIVATE KEY" not in result.output
    key = load_private_key(private, passphrase=None)
    raw = key.private_bytes_raw()
    assert raw.hex() not in result.output
    assert base64.b64encode(raw).decode() not in result.output
    # what is printed: the fingerprint and a trusted-issuers entry that loads
    fp = fingerprint(key.public_key())
    assert result.stdout.splitlines()[0] == f"fingerprint {fp}"
    snippet = result.stdout.split("\n", 2)[2]
    trust = parse_trusted_issuers(snippet)
    assert trust.issuer[0].name == "Example Lab" and trust.issuer[0].fingerprint == fp
    assert "NOT encrypted" in result.stderr and str(public) in result.stderr


def test_generate_with_a_passphrase_never_prints_it(tmp_path: Path) -> None:
    secret = "correct horse battery staple"
    result = invoke("keys", "generate", "-o", tmp_path / "lab.key", env={PASSPHRASE_ENV: secret})
    assert result.exit_code == 0, result.stderr
    assert secret not in result.output
    assert "ENCRYPTED PRIVATE KEY" in (tmp_path / "lab.key").read_text("ascii")
    assert stat.S_IMODE((tmp_path / "lab.key").stat().st_mode) == 0o600
    assert load_private_key(tmp_path / "lab.key", passphrase=secret.encode())


def test_generate_refuses_to_overwrite_a_key_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "lab.key"
    assert invoke("keys", "generate", "-o", path).exit_code == 0
    before = path.read_bytes()
    refused = invoke("keys", "generate", "-o", path)
    assert_clean_failure(refused)
    assert "--force" in refused.stderr and path.read_bytes() == before
    forced = invoke("keys", "generate", "-o", path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert path.read_bytes() != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_private_key_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("keep me", "utf-8")
    with pytest.raises(CertificateError, match="already exists"):
        write_private_key(path, generate_key(), passphrase=None)
    assert path.read_text("utf-8") == "keep me"


def test_fingerprint_of_the_public_key_the_private_key_and_raw_base64(
        keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    key = load_private_key(private, passphrase=None)
    expected = "sha256:" + hashlib.sha256(key.public_key().public_bytes_raw()).hexdigest()
    raw = tmp_path / "raw.b64"
    raw.write_text(public_key_base64(key.public_key()) + "\n", "utf-8")
    for path in (public, private, raw):
        result = invoke("keys", "fingerprint", path)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == expected


def test_wrong_passphrase_is_a_clean_error(tmp_path: Path) -> None:
    key = tmp_path / "enc.key"
    assert invoke("keys", "generate", "-o", key, env={PASSPHRASE_ENV: "right"}).exit_code == 0
    dossier = EXAMPLE_FILES[0]
    for env in ({PASSPHRASE_ENV: "wrong"}, {}):
        result = invoke("certify", dossier, "--key", key, "-o", tmp_path / "c.json", env=env)
        assert_clean_failure(result)
        assert "passphrase" in result.stderr
    assert not (tmp_path / "c.json").exists()
    good = invoke("certify", dossier, "--key", key, "-o", tmp_path / "c.json",
                  env={PASSPHRASE_ENV: "right"})
    assert good.exit_code == 0, good.stderr


# --------------------------------------------------------------------------- certify, verify


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_certifies_and_verifies(example: Path, keys: tuple[Path, Path],
                                              trusted_file: Path, tmp_path: Path) -> None:
    private, public = keys
    cert = tmp_path / "cert.json"
    made = invoke("certify", example, "--key", private, "--issuer", "Example Lab", "-o", cert)
    assert made.exit_code == 0, made.stderr
    fp = fingerprint(load_private_key(private, passphrase=None).public_key())
    assert f"wrote {cert}" in made.stderr and fp in made.stderr
    data = cert.read_bytes()
    assert data.endswith(b"}\n") and data.count(b"\n") == 1
    document = json.loads(data)
    assert document["format"] == CERTIFICATE_FORMAT and document["version"] == 1
    assert document["subject"]["dossier_sha256"] == hashlib.sha256(example.read_bytes()).hexdigest()

    with_key = invoke("verify", cert, "--pubkey", public)
    assert with_key.exit_code == 0, with_key.output
    assert with_key.stdout.startswith("VALID") and "trusted" in with_key.stdout
    with_list = invoke("verify", cert, "--trusted", trusted_file, "--dossier", example,
                       "--format", "json")
    assert with_list.exit_code == 0, with_list.output
    outcome = json.loads(with_list.stdout)
    assert outcome["valid"] is True and outcome["issuer_trusted"] is True
    assert outcome["reasons"] == [] and outcome["dossier_checked"] is True
    assert outcome["category"] == document["result"]["category"]
    from_env = invoke("verify", cert, "-f", "json", env={TRUSTED_ENV: str(trusted_file)})
    assert json.loads(from_env.stdout)["issuer_trusted"] is True

    unchecked = invoke("verify", cert)
    assert unchecked.exit_code == 0, unchecked.output
    assert "NOT checked against a trust list" in unchecked.stdout
    assert json.loads(invoke("verify", cert, "-f", "json").stdout)["issuer_trusted"] is None


def test_the_certified_result_is_what_solidcheck_says(small: tuple[dict[str, Any], Path]) -> None:
    cert, dossier = small
    from solidcheck import classify, load_dossier

    assert cert["result"] == classify(load_dossier(dossier)).model_dump(mode="json")
    assert cert["subject"]["evidence"] == [{
        "kind": "weighings", "file": "weighings.csv", "sha256": "ab" * 32}]
    check = verify(certificate_bytes(cert))
    assert check.valid and check.issuer_trusted is None and check.dossier_id == "CERT-1"


def test_certify_reports_an_invalid_dossier(keys: tuple[Path, Path], write_file: Any,
                                            tmp_path: Path) -> None:
    bad = write_file("bad.yaml", "id: X\nconducting_ion: lithium\n")
    result = invoke("certify", bad, "--key", keys[0], "-o", tmp_path / "c.json")
    assert_clean_failure(result)
    assert "electrolyte" in result.stderr


# --------------------------------------------------------------------------- tampering


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    raise AssertionError(value)


def _mutations(cert: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(description, changed certificate, whether it is malformed) for every leaf and member."""
    def at(document: dict[str, Any], path: tuple[Any, ...]) -> Any:
        for part in path:
            document = document[part]
        return document

    for path, value in _leaves(cert):
        where = _dotted(path)
        if isinstance(value, dict):
            for key in value:
                changed = copy.deepcopy(cert)
                del at(changed, path)[key]
                member = _dotted((*path, key))
                generic = re.sub(r"\[\d+\]", "", member)
                is_required = generic in REQUIRED or member.startswith("subject.evidence[")
                yield f"delete {member}", changed, is_required
            changed = copy.deepcopy(cert)
            at(changed, path)["added_member"] = 1
            yield f"add a member to {where or 'the top level'}", changed, False
        elif isinstance(value, list):
            changed = copy.deepcopy(cert)
            at(changed, path).append(copy.deepcopy(value[-1]) if value else "x")
            yield f"append to {where}", changed, False
            if value:
                changed = copy.deepcopy(cert)
                del at(changed, path)[0]
                yield f"remove {where}[0]", changed, False
        else:
            changed = copy.deepcopy(cert)
            at(changed, path[:-1])[path[-1]] = _changed(value)
            yield f"change {where}", changed, False


def outcome(data: bytes, **options: Any) -> tuple[int, str]:
    """The exit status `solidcheck verify` gives these bytes and its message, from the core.

    The exhaustive tamper loops call the core (a CLI run costs ~20 ms of Typer start-up);
    a sample of each loop also goes through the command line to show the two agree.
    """
    try:
        check = verify(data, **options)
    except CertificateError as exc:
        return 2, str(exc)
    return (0 if check.valid else 3), "\n".join(check.reasons)


def assert_cli_agrees(data: bytes, expected: int, tmp_path: Path, *args: object) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(data)
    result = invoke("verify", path, *args)
    assert result.exit_code == expected, result.output
    assert "Traceback" not in result.output


def test_any_change_to_any_field_without_re_signing_is_invalid(
        small: tuple[dict[str, Any], Path], keys: tuple[Path, Path], tmp_path: Path) -> None:
    cert, _ = small
    public_key = load_public_key(keys[1])
    mutations = list(_mutations(cert))
    assert len(mutations) > 100  # the walk reached every part of the certificate
    for number, (description, changed, malformed) in enumerate(mutations):
        data = certificate_bytes(changed)
        code, message = outcome(data, public_key=public_key)
        if malformed:  # a required member deleted: not a certificate, and the member named
            assert code == 2, (description, message)
            member = description.removeprefix("delete ").rsplit(".", 1)[-1]
            assert f"{member}: Field required" in message, (description, message)
        else:
            assert code == 3, (description, message)
            assert "signature" in message, (description, message)
        if number % 10 == 0 or malformed:
            assert_cli_agrees(data, code, tmp_path, "--pubkey", keys[1])


def test_a_changed_result_names_the_signature(small: tuple[dict[str, Any], Path],
                                              tmp_path: Path) -> None:
    cert, _ = small
    changed = copy.deepcopy(cert)
    changed["result"]["category"] = "solid_state" if cert["result"]["category"] != (
        "solid_state") else "liquid"
    result = invoke("verify", write_cert(tmp_path / "c.json", changed))
    assert result.exit_code == 3
    assert "signature does not match" in result.stdout and "result.category" in result.stdout


def test_an_altered_signature_is_invalid(small: tuple[dict[str, Any], Path],
                                         keys: tuple[Path, Path], tmp_path: Path) -> None:
    cert, _ = small
    b64 = base64
    raw = bytearray(b64.b64decode(cert["signature"]["value"]))
    raw[10] ^= 0x01
    flipped = copy.deepcopy(cert)
    flipped["signature"]["value"] = b64.b64encode(bytes(raw)).decode()
    other = resign({**cert, "issued_at": "2020-01-01T00:00:00Z"}, keys[0])
    borrowed = {**cert, "signature": other["signature"]}  # a real signature, of other content
    for changed in (flipped, borrowed):
        result = invoke("verify", write_cert(tmp_path / "c.json", changed), "--pubkey", keys[1])
        assert result.exit_code == 3, result.output
        assert "signature does not match" in result.stdout


def test_no_flipped_byte_verifies(small: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    cert, _ = small
    data = certificate_bytes(cert)
    positions = sorted({0, len(data) - 1, *range(0, len(data), 7)})
    codes = set()
    for number, position in enumerate(positions):
        for mask in (0x01, 0x20, 0x80):
            damaged = bytearray(data)
            damaged[position] ^= mask
            code, message = outcome(bytes(damaged))
            assert code in (2, 3), (position, mask)
            assert message
            codes.add(code)
            if number % 25 == 0:
                assert_cli_agrees(bytes(damaged), code, tmp_path)
    assert codes == {2, 3}


def test_re_indented_or_re_serialised_json_is_not_canonical(
        small: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    cert, _ = small
    data = certificate_bytes(cert)
    variants = [json.dumps(cert, indent=2).encode(), json.dumps(cert).encode() + b"\n",
                data.rstrip(b"\n"), data + b"\n", data.replace(b",", b", ", 1)]
    for variant in variants:
        path = tmp_path / "c.json"
        path.write_bytes(variant)
        result = invoke("verify", path)
        assert result.exit_code == 3, result.output
        assert "not in canonical form: re-serialised or edited" in result.stdout


def test_another_keys_pubkey_is_invalid(small: tuple[dict[str, Any], Path],
                                        tmp_path: Path) -> None:
    cert, _ = small
    assert invoke("keys", "generate", "-o", tmp_path / "other.key").exit_code == 0
    result = invoke("verify", write_cert(tmp_path / "c.json", cert),
                    "--pubkey", tmp_path / "other.pub", "-f", "json")
    assert result.exit_code == 3
    outcome = json.loads(result.stdout)
    assert outcome["issuer_trusted"] is False
    assert any("not the expected key" in r for r in outcome["reasons"])


def test_an_untrusted_fingerprint_is_invalid(small: tuple[dict[str, Any], Path],
                                             tmp_path: Path) -> None:
    cert, _ = small
    trusted = tmp_path / "trusted.toml"
    other = fingerprint(generate_key().public_key())
    trusted.write_text(f'[[issuer]]\nname = "Example Lab"\nfingerprint = "{other}"\n', "utf-8")
    result = invoke("verify", write_cert(tmp_path / "c.json", cert), "--trusted", trusted)
    assert result.exit_code == 3
    assert "is not among the trusted issuers" in result.stdout


def test_a_trusted_key_under_another_name_is_a_warning(
        small: tuple[dict[str, Any], Path], keys: tuple[Path, Path], tmp_path: Path) -> None:
    cert, _ = small
    fp = invoke("keys", "fingerprint", keys[1]).stdout.strip()
    trusted = tmp_path / "trusted.toml"
    trusted.write_text(f'[[issuer]]\nname = "Renamed Lab"\nfingerprint = "{fp}"\n', "utf-8")
    result = invoke("verify", write_cert(tmp_path / "c.json", cert), "--trusted", trusted)
    assert result.exit_code == 0, result.output
    assert "warning: issuer.name 'Example Lab' differs" in result.stdout


@pytest.mark.parametrize(("text", "expected"), [
    ("", "issuer"),
    ('[[issuer]]\nname = "A"\nfingerprint = "sha256:ABC"\n', "issuer[0].fingerprint"),
    ('[[issuer]]\nfingerprint = "sha256:' + "0" * 64 + '"\n', "issuer[0].name"),
    ('[[issuer]]\nname = "A"\nfingerprint = "sha256:' + "0" * 64 + '"\npublic_key = "'
     + "A" * 43 + '="\n', "does not match fingerprint"),
    ("[[issuer]\n", "not valid TOML"),
])
def test_a_bad_trusted_issuers_file_is_a_clean_error(
        text: str, expected: str, small: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    cert, _ = small
    trusted = tmp_path / "trusted.toml"
    trusted.write_text(text, "utf-8")
    result = invoke("verify", write_cert(tmp_path / "c.json", cert), "--trusted", trusted)
    assert_clean_failure(result)
    assert "trusted-issuers file" in result.stderr and expected in result.stderr


def test_a_modified_dossier_is_invalid(small: tuple[dict[str, Any], Path],
                                       tmp_path: Path) -> None:
    cert, dossier = small
    path = write_cert(tmp_path / "c.json", cert)
    modified = tmp_path / "modified.yaml"
    modified.write_text(dossier.read_text("utf-8").replace("19.99", "19.90"), "utf-8")
    result = invoke("verify", path, "--dossier", modified)
    assert result.exit_code == 3, result.output
    assert "subject.dossier_sha256 does not match the dossier given" in result.stdout
    reformatted = tmp_path / "reformatted.yaml"
    reformatted.write_text(dossier.read_text("utf-8") + "# a comment\n", "utf-8")
    result = invoke("verify", path, "--dossier", reformatted)
    assert result.exit_code == 3
    assert "its content is equivalent" in result.stdout
    assert invoke("verify", path, "--dossier", dossier).exit_code == 0


def test_re_classification_must_agree_unless_the_version_differs(
        small: tuple[dict[str, Any], Path], keys: tuple[Path, Path], tmp_path: Path) -> None:
    cert, dossier = small
    lying = copy.deepcopy(cert)
    lying["result"]["code"] = "SCP1-SSB-OXI-LI-HE/gbt-ssb-1-2026"  # signed, but not what it is
    path = write_cert(tmp_path / "c.json", resign(lying, keys[0]))
    assert invoke("verify", path).exit_code == 0  # without the dossier, nothing to compare
    result = invoke("verify", path, "--dossier", dossier)
    assert result.exit_code == 3
    assert "re-classifying the dossier gives a different result" in result.stdout
    lying["result"]["solidcheck_version"] = "0.0.1"
    path = write_cert(tmp_path / "c.json", resign(lying, keys[0]))
    result = invoke("verify", path, "--dossier", dossier)
    assert result.exit_code == 0, result.output
    assert "warning: re-classifying the dossier with solidcheck" in result.stdout


def test_issued_in_the_future_is_invalid_beyond_the_clock_skew(
        small: tuple[dict[str, Any], Path], keys: tuple[Path, Path]) -> None:
    _, dossier = small
    key = load_private_key(keys[0], passphrase=None)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    soon = certify(dossier, key=key, issuer_name="L", now=now + timedelta(minutes=4))
    assert verify(certificate_bytes(soon), now=now).valid
    later = certify(dossier, key=key, issuer_name="L", now=now + timedelta(minutes=6))
    check = verify(certificate_bytes(later), now=now)
    assert not check.valid and check.reasons == [
        "issued_at 2030-01-01T00:06:00Z is in the future (now 2030-01-01T00:00:00Z, "
        "allowing 5 min of clock skew)"]
    assert later["issued_at"] == "2030-01-01T00:06:00Z"


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]\n", "a certificate is a JSON object, got list"),
    (b'{"a": 1, "a": 2}', "appears twice"),
    (b'{"version": NaN}', "NaN"),
    (b'{"format": "solidcheck-certificate", "version": "1"}', "issuer: Field required"),
])
def test_malformed_files_are_clean_errors(data: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(data)
    result = invoke("verify", path)
    assert_clean_failure(result)
    assert expected in result.stderr and "invalid certificate" in result.stderr
    with pytest.raises(CertificateError) as caught:
        verify(data)
    assert isinstance(caught.value, InvalidInputError)


def test_every_missing_member_is_listed(small: tuple[dict[str, Any], Path]) -> None:
    cert, _ = small
    broken = copy.deepcopy(cert)
    del broken["issuer"]["name"]
    broken["version"] = True
    broken["signature"] = {"algorithm": "Ed25519"}
    with pytest.raises(CertificateError) as caught:
        verify(certificate_bytes(broken))
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {"issuer.name", "version", "signature.value"}


# --------------------------------------------------------------------------- canonical JSON


def test_canonical_json_follows_rfc_8785() -> None:
    # RFC 8785 section 3.2.3: keys sorted by their UTF-16 code units, not code points.
    keys = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet",
            "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"}
    order = [json.loads(f'"{k}"') for k in re.findall(
        r'"((?:[^"\\]|\\.)*)":', canonical_json(keys).decode("utf-8"))]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert order != sorted(keys)  # code-point order would put U+FB33 before the emoji
    # RFC 8785 section 3.2.2: numbers as ECMAScript prints them, strings minimally escaped.
    sample = {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001,
                          1e21, 1e20, 0.1, -0.0, 5.0],
              "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
              "literals": [None, True, False]}
    assert canonical_json(sample) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27,'
        '1e+21,100000000000000000000,0.1,0,5],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonical_json(sample) != json.dumps(sample, sort_keys=True, separators=(",", ":"),
                                                ensure_ascii=False).encode("utf-8")


def test_the_qr_payload_names_the_issuer_the_file_and_the_code(
        small: tuple[dict[str, Any], Path]) -> None:
    cert, _ = small
    payload = verification_payload(cert)
    digest = hashlib.sha256(certificate_bytes(cert)).hexdigest()
    assert certificate_digest(cert) == digest
    fp = cert["issuer"]["key_fingerprint"].removeprefix("sha256:")
    assert payload == f"SCV1:{fp[:16]}:{digest}:{cert['result']['code']}"
    assert re.fullmatch(r"SCV1:[0-9a-f]{16}:[0-9a-f]{64}:[A-Z0-9-]+/[a-z0-9-]+", payload)


def test_the_signed_bytes_are_the_file_without_its_signature_member(
        small: tuple[dict[str, Any], Path], keys: tuple[Path, Path]) -> None:
    """What docs/certificates.md tells verifiers without solidcheck to do."""
    cert, _ = small
    data = certificate_bytes(cert).decode("utf-8")
    cut = re.sub(r'"signature":\{"algorithm":"Ed25519","value":"[A-Za-z0-9+/=]+"\},', "", data)
    signed = cut.rstrip("\n").encode("utf-8")
    assert signed == canonical_json({k: v for k, v in cert.items() if k != "signature"})
    signature = base64.b64decode(cert["signature"]["value"])
    load_public_key(keys[1]).verify(signature, signed)  # raises if it does not verify


def test_the_documented_trusted_issuers_example_loads() -> None:
    text = (Path(__file__).parents[1] / "docs" / "certificates.md").read_text("utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example is not None
    trust = parse_trusted_issuers(example.group(1))
    assert trust.issuer[0].public_key is not None


# --- the certificate in a report -------------------------------------------------------------


def test_a_report_carries_the_certificates_verification_payload_as_a_qr_code(
        small: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    cert, dossier = small
    cert_file = write_cert(tmp_path / "cert.json", cert)
    page = tmp_path / "report.html"
    result = invoke("report", dossier, "--certificate", cert_file, "-o", page)
    assert result.exit_code == 0, result.stderr
    html = page.read_text("utf-8")
    assert verification_payload(cert) in html
    assert html.count("<svg") >= 2  # the rates plot and the QR code


def test_a_report_refuses_a_certificate_of_another_dossier(
        small: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    cert, _ = small
    cert_file = write_cert(tmp_path / "cert.json", cert)
    page = tmp_path / "report.html"
    result = invoke("report", EXAMPLES / "liquid-lfp.yaml", "--certificate", cert_file,
                    "-o", page)
    assert_clean_failure(result)
    assert "subject.dossier_sha256 does not match" in result.stderr
    assert not page.exists()
