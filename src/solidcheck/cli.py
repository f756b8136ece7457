"""The command line: argument handling and output only; every decision is in the core.

Exit status: 0 a result was produced (whatever the category), 2 invalid input (one message
on stderr listing every problem), 3 a negative answer to a question (no term found, a
certificate that does not verify — with every reason), 4 an optional extra is missing for
this file (the message gives the pip command), 1 only for a bug.
"""

from __future__ import annotations

import io
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import yaml
from rich.console import Console
from rich.table import Table

from ._cliutil import EXIT_MISSING_EXTRA, EXIT_NEGATIVE
from ._cliutil import fail as _fail
from ._cliutil import print_json as _print_json
from ._cliutil import stdout as _stdout
from ._version import __version__
from .build import build_dossier
from .certificates import (
    Verification,
    certificate_bytes,
    certify,
    fingerprint,
    generate_key,
    load_private_key,
    load_public_key,
    load_trusted_issuers,
    parse_certificate,
    public_key_base64,
    verification_payload,
    verify,
    write_private_key,
    write_public_key,
)
from .claims.audit import audit, load_evidence
from .claims.extract import extract_text
from .classify import classify
from .cli_batch import batch, dossier_convert, dossier_files, dossier_table, synth
from .cli_registry import keys_create, keys_list, keys_revoke, registry_app, serve
from .code import PROVISIONAL_NOTE, decode_code
from .conditions import analyse_conditions
from .dossier import load_dossier, load_mapping
from .errors import (
    CertificateError,
    InvalidInputError,
    MissingDependencyError,
    UnknownRulesetError,
)
from .export import passport_fields, result_jsonld
from .model import Dossier
from .ratings import derive_ratings
from .readers import Reading, ReadingKind, read_evidence
from .report.audit import render_audit, render_audit_html
from .report.evidence import render_conditions, render_ratings, render_reading
from .report.html import render_html
from .report.model import ReportItem, load_report_item
from .report.pdf import render_pdf
from .report.text import render_result, render_summary
from .rules import Ruleset, available_rulesets, installed_ruleset_text, load_ruleset
from .schemas import json_schema
from .terms import lookup_term, vocabulary_to_skos

app = typer.Typer(
    name="solidcheck",
    help="Classify battery cells as liquid, hybrid solid-liquid or solid-state under China's "
    "solid-state battery standard, with reasons that cite the rule.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
rulesets_app = typer.Typer(help="List the installed rule sets, or show one.")
code_app = typer.Typer(help="Work with solidcheck's provisional classification codes.",
                       no_args_is_help=True)
app.add_typer(rulesets_app, name="rulesets")
dossier_app = typer.Typer(help="Build dossiers from a cell's declarations and instrument "
                          "evidence; gather them into dossier tables and back.",
                          no_args_is_help=True)
app.add_typer(code_app, name="code")
app.add_typer(dossier_app, name="dossier")

class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class RulesetFormat(StrEnum):
    toml = "toml"
    json = "json"


class SchemaName(StrEnum):
    result = "result"
    dossier = "dossier"
    audit = "audit"


class ExportFormat(StrEnum):
    skos = "skos"


RulesetOption = Annotated[
    str | None,
    typer.Option("--ruleset", "-r", help="Rule-set id (see `solidcheck rulesets`) or a .toml "
                 "file; default: the national standard."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def _ruleset(ruleset_id: str | None) -> Ruleset:
    try:
        return load_ruleset(ruleset_id)
    except (InvalidInputError, UnknownRulesetError) as exc:
        _fail(str(exc))


def _load_dossiers(files: list[Path]) -> list[Dossier]:
    """Every dossier, or — if any is invalid — every problem of every file, exit 2."""
    dossiers: list[Dossier] = []
    errors: list[str] = []
    for path in files:
        try:
            dossiers.append(load_dossier(path))
        except InvalidInputError as exc:
            errors.append(str(exc))
    if errors:
        _fail("\n".join(errors))
    return dossiers


def _missing_extra(exc: MissingDependencyError) -> NoReturn:
    """An optional reader library is not installed: say what to install, exit 4."""
    typer.echo(str(exc), err=True)
    raise typer.Exit(EXIT_MISSING_EXTRA)


def _read(path: Path, *, reader: str | None = None, kind: ReadingKind | None = None) -> Reading:
    try:
        return read_evidence(path, format=reader, kind=kind)
    except InvalidInputError as exc:
        _fail(str(exc))
    except MissingDependencyError as exc:
        _missing_extra(exc)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"solidcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    pass


@app.command("classify")
def classify_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    ruleset: RulesetOption = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Classify cells from their dossiers. One file prints one JSON object; several, one per line.

    Every input is checked before any result is printed: if one is invalid, nothing is
    printed on stdout and every problem of every file is listed on stderr (exit 2).
    """
    rules = _ruleset(ruleset)
    dossiers = _load_dossiers(files)
    results = [classify(dossier, rules) for dossier in dossiers]
    if output_format is OutputFormat.json:
        for result in results:
            _print_json(result.model_dump(mode="json"), pretty=len(results) == 1)
        return
    console = _stdout()
    for result in results:
        console.print(render_result(result))
    if len(results) > 1:
        console.print(render_summary(results))


@rulesets_app.callback(invoke_without_command=True)
def rulesets_list(ctx: typer.Context) -> None:
    """List the installed rule sets (the default first)."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table("id", "document", "limit", "visual check", "status")
    for ruleset in available_rulesets():
        limit = ruleset.rules.weight_loss_limit
        relation = "≤" if limit.comparison == "at_most" else "<"
        default = " (default)" if ruleset.ruleset.default else ""
        table.add_row(ruleset.id + default, f"{ruleset.ruleset.title}\n{ruleset.ruleset.document}",
                      f"{relation} {limit.limit_percent:g} %",
                      "required" if ruleset.rules.visual_check.mandatory else "recommended",
                      ruleset.ruleset.status)
    _stdout().print(table)


@rulesets_app.command("show")
def rulesets_show(
    ruleset_id: Annotated[str, typer.Argument(metavar="ID", help="Rule-set id or .toml file.")],
    output_format: Annotated[RulesetFormat, typer.Option("--format", "-f")] = RulesetFormat.toml,
) -> None:
    """Print one rule set: as its data file (toml) or as validated JSON."""
    try:
        ruleset = load_ruleset(ruleset_id)
    except (InvalidInputError, UnknownRulesetError) as exc:
        _fail(str(exc))
    if output_format is RulesetFormat.json:
        _print_json(ruleset.model_dump(mode="json"))
        return
    given = Path(ruleset_id)
    sys.stdout.write(given.read_text("utf-8") if given.suffix == ".toml"
                     else installed_ruleset_text(ruleset.id))


@app.command("terms")
def terms_command(
    words: Annotated[list[str] | None, typer.Argument(
        metavar="QUERY", help="A term in English or Chinese (several words are joined).")] = None,
    export: Annotated[ExportFormat | None, typer.Option(
        "--export", help="Write the whole vocabulary instead (skos: SKOS as JSON-LD).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File for --export (default: stdout).")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Find a term, insensitive to case, hyphens, spaces and full-width forms; say its status."""
    if export is not None:
        text = json.dumps(vocabulary_to_skos(), ensure_ascii=False, indent=2) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return
    query = " ".join(words or [])
    if not query.strip():
        _fail("give a term to look up, e.g. `solidcheck terms semi-solid`, or --export skos")
    matches = lookup_term(query)
    if output_format is OutputFormat.json:
        _print_json([match.as_dict() for match in matches])
    if not matches:
        if output_format is OutputFormat.text:
            typer.echo(f"no term matches {query!r}; `solidcheck terms --export skos` lists all",
                       err=True)
        raise typer.Exit(EXIT_NEGATIVE)
    if output_format is OutputFormat.json:
        return
    table = Table("term", "lang", "status", "preferred term", "category")
    for match in matches:
        status = match.label.status.replace("_", "-")
        if match.label.note:
            status += f"\n({match.label.note})"
        table.add_row(match.label.text, match.label.lang, status,
                      f"{match.preferred_en}\n{match.preferred_zh}",
                      (match.concept.category or "—").replace("_", " "))
    _stdout().print(table)


@code_app.command("decode")
def code_decode(
    code: Annotated[str, typer.Argument(help="A code, e.g. SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Give back the fields of a classification code; reject a malformed one with the reason."""
    try:
        fields = decode_code(code)
    except InvalidInputError as exc:
        _fail(str(exc))
    data = fields.model_dump()
    if output_format is OutputFormat.json:
        _print_json({**data, "status": "provisional"})
        return
    for key, value in data.items():
        typer.echo(f"{key:17} {value if value is not None else '—'}")
    typer.echo(f"{'status':17} {PROVISIONAL_NOTE}")


@app.command("schema")
def schema_command(
    name: Annotated[SchemaName, typer.Argument(help="Which schema.")] = SchemaName.result,
) -> None:
    """Print a published JSON Schema: the result, the dossier or the audit report."""
    _print_json(json_schema(name.value))


ReaderOption = Annotated[
    str | None,
    typer.Option("--reader", help="Force a reader by name (see docs/readers.md); default: "
                 "recognise the file by its content."),
]


@app.command("weight-loss")
def weight_loss_command(
    log: Annotated[Path, typer.Argument(help="Oven or thermobalance log (CSV, Excel, NETZSCH).")],
    ruleset: RulesetOption = None,
    output_format: FormatOption = OutputFormat.text,
    reader: ReaderOption = None,
) -> None:
    """Judge a weight-loss test's conditions from the instrument's own log.

    Finds the hold at the rule set's temperature and pressure, reports its length,
    excursions and (with a mass channel) m₀, m₁ and whether mass had stopped falling.
    A run that is not a valid test is reported as such (exit 0).
    """
    rules = _ruleset(ruleset)
    analysis = analyse_conditions(_read(log, reader=reader, kind="oven_log"), ruleset=rules)
    if output_format is OutputFormat.json:
        _print_json(analysis.model_dump(mode="json"))
        return
    _stdout().print(render_conditions(analysis))


@dossier_app.command("build")
def dossier_build(
    cell: Annotated[Path, typer.Argument(help="The cell's declarations (YAML or JSON dossier, "
                                         "weight_loss_test may be partial or absent).")],
    oven_log: Annotated[Path | None, typer.Option("--oven-log", help="Oven or thermobalance "
                                                  "log: the test conditions (and masses).")] = None,
    weighings: Annotated[Path | None, typer.Option("--weighings", help="Specimen masses before "
                                                   "and after (CSV).")] = None,
    cycler: Annotated[Path | None, typer.Option("--cycler", help="Cycler file: the ratings "
                                                "(1C energy, max power).")] = None,
    nominal_capacity_ah: Annotated[float | None, typer.Option(
        "--nominal-capacity-ah", help="Rated capacity for the cycler's C-rates (Ah).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the dossier here "
                                                "(.json for JSON, else YAML); default: stdout.")]
    = None,
    ruleset: RulesetOption = None,
) -> None:
    """Write a complete dossier: the cell's declarations plus what the evidence shows.

    Conditions come from the log, masses from the log or the weighings, ratings from the
    cycler file; each file's SHA-256 is recorded under `evidence`. Replaced declarations
    are reported on stderr.
    """
    rules = _ruleset(ruleset)
    try:
        cell_data = load_mapping(cell)
    except InvalidInputError as exc:
        _fail(str(exc))
    log_reading = _read(oven_log, kind="oven_log") if oven_log else None
    weighed = _read(weighings, kind="weighings") if weighings else None
    cycled = _read(cycler, kind="cycler") if cycler else None
    try:
        built = build_dossier(cell_data, ruleset=rules, oven_log=log_reading, weighings=weighed,
                              cycler=cycled, nominal_capacity_ah=nominal_capacity_ah,
                              source=str(cell))
    except InvalidInputError as exc:
        _fail(str(exc))
    data = built.dossier.model_dump(mode="json", exclude_none=True)
    if output is not None and output.suffix.lower() == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for note in built.notes:
        typer.echo(f"note: {note}", err=True)
    if built.conditions is not None:
        verdict = "meet" if built.conditions.meets_conditions else "do NOT meet"
        typer.echo(f"the logged conditions {verdict} the {rules.id} test conditions "
                   "(details: solidcheck weight-loss LOG)", err=True)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@app.command("read")
def read_command(
    file: Annotated[Path, typer.Argument(help="An instrument file: oven or thermobalance log "
                                         "(CSV, Excel, NETZSCH), weighings CSV, cycler file.")],
    output_format: FormatOption = OutputFormat.text,
    reader: ReaderOption = None,
) -> None:
    """Show what solidcheck reads from an instrument file, before trusting any analysis.

    Lists the canonical channels and the file's columns they came from, every unit
    conversion, the rows left out as unreadable and the file's metadata.
    """
    summary = _read(file, reader=reader).summary()
    if output_format is OutputFormat.json:
        _print_json(summary)
        return
    _stdout().print(render_reading(summary))


@app.command("ratings")
def ratings_command(
    file: Annotated[Path, typer.Argument(help="A cycler file: Neware .nda/.ndax, Battery Data "
                                         "Format CSV, BioLogic .mpr.")],
    nominal_capacity_ah: Annotated[float | None, typer.Option(
        "--nominal-capacity-ah", help="The cell's rated capacity (Ah), which sets the C-rates; "
        "default: the largest constant-current discharge capacity in the file.")] = None,
    power_duration_s: Annotated[float | None, typer.Option(
        "--power-duration-s", help="How long the power must be held (s); default: the rule "
        "set's ratings_from_cycler.power_duration_s.")] = None,
    ruleset: RulesetOption = None,
    output_format: FormatOption = OutputFormat.text,
    reader: ReaderOption = None,
) -> None:
    """Derive max power and 1C energy (the dossier's `ratings`) from a cycler log.

    The method (1C window, power duration, constant-current tolerance, counter cross-check)
    is the rule set's `ratings_from_cycler`; every result says how it was obtained.
    """
    rules = _ruleset(ruleset)
    reading = _read(file, reader=reader, kind=None if reader else "cycler")
    try:
        analysis = derive_ratings(reading, ruleset=rules, nominal_capacity_ah=nominal_capacity_ah,
                                  power_duration_s=power_duration_s)
    except InvalidInputError as exc:
        _fail(str(exc))
    if output_format is OutputFormat.json:
        source = {"file": str(file), "format": reading.format, "sha256": reading.sha256}
        _print_json({"source": source, **analysis.model_dump(mode="json")})
        return
    _stdout().print(render_ratings(analysis, reading))


class ExportTarget(StrEnum):
    jsonld = "jsonld"
    passport = "passport"


@app.command("export")
def export_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    to: Annotated[ExportTarget, typer.Option("--to", help="jsonld: the result as linked data "
                                             "(SKOS + EMMO); passport: the EU battery-passport "
                                             "fields the classification informs.")],
    ruleset: RulesetOption = None,
) -> None:
    """Export results for other systems (docs/exports.md). One JSON document per dossier."""
    rules = _ruleset(ruleset)
    dossiers = _load_dossiers(files)
    for dossier in dossiers:
        result = classify(dossier, rules)
        document = (result_jsonld(result, dossier=dossier) if to is ExportTarget.jsonld
                    else passport_fields(result, dossier))
        _print_json(document, pretty=len(dossiers) == 1)


# --------------------------------------------------------------------------- certificates

keys_app = typer.Typer(help="Keys: the Ed25519 keys that sign certificates (generate, "
                       "fingerprint) and the web service's API keys (create, list, revoke).",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")

PASSPHRASE_ENV = "SOLIDCHECK_KEY_PASSPHRASE"
TRUSTED_ENV = "SOLIDCHECK_TRUSTED_ISSUERS"


def _passphrase() -> bytes | None:
    """The private key's passphrase: from the environment, never from the command line."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


@keys_app.command("generate")
def keys_generate(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Private key file to write (mode 0600); the public key is "
        "written beside it with the suffix .pub.")],
    name: Annotated[str | None, typer.Option(
        "--name", help="The issuer's name, for the trusted-issuers entry printed.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace existing key files (the old key is lost for good).")] = False,
) -> None:
    """Make a signing key pair: KEY (private) and KEY.pub (public); print its fingerprint.

    The private key is encrypted with $SOLIDCHECK_KEY_PASSPHRASE when that is set. It is
    never printed; what is printed is the fingerprint and an entry for a trusted-issuers
    file, to hand to those who verify your certificates.
    """
    public_path = output.with_suffix(".pub")
    if public_path == output:
        _fail(f"{output}: the private key file must not end in .pub — e.g. -o lab.key")
    existing = [str(p) for p in (output, public_path) if p.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        _fail(f"{' and '.join(existing)} already {verb}; nothing was written — choose "
              "another name, or --force to replace (the old key is lost for good)")
    key = generate_key()
    passphrase = _passphrase()
    try:
        write_private_key(output, key, passphrase=passphrase, overwrite=force)
        write_public_key(public_path, key.public_key(), overwrite=force)
    except CertificateError as exc:
        _fail(str(exc))
    public_key = key.public_key()
    protection = ("encrypted with $" + PASSPHRASE_ENV if passphrase else
                  f"NOT encrypted: set {PASSPHRASE_ENV} to encrypt it")
    typer.echo(f"wrote {output} (private key, mode 0600, {protection}) and {public_path}",
               err=True)
    issuer = name if name is not None else output.stem
    typer.echo(f"fingerprint {fingerprint(public_key)}\n\n"
               "# an entry for a trusted-issuers file (docs/certificates.md):\n"
               f"[[issuer]]\nname = {json.dumps(issuer, ensure_ascii=False)}\n"
               f'fingerprint = "{fingerprint(public_key)}"\n'
               f'public_key = "{public_key_base64(public_key)}"')


@keys_app.command("fingerprint")
def keys_fingerprint(
    key_file: Annotated[Path, typer.Argument(
        metavar="PUBKEY_OR_KEY", help="A public key (.pub: PEM or base64) or a private key "
        "file (its passphrase from $SOLIDCHECK_KEY_PASSPHRASE).")],
) -> None:
    """Print a key's fingerprint: sha256:<hex of SHA-256 of the raw 32-byte public key>."""
    try:
        head = key_file.read_bytes()[:4096]
    except OSError as exc:
        _fail(f"{key_file}: cannot read the file: {exc.strerror} — check the path")
    try:
        if b"PRIVATE KEY-----" in head:
            public_key = load_private_key(key_file, passphrase=_passphrase()).public_key()
        else:
            public_key = load_public_key(key_file)
    except CertificateError as exc:
        _fail(str(exc))
    typer.echo(fingerprint(public_key))


@app.command("certify")
def certify_command(
    dossier: Annotated[Path, typer.Argument(help="The dossier to classify and certify.")],
    key: Annotated[Path, typer.Option(
        "--key", "-k", help="The issuer's private key (from `solidcheck keys generate`; "
        "passphrase from $SOLIDCHECK_KEY_PASSPHRASE).")],
    issuer: Annotated[str | None, typer.Option(
        "--issuer", help="The issuing organisation's name; default: the key file's name.")]
    = None,
    ruleset: RulesetOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Certificate file to write; default: stdout.")] = None,
) -> None:
    """Classify a dossier and sign the result: a certificate anyone can verify.

    The certificate binds the result to the dossier file's SHA-256, the instrument files
    it lists and the issuer's key (docs/certificates.md). It proves who classified what;
    it does not prove the dossier's declarations are true.
    """
    rules = _ruleset(ruleset)
    try:
        signing_key = load_private_key(key, passphrase=_passphrase())
    except CertificateError as exc:
        _fail(str(exc))
    issuer_name = issuer if issuer is not None else key.stem
    try:
        cert = certify(dossier, key=signing_key, issuer_name=issuer_name, ruleset=rules)
    except InvalidInputError as exc:
        _fail(str(exc))
    data = certificate_bytes(cert)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        try:
            output.write_bytes(data)
        except OSError as exc:
            _fail(f"{output}: cannot write the file: {exc.strerror} — check the folder")
    result = cert["result"]
    where = f"wrote {output}" if output is not None else "certified"
    typer.echo(f"{where}, fingerprint {cert['issuer']['key_fingerprint']}, issuer "
               f"{issuer_name!r}: {result['dossier_id']} is {result['category']} "
               f"({result['code']})", err=True)


@app.command("verify")
def verify_command(
    certificate: Annotated[Path, typer.Argument(help="A certificate file (.json).")],
    pubkey: Annotated[Path | None, typer.Option(
        "--pubkey", help="The issuer's public key the certificate must be signed with.")]
    = None,
    trusted: Annotated[Path | None, typer.Option(
        "--trusted", envvar=TRUSTED_ENV, help="A trusted-issuers TOML file; the signing key "
        "must be listed in it.")] = None,
    dossier: Annotated[Path | None, typer.Option(
        "--dossier", help="The dossier file: must be the one certified (SHA-256) and must "
        "classify the same.")] = None,
    ruleset: Annotated[str | None, typer.Option(
        "--ruleset", "-r", help="With --dossier, a rule-set .toml file for a certificate "
        "issued under a rule set that is not installed.")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Check a certificate: exit 0 valid, 3 invalid (every reason listed), 2 malformed.

    Checks, in order: format and version, the exact canonical bytes, the key fingerprint,
    the signature, the issuer's key (--pubkey, --trusted or $SOLIDCHECK_TRUSTED_ISSUERS),
    the result, the issue time and, with --dossier, the dossier's digest and its
    re-classification. Without --pubkey or --trusted, who signed it is not checked.
    """
    try:
        data = certificate.read_bytes()
    except OSError as exc:
        _fail(f"{certificate}: cannot read the file: {exc.strerror} — check the path")
    try:
        public_key = load_public_key(pubkey) if pubkey is not None else None
        trust = load_trusted_issuers(trusted) if trusted is not None else None
    except CertificateError as exc:
        _fail(str(exc))
    rules = _ruleset(ruleset) if ruleset is not None else None
    dossier_bytes = None
    if dossier is not None:
        try:
            dossier_bytes = dossier.read_bytes()
        except OSError as exc:
            _fail(f"{dossier}: cannot read the file: {exc.strerror} — check the path")
    try:
        check = verify(data, public_key=public_key, trusted=trust, dossier_bytes=dossier_bytes,
                       ruleset=rules, source=str(certificate))
    except CertificateError as exc:
        _fail(str(exc))
    if output_format is OutputFormat.json:
        _print_json({"certificate": str(certificate), **check.as_dict()})
    else:
        _print_verification(check, certificate, pubkey=pubkey, trusted=trusted)
    if not check.valid:
        raise typer.Exit(EXIT_NEGATIVE)


def _print_verification(check: Verification, certificate: Path, *, pubkey: Path | None,
                        trusted: Path | None) -> None:
    lines = [f"{'VALID' if check.valid else 'INVALID'} certificate {certificate}"]
    if not check.valid:
        count = len(check.reasons)
        lines.append(f"{count} check{'s' if count != 1 else ''} failed:")
        lines += [f"  - {reason}" for reason in check.reasons]
    lines += [f"  dossier    {check.dossier_id}",
              f"  result     {check.category} · {check.code} · rule set {check.ruleset}",
              f"  issued     {check.issued_at} by {check.issuer_name!r}, key {check.fingerprint}"]
    if check.issuer_trusted is None:
        lines.append("  issuer     NOT checked against a trust list: the signature only shows "
                     "that the holder of this key signed it — give --pubkey or --trusted (or "
                     f"set {TRUSTED_ENV}) to check who that is")
    else:
        against = " and ".join(
            [f"--pubkey {pubkey}"] * (pubkey is not None) + [f"{trusted}"] * (trusted is not None))
        verdict = "trusted" if check.issuer_trusted else "NOT trusted"
        lines.append(f"  issuer     {verdict} (checked against {against})")
    if check.dossier_checked:
        lines.append(f"  dossier    {'matches' if check.valid else 'checked (see above)'}: "
                     "its SHA-256 and its re-classification")
    lines += [f"warning: {warning}" for warning in check.warnings]
    sys.stdout.write("\n".join(lines) + "\n")


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"


class ReportLang(StrEnum):
    en = "en"
    zh = "zh"
    both = "both"


@app.command("report")
def report_command(
    files: Annotated[list[Path], typer.Argument(help="Dossier files (YAML or JSON).")],
    ruleset: RulesetOption = None,
    report_format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="html: one self-contained page; pdf: the same page printed "
        "(needs the 'pdf' extra); json: the list of results.")] = ReportFormat.html,
    lang: Annotated[ReportLang, typer.Option(
        "--lang", help="Language of the report's words: en, zh or both.")] = ReportLang.en,
    certificate: Annotated[Path | None, typer.Option(
        "--certificate", help="The dossier's certificate (from `solidcheck certify`): checked, "
        "and its verification payload shown as a QR code.")] = None,
    qr_payload: Annotated[str | None, typer.Option(
        "--qr-payload", help="Text to show as a QR code labelled 'scan to verify' (e.g. a "
        "verification URL); default: the certificate's payload.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The file to write (`-` for stdout); required for html and "
        "pdf.")] = None,
) -> None:
    """Write a report of one or more cells: verdict, reasons, weight-loss table and plots.

    Evidence files named in a dossier are looked for beside it and used only when their
    SHA-256 matches: an oven log that matches is plotted; otherwise the report says why not.
    Every dossier is checked first: if one is invalid, nothing is written and every problem of
    every file is listed (exit 2).
    """
    if report_format is not ReportFormat.json and output is None:
        _fail(f"--format {report_format.value} needs -o FILE (or -o - for stdout)")
    to_stdout = output is None or str(output) == "-"
    if report_format is ReportFormat.pdf and to_stdout and sys.stdout.isatty():
        _fail("refusing to write a binary PDF to a terminal: give -o FILE, or redirect stdout")
    rules = _ruleset(ruleset)
    items: list[ReportItem] = []
    errors: list[str] = []
    for path in files:
        try:
            items.append(load_report_item(path, rules))
        except InvalidInputError as exc:
            errors.append(str(exc))
    if errors:
        _fail("\n".join(errors))
    if certificate is not None:
        qr_payload = qr_payload or _certificate_payload(certificate, files, items)
    for item in items:
        for check in item.evidence_checks:
            if check.status != "verified":
                typer.echo(f"note: {item.dossier_file}: evidence {check.evidence.file}: "
                           f"{check.status.replace('_', ' ')}"
                           + (f" ({check.detail})" if check.detail else ""), err=True)
    data: bytes
    if report_format is ReportFormat.json:
        results = [item.result.model_dump(mode="json") for item in items]
        data = (json.dumps(results, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        try:
            html = render_html(items, lang=lang.value, qr_payload=qr_payload)
        except InvalidInputError as exc:
            _fail(str(exc))
        if report_format is ReportFormat.html:
            data = html.encode("utf-8")
        else:
            try:
                data = render_pdf(html)
            except MissingDependencyError as exc:
                _missing_extra(exc)
    if to_stdout:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    assert output is not None
    output.write_bytes(data)
    typer.echo(f"wrote {output} ({len(items)} cell{'s' if len(items) != 1 else ''})", err=True)


def _certificate_payload(path: Path, files: list[Path], items: list[ReportItem]) -> str:
    """The QR payload of a certificate that verifies and certifies the reported dossier."""
    if len(items) != 1:
        _fail("--certificate goes with exactly one dossier (a certificate certifies one cell)")
    try:
        data = path.read_bytes()
        cert = parse_certificate(data, source=str(path))
        outcome = verify(data, dossier_bytes=files[0].read_bytes(), source=str(path))
    except OSError as exc:
        _fail(f"cannot read {exc.filename}: {exc.strerror}")
    except InvalidInputError as exc:
        _fail(str(exc))
    if not outcome.valid:
        _fail(f"{path} does not verify for {files[0]}, so the report will not carry it:\n"
              + "\n".join(f"  - {reason}" for reason in outcome.reasons))
    return verification_payload(cert)


class AuditFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    never = "never"


@app.command("audit")
def audit_command(
    files: Annotated[list[Path], typer.Argument(help="Product text: plain text, Markdown, "
                                                "HTML (visible text) or PDF (text layer).")],
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="The cell's dossier, its result (JSON) or its certificate: claims "
        "are checked against its category.")] = None,
    ruleset: RulesetOption = None,
    output_format: Annotated[AuditFormat, typer.Option("--format", "-f", help="text, json, or "
                                                       "html (the text with findings marked; "
                                                       "one input, needs -o).")]
    = AuditFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of "
                                                "stdout.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 3 when a finding of this "
                                            "severity or worse is found (for pipelines).")]
    = FailOn.never,
) -> None:
    """Find misused terms, unsupported or contradicted solid-state claims and implausible
    figures in product text, English and Chinese. Offsets index the extracted text."""
    rules = _ruleset(ruleset)
    if output_format is AuditFormat.html and (len(files) != 1 or output is None):
        _fail("--format html takes exactly one input file and -o FILE")
    result = None
    texts, errors = [], []
    try:
        result = load_evidence(evidence, ruleset=rules) if evidence is not None else None
    except InvalidInputError as exc:
        errors.append(str(exc))
    for path in files:
        try:
            texts.append(extract_text(path))
        except InvalidInputError as exc:
            errors.append(str(exc))
    if errors:
        _fail("\n".join(errors))
    reports = [audit(text, ruleset=rules, evidence=result) for text in texts]
    if output_format is AuditFormat.html:
        rendered = render_audit_html(reports[0], texts[0].text)
    elif output_format is AuditFormat.json:
        dumps = [json.dumps(r.model_dump(mode="json"), ensure_ascii=False,
                            indent=2 if len(reports) == 1 else None) for r in reports]
        rendered = "\n".join(dumps) + "\n"
    else:
        buffer = io.StringIO()
        console = _stdout() if output is None else Console(file=buffer, width=110,
                                                           highlight=False)
        for report in reports:
            console.print(render_audit(report))
        rendered = buffer.getvalue()
    if output is not None:
        output.write_text(rendered, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    elif rendered:
        sys.stdout.write(rendered)
    worst = {"error": 0, "warning": 1, "info": 2}
    threshold = {"error": 0, "warning": 1, "never": -1}[fail_on.value]
    if any(worst[f.severity] <= threshold for r in reports for f in r.findings):
        raise typer.Exit(EXIT_NEGATIVE)


app.add_typer(registry_app, name="registry")
app.command("serve")(serve)
keys_app.command("create")(keys_create)
keys_app.command("list")(keys_list)
keys_app.command("revoke")(keys_revoke)
app.command("batch")(batch)
app.command("synth")(synth)
dossier_app.command("table")(dossier_table)
dossier_app.command("files")(dossier_files)
dossier_app.command("convert")(dossier_convert)


def main() -> None:
    app()
