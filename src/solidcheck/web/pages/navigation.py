"""What a page module declares — its routes and its entry in the menu — and the pages and the
menu gathered from those declarations.

A page is a module of this package with a ``PAGE``: nothing else lists the pages, so a new
one is its module, its template and its labels in ``web/locales/pages.toml``.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import pkgutil
from dataclasses import dataclass

from fastapi import APIRouter

__all__ = ["MenuEntry", "Page", "menu", "pages"]


@dataclass(frozen=True)
class MenuEntry:
    """A page's link in the menu at the top of every page."""

    path: str
    #: the link's words: a label of ``web/locales/pages.toml`` (en and zh)
    label_key: str
    #: the menu's order, smallest first
    place: int


@dataclass(frozen=True)
class Page:
    """A page module's ``PAGE``: its routes and, when it is reached from the menu, its entry."""

    router: APIRouter
    menu: MenuEntry | None = None


@functools.cache
def pages() -> tuple[Page, ...]:
    """The ``PAGE`` of every module of this package, in the order of the modules' names."""
    package = __name__.rpartition(".")[0]
    found: list[Page] = []
    for module_info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__),
                              key=lambda info: info.name):
        declared = getattr(importlib.import_module(f"{package}.{module_info.name}"), "PAGE",
                           None)
        if isinstance(declared, Page):
            found.append(declared)
    return tuple(found)


@functools.cache
def menu() -> tuple[MenuEntry, ...]:
    """The menu entries the pages declare, by place; two at one place or path are a mistake."""
    entries = sorted((page.menu for page in pages() if page.menu), key=lambda e: e.place)
    for earlier, later in itertools.pairwise(entries):
        if earlier.place == later.place:
            raise ValueError(f"menu entries {earlier.path} and {later.path} are both at place "
                             f"{later.place} — give each page module's PAGE its own place")
    paths = [entry.path for entry in entries]
    if len(set(paths)) != len(paths):
        raise ValueError(f"the menu links twice to one page ({', '.join(paths)}) — declare "
                         "each page's menu entry in its own module only")
    return tuple(entries)
