"""A certificate that does not verify claims nothing: `verify` and the verify page say what
failed, claim no trust in its issuer, and show the cell it names as unverified text, not as
a link to a real cell."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.certificates import (
    certificate_bytes,
    certify,
    generate_key,
    public_key_base64,
    verify,
    write_private_key,
    write_public_key,
)
from solidcheck.cli import app
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).parents[1] / "examples" / "sulfide-high-energy.yaml"
CELL = "EX-SUL-HE-01"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
runner = CliRunner()
KEY = generate_key()
GENUINE = certificate_bytes(certify(EXAMPLE.read_bytes(), key=KEY, issuer_name="Test Lab"))
TAMPERED = GENUINE.replace(b'"category":"solid_state"', b'"category":"liquid"')


def test_the_tampered_certificate_differs_only_in_its_result() -> None:
    assert TAMPERED != GENUINE and b'"category":"liquid"' in TAMPERED


def test_a_tampered_certificate_is_not_signature_verified_and_claims_no_trust() -> None:
    check = verify(TAMPERED, public_key=KEY.public_key())
    assert not check.valid and not check.signature_verified
    assert check.issuer_trusted is None  # the key matches, but not what it signed
    genuine = verify(GENUINE, public_key=KEY.public_key())
    assert genuine.valid and genuine.signature_verified and genuine.issuer_trusted is True


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"genuine": tmp_path / "c.json", "tampered": tmp_path / "t.json",
             "pub": tmp_path / "lab.pub"}
    paths["genuine"].write_bytes(GENUINE)
    paths["tampered"].write_bytes(TAMPERED)
    write_private_key(tmp_path / "lab.key", KEY, passphrase=None)
    write_public_key(paths["pub"], KEY.public_key())
    return paths


@pytest.mark.parametrize(("lang", "failed", "unknown", "trusted"), [
    ("en", "signature does not match", "issuer     NOT established", "issuer     trusted"),
    ("zh", "签名不符", "签发方     无法确认", "签发方     可信"),
])
def test_verify_says_what_failed_and_claims_no_trust(files: dict[str, Path], lang: str,
                                                     failed: str, unknown: str,
                                                     trusted: str) -> None:
    done = runner.invoke(app, ["--lang", lang, "verify", str(files["tampered"]),
                               "--pubkey", str(files["pub"])])
    assert done.exit_code == 3  # invalid, as documented
    assert failed in done.stdout and unknown in done.stdout
    assert trusted not in done.stdout and "checked against" not in done.stdout
    genuine = runner.invoke(app, ["--lang", lang, "verify", str(files["genuine"]),
                                  "--pubkey", str(files["pub"])])
    assert genuine.exit_code == 0 and trusted in genuine.stdout


def test_verify_json_of_a_tampered_certificate(files: dict[str, Path]) -> None:
    done = runner.invoke(app, ["verify", str(files["tampered"]), "--pubkey", str(files["pub"]),
                               "-f", "json"])
    outcome = json.loads(done.stdout)
    assert done.exit_code == 3
    assert outcome["valid"] is False and outcome["signature_verified"] is False
    assert outcome["issuer_trusted"] is None


# --------------------------------------------------------------------------- the page

@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The pages over a registry (SQLite and PostgreSQL) that holds the cell claimed."""
    with Registry.open(database_url, create=True) as registry:
        registry.submit(load_dossier(EXAMPLE), actor="test")
    application = create_app(Settings(database_url=database_url, secret_key="verify-claims"))
    with TestClient(application) as test_client:
        yield test_client
    application.state.registry.close()


def _verify_page(client: TestClient, certificate: bytes, lang: str) -> str:
    token = TOKEN.search(client.get(f"/verify?lang={lang}").text)
    assert token
    page = client.post(f"/verify?lang={lang}", data={
        "csrf_token": token[1], "public_key": public_key_base64(KEY.public_key())},
        files={"certificate_file": ("c.cert.json", certificate, "application/json")})
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize(("lang", "claimed", "not_established"), [
    ("en", "claimed by the certificate, not verified", "not established"),
    ("zh", "证书所称，未经验证", "无法确认"),
])
def test_the_page_shows_an_invalid_certificates_cell_as_unverified_text(
        client: TestClient, lang: str, claimed: str, not_established: str) -> None:
    page = _verify_page(client, TAMPERED, lang)
    assert 'class="verdict verify-invalid"' in page
    assert f'<span class="claimed" id="claimed-cell">{CELL}</span>' in page
    assert claimed in page and not_established in page
    assert not re.search(rf'<a [^>]*href="[^"]*/cells/{CELL}[?"]', page)
    genuine = _verify_page(client, GENUINE, lang)
    assert re.search(rf'<a [^>]*href="[^"]*/cells/{CELL}[?"]', genuine)
    assert claimed not in genuine and not_established not in genuine
