"""The trust list: the issuers a verifier accepts, by key fingerprint (a TOML file).

A certificate names its issuer, but a name proves nothing: only the key fingerprint,
matched against this list (or against one expected key), says whose signature it is.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .._validation import problems_from
from ..errors import CertificateError, Problem, file_problem
from .keys import fingerprint, public_key_from_base64

_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


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
        key = public_key_from_base64(self.public_key.strip())
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
    except OSError as exc:
        raise CertificateError([file_problem(path, exc)], source=str(path),
                               what="trusted-issuers file") from None
    except UnicodeDecodeError:
        raise CertificateError([Problem("", "cannot read the file: not UTF-8 text",
                                        "save it as UTF-8")], source=str(path),
                               what="trusted-issuers file") from None
    return parse_trusted_issuers(text, source=str(path))
