"""Where the command line looks for the registry, and the API keys it writes (issue 20 item 6):
a command that uses a registry never creates an empty one where none is — it says where it
looked and how to point elsewhere (exit 2) — and `registry keys create -o FILE` writes the key
readable by its owner only (0600), saying where it is."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solidcheck.cli import app
from solidcheck.registry import Registry

runner = CliRunner()


def _solidcheck(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_verify_of_a_missing_data_folder_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "demo-registry"
    code, out, err = _solidcheck("registry", "verify",
                                 env={"SOLIDCHECK_DATA_DIR": str(folder),
                                      "SOLIDCHECK_DATABASE_URL": ""})
    assert code == 2 and out == ""
    assert f"there is no registry at {folder / 'registry.sqlite3'}" in err
    assert "SOLIDCHECK_DATA_DIR" in err and "solidcheck registry init" in err
    assert "out/demo-registry" in err  # where the demo keeps its registry
    assert "Traceback" not in err
    assert not folder.exists()


def test_verify_in_the_default_place_creates_nothing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOLIDCHECK_DATA_DIR", raising=False)
    monkeypatch.delenv("SOLIDCHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, _, err = _solidcheck("registry", "verify")
    assert code == 2
    assert "the default place" in err and "SOLIDCHECK_DATA_DIR is not set" in err
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()


def test_every_registry_command_refuses_a_missing_registry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'registry.sqlite3'}"
    for command in (["registry", "verify"], ["registry", "keys", "list"],
                    ["registry", "export", "--database", url, "-o", str(tmp_path / "x.jsonl")]):
        if "--database" not in command:
            command += ["--database", url]
        code, _, err = _solidcheck(*command)
        assert code == 2, (command, err)
        assert "chosen by --database" in err, command
    assert not (tmp_path / "nowhere").exists()


def test_verify_of_an_uninitialised_database_says_so(database_url: str) -> None:
    code, _, err = _solidcheck("registry", "verify", "--database", database_url)
    assert code == 2
    assert "solidcheck registry init" in err


def test_verify_after_init_is_intact(database_url: str) -> None:
    assert _solidcheck("registry", "init", "--database", database_url)[0] == 0
    code, out, _ = _solidcheck("registry", "verify", "--database", database_url)
    assert code == 0 and "intact" in out


def test_a_key_written_to_a_file_is_the_owners_only(database_url: str, tmp_path: Path) -> None:
    assert _solidcheck("registry", "init", "--database", database_url)[0] == 0
    key_file = tmp_path / "demo-lab.key"
    code, out, err = _solidcheck("registry", "keys", "create", "--role", "lab", "--name",
                                 "demo lab", "--database", database_url, "-o", str(key_file))
    assert code == 0 and out == ""  # the key is in the file, not on the terminal
    assert f"written to {key_file} (mode 0600)" in err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Registry.open(database_url) as registry:
        assert registry.authenticate(key_file.read_text().strip()).role == "lab"

    code, _, err = _solidcheck("registry", "keys", "create", "--role", "lab",
                               "--database", database_url, "-o", str(key_file))
    assert code == 2 and "already exists; no key was created" in err
    with Registry.open(database_url) as registry:
        assert len(registry.list_api_keys()) == 1


def test_a_key_written_to_a_file_is_said_in_chinese(database_url: str, tmp_path: Path) -> None:
    assert _solidcheck("registry", "init", "--database", database_url)[0] == 0
    key_file = tmp_path / "lab.key"
    code, _, err = _solidcheck("--lang", "zh", "registry", "keys", "create", "--role", "lab",
                               "--database", database_url, "-o", str(key_file))
    assert code == 0 and f"已写入 {key_file}（权限 0600）" in err
