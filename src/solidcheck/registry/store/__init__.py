"""The registry's store: the ``Registry`` facade (``facade.py``) over one module per concern
— ``cells`` (dossier versions and results), ``reads``, ``evidence``, ``stored_certificates``,
``issuers``, ``ownership`` (who may write a cell; grants), ``api_keys`` (keys and the actor
format) and ``audit_log`` (the hash chain and ``verify_chain``)."""

from ._shared import sha256_hex
from .api_keys import ROLES, default_actor, key_actor, shown_actor
from .evidence import DEFAULT_MAX_EVIDENCE_BYTES
from .facade import Registry

__all__ = ["DEFAULT_MAX_EVIDENCE_BYTES", "ROLES", "Registry", "default_actor", "key_actor",
           "sha256_hex", "shown_actor"]
