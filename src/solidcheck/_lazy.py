"""Public names imported on first use (PEP 562).

A package lists where each of its public names lives; ``import`` of the package then costs
nothing more, and a program pays only for the parts it uses (the command line starts in a
tenth of a second because of this).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, module_of: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``module_of`` maps each lazy name
    to its module, relative to the package (``".html"``)."""

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value  # found once: later look-ups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace["__all__"], *(n for n in namespace if n.startswith("__"))})

    return __getattr__, __dir__
