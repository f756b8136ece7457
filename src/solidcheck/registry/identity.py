"""What a registry cell id may be, and when two ids look alike.

A cell id is a path segment of the API and the pages and is read by people deciding which
cell a verdict is for, so it must be one unambiguous string: NFC, no control or format
characters (bidirectional overrides, zero-width characters hide or reorder what is shown),
no path characters, not ``.`` or ``..``. Two ids whose folded forms agree (compatibility
forms, case, dashes, spaces) are look-alikes: a new cell may not take one.
"""

from __future__ import annotations

import unicodedata

from ..errors import Problem

__all__ = ["cell_id_problems", "file_name_problems", "id_skeleton"]

#: the characters that would make the id another path, a query or an escape
_PATH_CHARACTERS = frozenset("/\\?#%")
#: Unicode categories never allowed: control, format, surrogate, private use, unassigned,
#: line and paragraph separators
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: for the look-alike check: dashes as "-", and the Cyrillic and Greek capitals and small
#: letters that are drawn like Latin ones as those (NFKC keeps them apart)
_FOLD = str.maketrans({
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63", "-"),
    **dict(zip("авеһіјкмнорсхуѕԁԛԝт", "abehijkmhopcxysdqwt", strict=True)),
    **dict(zip("αβεζηικμνοτυχρ", "abezhikmvotuxp", strict=True)),
})
_RENAME = "rename the cell using letters, digits and - (e.g. LAB-A-CELL-01)"


def _describe(character: str) -> str:
    name = unicodedata.name(character, "a control character")
    return f"U+{ord(character):04X} {name}"


def cell_id_problems(cell_id: str) -> list[Problem]:
    """Every reason ``cell_id`` cannot be a registry cell id (empty when it can)."""
    problems = []
    if cell_id in {".", ".."}:
        problems.append(Problem("id", f"{cell_id!r} is not a usable cell id (a path step)",
                                _RENAME))
    if cell_id != cell_id.strip():
        problems.append(Problem("id", "starts or ends with spaces", "remove them"))
    bad_path = sorted({c for c in cell_id if c in _PATH_CHARACTERS})
    if bad_path:
        problems.append(Problem("id", f"contains {' '.join(bad_path)}, which would change the "
                                "cell's address", _RENAME))
    hidden = list(dict.fromkeys(c for c in cell_id
                                if unicodedata.category(c) in _FORBIDDEN_CATEGORIES))
    if hidden:
        shown = ", ".join(_describe(c) for c in hidden[:5])
        problems.append(Problem("id", f"contains invisible or control characters ({shown}), "
                                "which make look-alike ids", "retype the id"))
    elif not unicodedata.is_normalized("NFC", cell_id):
        problems.append(Problem("id", "is not in Unicode normal form C (a composed character "
                                "is written as several)", "retype the id, or save the "
                                "file NFC-normalised"))
    return problems


def id_skeleton(cell_id: str) -> str:
    """The id folded so that look-alikes collide: NFKC, case-folded, one dash, Latin
    letters for the Cyrillic and Greek ones drawn alike, invisible characters dropped."""
    folded = unicodedata.normalize("NFKC", cell_id).casefold().translate(_FOLD)
    return "".join(c for c in folded if unicodedata.category(c) not in _FORBIDDEN_CATEGORIES)


#: a file name longer than this many UTF-8 bytes cannot be a file on most file systems
MAX_FILE_NAME_BYTES = 255


def file_name_problems(name: str, *, path: str = "file") -> list[Problem]:
    """Every reason ``name`` cannot be kept as an uploaded file's name (a base name: a
    folder part is a problem, not silently dropped)."""
    problems = []
    if name in {"", ".", ".."}:
        problems.append(Problem(path, f"the file name {name!r} is not a file's name",
                                "upload the file under its own name, e.g. oven-log.csv"))
    if "/" in name or "\\" in name:
        problems.append(Problem(path, "the file name has a folder part (/ or \\)",
                                "send the file's base name only"))
    if len(name.encode("utf-8", "surrogatepass")) > MAX_FILE_NAME_BYTES:
        problems.append(Problem(path, f"the file name is over {MAX_FILE_NAME_BYTES} bytes",
                                "rename the file to something shorter"))
    hidden = list(dict.fromkeys(c for c in name
                                if unicodedata.category(c) in _FORBIDDEN_CATEGORIES))
    if hidden:
        shown = ", ".join(_describe(c) for c in hidden[:5])
        problems.append(Problem(path, f"the file name contains invisible or control "
                                f"characters ({shown})", "rename the file"))
    return problems
