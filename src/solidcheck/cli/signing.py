"""Certificates at the command line: the Ed25519 signing keys (``keys generate``,
``keys fingerprint``), ``certify`` and ``verify``. Argument handling and output only; the
work is in the ``certificates`` package, imported when a command runs (it needs
``cryptography``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import formats
from ..errors import InvalidInputError, file_problem
from .common import (
    LangOption,
    NegativeAnswer,
    RulesetOption,
    fail,
    keys_app,
    language,
    load_rules,
    print_json,
    say,
)

if TYPE_CHECKING:
    from ..certificates import Verification
    from ..i18n import Display

    VerifyFormat = str
else:
    VerifyFormat = formats.choice_type("verify --format")

__all__ = ["PASSPHRASE_ENV", "TRUSTED_ENV", "register"]

PASSPHRASE_ENV = "SOLIDCHECK_KEY_PASSPHRASE"
TRUSTED_ENV = "SOLIDCHECK_TRUSTED_ISSUERS"


def _passphrase() -> bytes | None:
    """The private key's passphrase: from the environment, never from the command line."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def _read_bytes(path: Path, *, head: int | None = None) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError([file_problem(path, exc)], source=str(path)) from None
    return data if head is None else data[:head]


def keys_generate(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Private key file to write (mode 0600); the public key is "
        "written beside it with the suffix .pub.")],
    name: Annotated[str | None, typer.Option(
        "--name", help="The issuer's name: kept in the key file, the default issuer of "
        "`certify --key` and the name of the trusted-issuers entry printed; default: the "
        "key file's name.")] = None,
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
        fail(f"{output}: the private key file must not end in .pub — e.g. -o lab.key")
    existing = [str(p) for p in (output, public_path) if p.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        fail(f"{' and '.join(existing)} already {verb}; nothing was written — choose "
             "another name, or --force to replace (the old key is lost for good)")
    from ..certificates import (
        fingerprint,
        generate_key,
        issuer_name_problems,
        public_key_base64,
        write_private_key,
        write_public_key,
    )

    problems = issuer_name_problems(name) if name is not None else []
    if problems:
        fail("\n".join(str(problem) for problem in problems))
    key = generate_key()
    passphrase = _passphrase()
    write_private_key(output, key, passphrase=passphrase, overwrite=force, issuer_name=name)
    write_public_key(public_path, key.public_key(), overwrite=force)
    public_key = key.public_key()
    typer.echo(say("cli.keys.written_encrypted" if passphrase else "cli.keys.written_plain",
                   language(), private=str(output), variable=PASSPHRASE_ENV,
                   public=str(public_path)), err=True)
    issuer = name.strip() if name is not None else output.stem
    typer.echo(f"fingerprint {fingerprint(public_key)}\n\n"
               "# an entry for a trusted-issuers file (docs/certificates.md):\n"
               f"[[issuer]]\nname = {json.dumps(issuer, ensure_ascii=False)}\n"
               f'fingerprint = "{fingerprint(public_key)}"\n'
               f'public_key = "{public_key_base64(public_key)}"')


def keys_fingerprint(
    key_file: Annotated[Path, typer.Argument(
        metavar="PUBKEY_OR_KEY", help="A public key (.pub: PEM or base64) or a private key "
        "file (its passphrase from $SOLIDCHECK_KEY_PASSPHRASE).")],
) -> None:
    """Print a key's fingerprint: sha256:<hex of SHA-256 of the raw 32-byte public key>."""
    from ..certificates import fingerprint, load_private_key, load_public_key

    head = _read_bytes(key_file, head=4096)
    if b"PRIVATE KEY-----" in head:
        public_key = load_private_key(key_file, passphrase=_passphrase()).public_key()
    else:
        public_key = load_public_key(key_file)
    typer.echo(fingerprint(public_key))


def certify_command(
    dossier: Annotated[Path, typer.Argument(help="The dossier to classify and certify.")],
    key: Annotated[Path, typer.Option(
        "--key", "-k", help="The issuer's private key (from `solidcheck keys generate`; "
        "passphrase from $SOLIDCHECK_KEY_PASSPHRASE).")],
    issuer: Annotated[str | None, typer.Option(
        "--issuer", help="The issuing organisation's name; default: the name kept in the "
        "key file by `keys generate --name`, else the key file's name.")]
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
    from ..certificates import certificate_bytes, certify, key_issuer_name, load_private_key

    rules = load_rules(ruleset)
    signing_key = load_private_key(key, passphrase=_passphrase())
    issuer_name = issuer if issuer is not None else (key_issuer_name(key) or key.stem)
    cert = certify(dossier, key=signing_key, issuer_name=issuer_name, ruleset=rules)
    data = certificate_bytes(cert)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        try:
            output.write_bytes(data)
        except OSError as exc:
            fail(f"{output}: cannot write the file: {exc.strerror} — check the folder")
    result = cert["result"]
    display = language()
    where = (say("cli.wrote", display, path=str(output)) if output is not None
             else say("cli.certify.certified", display))
    category = str(result["category"])
    if display != "en":
        from ..report.text import category_name
        from ..terms import category_terms

        category = category_name(category_terms(result["category"]), display)
    typer.echo(say("cli.certify.done", display, where=where,
                   fingerprint=cert["issuer"]["key_fingerprint"], issuer=issuer_name,
                   dossier=str(result["dossier_id"]), category=category,
                   code=str(result["code"])), err=True)


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
    output_format: Annotated[VerifyFormat, typer.Option(
        "--format", "-f", help="Output format.")] = "text",
    lang: LangOption = None,
) -> None:
    """Check a certificate: exit 0 valid, 3 invalid (every reason listed), 2 malformed.

    Checks, in order: format and version, the exact canonical bytes, the key fingerprint,
    the signature, the issuer's key (--pubkey, --trusted or $SOLIDCHECK_TRUSTED_ISSUERS),
    the result, the issue time and, with --dossier, the dossier's digest and its
    re-classification. Without --pubkey or --trusted, who signed it is not checked.
    """
    display = language(lang)
    data = _read_bytes(certificate)
    from ..certificates import load_public_key, load_trusted_issuers, verify

    public_key = load_public_key(pubkey) if pubkey is not None else None
    trust = load_trusted_issuers(trusted) if trusted is not None else None
    rules = load_rules(ruleset) if ruleset is not None else None
    dossier_bytes = _read_bytes(dossier) if dossier is not None else None
    check = verify(data, public_key=public_key, trusted=trust, dossier_bytes=dossier_bytes,
                   ruleset=rules, source=str(certificate))
    if output_format == "json":
        print_json({"certificate": str(certificate), **check.as_dict()})
    else:
        _print_verification(check, certificate, pubkey=pubkey, trusted=trusted, lang=display)
    if not check.valid:
        raise NegativeAnswer


def _print_verification(check: Verification, certificate: Path, *, pubkey: Path | None,
                        trusted: Path | None, lang: Display) -> None:
    """Every failed check and what was verified, in ``lang`` (``both``: the English lines,
    then the Chinese ones)."""
    if lang == "both":
        _print_verification(check, certificate, pubkey=pubkey, trusted=trusted, lang="en")
        sys.stdout.write("\n")
        _print_verification(check, certificate, pubkey=pubkey, trusted=trusted, lang="zh")
        return
    from ..report.text import category_name
    from ..terms import category_terms

    lines = [say("cli.verify.valid" if check.valid else "cli.verify.invalid", lang,
                 certificate=str(certificate))]
    if not check.valid:
        lines.append(say("cli.verify.failed_count", lang, count=len(check.failures)))
        lines += [f"  - {reason}" for reason in check.reasons_in(lang)]
    if not check.signature_verified:  # what follows is only what the file says
        lines.append(say("cli.verify.claimed", lang))
    category = check.category
    if lang != "en" and category in ("liquid", "hybrid_solid_liquid", "solid_state",
                                      "undetermined"):
        category = category_name(category_terms(category), lang)  # type: ignore[arg-type]
    lines += [say("cli.verify.dossier", lang, dossier=str(check.dossier_id)),
              say("cli.verify.result", lang, category=str(category), code=str(check.code),
                  ruleset=str(check.ruleset)),
              say("cli.verify.issued", lang, issued_at=str(check.issued_at),
                  issuer=str(check.issuer_name), fingerprint=str(check.fingerprint))]
    if not check.signature_verified:
        lines.append(say("cli.verify.issuer_unknown", lang))
    elif check.issuer_trusted is None:
        lines.append(say("cli.verify.issuer_unchecked", lang, variable=TRUSTED_ENV))
    else:
        against = ", ".join(
            [f"--pubkey {pubkey}"] * (pubkey is not None) + [f"{trusted}"] * (trusted is not None))
        lines.append(say("cli.verify.issuer_trusted" if check.issuer_trusted
                         else "cli.verify.issuer_not_trusted", lang, against=against))
    if check.dossier_checked:
        lines.append(say("cli.verify.dossier_matches" if check.valid
                         else "cli.verify.dossier_checked", lang))
    lines += [say("cli.warning", lang, warning=warning) for warning in check.warnings_in(lang)]
    sys.stdout.write("\n".join(lines) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    keys_app.command("generate")(keys_generate)
    keys_app.command("fingerprint")(keys_fingerprint)
    app.command("certify")(certify_command)
    app.command("verify")(verify_command)
