"""What requests bring in, read strictly: bodies that are files read as the bytes sent (so
the problems are solidcheck's own, the command line's words), and no query parameter, form
field or rule set the operation does not know — a misspelt one would otherwise be ignored
and the answer silently be another's."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import UnionType
from typing import TypeVar, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from .._validation import problems_from
from ..certificates import MAX_CERTIFICATE_BYTES
from ..dossier import MAX_DOSSIER_BYTES, parse_dossier
from ..errors import InvalidInputError, Problem, UnknownRulesetError
from ..model import Dossier
from ..registry.identity import file_name_problems
from ..rules import Ruleset, available_rulesets, ruleset_by_id
from .middleware import capped_receive

__all__ = [
    "FORM_OVERHEAD_BYTES",
    "MAX_KEY_REQUEST_BYTES",
    "RULESET_IDS",
    "Upload",
    "accept_media",
    "certificate_body",
    "dossier_body",
    "installed_ruleset",
    "json_model",
    "known_query_parameters",
    "limited",
    "parse_dossier_body",
    "read_body",
    "read_upload",
    "upload_name",
    "uploaded_file",
]

RULESET_IDS: tuple[str, ...] = tuple(ruleset.id for ruleset in available_rulesets())
#: the registry's text columns are this long; longer text is refused, not truncated
_Model = TypeVar("_Model", bound=BaseModel)


def _takes_many(annotation: object) -> bool:
    """Is a query parameter of this type given once per value (``list[str]``, ``set[…]``)?"""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset))


def _query_names(dependant: Dependant) -> dict[str, bool]:
    names = {param.alias: _takes_many(param.field_info.annotation)
             for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_DECLARED_QUERY: dict[int, dict[str, bool]] = {}


def _declared_query(route: APIRoute) -> dict[str, bool]:
    """The query parameters a route takes, each with whether it may repeat (routes live as
    long as the app: kept by id)."""
    names = _DECLARED_QUERY.get(id(route))
    if names is None:
        names = _DECLARED_QUERY[id(route)] = _query_names(route.dependant)
    return names


async def known_query_parameters(request: Request) -> None:
    """Refuse a query parameter the operation does not take — a misspelt ``?rulset=`` would
    otherwise be ignored silently, and the answer be the default rule set's — and one it
    takes once given several times."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared_query(route)
    problems = []
    for name in dict.fromkeys(request.query_params):
        if name in declared:
            given = len(request.query_params.getlist(name))
            if given > 1 and not declared[name]:
                # otherwise the last one would silently win
                problems.append(Problem(f"query.{name}", f"given {given} times",
                                        "give it once"))
        else:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
            fix = (f"did you mean {close[0]!r}?" if close else
                   f"remove it; this operation takes {', '.join(sorted(declared)) or 'none'}")
            problems.append(Problem(f"query.{name or repr(name)}", "unknown query parameter",
                                    fix))
    if problems:
        raise InvalidInputError(problems)


_JSON_OR_YAML = frozenset({"", "application/json", "application/yaml", "application/x-yaml",
                           "text/yaml", "text/x-yaml", "text/plain"})
_JSON_OR_BYTES = frozenset({"", "application/json", "application/octet-stream", "text/plain"})


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def accept_media(request: Request, accepted: frozenset[str], hint: str) -> str:
    """The body's media type, if it is one of ``accepted`` (or any JSON); else 415."""
    media = _media_type(request)
    if media not in accepted and not media.endswith("+json"):
        shown = repr(media) if media else "(none)"
        raise HTTPException(415, f"Content-Type {shown} is not read here — {hint}")
    return media


#: a multipart form's text fields, part headers and boundaries, on top of its files
FORM_OVERHEAD_BYTES = 64 * 1024
#: a new key's role and name (the name is at most 200 characters)
MAX_KEY_REQUEST_BYTES = 10_000


def _too_large(what: str, limit: int, fix: str) -> HTTPException:
    return HTTPException(413, f"{what} is larger than this server's limit of {limit} bytes "
                         f"— {fix}")


def limited(request: Request, limit: int, *, what: str, fix: str) -> Request:
    """The request, its body refused with 413 as soon as it passes ``limit`` bytes: at once
    when Content-Length says so, else while it streams in (a chunked or lying client) —
    before anything is parsed, and without holding more than ``limit`` bytes. The app-wide
    ``BodySizeLimit`` is the same for every route; this is the limit of one kind of body."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit, fix)
    return Request(request.scope, capped_receive(request.receive, limit,
                                                 lambda: _too_large(what, limit, fix)))


async def read_body(request: Request, limit: int, *, what: str, fix: str) -> bytes:
    """The whole body, at most ``limit`` bytes (413 beyond, see :func:`limited`)."""
    chunks: list[bytes] = []
    async for chunk in limited(request, limit, what=what, fix=fix).stream():
        chunks.append(chunk)
    return b"".join(chunks)


async def dossier_body(request: Request) -> bytes:
    """The dossier file as sent (JSON or YAML, recognised by content as the CLI does), at
    most the dossier format's size limit."""
    accept_media(request, _JSON_OR_YAML, "send the dossier file itself as the body, as "
                 "application/json or application/yaml (curl --data-binary @cell.yaml "
                 "-H 'Content-Type: application/yaml')")
    return await read_body(request, MAX_DOSSIER_BYTES, what="the dossier",
                           fix="a dossier describes one cell; send a smaller file")


async def certificate_body(request: Request) -> bytes:
    """The certificate file's bytes, untouched: verification is byte for byte."""
    accept_media(request, _JSON_OR_BYTES, "send the certificate file itself as the body, "
                 "as application/json (curl --data-binary @cell.cert.json -H "
                 "'Content-Type: application/json')")
    return await read_body(request, MAX_CERTIFICATE_BYTES, what="the certificate",
                           fix="send the certificate file exactly as solidcheck certify "
                           "wrote it")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent as the multipart form field ``file``, and the form's other text fields."""

    filename: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)


FORM_HINT = ("upload the file as the multipart/form-data field 'file' "
             "(curl -F file=@oven-log.csv)")


async def read_upload(request: Request, *, max_bytes: int, what: str,
                      fields: tuple[str, ...] = ()) -> Upload:
    """The form's file ``file`` (at most ``max_bytes``; 413 while it streams in past that)
    and its text ``fields``; any other field is a problem, as an unknown key of a dossier is
    (a misspelt field would otherwise be ignored)."""
    fix = f"upload a file of at most {max_bytes} bytes"
    form_request = limited(request, max_bytes + FORM_OVERHEAD_BYTES, what="the form", fix=fix)
    async with form_request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        problems = [Problem(name, "unknown form field",
                            f"remove it; the form takes: {', '.join(('file', *fields))}")
                    for name in dict.fromkeys(form.keys()) if name not in ("file", *fields)]
        if not isinstance(upload, UploadFile):
            missing = Problem("file", "the form has no file field 'file'", FORM_HINT)
            raise InvalidInputError([missing, *problems])
        if problems:
            raise InvalidInputError(problems)
        content = await upload.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise _too_large(what, max_bytes, fix)
        values = {name: value for name, value in form.items() if isinstance(value, str)}
        return Upload(upload_name(upload.filename or "upload"), content, values)


async def uploaded_file(request: Request) -> Upload:
    """An instrument file, uploaded as the multipart form field ``file`` and nothing else,
    at most ``SOLIDCHECK_MAX_EVIDENCE_BYTES``."""
    accept_media(request, frozenset({"multipart/form-data"}), FORM_HINT)
    limit: int = request.app.state.settings.max_evidence_bytes
    return await read_upload(request, max_bytes=limit, what="the evidence file")


def parse_dossier_body(body: bytes) -> Dossier:
    return parse_dossier(body, source="<request body>")


def installed_ruleset(ruleset_id: str | None) -> Ruleset:
    """An installed rule set by id — never a file path: the server's files are not the
    caller's to name."""
    if ruleset_id is not None and ruleset_id not in RULESET_IDS:
        raise UnknownRulesetError(ruleset_id, RULESET_IDS)
    return ruleset_by_id(ruleset_id)


def json_model(model: type[_Model], body: bytes) -> _Model:
    """A JSON body validated as ``model``, its problems in solidcheck's words."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc, model), source="<request body>") from None


def upload_name(filename: str, *, field_name: str = "file") -> str:
    """An uploaded file's base name, as the registry keeps it and as a file is written under
    in a private folder: the part after the last ``/`` or ``\\`` (a browser or curl may send
    a path). Refused (422 at ``field_name``, before anything is read or written) by the
    registry's own rules: empty, ``.`` or ``..``, over 255 bytes of UTF-8 (a file system's
    limit), or holding a control character (C0, DEL, C1) or an invisible format character
    (bidirectional overrides such as U+202E, zero-width ones) — a stored name shows on pages
    and in downloads, where those would disguise it."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    problems = file_name_problems(name, path=field_name)
    if problems:
        raise InvalidInputError(problems, source=f"the upload's file name {filename[:60]!r}")
    return name
