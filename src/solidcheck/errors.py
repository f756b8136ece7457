"""Every error solidcheck raises on purpose.

::

    SolidcheckError                     base of all; catch this to catch everything below
    ├── InvalidInputError (ValueError)  input that cannot be used; carries every Problem found
    │   ├── DossierError                a dossier file or mapping that breaks the dossier format
    │   ├── RulesetError                a rule-set or vocabulary file that breaks its format
    │   ├── CodeError                   a classification code that cannot be decoded
    │   ├── EvidenceError               an instrument file that cannot be read or used
    │   ├── CertificateError            a malformed certificate, or a key or trusted-issuers
    │   │                               file that cannot be used
    │   └── TextExtractionError         a document to audit (text, Markdown, HTML, PDF) whose
    │                                   text cannot be extracted
    ├── UnknownRulesetError (LookupError)  a rule-set id that is not installed
    ├── MissingDependencyError (ImportError)  an optional extra is needed and not installed
    │   └── MissingSystemLibraryError   the extra is installed, a system library it loads is
    │                                   not (WeasyPrint without Pango)
    └── RegistryError                   the registry (database) cannot do what was asked
        ├── NotFoundError (LookupError)     no such cell, result, evidence file or key
        ├── AccessDeniedError (PermissionError)  no key, an unknown or revoked key, or a
        │                                   role that may not do this
        └── DatabaseError                   the database cannot be opened, or its schema is
                                            not this version's (run `solidcheck registry init`)

An ``InvalidInputError`` never stops at the first problem: it lists them all, each with
where it is (a dotted field path), what is wrong and how to fix it. Its ``str()`` is the
message a user sees at the command line (exit 2) and in an HTTP 422 body. Only the first
:data:`MAX_PROBLEMS_LISTED` are kept (``problems``); the rest are counted (``unlisted``), so
an input with millions of faults costs a bounded message, not millions of lines.

Errors cross process boundaries (Dask workers, process pools pickle them), and must arrive
equal: a class with an ``__init__`` of its own has a ``__reduce__`` that rebuilds it through
that ``__init__`` (``tests/test_errors.py`` round-trips every class).
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_PROBLEMS_LISTED",
    "AccessDeniedError",
    "CertificateError",
    "ChargingInputError",
    "CodeError",
    "DatabaseError",
    "DossierError",
    "EvidenceError",
    "InvalidInputError",
    "MissingDependencyError",
    "MissingSystemLibraryError",
    "NotFoundError",
    "Problem",
    "RegistryError",
    "RulesetError",
    "SolidcheckError",
    "TextExtractionError",
    "UnknownRulesetError",
    "file_problem",
]


#: How many problems an InvalidInputError keeps and prints; the rest are only counted.
MAX_PROBLEMS_LISTED = 100


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where, what, and how to fix it.

    ``message_id`` (optional) names the problem in the catalogue (``i18n``), so the command
    line can say it in the reader's language with ``params``; its fix is the message
    ``<message_id>.fix``. ``about_file``: the file itself (missing, of another kind), not a
    place in its content, so no path is shown."""

    path: str
    message: str
    fix: str = ""
    message_id: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    about_file: bool = False

    def __str__(self) -> str:
        where = self.path or "(top level)"
        text = self.message if self.about_file else f"{where}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "fix": self.fix}


def file_problem(path: str | Path, exc: OSError) -> Problem:
    """The problem of a file that cannot be read, said the same wherever solidcheck reads
    one: "no such file: PATH", "a folder, not a file: PATH", else the system's reason."""
    shown = str(path)
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
        return Problem("", f"no such file: {shown}", "check the path (a relative path starts "
                       "from the current folder)", "problem.no_such_file", {"path": shown},
                       about_file=True)
    if isinstance(exc, IsADirectoryError) or exc.errno == errno.EISDIR:
        return Problem("", f"a folder, not a file: {shown}", "give a file inside it",
                       "problem.is_a_folder", {"path": shown}, about_file=True)
    reason = exc.strerror or type(exc).__name__
    return Problem("", f"cannot read {shown}: {reason}", "check the file's permissions",
                   "problem.cannot_read", {"path": shown, "reason": reason}, about_file=True)


class SolidcheckError(Exception):
    """Base class of every error solidcheck raises on purpose."""


class InvalidInputError(SolidcheckError, ValueError):
    """An input that cannot be used, with every problem found in it."""

    what = "input"

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None,
                 unlisted: int = 0) -> None:
        """``problems`` may be any iterable, even a generator of millions: the first
        :data:`MAX_PROBLEMS_LISTED` are kept and the rest counted without being stored.
        ``unlisted`` adds problems counted elsewhere (re-raising another error's
        ``problems``, pass its ``unlisted`` too)."""
        remaining = iter(problems)
        self.problems: tuple[Problem, ...] = tuple(islice(remaining, MAX_PROBLEMS_LISTED))
        #: problems found but not kept in ``problems`` (beyond MAX_PROBLEMS_LISTED)
        self.unlisted: int = unlisted + sum(1 for _ in remaining)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" {self.source}" if self.source else ""
        count = len(self.problems) + self.unlisted
        noun = "problem" if count == 1 else "problems"
        lines = [f"invalid {self.what}{where}: {count} {noun}"]
        lines += [f"  - {problem}" for problem in self.problems]
        if self.unlisted:
            more = "problem" if self.unlisted == 1 else "problems"
            lines.append(f"  … and {self.unlisted} more {more}")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickling calls ``cls(*args)``, and args holds the message, not the
        # problems: rebuild from them instead (dask and process pools pickle errors).
        return _rebuild, (type(self), (self.problems,), self._init_keywords()), self.__dict__

    def _init_keywords(self) -> dict[str, Any]:
        return {"source": self.source, "unlisted": self.unlisted}


def _rebuild(cls: type[BaseException], args: tuple[Any, ...],
             keywords: dict[str, Any]) -> BaseException:
    """An unpickled error, made again through its ``__init__``: a plain ``(cls, args)``
    cannot carry keyword-only arguments."""
    return cls(*args, **keywords)


class DossierError(InvalidInputError):
    """A dossier that breaks the dossier format (see docs/dossier.md)."""

    what = "dossier"


class RulesetError(InvalidInputError):
    """A rule-set or vocabulary file that breaks its format (see docs/rulesets.md)."""

    what = "rule set"


class CodeError(InvalidInputError):
    """A classification code that cannot be decoded."""

    what = "classification code"


class EvidenceError(InvalidInputError):
    """An instrument file (oven log, thermobalance, cycler) that cannot be read or used."""

    what = "evidence file"


class ChargingInputError(InvalidInputError):
    """Charging-station inputs (OCPP logs) that cannot be read or used."""

    what = "charging input"


class CertificateError(InvalidInputError):
    """A certificate that is not well-formed (see docs/certificates.md), or a key or
    trusted-issuers file that cannot be used; ``what`` names which.

    A well-formed certificate that fails a check is not an error: ``verify`` returns it as
    invalid, with every reason.
    """

    what = "certificate"

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None,
                 what: str | None = None, unlisted: int = 0) -> None:
        if what is not None:
            self.what = what
        super().__init__(problems, source=source, unlisted=unlisted)

    def _init_keywords(self) -> dict[str, Any]:
        # None when ``what`` is the class's own, so the copy does not pin it either
        return {**super()._init_keywords(), "what": self.__dict__.get("what")}


class TextExtractionError(InvalidInputError):
    """A document to audit whose text cannot be extracted: binary, undecodable, too large,
    encrypted or broken (see docs/audit.md, "Input formats")."""

    what = "document"


class UnknownRulesetError(SolidcheckError, LookupError):
    """A rule-set id that is not installed; the message lists those that are."""

    def __init__(self, ruleset_id: str, available: Iterable[str], *, fix: str = "") -> None:
        """``fix`` is added to the message when the list of ids is not the whole answer."""
        self.ruleset_id = ruleset_id
        self.available = tuple(available)
        self.fix = fix
        super().__init__(
            f"unknown rule set {ruleset_id!r} — use one of: {', '.join(self.available)}"
            " (list them with `solidcheck rulesets`)" + (f"; {fix}" if fix else "")
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.ruleset_id, self.available), {"fix": self.fix}),
                self.__dict__)

    def __str__(self) -> str:  # LookupError would otherwise quote the whole message
        return str(self.args[0])


class MissingDependencyError(SolidcheckError, ImportError):
    """An optional extra is needed for this file; the message says what to install."""

    def __init__(self, what: str, *, extra: str, package: str) -> None:
        self.what = what
        self.extra = extra
        self.package = package
        super().__init__(
            f"{what}: the optional package {package!r} is needed and not installed — "
            f"install it with: pip install 'solidcheck[{extra}]'"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.what,),
                           {"extra": self.extra, "package": self.package}), self.__dict__)


class MissingSystemLibraryError(MissingDependencyError):
    """The optional package is installed but cannot load a system library it needs (WeasyPrint
    without Pango): the message names the libraries, the command that installs them and
    quotes the loader. A subclass, so every adapter answers it as a missing extra (exit 4,
    HTTP 501) while ``pip install`` — which cannot help — is not what it says."""

    def __init__(self, what: str, *, extra: str, package: str, libraries: str, command: str,
                 make_target: str, loader_message: str) -> None:
        self.what = what
        self.extra = extra
        self.package = package
        self.libraries = libraries
        self.command = command
        self.make_target = make_target
        self.loader_message = loader_message
        # MissingDependencyError's own message says pip install: skip to ImportError's
        super(MissingDependencyError, self).__init__(
            f"{what}: {package} is installed but cannot load the system libraries it needs "
            f"({libraries}) — install them, on Debian or Ubuntu as root: {command} (or `make "
            f"{make_target}` in a solidcheck checkout); the loader said: {loader_message}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        keywords = {"extra": self.extra, "package": self.package, "libraries": self.libraries,
                    "command": self.command, "make_target": self.make_target,
                    "loader_message": self.loader_message}
        return (_rebuild, (type(self), (self.what,), keywords), self.__dict__)


class RegistryError(SolidcheckError):
    """The registry cannot do what was asked; the message says why and what to do."""


class NotFoundError(RegistryError, LookupError):
    """No cell, result, evidence file or key with that id."""

    def __str__(self) -> str:
        return str(self.args[0])


class AccessDeniedError(RegistryError, PermissionError):
    """A request without a key, with an unknown or revoked key, or with a key whose role may
    not do this. ``authenticated`` tells "who are you?" (401) from "not you" (403)."""

    def __init__(self, message: str, *, authenticated: bool) -> None:
        self.authenticated = authenticated
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, {"authenticated": self.authenticated}),
                self.__dict__)


class DatabaseError(RegistryError):
    """The database cannot be opened or used, or its schema is not this version's."""
