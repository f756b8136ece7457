"""Issuing a certificate: classify a dossier's exact bytes and sign the result."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..classify import classify
from ..dossier import parse_dossier
from ..errors import CertificateError, DossierError, Problem, file_problem
from ..rules import Ruleset
from .envelope import (
    CERTIFICATE_FORMAT,
    CERTIFICATE_VERSION,
    SIGNATURE_ALGORITHM,
    canonical_json,
    sha256_hex,
    utc_seconds,
)
from .keys import encode_base64, fingerprint, public_key_base64


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
            raise DossierError([file_problem(path, exc)], source=source) from None
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
        "issued_at": utc_seconds(now),
        "issuer": {"name": name, "key_fingerprint": fingerprint(public_key),
                   "public_key": public_key_base64(public_key)},
        "subject": {
            "dossier_id": parsed.id,
            "dossier_sha256": sha256_hex(data),
            "dossier_canonical_sha256": sha256_hex(
                canonical_json(parsed.model_dump(mode="json"))),
            "evidence": [{"kind": item.kind, "file": item.file, "sha256": item.sha256}
                         for item in parsed.evidence],
        },
        "result": result.model_dump(mode="json"),
    }
    signature = key.sign(canonical_json(body))
    return {**body, "signature": {"algorithm": SIGNATURE_ALGORITHM,
                                  "value": encode_base64(signature)}}
