"""Shared fixtures for the solidcheck test suite (none of them autouse)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"

# Real instrument files live beside the checkout (../shared/data, see its PROVENANCE.md) and
# are never copied into the repository. Tests that need them fail, not skip, without them.
SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data; a missing file is a test failure, never a skip."""
    path = SHARED_DATA / relative
    assert path.is_file(), (
        f"shared instrument file {path} is missing: the tests need ../shared/data beside the "
        "checkout (see shared/data/PROVENANCE.md)"
    )
    return path


@pytest.fixture
def examples_dir() -> Path:
    """The shipped example dossiers."""
    return EXAMPLES


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (UTF-8) or bytes to ``tmp_path / name`` and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
