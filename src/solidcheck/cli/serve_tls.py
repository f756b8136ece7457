"""``solidcheck serve``'s TLS options (OCPP security profile 2: stations connect with
``wss://`` and still send HTTP Basic): the files checked before uvicorn starts, so a wrong
path or a key that does not match its certificate is one error listing every problem (exit 2)
rather than a traceback from inside the server.

``--ssl-ca-certs`` also makes the server ask every client for a certificate signed by those
CAs (the TLS half of profile 3); the station's identity still comes from HTTP Basic.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError, Problem
from ..i18n import message
from .common import language

__all__ = ["tls_options"]


def _say(message_key: str, **params: object) -> str:
    return message(f"charging.tls.{message_key}", {k: str(v) for k, v in params.items()},
                   language())


def _readable(option: str, path: Path, problems: list[Problem]) -> bool:
    if not path.is_file():
        problems.append(Problem(option, _say("not_a_file", path=path), _say("pem_fix")))
        return False
    return True


def tls_options(*, certfile: Path | None, keyfile: Path | None,
                ca_certs: Path | None) -> dict[str, Any]:
    """uvicorn's ``ssl_*`` keyword arguments (empty without ``certfile``)."""
    problems: list[Problem] = []
    if certfile is None:
        for option, given in (("--ssl-keyfile", keyfile), ("--ssl-ca-certs", ca_certs)):
            if given is not None:
                problems.append(Problem(option, _say("without_cert"), _say("without_cert_fix")))
        if problems:
            raise InvalidInputError(problems)
        return {}
    cert_ok = _readable("--ssl-certfile", certfile, problems)
    key_ok = keyfile is None or _readable("--ssl-keyfile", keyfile, problems)
    if cert_ok and key_ok:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile,
                                                                                keyfile)
        except (ssl.SSLError, OSError) as exc:
            problems.append(Problem("--ssl-certfile", _say(
                "cert_unusable", cert=certfile, key=keyfile or certfile, why=exc),
                _say("cert_fix")))
    if ca_certs is not None and _readable("--ssl-ca-certs", ca_certs, problems):
        try:
            ssl.create_default_context(cafile=str(ca_certs))
        except (ssl.SSLError, OSError) as exc:
            problems.append(Problem("--ssl-ca-certs", _say("ca_unusable", path=ca_certs,
                                                           why=exc), _say("ca_fix")))
    if problems:
        raise InvalidInputError(problems)
    options: dict[str, Any] = {"ssl_certfile": str(certfile)}
    if keyfile is not None:
        options["ssl_keyfile"] = str(keyfile)
    if ca_certs is not None:
        options |= {"ssl_ca_certs": str(ca_certs), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return options
