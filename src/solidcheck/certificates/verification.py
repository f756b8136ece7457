"""Verifying a certificate: every check, in the order of docs/certificates.md, each failure
listed; and, given the dossier, its digests and its classification compared again.

Each failure and warning is a :class:`VerificationReason` — a message id of the catalogue
(``i18n/cli.toml``, ``verify.*``) and its parameters — rendered in the reader's language when
shown; ``Verification.reasons`` keeps the English text for existing consumers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from .._validation import problems_from
from .._version import __version__
from ..classify import classify
from ..dossier import parse_dossier
from ..errors import InvalidInputError
from ..i18n import Display, Param, message
from ..model import Result
from ..rules import Ruleset, available_rulesets
from .envelope import (
    CERTIFICATE_FORMAT,
    CERTIFICATE_VERSION,
    SIGNATURE_ALGORITHM,
    Envelope,
    canonical_json,
    certificate_bytes,
    parse_certificate,
    sha256_hex,
    utc_seconds,
)
from .keys import decode_base64, fingerprint, public_key_from_base64
from .trust import TrustedIssuers

#: How far in the future ``issued_at`` may be: the issuer's and the verifier's clocks differ.
CLOCK_SKEW: Final = timedelta(minutes=5)

_ISSUED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_SIGNED_MEMBERS = ["format", "version", "issued_at", "issuer", "subject", "result"]


@dataclass(frozen=True, slots=True)
class VerificationReason:
    """One failed check (or warning): a message id of the catalogue and its parameters."""

    message_id: str
    params: dict[str, Param] = field(default_factory=dict)

    def text(self, lang: Display = "en") -> str:
        return message(self.message_id, self.params, lang)

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "params": self.params}


def _reason(message_id: str, **params: Param) -> VerificationReason:
    return VerificationReason(message_id, params)


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of ``verify``: valid only if every check passed; every failure listed.

    ``failures`` and ``cautions`` are the reasons as data (rendered by :meth:`reasons_in`
    and :meth:`warnings_in`); ``reasons`` and ``warnings`` are the same in English."""

    valid: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: True/False when checked against ``public_key`` or ``trusted``; None when not checked,
    #: or when the signature does not verify (then nothing shows whose content it is).
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
    failures: list[VerificationReason] = field(default_factory=list)
    cautions: list[VerificationReason] = field(default_factory=list)
    #: True when the certificate's key is a valid Ed25519 key of the stated fingerprint and
    #: its signature verifies over the signed content: only then does anything it claims
    #: (the issuer, the cell, the result) come from the key's holder.
    signature_verified: bool = False

    def reasons_in(self, lang: Display) -> list[str]:
        """Every failed check, in ``lang``."""
        return [reason.text(lang) for reason in self.failures]

    def warnings_in(self, lang: Display) -> list[str]:
        """Every warning, in ``lang``."""
        return [reason.text(lang) for reason in self.cautions]

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (``verify --format json``): as it has always been,
        the reasons in English."""
        return {item.name: getattr(self, item.name) for item in fields(self)
                if item.name not in ("failures", "cautions")}


def _check_issued_at(value: str, now: datetime) -> VerificationReason | None:
    if not _ISSUED_AT.match(value):
        return _reason("verify.issued_at_format", value=value)
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return _reason("verify.issued_at_invalid", value=value)
    if moment > now + CLOCK_SKEW:
        return _reason("verify.issued_at_future", value=value, now=utc_seconds(now),
                       skew_min=int(CLOCK_SKEW.total_seconds() // 60))
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
    envelope = Envelope.model_validate(cert)
    now = datetime.now(UTC) if now is None else now.astimezone(UTC)
    reasons: list[VerificationReason] = []
    warnings: list[VerificationReason] = []

    # 1. format and version
    if envelope.format != CERTIFICATE_FORMAT:
        reasons.append(_reason("verify.format", found=str(envelope.format),
                               expected=CERTIFICATE_FORMAT))
    if envelope.version != CERTIFICATE_VERSION:
        reasons.append(_reason("verify.version", version=str(envelope.version),
                               supported=str(CERTIFICATE_VERSION)))
    unexpected = [f"{where}{name}" for where, model in (
        ("", envelope), ("issuer.", envelope.issuer), ("subject.", envelope.subject),
        ("signature.", envelope.signature)) for name in (model.model_extra or {})]
    unexpected += [f"subject.evidence[{i}].{name}" for i, item in
                   enumerate(envelope.subject.evidence) for name in (item.model_extra or {})]
    if unexpected:
        reasons.append(_reason("verify.unexpected_members", members=unexpected,
                               version=str(CERTIFICATE_VERSION)))

    # 2. canonical form: the file is exactly what was written, byte for byte
    expected = certificate_bytes(cert)
    if data != expected:
        at = _first_difference(data, expected)
        reasons.append(_reason("verify.not_canonical", byte=at))

    # 3. the issuer's key and its fingerprint
    issuer_key = public_key_from_base64(envelope.issuer.public_key)
    if issuer_key is None:
        reasons.append(_reason("verify.public_key_invalid"))
    actual_fingerprint = fingerprint(issuer_key) if issuer_key is not None else None
    if actual_fingerprint is not None and actual_fingerprint != envelope.issuer.key_fingerprint:
        reasons.append(_reason("verify.fingerprint_mismatch",
                               stated=envelope.issuer.key_fingerprint, actual=actual_fingerprint))

    # 4. the signature over everything else
    if envelope.signature.algorithm != SIGNATURE_ALGORITHM:
        reasons.append(_reason("verify.algorithm", found=str(envelope.signature.algorithm),
                               expected=SIGNATURE_ALGORITHM))
    signature = decode_base64(envelope.signature.value)
    signature_verified = False
    if signature is None or len(signature) != 64:
        reasons.append(_reason("verify.signature_value_invalid"))
    elif issuer_key is not None:
        signed = canonical_json({k: v for k, v in cert.items() if k != "signature"})
        try:
            issuer_key.verify(signature, signed)
            signature_verified = (actual_fingerprint == envelope.issuer.key_fingerprint
                                  and envelope.signature.algorithm == SIGNATURE_ALGORITHM)
        except InvalidSignature:
            reasons.append(_reason("verify.signature_mismatch", members=_SIGNED_MEMBERS))

    # 5. whose key: the expected key, the trust list
    issuer_trusted: bool | None = None
    if public_key is not None:
        expected_fingerprint = fingerprint(public_key)
        matches = actual_fingerprint == expected_fingerprint
        issuer_trusted = matches
        if not matches:
            reasons.append(_reason("verify.not_expected_key",
                                   signed_by=envelope.issuer.key_fingerprint,
                                   expected=expected_fingerprint))
    if trusted is not None:
        entry = trusted.find(actual_fingerprint or envelope.issuer.key_fingerprint)
        issuer_trusted = (issuer_trusted is not False) and entry is not None
        if entry is None:
            reasons.append(_reason("verify.not_trusted",
                                   fingerprint=envelope.issuer.key_fingerprint,
                                   name=envelope.issuer.name))
        elif entry.name != envelope.issuer.name:
            warnings.append(_reason("verify.trusted_name_differs", name=envelope.issuer.name,
                                    trusted_name=entry.name))

    # 6. the result: the published Result model, for the subject's dossier
    result: Result | None = None
    try:
        result = Result.model_validate(envelope.result)
    except ValidationError as exc:
        problems = problems_from(exc, Result)
        shown = "; ".join(f"result.{p.path}: {p.message}" for p in problems[:5])
        reasons.append(_reason("verify.result_invalid_more", problems=shown,
                               more=len(problems) - 5) if len(problems) > 5
                       else _reason("verify.result_invalid", problems=shown))
    if result is not None and result.dossier_id != envelope.subject.dossier_id:
        reasons.append(_reason("verify.subject_result_id", subject=envelope.subject.dossier_id,
                               result=result.dossier_id))
    for name in ("dossier_sha256", "dossier_canonical_sha256"):
        if not _SHA256_HEX.match(getattr(envelope.subject, name)):
            reasons.append(_reason("verify.digest_not_hex", field=f"subject.{name}"))
    for i, item in enumerate(envelope.subject.evidence):
        if not _SHA256_HEX.match(item.sha256):
            reasons.append(_reason("verify.digest_not_hex",
                                   field=f"subject.evidence[{i}].sha256"))

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
        valid=not reasons, reasons=[reason.text() for reason in reasons],
        warnings=[warning.text() for warning in warnings], failures=reasons, cautions=warnings,
        issuer_trusted=issuer_trusted if signature_verified else None,
        signature_verified=signature_verified,
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


def _check_dossier(data: bytes, envelope: Envelope, result: Result | None,
                   ruleset: Ruleset | None, reasons: list[VerificationReason],
                   warnings: list[VerificationReason]) -> None:
    """The dossier given matches subject's digests, and re-classifies to the same result."""
    subject = envelope.subject
    file_digest = sha256_hex(data)
    file_matches = file_digest == subject.dossier_sha256
    try:
        dossier = parse_dossier(data, source="the dossier given")
    except InvalidInputError as exc:
        if not file_matches:
            reasons.append(_reason("verify.dossier_not_certified", digest=file_digest))
        reasons.append(_reason("verify.dossier_not_valid",
                               problem=str(exc.problems[0] if exc.problems else exc)))
        return
    same_content = (sha256_hex(canonical_json(dossier.model_dump(mode="json")))
                    == subject.dossier_canonical_sha256)
    if not file_matches:
        reasons.append(_reason("verify.dossier_reformatted" if same_content
                               else "verify.dossier_modified", digest=file_digest))
    elif not same_content:
        reasons.append(_reason("verify.canonical_mismatch"))
    if dossier.id != subject.dossier_id:
        reasons.append(_reason("verify.dossier_id_differs", subject=subject.dossier_id,
                               given=dossier.id))
    evidence = [{"kind": e.kind, "file": e.file, "sha256": e.sha256} for e in dossier.evidence]
    listed = [item.model_dump(include={"kind", "file", "sha256"}) for item in subject.evidence]
    if evidence != listed:
        reasons.append(_reason("verify.evidence_differs"))
    if result is None:
        return
    rules = ruleset
    if rules is None:
        installed = {r.id: r for r in available_rulesets()}
        rules = installed.get(result.ruleset)
        if rules is None:
            reasons.append(_reason("verify.ruleset_not_installed", ruleset=result.ruleset))
            return
    elif rules.id != result.ruleset:
        reasons.append(_reason("verify.ruleset_differs", ruleset=result.ruleset, given=rules.id))
        return
    again = classify(dossier, rules)
    changed = "; ".join(f"result.{name} {mine} → {theirs}"
                        for name, mine, theirs in result_differences(result, again))
    if not changed:
        return
    if result.solidcheck_version != __version__:
        warnings.append(_reason("verify.reclassified_newer", version=__version__,
                                issued_with=result.solidcheck_version, changes=changed))
    else:
        reasons.append(_reason("verify.reclassified_differs", changes=changed))
