"""Every output format solidcheck writes, in one registry: its name, media type, file suffix,
renderer and the commands and endpoints that offer it.

The command line's ``--format``/``--to``/``--summary`` choices and the web API's content
negotiation for reports are generated from :data:`FORMATS`, so a new format is one entry
here (and its renderer). Renderers are named as ``"module:function"`` and imported only by
:func:`renderer`: this module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal

__all__ = ["FORMATS", "OutputFormat", "by_media_range", "choice_type", "choices", "get",
           "renderer"]


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """One output format. ``offered_by`` names where it can be chosen: a command's option
    (``"classify --format"``) or an endpoint (``"GET /v1/results"``). ``media_ranges`` are
    the Accept-header entries that choose it at an endpoint, besides its own media type."""

    name: str
    media_type: str
    suffix: str
    renderer: str
    offered_by: tuple[str, ...]
    charset: str | None = None
    media_ranges: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header's value: the media type with its charset, if any."""
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type


#: the commands whose ``--format`` is text (rich) or JSON
_TEXT_OR_JSON = ("classify --format", "terms --format", "code decode --format",
                 "weight-loss --format", "read --format", "ratings --format",
                 "verify --format", "audit --format", "batch --summary")
_TABLES = ("synth --format", "dossier table --format", "dossier files --format",
           "dossier convert --format", "batch --format")

# The order within each option is the order of its choices (the first is listed first).
FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat("text", "text/plain", ".txt", "solidcheck.report.text:render_result",
                 _TEXT_OR_JSON, charset="utf-8"),
    OutputFormat("toml", "application/toml", ".toml", "solidcheck.cli.classification:ruleset_toml",
                 ("rulesets show --format",), charset="utf-8"),
    OutputFormat("json", "application/json", ".json", "json:dumps",
                 (*_TEXT_OR_JSON, "rulesets show --format", "report --format",
                  "dossier files --to", "GET /v1/results"),
                 media_ranges=("application/*", "*/*")),
    OutputFormat("html", "text/html", ".html", "solidcheck.report.html:render_html",
                 ("audit --format", "report --format", "GET /v1/results"), charset="utf-8",
                 media_ranges=("application/xhtml+xml", "text/*")),
    OutputFormat("pdf", "application/pdf", ".pdf", "solidcheck.report.pdf:render_pdf",
                 ("report --format", "GET /v1/results")),
    OutputFormat("jsonld", "application/ld+json", ".jsonld", "solidcheck.export:result_jsonld",
                 ("export --to",)),
    OutputFormat("passport", "application/json", ".json", "solidcheck.export:passport_fields",
                 ("export --to",)),
    OutputFormat("skos", "application/ld+json", ".jsonld",
                 "solidcheck.terms:vocabulary_to_skos", ("terms --export",)),
    OutputFormat("yaml", "application/yaml", ".yaml", "yaml:safe_dump",
                 ("dossier files --to",), charset="utf-8"),
    OutputFormat("parquet", "application/vnd.apache.parquet", ".parquet",
                 "solidcheck.batch.table:write_table", _TABLES),
    OutputFormat("csv", "text/csv", ".csv", "solidcheck.batch.table:write_table", _TABLES,
                 charset="utf-8"),
    OutputFormat("jsonl", "application/jsonl", ".jsonl", "solidcheck.batch.table:write_table",
                 _TABLES, charset="utf-8"),
)

#: where, among the options above, the choices are listed in another order than FORMATS'
_ORDER: dict[str, tuple[str, ...]] = {
    "report --format": ("html", "pdf", "json"),
    "dossier files --to": ("yaml", "json"),
    "GET /v1/results": ("json", "html", "pdf"),
}


def get(name: str) -> OutputFormat:
    """The format of this name (``KeyError`` for a name not in the registry)."""
    for output_format in FORMATS:
        if output_format.name == name:
            return output_format
    raise KeyError(name)


def choices(offered_by: str) -> tuple[str, ...]:
    """The names of the formats a command's option or an endpoint offers, in their order."""
    names = tuple(f.name for f in FORMATS if offered_by in f.offered_by)
    if not names:
        raise KeyError(f"no output format is offered by {offered_by!r}")
    order = _ORDER.get(offered_by)
    return names if order is None else tuple(sorted(names, key=order.index))


def choice_type(offered_by: str) -> Any:
    """A ``Literal`` of :func:`choices`, for a Typer option or a FastAPI query parameter."""
    return Literal[choices(offered_by)]


def by_media_range(offered_by: str) -> dict[str, str]:
    """Accept-header media ranges → the format they choose among those an endpoint offers."""
    mapping: dict[str, str] = {}
    for name in choices(offered_by):
        output_format = get(name)
        for media in (output_format.media_type, *output_format.media_ranges):
            mapping[media] = name
    return mapping


def renderer(name: str) -> Callable[..., Any]:
    """The format's renderer, imported now (and only now)."""
    module, _, function = get(name).renderer.partition(":")
    found: Callable[..., Any] = getattr(import_module(module), function)
    return found
