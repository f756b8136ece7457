"""Error responses: every failure becomes one JSON body that says what was wrong, where, and
how to fix it — the same messages as the command line — and never a stack trace or SQL.

=========================================  ====  ==========================================
exception                                  HTTP  body
=========================================  ====  ==========================================
``InvalidInputError`` (every subclass)     422   ``message`` = ``str(exc)``, ``problems``
FastAPI's ``RequestValidationError``       422   the same shape, a problem per parameter
``UnknownRulesetError``                    422   a problem on ``ruleset``
``AccessDeniedError``                      401   no, unknown or revoked key (with
                                                 ``WWW-Authenticate: Bearer``)
                                           403   a key whose role may not do this
``NotFoundError``                          404
``MissingDependencyError``                 501   the message names the extra to install
``DatabaseError``                          503   a fixed message; the detail is logged
``HTTPException`` (routing, 405, 413, …)   its   its detail
anything else                              500   ``internal error`` and the request id;
                                                 the exception is logged
=========================================  ====  ==========================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from .._validation import path_of, short_repr
from ..errors import (
    AccessDeniedError,
    DatabaseError,
    InvalidInputError,
    MissingDependencyError,
    NotFoundError,
    Problem,
    UnknownRulesetError,
)

__all__ = ["ErrorBody", "error_response", "error_responses", "install_exception_handlers"]

logger = logging.getLogger("solidcheck.web")

_DATABASE_UNAVAILABLE = ("the registry's database is unavailable — try again shortly; if it "
                         "persists, the administrator finds the cause in the server log under "
                         "this request id")


class ProblemOut(BaseModel):
    """One thing wrong with the request: where, what, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="where: a dotted field path, or a parameter such as "
                      "'query.limit'; empty for the request as a whole")
    message: str
    fix: str


class ErrorBody(BaseModel):
    """What every error response carries."""

    model_config = ConfigDict(frozen=True)

    message: str = Field(description="what went wrong and what to do; for invalid input the "
                         "same text the command line prints")
    problems: list[ProblemOut] = Field(default_factory=list,
                                       description="for 422: every problem found")
    request_id: str | None = Field(default=None, description="quote it when reporting a "
                                   "problem: the server log has the detail under it")


_DESCRIPTIONS: dict[int, str] = {
    400: "The request cannot be read (e.g. a malformed Content-Length).",
    401: "No API key, or an unknown or revoked one: send 'Authorization: Bearer <key>'.",
    403: "The key's role may not do this.",
    404: "No such thing in the registry.",
    413: "The request body is larger than the server's limit.",
    415: "The body's Content-Type is not one this operation reads.",
    422: "Invalid input: every problem, with where it is and how to fix it.",
    429: "Too many requests for this key (or address); see Retry-After.",
    500: "An internal error; the server log has it under request_id.",
    501: "An optional extra this needs is not installed on the server.",
    503: "The registry's database is unavailable, or the server is busy with heavy work or "
         "the request took longer than its time budget (see Retry-After).",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for these error statuses, all with :class:`ErrorBody`."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
            for status in statuses}


def request_id_of(request: Request) -> str | None:
    request_id: str | None = request.scope.get("state", {}).get("request_id")
    return request_id


def _body(message: str, request_id: str | None,
          problems: Iterable[Problem] = ()) -> dict[str, Any]:
    return ErrorBody(message=message, request_id=request_id,
                     problems=[ProblemOut(**p.as_dict()) for p in problems]).model_dump()


def _json(status: int, message: str, request_id: str | None, problems: Iterable[Problem] = (),
          *, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(_body(message, request_id, problems), status_code=status,
                        headers=dict(headers or {}))


def _ruleset_problem(exc: UnknownRulesetError) -> Problem:
    return Problem("ruleset", f"unknown rule set {exc.ruleset_id!r}",
                   f"use one of: {', '.join(exc.available)} (GET /v1/rulesets lists them)")


def error_response(exc: BaseException, request_id: str | None) -> JSONResponse:
    """The response for an exception; unexpected ones are logged with the request id."""
    if isinstance(exc, InvalidInputError):
        return _json(422, str(exc), request_id, exc.problems)
    if isinstance(exc, UnknownRulesetError):
        return _json(422, str(exc), request_id, [_ruleset_problem(exc)])
    if isinstance(exc, AccessDeniedError):
        if exc.authenticated:
            return _json(403, str(exc), request_id)
        return _json(401, str(exc), request_id, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, NotFoundError):
        return _json(404, str(exc), request_id)
    if isinstance(exc, MissingDependencyError):
        return _json(501, str(exc), request_id)
    if isinstance(exc, DatabaseError):
        logger.error("request %s: database error: %s", request_id, exc)
        return _json(503, _DATABASE_UNAVAILABLE, request_id)
    if isinstance(exc, HTTPException):
        return _json(exc.status_code, str(exc.detail), request_id, headers=exc.headers)
    logger.error("request %s: internal error", request_id, exc_info=exc)
    return _json(500, "internal error", request_id)


# ------------------------------------------------------------ FastAPI's validation errors

_FIXES = {
    "missing": "add it",
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "int_parsing": "write a whole number",
    "bool_parsing": "write true or false",
    "greater_than_equal": "use a value in the documented range",
    "less_than_equal": "use a value in the documented range",
    "string_too_short": "give a longer value",
    "string_too_long": "give a shorter value",
    "string_pattern_mismatch": "see the parameter's documented format",
}


def validation_problems(errors: Sequence[Any]) -> list[Problem]:
    """FastAPI's error dicts as Problems: ``query.limit: Input should be … (got 0)``."""
    problems = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        kind = str(error.get("type", ""))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if kind != "missing" and "input" in error:
            message += f" (got {short_repr(error['input'])})"
        problems.append(Problem(path_of(loc), message, _FIXES.get(kind, "")))
    return problems


# ------------------------------------------------------------ installing the handlers


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the request's path answers (the router names only the first route's)."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                      for route in routes)]
    return ", ".join(allowed)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        exc = HTTPException(405, f"{request.method} is not allowed here — use "
                            f"{_allowed_methods(request)}",
                            headers={"Allow": _allowed_methods(request)})
    return error_response(exc, request_id_of(request))


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(InvalidInputError(validation_problems(exc.errors()),
                                            source="request"), request_id_of(request))


def install_exception_handlers(app: FastAPI) -> None:
    """Map solidcheck's exceptions and FastAPI's to :class:`ErrorBody` responses. Anything
    else is caught by the ``CatchUnexpected`` middleware, so a 500 still gets the security
    headers and the request id."""
    app.add_exception_handler(RequestValidationError, _handle_validation)
    for exc_class in (InvalidInputError, UnknownRulesetError, AccessDeniedError, NotFoundError,
                      MissingDependencyError, DatabaseError, HTTPException):
        app.add_exception_handler(exc_class, _handle)
