"""Verifiable certificates: a classification result signed with an issuer's Ed25519 key.

A certificate says: *the holder of this key classified the dossier with this digest and got
this result*. It does not say the dossier's declarations are true. The format, the checks
and their order are in docs/certificates.md.

What is signed is the RFC 8785 (JCS) canonical JSON of the certificate without its
``signature`` member; the file is the canonical JSON of the whole certificate and one
``"\\n"``, so any change to any byte of the file is detected.

``verify`` runs every check and lists every failure, never stopping at the first: format
and version, canonical form byte for byte, the issuer's key against its fingerprint, the
signature, whose key it is (an expected key or the trust list: a name alone proves
nothing), the result against the published ``Result`` model, ``issued_at`` not in the
future, and, given the dossier, that it is the one certified and classifies the same.

>>> key = generate_key()
>>> cert = certify(b"id: DOC-1\\nelectrolyte: {phases: [liquid]}\\nconducting_ion: lithium\\n",
...                key=key, issuer_name="Example Lab")
>>> check = verify(certificate_bytes(cert), public_key=key.public_key())
>>> check.valid, check.issuer_trusted, check.category
(True, True, 'liquid')

The modules, in dependency order: each imports only those after its arrow, so no cycles::

    keys                                Ed25519 keys, key files, fingerprints, strict base64
    envelope                            the format: canonical bytes, digest, QR payload, parsing
    trust         ◄ keys                the trusted issuers (a TOML file)
    issue         ◄ keys, envelope      ``certify``
    verification  ◄ keys, envelope,     ``verify``, ``Verification`` (its reasons as message ids),
                    trust, i18n         ``result_differences``

This ``__init__`` re-exports what the rest of solidcheck and its tests use; anything else
is imported from its module.
"""

from .envelope import (
    CERTIFICATE_FORMAT,
    MAX_CERTIFICATE_BYTES,
    canonical_json,
    certificate_bytes,
    certificate_digest,
    parse_certificate,
    verification_payload,
)
from .issue import certify
from .keys import (
    fingerprint,
    generate_key,
    issuer_name_problems,
    key_issuer_name,
    load_private_key,
    load_public_key,
    parse_public_key,
    public_key_base64,
    write_private_key,
    write_public_key,
    write_secret_file,
)
from .trust import load_trusted_issuers, parse_trusted_issuers
from .verification import Verification, VerificationReason, result_differences, verify

__all__ = [
    "CERTIFICATE_FORMAT",
    "MAX_CERTIFICATE_BYTES",
    "Verification",
    "VerificationReason",
    "canonical_json",
    "certificate_bytes",
    "certificate_digest",
    "certify",
    "fingerprint",
    "generate_key",
    "issuer_name_problems",
    "key_issuer_name",
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
    "write_secret_file",
]
