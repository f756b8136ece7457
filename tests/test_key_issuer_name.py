"""The issuer's name given to `keys generate --name` is kept with the key and becomes the
issuer `certify` signs under; `--issuer` still wins; key files without a name still work."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner
from typer.testing import Result as CliResult

from solidcheck.certificates import (
    generate_key,
    key_issuer_name,
    load_private_key,
    write_private_key,
)
from solidcheck.cli import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "liquid-lfp.yaml"
CLEAN_ENV: dict[str, str | None] = {"SOLIDCHECK_KEY_PASSPHRASE": None,
                                    "SOLIDCHECK_TRUSTED_ISSUERS": None, "SOLIDCHECK_LANG": None}
runner = CliRunner()


def invoke(*args: object, env: dict[str, str | None] | None = None) -> CliResult:
    return runner.invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})})


def certified_issuer(key: Path, *extra: object) -> str:
    done = invoke("certify", EXAMPLE, "--key", key, *extra)
    assert done.exit_code == 0, done.output
    return str(json.loads(done.stdout)["issuer"]["name"])


@pytest.mark.parametrize("name", ["Example Lab", "示例检测实验室 (Shanghai)"])
def test_the_name_given_to_keys_generate_is_the_default_issuer(tmp_path: Path,
                                                               name: str) -> None:
    key = tmp_path / "lab.key"
    assert invoke("keys", "generate", "-o", key, "--name", name).exit_code == 0
    assert certified_issuer(key) == name


def test_issuer_overrides_the_name_kept_with_the_key(tmp_path: Path) -> None:
    key = tmp_path / "lab.key"
    assert invoke("keys", "generate", "-o", key, "--name", "Example Lab").exit_code == 0
    assert certified_issuer(key, "--issuer", "Another Lab") == "Another Lab"


def test_a_key_file_without_a_name_signs_under_the_file_name(tmp_path: Path) -> None:
    key = tmp_path / "old-lab.key"
    write_private_key(key, generate_key(), passphrase=None)  # as keys written before the name
    assert key_issuer_name(key) is None
    assert certified_issuer(key) == "old-lab"


def test_the_name_survives_encryption_and_other_pem_readers(tmp_path: Path) -> None:
    key = tmp_path / "lab.key"
    env = {"SOLIDCHECK_KEY_PASSPHRASE": "correct horse"}
    assert invoke("keys", "generate", "-o", key, "--name", "Example Lab", env=env).exit_code == 0
    assert key_issuer_name(key) == "Example Lab"
    assert load_private_key(key, passphrase=b"correct horse") is not None
    done = invoke("certify", EXAMPLE, "--key", key, env=env)
    assert json.loads(done.stdout)["issuer"]["name"] == "Example Lab"
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    openssl = subprocess.run(["openssl", "pkey", "-in", str(key), "-noout", "-passin",
                              "pass:correct horse"], capture_output=True, check=False)
    assert openssl.returncode == 0, openssl.stderr


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "x" * 201])
def test_an_unusable_name_is_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    key = tmp_path / "lab.key"
    done = invoke("keys", "generate", "-o", key, "--name", name)
    assert done.exit_code == 2
    assert "--name: the issuer's name" in done.stderr and "Traceback" not in done.stderr
    assert not key.exists() and not key.with_suffix(".pub").exists()
