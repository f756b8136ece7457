"""The certificate format: its members, its canonical bytes and digest, the QR payload, and
reading a file into a structurally checked mapping (not yet verified: see ``verification``).

A certificate file is the RFC 8785 (JCS) canonical JSON of the whole certificate and one
``"\\n"``; what is signed is the same canonical JSON without the ``signature`` member.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import rfc8785
from pydantic import BaseModel, ConfigDict, ValidationError

from .._validation import problems_from
from ..dossier import reject_repeated_keys
from ..errors import CertificateError, Problem, file_problem

CERTIFICATE_FORMAT: Final = "solidcheck-certificate"
CERTIFICATE_VERSION: Final = 1
SIGNATURE_ALGORITHM: Final = "Ed25519"
PAYLOAD_PREFIX: Final = "SCV1"
MAX_CERTIFICATE_BYTES: Final = 1_000_000


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value: what is hashed and signed."""
    data: bytes = rfc8785.dumps(value)
    return data


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256: how a certificate names a dossier, evidence and itself."""
    return hashlib.sha256(data).hexdigest()


def utc_seconds(now: datetime | None) -> str:
    """``now`` (default: the present) as ``issued_at`` is written: UTC, whole seconds, ``Z``."""
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def certificate_bytes(cert: Mapping[str, Any]) -> bytes:
    """The certificate file: canonical JSON of the whole certificate and one newline."""
    return canonical_json(cert) + b"\n"


def certificate_digest(cert: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the certificate file's bytes: names this exact certificate."""
    return sha256_hex(certificate_bytes(cert))


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


class Envelope(_Member):
    """A certificate's members with their types checked; their values are ``verify``'s."""

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
        Envelope.model_validate(parsed)
    except ValidationError as exc:
        problems = [Problem(p.path, p.message) for p in problems_from(exc, Envelope)]
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
        raise CertificateError([file_problem(path, exc)], source=str(path)) from None
    return parse_certificate(data, source=str(path))
