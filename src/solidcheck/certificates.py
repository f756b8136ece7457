"""Verifiable certificates: a classification result signed with an issuer's Ed25519 key.

A certificate says: *the holder of this key classified the dossier with this digest and got
this result*. It does not say the dossier's declarations are true. The format, the checks
and their order are in docs/certificates.md.

What is signed is the RFC 8785 (JCS) canonical JSON of the certificate without its
``signature`` member; the file is the canonical JSON of the whole certificate and one
``"\\n"``, so any change to any byte of the file is detected.

>>> key = generate_key()
>>> cert = certify(b"id: DOC-1\\nelectrolyte: {phases: [liquid]}\\nconducting_ion: lithium\\n",
...                key=key, issuer_name="Example Lab")
>>> check = verify(certificate_bytes(cert), public_key=key.public_key())
>>> check.valid, check.issuer_trusted, check.category
(True, True, 'liquid')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import rfc8785
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._validation import problems_from
from ._version import __version__
from .classify import classify
from .dossier import parse_dossier, reject_repeated_keys
from .errors import CertificateError, DossierError, InvalidInputError, Problem
from .model import Result
from .rules import Ruleset, available_rulesets

__all__ = [
    "CERTIFICATE_FORMAT",
    "CERTIFICATE_VERSION",
    "TrustedIssuer",
    "TrustedIssuers",
    "Verification",
    "canonical_json",
    "certificate_bytes",
    "certificate_digest",
    "certify",
    "fingerprint",
    "generate_key",
    "load_certificate",
    "load_private_key",
    "load_public_key",
    "load_trusted_issuers",
    "parse_certificate",
    "parse_public_key",
    "parse_trusted_issuers",
    "public_key_base64",
    "result_differences",
    "verification_payload",
    "verify",
    "write_private_key",
    "write_public_key",
]

CERTIFICATE_FORMAT: Final = "solidcheck-certificate"
CERTIFICATE_VERSION: Final = 1
SIGNATURE_ALGORITHM: Final = "Ed25519"
PAYLOAD_PREFIX: Final = "SCV1"
MAX_CERTIFICATE_BYTES: Final = 1_000_000
MAX_KEY_FILE_BYTES: Final = 100_000
#: How far in the future ``issued_at`` may be: the issuer's and the verifier's clocks differ.
CLOCK_SKEW: Final = timedelta(minutes=5)

_ISSUED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
_SIGNED_MEMBERS = "format, version, issued_at, issuer, subject, result"
_SIGNATURE_MISMATCH = (
    "signature does not match: the signed content (one of "
    f"{_SIGNED_MEMBERS}, e.g. result.category) or signature.value was altered after signing"
)


# --------------------------------------------------------------------------- keys


def generate_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key, from the operating system's secure random source."""
    return Ed25519PrivateKey.generate()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the raw 32-byte public key: short, stable, format-independent."""
    return "sha256:" + hashlib.sha256(_raw_public(public_key)).hexdigest()


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_base64(public_key: Ed25519PublicKey) -> str:
    """The base64 of the raw 32-byte key: ``issuer.public_key`` and a trust-list entry."""
    return _b64(_raw_public(public_key))


def _create_exclusive(path: Path, data: bytes, *, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (no window with wider permissions)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the umask may only have narrowed it; make it exact
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def _write_key_file(path: str | Path, data: bytes, *, mode: int, overwrite: bool,
                    what: str) -> None:
    """Write a key file atomically: it appears complete, with ``mode``, or not at all."""
    path = Path(path)
    try:
        if not overwrite:
            _create_exclusive(path, data, mode=mode)
            return
        temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        _create_exclusive(temporary, data, mode=mode)
        try:
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except FileExistsError:
        raise CertificateError([Problem("", "the file already exists; it was left unchanged",
                                        "choose another name, or allow overwriting (--force)")],
                               source=str(path), what=what) from None
    except OSError as exc:
        raise CertificateError([Problem("", f"cannot write the file: {exc.strerror}",
                                        "check the folder exists and is writable")],
                               source=str(path), what=what) from None


def write_private_key(path: str | Path, key: Ed25519PrivateKey, *, passphrase: bytes | None,
                      overwrite: bool = False) -> None:
    """Write ``key`` as PKCS#8 PEM, readable by its owner only (mode 0600).

    Encrypted with ``passphrase`` when one is given. An existing file is never replaced
    unless ``overwrite``: overwriting a signing key loses it for good.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    _write_key_file(path, pem, mode=0o600, overwrite=overwrite, what="private key")


def write_public_key(path: str | Path, public_key: Ed25519PublicKey, *,
                     overwrite: bool = False) -> None:
    """Write ``public_key`` as SubjectPublicKeyInfo PEM (what ``openssl pkey -pubin`` reads)."""
    pem = public_key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_key_file(path, pem, mode=0o644, overwrite=overwrite, what="public key")


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise CertificateError([Problem("", f"cannot read the file: {exc.strerror}",
                                        "check the path")], source=str(path), what=what) from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise CertificateError([Problem("", f"larger than {MAX_KEY_FILE_BYTES} bytes",
                                        "a key file is a few hundred bytes of PEM")],
                               source=str(path), what=what)
    return data


def load_private_key(path: str | Path, *, passphrase: bytes | None) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PKCS#8 PEM, encrypted or not) written by solidcheck."""
    path = Path(path)
    data = _read_key_file(path, "private key")

    def fail(message: str, fix: str) -> CertificateError:
        return CertificateError([Problem("", message, fix)], source=str(path), what="private key")

    if b"PRIVATE KEY-----" not in data:
        hint = ("this is a public key; certify with the private key (the .key file)"
                if b"PUBLIC KEY-----" in data else "give the .key file written by "
                "`solidcheck keys generate`")
        raise fail("not a PEM private key", hint)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except TypeError:
        if passphrase:
            raise fail("a passphrase was given but the key is not encrypted",
                       "unset the passphrase (SOLIDCHECK_KEY_PASSPHRASE)") from None
        raise fail("the key is encrypted and no passphrase was given",
                   "give its passphrase (the command line reads SOLIDCHECK_KEY_PASSPHRASE)"
                   ) from None
    except ValueError:
        if passphrase and b"ENCRYPTED" in data:
            raise fail("wrong passphrase: the key cannot be decrypted",
                       "give the passphrase the key was written with") from None
        raise fail("the PEM cannot be read as a private key", "give the .key file written by "
                   "`solidcheck keys generate`") from None
    except UnsupportedAlgorithm:
        raise fail("the key's algorithm is not supported", "use an Ed25519 key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise fail(f"not an Ed25519 key ({type(key).__name__})",
                   "certificates are signed with Ed25519: `solidcheck keys generate`")
    return key


def parse_public_key(text: str | bytes, *, source: str | None = None) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo) or the base64 of its 32 bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text

    def fail(message: str, fix: str) -> CertificateError:
        return CertificateError([Problem("", message, fix)], source=source, what="public key")

    if b"PRIVATE KEY-----" in data:
        raise fail("this is a private key, not a public key",
                   "give the .pub file (never hand a private key to a verifier)")
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise fail("the PEM cannot be read as a public key",
                       "give the .pub file written by `solidcheck keys generate`") from None
        if not isinstance(key, Ed25519PublicKey):
            raise fail(f"not an Ed25519 key ({type(key).__name__})", "give an Ed25519 key")
        return key
    raw_key = _public_from_base64(data.strip())
    if raw_key is None:
        raise fail("neither PEM nor the base64 of a 32-byte Ed25519 public key",
                   "give the .pub file, or issuer.public_key from a certificate")
    return raw_key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a public key file: PEM, or the base64 of the raw 32-byte key."""
    path = Path(path)
    return parse_public_key(_read_key_file(path, "public key"), source=str(path))


def _public_from_base64(data: str | bytes) -> Ed25519PublicKey | None:
    """The key whose raw 32 bytes ``data`` encodes, or None if it encodes no such key."""
    raw = _b64decode(data)
    if raw is None or len(raw) != 32:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


def _b64decode(data: str | bytes) -> bytes | None:
    """Strict standard base64 (padding required, no stray characters), or None."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Reject non-canonical encodings (unused low bits set) so one value has one spelling.
    encoded = data.encode("ascii") if isinstance(data, str) else data
    return raw if base64.b64encode(raw) == encoded else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- certificates


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value: what is hashed and signed."""
    data: bytes = rfc8785.dumps(value)
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utc_seconds(now: datetime | None) -> str:
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def certify(dossier: str | Path | bytes, *, key: Ed25519PrivateKey, issuer_name: str,
            ruleset: Ruleset | str | None = None, now: datetime | None = None,
            source: str | None = None) -> dict[str, Any]:
    """Classify a dossier (a file path, or its bytes) and sign the result.

    solidcheck classifies the dossier itself, so the certified result is what solidcheck
    says about these exact bytes, not a result someone typed. Raises ``DossierError`` for
    an invalid dossier and ``CertificateError`` for a blank issuer name.
    """
    if isinstance(dossier, bytes):
        data = dossier
    else:
        path = Path(dossier)
        source = source or str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DossierError([Problem("", f"cannot read the file: {exc.strerror}",
                                        "check the path")], source=source) from None
    name = issuer_name.strip()
    if not name or not name.isprintable():
        raise CertificateError([Problem("issuer.name", "blank or not printable text",
                                        "give the issuing organisation's name (--issuer)")])
    parsed = parse_dossier(data, source=source or "<bytes>")
    result = classify(parsed, ruleset)
    public_key = key.public_key()
    body: dict[str, Any] = {
        "format": CERTIFICATE_FORMAT,
        "version": CERTIFICATE_VERSION,
        "issued_at": _utc_seconds(now),
        "issuer": {"name": name, "key_fingerprint": fingerprint(public_key),
                   "public_key": _b64(_raw_public(public_key))},
        "subject": {
            "dossier_id": parsed.id,
            "dossier_sha256": _sha256(data),
            "dossier_canonical_sha256": _sha256(canonical_json(parsed.model_dump(mode="json"))),
            "evidence": [{"kind": item.kind, "file": item.file, "sha256": item.sha256}
                         for item in parsed.evidence],
        },
        "result": result.model_dump(mode="json"),
    }
    signature = key.sign(canonical_json(body))
    return {**body, "signature": {"algorithm": SIGNATURE_ALGORITHM, "value": _b64(signature)}}


def certificate_bytes(cert: Mapping[str, Any]) -> bytes:
    """The certificate file: canonical JSON of the whole certificate and one newline."""
    return canonical_json(cert) + b"\n"


def certificate_digest(cert: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the certificate file's bytes: names this exact certificate."""
    return _sha256(certificate_bytes(cert))


def verification_payload(cert: Mapping[str, Any]) -> str:
    """The short string for a QR code: ``SCV1:<fingerprint 16 hex>:<file SHA-256>:<code>``.

    Enough to look the certificate up and to check a copy of it against the printed page
    (see docs/certificates.md); it is not itself signed.
    """
    issuer_fingerprint = str(cert["issuer"]["key_fingerprint"]).removeprefix("sha256:")
    code = str(cert["result"]["code"])
    return f"{PAYLOAD_PREFIX}:{issuer_fingerprint[:16]}:{certificate_digest(cert)}:{code}"


# --------------------------------------------------------------------------- parsing


class _Member(BaseModel):
    # Types are strict (a certificate is produced by software, not typed by hand); unknown
    # members are kept, to be reported as a failed check rather than as a malformed file.
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class _Issuer(_Member):
    name: str
    key_fingerprint: str
    public_key: str


class _EvidenceRef(_Member):
    kind: str
    file: str
    sha256: str


class _Subject(_Member):
    dossier_id: str
    dossier_sha256: str
    dossier_canonical_sha256: str
    evidence: list[_EvidenceRef]


class _Signature(_Member):
    algorithm: str
    value: str


class _Envelope(_Member):
    format: str
    version: int
    issued_at: str
    issuer: _Issuer
    subject: _Subject
    result: dict[str, Any]
    signature: _Signature


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _malformed(message: str, fix: str, *, path: str = "",
               source: str | None = None) -> CertificateError:
    return CertificateError([Problem(path, message, fix)], source=source)


def parse_certificate(data: bytes, *, source: str | None = None) -> dict[str, Any]:
    """The certificate in ``data`` as a mapping, once its structure has been checked.

    Raises ``CertificateError`` listing every problem when it is not a well-formed
    certificate (not UTF-8, not JSON, not an object, missing members, wrong types). Says
    nothing about its validity: that is ``verify``.
    """
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise _malformed(f"larger than {MAX_CERTIFICATE_BYTES} bytes",
                         "a certificate is a few kilobytes of JSON", source=source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"not UTF-8 text (byte {exc.start})",
                         "give the certificate file exactly as it was written",
                         source=source) from None
    try:
        parsed = json.loads(text, object_pairs_hook=reject_repeated_keys,
                            parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise _malformed(f"not valid JSON: {exc.msg}",
                         "give the certificate file exactly as it was written",
                         path=f"line {exc.lineno}, column {exc.colno}", source=source) from None
    except RecursionError:
        raise _malformed("nested too deeply to read", "give a certificate file",
                         source=source) from None
    except ValueError as exc:  # a repeated key, NaN, an integer with thousands of digits
        raise _malformed(f"not valid JSON for a certificate: {exc}",
                         "give the certificate file exactly as it was written",
                         source=source) from None
    if not isinstance(parsed, dict):
        raise _malformed(f"a certificate is a JSON object, got {type(parsed).__name__}",
                         "give a file written by `solidcheck certify`", source=source)
    try:
        _Envelope.model_validate(parsed)
    except ValidationError as exc:
        problems = [Problem(p.path, p.message) for p in problems_from(exc, _Envelope)]
        problems[0] = Problem(problems[0].path, problems[0].message,
                              "give the certificate exactly as `solidcheck certify` wrote it")
        raise CertificateError(problems, source=source) from None
    try:
        canonical_json(parsed)
    except (rfc8785.CanonicalizationError, RecursionError) as exc:
        raise _malformed(f"holds a value RFC 8785 JSON cannot represent: {exc}",
                         "give the certificate file exactly as it was written",
                         source=source) from None
    return parsed


def load_certificate(path: str | Path) -> dict[str, Any]:
    """Read and structurally check a certificate file (see ``parse_certificate``)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _malformed(f"cannot read the file: {exc.strerror}", "check the path",
                         source=str(path)) from None
    return parse_certificate(data, source=str(path))


# --------------------------------------------------------------------------- trust list


class TrustedIssuer(BaseModel):
    """One issuer whose key the verifier trusts."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(min_length=1, max_length=200)
    fingerprint: str = Field(pattern=_FINGERPRINT.pattern,
                             description="sha256:<64 lowercase hex>, as `keys fingerprint` prints")
    public_key: str | None = Field(default=None, description="base64 of the raw 32-byte key")

    @model_validator(mode="after")
    def _key_matches_fingerprint(self) -> TrustedIssuer:
        if self.public_key is None:
            return self
        key = _public_from_base64(self.public_key.strip())
        if key is None:
            raise ValueError("public_key is not the base64 of a 32-byte Ed25519 public key; "
                             "copy issuer.public_key from a certificate, or remove it")
        actual = fingerprint(key)
        if actual != self.fingerprint:
            raise ValueError(f"public_key does not match fingerprint (the key's is {actual}); "
                             "one of them was mistyped")
        return self


class TrustedIssuers(BaseModel):
    """The issuers a verifier trusts, by key fingerprint (a TOML file of ``[[issuer]]``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    issuer: list[TrustedIssuer] = Field(min_length=1)

    @model_validator(mode="after")
    def _fingerprints_unique(self) -> TrustedIssuers:
        seen: dict[str, str] = {}
        for entry in self.issuer:
            if entry.fingerprint in seen and seen[entry.fingerprint] != entry.name:
                raise ValueError(f"fingerprint {entry.fingerprint} is listed for both "
                                 f"{seen[entry.fingerprint]!r} and {entry.name!r}; keep one")
            seen[entry.fingerprint] = entry.name
        return self

    def find(self, key_fingerprint: str) -> TrustedIssuer | None:
        """The trusted issuer with this key fingerprint, if any."""
        return next((e for e in self.issuer if e.fingerprint == key_fingerprint), None)


def parse_trusted_issuers(text: str, *, source: str = "<string>") -> TrustedIssuers:
    """Parse and validate a trusted-issuers TOML text; every problem in one error."""
    what = "trusted-issuers file"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CertificateError([Problem("", f"not valid TOML: {exc}", "fix the TOML syntax")],
                               source=source, what=what) from None
    try:
        return TrustedIssuers.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, TrustedIssuers)
        for i, problem in enumerate(problems):
            if problem.path == "issuer" and not problem.fix:
                problems[i] = Problem(problem.path, problem.message, 'add [[issuer]] tables with '
                                      'name = "…" and fingerprint = "sha256:…"')
        raise CertificateError(problems, source=source, what=what) from None


def load_trusted_issuers(path: str | Path) -> TrustedIssuers:
    """Read a trusted-issuers TOML file (docs/certificates.md)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CertificateError([Problem("", f"cannot read the file: {why}", "check the path")],
                               source=str(path), what="trusted-issuers file") from None
    return parse_trusted_issuers(text, source=str(path))


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of ``verify``: valid only if every check passed; every failure listed."""

    valid: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: True/False when checked against ``public_key`` or ``trusted``; None when not checked.
    issuer_trusted: bool | None = None
    issuer_name: str | None = None
    fingerprint: str | None = None
    issued_at: str | None = None
    dossier_id: str | None = None
    ruleset: str | None = None
    category: str | None = None
    code: str | None = None
    #: True when a dossier was given and checked against the certificate.
    dossier_checked: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (``verify --format json``)."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


def _check_issued_at(value: str, now: datetime) -> str | None:
    if not _ISSUED_AT.match(value):
        return (f"issued_at {value!r} is not a UTC time written as YYYY-MM-DDTHH:MM:SSZ")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return f"issued_at {value!r} is not a valid date and time"
    if moment > now + CLOCK_SKEW:
        return (f"issued_at {value} is in the future (now {_utc_seconds(now)}, "
                f"allowing {int(CLOCK_SKEW.total_seconds() // 60)} min of clock skew)")
    return None


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


def verify(data: bytes, *, public_key: Ed25519PublicKey | None = None,
           trusted: TrustedIssuers | None = None, dossier_bytes: bytes | None = None,
           ruleset: Ruleset | None = None, now: datetime | None = None,
           source: str | None = None) -> Verification:
    """Check a certificate file's bytes; return every failed check, never stop at the first.

    ``public_key`` or ``trusted`` say whose signature is acceptable: without either, a
    valid certificate only proves that *someone's* key signed it (``issuer_trusted`` is
    None). With ``dossier_bytes`` the dossier must be the one certified and must classify
    the same; ``ruleset`` is needed only for a rule set that is not installed.
    Raises ``CertificateError`` for a malformed file (not a certificate at all).
    """
    cert = parse_certificate(data, source=source)
    envelope = _Envelope.model_validate(cert)
    now = datetime.now(UTC) if now is None else now.astimezone(UTC)
    reasons: list[str] = []
    warnings: list[str] = []

    # 1. format and version
    if envelope.format != CERTIFICATE_FORMAT:
        reasons.append(f"format is {envelope.format!r}, not {CERTIFICATE_FORMAT!r}")
    if envelope.version != CERTIFICATE_VERSION:
        reasons.append(f"version {envelope.version} is not supported (this solidcheck "
                       f"verifies version {CERTIFICATE_VERSION})")
    unexpected = [f"{where}{name}" for where, model in (
        ("", envelope), ("issuer.", envelope.issuer), ("subject.", envelope.subject),
        ("signature.", envelope.signature)) for name in (model.model_extra or {})]
    unexpected += [f"subject.evidence[{i}].{name}" for i, item in
                   enumerate(envelope.subject.evidence) for name in (item.model_extra or {})]
    if unexpected:
        reasons.append(f"unexpected member(s) {', '.join(unexpected)}: not part of "
                       f"certificate format v{CERTIFICATE_VERSION}")

    # 2. canonical form: the file is exactly what was written, byte for byte
    expected = certificate_bytes(cert)
    if data != expected:
        at = _first_difference(data, expected)
        reasons.append(f"not in canonical form: re-serialised or edited (first difference at "
                       f"byte {at}; a certificate file is its RFC 8785 JSON and one newline)")

    # 3. the issuer's key and its fingerprint
    issuer_key = _public_from_base64(envelope.issuer.public_key)
    if issuer_key is None:
        reasons.append("issuer.public_key is not the base64 of a 32-byte Ed25519 public key, "
                       "so the signature cannot be checked")
    actual_fingerprint = fingerprint(issuer_key) if issuer_key is not None else None
    if actual_fingerprint is not None and actual_fingerprint != envelope.issuer.key_fingerprint:
        reasons.append(f"issuer.key_fingerprint {envelope.issuer.key_fingerprint!r} does not "
                       f"match issuer.public_key (whose fingerprint is {actual_fingerprint})")

    # 4. the signature over everything else
    if envelope.signature.algorithm != SIGNATURE_ALGORITHM:
        reasons.append(f"signature.algorithm is {envelope.signature.algorithm!r}, not "
                       f"{SIGNATURE_ALGORITHM!r}")
    signature = _b64decode(envelope.signature.value)
    if signature is None or len(signature) != 64:
        reasons.append("signature.value is not the base64 of a 64-byte Ed25519 signature: "
                       "the signature was altered")
    elif issuer_key is not None:
        signed = canonical_json({k: v for k, v in cert.items() if k != "signature"})
        try:
            issuer_key.verify(signature, signed)
        except InvalidSignature:
            reasons.append(_SIGNATURE_MISMATCH)

    # 5. whose key: the expected key, the trust list
    issuer_trusted: bool | None = None
    if public_key is not None:
        expected_fingerprint = fingerprint(public_key)
        matches = actual_fingerprint == expected_fingerprint
        issuer_trusted = matches
        if not matches:
            reasons.append(f"issuer.public_key is not the expected key: the certificate was "
                           f"signed by {envelope.issuer.key_fingerprint}, expected "
                           f"{expected_fingerprint}")
    if trusted is not None:
        entry = trusted.find(actual_fingerprint or envelope.issuer.key_fingerprint)
        issuer_trusted = (issuer_trusted is not False) and entry is not None
        if entry is None:
            reasons.append(f"issuer.key_fingerprint {envelope.issuer.key_fingerprint} is not "
                           f"among the trusted issuers (issuer.name says "
                           f"{envelope.issuer.name!r}, which proves nothing by itself)")
        elif entry.name != envelope.issuer.name:
            warnings.append(f"issuer.name {envelope.issuer.name!r} differs from the trusted "
                            f"name {entry.name!r} for this key; the key is what counts")

    # 6. the result: the published Result model, for the subject's dossier
    result: Result | None = None
    try:
        result = Result.model_validate(envelope.result)
    except ValidationError as exc:
        problems = problems_from(exc, Result)
        shown = "; ".join(f"result.{p.path}: {p.message}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        reasons.append(f"result is not a valid solidcheck result: {shown}{more}")
    if result is not None and result.dossier_id != envelope.subject.dossier_id:
        reasons.append(f"subject.dossier_id {envelope.subject.dossier_id!r} differs from "
                       f"result.dossier_id {result.dossier_id!r}")
    for name in ("dossier_sha256", "dossier_canonical_sha256"):
        if not _SHA256_HEX.match(getattr(envelope.subject, name)):
            reasons.append(f"subject.{name} is not a SHA-256 in lowercase hex")
    for i, item in enumerate(envelope.subject.evidence):
        if not _SHA256_HEX.match(item.sha256):
            reasons.append(f"subject.evidence[{i}].sha256 is not a SHA-256 in lowercase hex")

    # 7. when it was issued
    problem = _check_issued_at(envelope.issued_at, now)
    if problem:
        reasons.append(problem)

    # 8. optionally: the dossier is the one certified and classifies the same
    if dossier_bytes is not None:
        _check_dossier(dossier_bytes, envelope, result, ruleset, reasons, warnings)

    category = envelope.result.get("category")
    code = envelope.result.get("code")
    ruleset_id = envelope.result.get("ruleset")
    return Verification(
        valid=not reasons, reasons=reasons, warnings=warnings, issuer_trusted=issuer_trusted,
        issuer_name=envelope.issuer.name,
        fingerprint=actual_fingerprint or envelope.issuer.key_fingerprint,
        issued_at=envelope.issued_at, dossier_id=envelope.subject.dossier_id,
        ruleset=ruleset_id if isinstance(ruleset_id, str) else None,
        category=category if isinstance(category, str) else None,
        code=code if isinstance(code, str) else None,
        dossier_checked=dossier_bytes is not None,
    )


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def result_differences(claimed: Result, computed: Result) -> list[tuple[str, str, str]]:
    """Every field in which a certified result differs from the result computed again from
    its dossier — ``(field, claimed, computed)``, values shown short. The solidcheck version
    that produced each is not compared: a newer solidcheck may certify the same result."""
    mine = claimed.model_dump(mode="json", exclude={"solidcheck_version"})
    theirs = computed.model_dump(mode="json", exclude={"solidcheck_version"})
    return [(name, _shown(mine.get(name)), _shown(theirs.get(name)))
            for name in dict.fromkeys([*mine, *theirs]) if mine.get(name) != theirs.get(name)]


def _check_dossier(data: bytes, envelope: _Envelope, result: Result | None,
                   ruleset: Ruleset | None, reasons: list[str], warnings: list[str]) -> None:
    """The dossier given matches subject's digests, and re-classifies to the same result."""
    subject = envelope.subject
    file_digest = _sha256(data)
    file_matches = file_digest == subject.dossier_sha256
    try:
        dossier = parse_dossier(data, source="the dossier given")
    except InvalidInputError as exc:
        if not file_matches:
            reasons.append(f"subject.dossier_sha256 does not match the dossier given "
                           f"(its SHA-256 is {file_digest}): not the dossier certified")
        reasons.append(f"the dossier given is not a valid dossier, so it cannot be "
                       f"re-classified: {exc.problems[0] if exc.problems else exc}")
        return
    same_content = (_sha256(canonical_json(dossier.model_dump(mode="json")))
                    == subject.dossier_canonical_sha256)
    if not file_matches:
        equivalent = (" — its content is equivalent (subject.dossier_canonical_sha256 "
                      "matches): it was re-formatted, give the file exactly as certified"
                      if same_content else ": not the dossier certified, or it was modified")
        reasons.append(f"subject.dossier_sha256 does not match the dossier given (its SHA-256 "
                       f"is {file_digest}){equivalent}")
    elif not same_content:
        reasons.append("subject.dossier_canonical_sha256 does not match the dossier given")
    if dossier.id != subject.dossier_id:
        reasons.append(f"subject.dossier_id {subject.dossier_id!r} differs from the dossier "
                       f"given's id {dossier.id!r}")
    evidence = [{"kind": e.kind, "file": e.file, "sha256": e.sha256} for e in dossier.evidence]
    listed = [item.model_dump(include={"kind", "file", "sha256"}) for item in subject.evidence]
    if evidence != listed:
        reasons.append("subject.evidence does not list the dossier given's evidence files")
    if result is None:
        return
    rules = ruleset
    if rules is None:
        installed = {r.id: r for r in available_rulesets()}
        rules = installed.get(result.ruleset)
        if rules is None:
            reasons.append(f"result.ruleset {result.ruleset!r} is not installed, so the dossier "
                           f"could not be re-classified; give that rule set's file (--ruleset)")
            return
    elif rules.id != result.ruleset:
        reasons.append(f"result.ruleset is {result.ruleset!r} but the rule set given is "
                       f"{rules.id!r}")
        return
    again = classify(dossier, rules)
    changed = [f"result.{name} {mine} (re-classified: {theirs})"
               for name, mine, theirs in result_differences(result, again)]
    if not changed:
        return
    if result.solidcheck_version != __version__:
        warnings.append(f"re-classifying the dossier with solidcheck {__version__} differs "
                        f"from the certificate (issued with {result.solidcheck_version}): "
                        + "; ".join(changed))
    else:
        reasons.append("re-classifying the dossier gives a different result: "
                       + "; ".join(changed))
