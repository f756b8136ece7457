"""WeasyPrint, loaded for both PDF renderers (report/pdf.py, charging/report/pdf.py), with its
two failures told apart: not installed (the ``pdf`` extra: pip) or installed without the
system libraries it loads at import (Pango, HarfBuzz: the system's packages, not pip)."""

from __future__ import annotations

from types import ModuleType
from typing import cast

from .errors import MissingDependencyError, MissingSystemLibraryError

__all__ = ["PDF_LIBRARIES", "PDF_LIBRARIES_COMMAND", "load_weasyprint"]

#: what WeasyPrint loads from the system, and the Debian/Ubuntu packages that give it (the
#: Makefile's ``pdf-deps`` installs the same, with a CJK font)
PDF_LIBRARIES = "Pango, HarfBuzz"
PDF_LIBRARIES_COMMAND = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


def load_weasyprint() -> ModuleType:
    """The ``weasyprint`` module, or the error that says what to install: without Pango its
    import raises OSError, which would otherwise reach the user as an unexpected error."""
    try:
        import weasyprint
    except ImportError:
        raise MissingDependencyError("PDF reports", extra="pdf", package="weasyprint") from None
    except OSError as exc:
        raise MissingSystemLibraryError(
            "PDF reports", extra="pdf", package="weasyprint", libraries=PDF_LIBRARIES,
            command=PDF_LIBRARIES_COMMAND, make_target="pdf-deps",
            loader_message=str(exc).strip() or type(exc).__name__) from exc
    return cast("ModuleType", weasyprint)
