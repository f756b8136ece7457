"""The registry's store: the ``Registry`` facade and what it holds."""

from .facade import (
    DEFAULT_MAX_EVIDENCE_BYTES,
    ROLES,
    Registry,
    default_actor,
    key_actor,
    sha256_hex,
    shown_actor,
)

__all__ = ["DEFAULT_MAX_EVIDENCE_BYTES", "ROLES", "Registry", "default_actor", "key_actor",
           "sha256_hex", "shown_actor"]
