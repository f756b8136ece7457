"""The registry and the web service at the command line: ``registry`` (init, load, verify,
export, issuers, grant, keys) and ``serve``; the API-key commands' old names under ``keys``
still work, with a note. Argument handling and output only; the work is in ``registry/``
and ``web/``, which need the ``server`` extra, looked for only when a command runs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import (
    LangOption,
    NegativeAnswer,
    fail,
    keys_app,
    language,
    load_dossiers,
    load_rules,
    output_name_problems,
    print_json,
    say,
)
from .registry_access import DatabaseOption, missing_server_extra, opened_registry

if TYPE_CHECKING:
    from ..model import Evidence
    from ..registry import Registry

__all__ = ["register"]

#: seconds a stopping server gives open requests before it closes them
SHUTDOWN_GRACE_S = 5

registry_app = typer.Typer(help="The registry of classified cells: create it, load dossiers, "
                           "check its audit log.", no_args_is_help=True)
api_keys_app = typer.Typer(help="The web service's API keys: create, list, revoke.",
                           no_args_is_help=True)
issuers_app = typer.Typer(help="The certificate issuers the registry trusts: a certificate is "
                          "kept only if one of them signed it.", no_args_is_help=True)

def _actor() -> str:
    from ..registry import default_actor

    return default_actor()


def registry_init(database: DatabaseOption = None) -> None:
    """Create the registry's tables, or upgrade them to this version (safe to repeat)."""
    with opened_registry(database, create=True) as registry:
        typer.echo(say("cli.registry.ready", language(), url=registry.display_url))


def registry_load(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    database: DatabaseOption = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", "-r", help="Rule set to classify "
                                                "under; default: the national standard.")]
    = None,
    lab: Annotated[str | None, typer.Option(help="The lab the new cells belong to (the "
                                            "organisation of its API keys); default: none, "
                                            "only admins may change them.")] = None,
) -> None:
    """Store dossiers and classify them; evidence files named in a dossier that lie beside
    it, with the SHA-256 it records, are stored too. All files are checked before any is
    stored."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    dossiers = list(zip(files, load_dossiers(files), strict=True))
    rules = load_rules(ruleset)  # an id or a rule-set file, read here, not in the registry
    actor = _actor()
    with opened_registry(database) as registry, Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            transient=True) as progress:
        task = progress.add_task("loading dossiers", total=len(dossiers))
        new_versions = attached = 0
        for path, dossier in dossiers:
            submission = registry.submit(dossier, actor=actor, ruleset=rules, lab=lab,
                                         admin=True)
            new_versions += submission.new_version
            attached += _attach_evidence(registry, path, dossier.id, dossier.evidence, actor)
            progress.advance(task)
    typer.echo(say("cli.registry.loaded", language(), count=len(dossiers),
                   url=registry.display_url, versions=new_versions, attached=attached))


def _attach_evidence(registry: Registry, path: Path, cell_id: str, evidence: list[Evidence],
                     actor: str) -> int:
    from ..dossier import read_dossier_bytes
    from ..readers import file_digest

    attached = 0
    for item in evidence:
        candidate = path.parent / Path(item.file).name
        if candidate.is_file() and file_digest(candidate)[0] == item.sha256:
            registry.add_evidence(cell_id, filename=candidate.name,
                                  content=read_dossier_bytes(candidate), actor=actor)
            attached += 1
    return attached


def registry_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Dossier table to write "
                                         "(.parquet, .csv + .specimens.csv, .jsonl).")],
    database: DatabaseOption = None,
) -> None:
    """Write the latest version of every cell's dossier as one dossier table (by cell id,
    streamed): classify it with `solidcheck batch`, e.g. to see what a new rule set would
    change (docs/batch.md)."""
    from rich.progress import BarColumn, Progress, TextColumn

    from ..batch.table import TableWriter, dossiers_to_table

    for problem in output_name_problems(output):
        fail(problem)
    written = 0
    with opened_registry(database) as registry, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} rows"),
            transient=True) as progress:
        task = progress.add_task("exporting dossiers", total=None)
        try:
            with TableWriter(output) as writer:
                for page in registry.latest_dossiers():
                    writer.write(dossiers_to_table(page))
                    written += len(page)
                    progress.advance(task, len(page))
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc} — check the folder exists "
                 "and is writable")
    typer.echo(say("cli.wrote_dossiers", language(), count=written, url=registry.display_url,
                   path=str(output)), err=True)


def registry_verify(
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f",
                                               help="text or json")] = "text",
    lang: LangOption = None,
) -> None:
    """Check the hash-chained audit log and that what it records is what is stored: exit 0
    if intact, 3 with every problem if not. Publish the head hash to anchor it."""
    display = language(lang)
    with opened_registry(database) as registry:
        report = registry.verify_chain()
    if output_format == "json":
        print_json(report.model_dump(mode="json"))
    else:
        typer.echo(say("cli.registry.intact" if report.valid else "cli.registry.not_intact",
                       display, entries=report.entries, head=str(report.head_hash)))
        for problem in report.problems:
            typer.echo(f"  - {problem}")
    if not report.valid:
        raise NegativeAnswer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOption = None,
    ssl_certfile: Annotated[Path | None, typer.Option(
        help="The server's TLS certificate (PEM): serve https:// and wss:// (OCPP security "
        "profile 2).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(
        help="Its private key (PEM), unless the certificate file holds it.")] = None,
    ssl_ca_certs: Annotated[Path | None, typer.Option(
        help="CA certificates (PEM): every client must then show a certificate they "
        "signed (TLS client certificates, as OCPP security profile 3).")] = None,
) -> None:
    """Serve the REST API (/v1, OpenAPI at /openapi.json) and the web pages."""
    from .serve_tls import tls_options

    tls = tls_options(certfile=ssl_certfile, keyfile=ssl_keyfile, ca_certs=ssl_ca_certs)
    try:
        import uvicorn

        from ..web import Settings, create_app
    except ImportError as exc:
        raise missing_server_extra(exc) from exc
    settings = Settings.from_env()
    if database:
        settings = settings.model_copy(update={"database_url": database})
    with opened_registry(settings.database_url, create=True) as registry:
        app = create_app(settings, registry=registry)
        typer.echo(say("cli.serving", language(), url=registry.display_url,
                       address=f"{'https' if tls else 'http'}://{host}:{port}/"), err=True)
        # X-Forwarded-For names the client (and so the rate limit's caller) only when it
        # comes from a proxy the operator named: uvicorn would otherwise believe it from
        # 127.0.0.1, and anyone on the host could pick a new address for every request
        proxies = list(settings.trusted_proxies)
        # a station's frame over the rule set's limit is refused by the WebSocket layer,
        # before it is held whole in memory (close code 1009)
        # alert streams and station sockets never end by themselves: on a stop, requests
        # get SHUTDOWN_GRACE_S to finish, then the rest are closed (stations reconnect, SSE
        # clients come back with Last-Event-ID) and the lifespan commits what is queued
        uvicorn.run(app, host=host, port=port, log_level="warning",
                    proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                    ws_max_size=app.state.ocpp.rule.max_frame_bytes,
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_S, **tls)


# --------------------------------------------------------------------------- API keys

def keys_create(
    role: Annotated[str, typer.Option(help="reader (reads), lab (submits), admin (manages "
                                      "keys), operator (acts on charging tickets).")],
    name: Annotated[str, typer.Option(help="Whose key it is, for the log.")] = "",
    organisation: Annotated[str | None, typer.Option(
        help="The lab the key acts for: it owns the cells the key creates, and its keys "
        "share them. Default: the name.")] = None,
    database: DatabaseOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the key to this new file, readable by its owner only "
        "(mode 0600), instead of printing it.")] = None,
) -> None:
    """Create an API key for the web service. The key is printed once, on stdout, or written
    to --output; only its hash is kept, so a lost key is revoked and replaced, not
    recovered."""
    if output is not None and output.exists():  # checked first: no key made for nothing
        fail(f"{output} already exists; no key was created — choose another file (a key "
             "file is never replaced: the key in it may still be in use)")
    with opened_registry(database) as registry:
        record, secret = registry.create_api_key(role=role,  # type: ignore[arg-type]
                                                 name=name or f"{role} key",
                                                 organisation=organisation, actor=_actor())
    words = {"id": record.id, "role": record.role, "name": record.name,
             "organisation": str(record.organisation)}
    if output is None:
        typer.echo(say("cli.keys.created", language(), **words), err=True)
        typer.echo(secret)
        return
    from ..certificates import write_secret_file

    write_secret_file(output, secret, what="API key")
    typer.echo(say("cli.keys.created_in_file", language(), path=str(output), **words),
               err=True)


def keys_list(database: DatabaseOption = None) -> None:
    """List the web service's API keys (never their secrets)."""
    with opened_registry(database) as registry:
        keys = registry.list_api_keys()
    display = language()
    for key in keys:
        state = (say("cli.keys.revoked_on", display, date=f"{key.revoked_at:%Y-%m-%d}")
                 if key.revoked_at else say("cli.keys.active", display))
        typer.echo(f"{key.id}  {key.role:6}  {state:18}  {key.name} ({key.organisation})")


def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")],
    database: DatabaseOption = None,
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    with opened_registry(database) as registry:
        record = registry.revoke_api_key(key_id, actor=_actor())
    typer.echo(say("cli.keys.revoked", language(), id=record.id, role=record.role,
                   name=record.name))


def _deprecated_name(command: Callable[..., None], name: str) -> Callable[..., None]:
    """``solidcheck keys NAME``, the API-key command's old name: it works as before, after a
    one-line note on stderr naming the new one."""

    @functools.wraps(command)
    def old_name(*args: Any, **kwargs: Any) -> None:
        typer.echo(say("cli.keys.deprecated", language(), name=name), err=True)
        command(*args, **kwargs)

    old_name.__doc__ = (f"Deprecated: use `solidcheck registry keys {name}` (this name works "
                        "as before, with a note on stderr).")
    return old_name


# ------------------------------------------------------------------- trusted issuers

def issuers_add(
    name: Annotated[str, typer.Option(help="The issuer, e.g. the testing lab.")],
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", help="The issuer's public key file (.pub from `solidcheck keys "
        "generate`, or the base64 issuer.public_key of one of its certificates).")] = None,
    key_fingerprint: Annotated[str | None, typer.Option(
        "--fingerprint", help="sha256:… as `solidcheck keys fingerprint` prints it, when "
        "the key itself is not at hand.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Trust certificates signed by this key (recorded in the audit log)."""
    key_text = None
    if public_key is not None:
        try:
            key_text = public_key.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {public_key}: {getattr(exc, 'strerror', None) or exc} — give "
                 "the .pub file")
    with opened_registry(database) as registry:
        record = registry.add_trusted_issuer(name=name, public_key=key_text,
                                             key_fingerprint=key_fingerprint, actor=_actor())
    typer.echo(say("cli.issuers.trusted", language(), name=record.name,
                   fingerprint=record.fingerprint))


def issuers_list(
    include_removed: Annotated[bool, typer.Option("--all", help="Also the removed ones.")]
    = False,
    database: DatabaseOption = None,
) -> None:
    """List the trusted issuers."""
    with opened_registry(database) as registry:
        issuers = registry.trusted_issuers(include_removed=include_removed)
    display = language()
    for issuer in issuers:
        state = (say("cli.issuers.removed_on", display, date=f"{issuer.removed_at:%Y-%m-%d}")
                 if issuer.removed_at else say("cli.issuers.state_trusted", display))
        typer.echo(f"{issuer.fingerprint}  {state:18}  {issuer.name}")


def issuers_remove(
    key_fingerprint: Annotated[str, typer.Argument(metavar="FINGERPRINT",
                                                   help="sha256:… (see `issuers list`).")],
    database: DatabaseOption = None,
) -> None:
    """Stop accepting new certificates of an issuer; the ones kept stay."""
    with opened_registry(database) as registry:
        record = registry.remove_trusted_issuer(key_fingerprint, actor=_actor())
    typer.echo(say("cli.issuers.untrusted", language(), name=record.name,
                   fingerprint=record.fingerprint))


def registry_grant(
    cell_id: Annotated[str, typer.Argument(metavar="CELL", help="The cell's id.")],
    lab: Annotated[str, typer.Option(help="The lab (its keys' organisation) to let write to "
                                     "the cell.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw the access instead.")]
    = False,
    database: DatabaseOption = None,
) -> None:
    """Let a lab other than the owner add versions, evidence, results and certificates to a
    cell (recorded in the audit log)."""
    with opened_registry(database) as registry:
        if revoke:
            registry.revoke_access(cell_id, lab=lab, actor=_actor())
            typer.echo(say("cli.grant.revoked", language(), lab=lab, cell=cell_id))
        else:
            registry.grant_access(cell_id, lab=lab, actor=_actor())
            typer.echo(say("cli.grant.granted", language(), lab=lab, cell=cell_id))


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
    registry_app.command("init")(registry_init)
    registry_app.command("load")(registry_load)
    registry_app.command("export")(registry_export)
    registry_app.command("verify")(registry_verify)
    from .registry_reclassify import registry_reclassify  # issue 20: every rule set

    registry_app.command("reclassify")(registry_reclassify)
    registry_app.add_typer(issuers_app, name="issuers")
    issuers_app.command("add")(issuers_add)
    issuers_app.command("list")(issuers_list)
    issuers_app.command("remove")(issuers_remove)
    registry_app.command("grant")(registry_grant)
    registry_app.add_typer(api_keys_app, name="keys")
    for name, command in (("create", keys_create), ("list", keys_list),
                          ("revoke", keys_revoke)):
        api_keys_app.command(name)(command)
        keys_app.command(name)(_deprecated_name(command, name))
    app.command("serve")(serve)
