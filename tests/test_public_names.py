"""One part of the package uses another only through that part's public names.

import-linter (``make lint``, contracts in pyproject.toml) keeps the layers' direction; this
test keeps their surfaces: a name one area (``web``, ``report``, ``registry``, ``batch`` …)
imports from another must be in the ``__all__`` of the module it comes from, so a module's
``__all__`` says truthfully what the rest of the project relies on.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "solidcheck"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _absolute(node: ast.ImportFrom, importer: str, *, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _cross_area_imports() -> list[tuple[str, str, str, int]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _absolute(node, importer, is_package=path.name == "__init__.py")
            if not target.startswith("solidcheck.") or _area(target) == _area(importer):
                continue
            found.extend((importer, target, alias.name, node.lineno) for alias in node.names)
    return found


def test_cross_area_imports_use_public_names() -> None:
    private = []
    for importer, target, name, line in _cross_area_imports():
        module = importlib.import_module(target)
        if importlib.util.find_spec(f"{target}.{name}") is not None if hasattr(
                module, "__path__") else False:
            continue  # a submodule
        public = getattr(module, "__all__", None)
        if public is None or name not in public:
            private.append(f"{importer} (line {line}) imports {name} from {target}, "
                           f"which does not list it in __all__")
    assert not private, ("use the other area's public names, or add the name to its module's "
                         "__all__ if it is meant to be used from outside:\n" + "\n".join(private))


def test_the_check_sees_imports_across_areas() -> None:
    imports = {(importer, target) for importer, target, _, _ in _cross_area_imports()}
    assert ("solidcheck.classify", "solidcheck.rules") in imports
    assert any(importer.startswith("solidcheck.web") and target.startswith("solidcheck.report")
               for importer, target in imports)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
