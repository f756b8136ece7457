"""Ed25519 keys: generating them, their fingerprint and base64 form, and key files.

A private key file is PKCS#8 PEM (encrypted with a passphrase or not), written readable by
its owner only; a public key is SubjectPublicKeyInfo PEM or the base64 of its raw 32 bytes.
The strict base64 used for keys and signatures lives here too: one value, one spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import CertificateError, Problem, file_problem

MAX_KEY_FILE_BYTES: Final = 100_000

#: the line before a private key's PEM block that names its issuer (RFC 7468 allows text
#: before the block; OpenSSL and cryptography skip it), so the name travels with the key
ISSUER_LINE: Final = "solidcheck-issuer: "
MAX_ISSUER_NAME_CHARS: Final = 200


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
    return encode_base64(_raw_public(public_key))


def public_key_from_base64(data: str | bytes) -> Ed25519PublicKey | None:
    """The key whose raw 32 bytes ``data`` encodes, or None if it encodes no such key."""
    raw = decode_base64(data)
    if raw is None or len(raw) != 32:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return None


def decode_base64(data: str | bytes) -> bytes | None:
    """Strict standard base64 (padding required, no stray characters), or None."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Reject non-canonical encodings (unused low bits set) so one value has one spelling.
    encoded = data.encode("ascii") if isinstance(data, str) else data
    return raw if base64.b64encode(raw) == encoded else None


def encode_base64(data: bytes) -> str:
    """Standard base64 with padding, as text: how keys and signatures are written."""
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------- key files


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


def issuer_name_problems(name: str) -> list[Problem]:
    """Why ``name`` cannot be an issuer's name kept with a key (empty when it can)."""
    problems = []
    if not name.strip():
        problems.append(Problem("--name", "the issuer's name is empty",
                                "give the organisation's name, e.g. --name \"Example Lab\""))
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        problems.append(Problem("--name", "the issuer's name holds a control character "
                                "(a line break, a tab)", "write the name on one line"))
    if len(name) > MAX_ISSUER_NAME_CHARS:
        problems.append(Problem("--name", f"the issuer's name is longer than "
                                f"{MAX_ISSUER_NAME_CHARS} characters", "shorten it"))
    return problems


def write_private_key(path: str | Path, key: Ed25519PrivateKey, *, passphrase: bytes | None,
                      overwrite: bool = False, issuer_name: str | None = None) -> None:
    """Write ``key`` as PKCS#8 PEM, readable by its owner only (mode 0600).

    Encrypted with ``passphrase`` when one is given. An existing file is never replaced
    unless ``overwrite``: overwriting a signing key loses it for good. ``issuer_name`` is
    written on a line before the PEM block: the name certificates are issued under by
    default (:func:`key_issuer_name`).
    """
    if issuer_name is not None:
        problems = issuer_name_problems(issuer_name)
        if problems:
            raise CertificateError(problems, source=str(path), what="private key")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    if issuer_name is not None:
        line = ISSUER_LINE + json.dumps(issuer_name.strip(), ensure_ascii=False) + "\n"
        pem = line.encode("utf-8") + pem
    _write_key_file(path, pem, mode=0o600, overwrite=overwrite, what="private key")


def key_issuer_name(path: str | Path) -> str | None:
    """The issuer's name kept in a private key file (``keys generate --name``), or None for
    a key written without one (older key files: the caller falls back to the file's name)."""
    data = _read_key_file(Path(path), "private key")
    head = data.split(b"-----BEGIN", 1)[0].decode("utf-8", errors="replace")
    for line in head.splitlines():
        if line.startswith(ISSUER_LINE):
            try:
                name = json.loads(line.removeprefix(ISSUER_LINE))
            except ValueError:
                return None
            return name if isinstance(name, str) and not issuer_name_problems(name) else None
    return None


def write_public_key(path: str | Path, public_key: Ed25519PublicKey, *,
                     overwrite: bool = False) -> None:
    """Write ``public_key`` as SubjectPublicKeyInfo PEM (what ``openssl pkey -pubin`` reads)."""
    pem = public_key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_key_file(path, pem, mode=0o644, overwrite=overwrite, what="public key")


def write_secret_file(path: str | Path, secret: str, *, what: str) -> None:
    """Write a secret (an API key) as one line, readable by its owner only (mode 0600 from
    the start); an existing file is never replaced, so a key still in use is not lost."""
    _write_key_file(path, (secret + "\n").encode("ascii"), mode=0o600, overwrite=False,
                    what=what)


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise CertificateError([file_problem(path, exc)], source=str(path), what=what) from None
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
    raw_key = public_key_from_base64(data.strip())
    if raw_key is None:
        raise fail("neither PEM nor the base64 of a 32-byte Ed25519 public key",
                   "give the .pub file, or issuer.public_key from a certificate")
    return raw_key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a public key file: PEM, or the base64 of the raw 32-byte key."""
    path = Path(path)
    return parse_public_key(_read_key_file(path, "public key"), source=str(path))
