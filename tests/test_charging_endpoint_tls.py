"""OCPP security profile 2 (issue 17 item 1): ``solidcheck serve`` with a
TLS certificate, a station of the simulator connecting over ``wss://`` with HTTP Basic and
trusting only the test's CA, a plain ``ws://`` client refused by the TLS port, and client
certificates required with ``--ssl-ca-certs``. The server is a real ``solidcheck serve``
process; the certificates are made here with ``cryptography``."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from attack_server import SOLIDCHECK_CLI, clean_env, free_port
from ocpp_station import ask, basic
from solidcheck.charging.frame_log import day_file
from solidcheck.charging.simulate import make_config
from solidcheck.charging.simulate.run import simulate
from solidcheck.cli import app as cli_app
from test_charging_endpoint import add_station

#: a hang guard for the server's start, never a measure of speed
START_LIMIT_S = 60.0
BOOT = [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path
    client_cert: Path
    client_key: Path


def _pem_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def _issue(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
           issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool,
           usage: x509.ObjectIdentifier | None = None) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate for 127.0.0.1 and a station's client certificate."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "solidcheck test CA")])
    ca_cert = _issue("solidcheck test CA", ca_key, ca_name, ca_key, ca=True)
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    made = {}
    for who, usage in (("server", ExtendedKeyUsageOID.SERVER_AUTH),
                       ("client", ExtendedKeyUsageOID.CLIENT_AUTH)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(who, key, ca_name, ca_key, ca=False, usage=usage)
        (folder / f"{who}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        made[who] = (folder / f"{who}.pem", _pem_key(key, folder / f"{who}-key.pem"))
    return Pki(folder / "ca.pem", *made["server"], *made["client"])


@dataclass
class TlsServer:
    port: int
    database: str
    log_dir: Path


@contextmanager
def serve_tls(tmp_path: Path, pki: Pki, *more: str) -> Iterator[TlsServer]:
    """``solidcheck serve --ssl-certfile … --ssl-keyfile …`` as a process, until it answers
    https://…/healthz trusting the test's CA (with the client certificate when asked)."""
    database = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    log_dir = tmp_path / "frames"
    port = free_port()
    env = clean_env(tmp_path / "data", SOLIDCHECK_OCPP_LOG_DIR=str(log_dir))
    output = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [SOLIDCHECK_CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--database",
         database, "--ssl-certfile", str(pki.cert), "--ssl-keyfile", str(pki.key), *more],
        env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(pki.client_cert, pki.client_key)
    deadline = time.monotonic() + START_LIMIT_S
    try:
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz",
                                            context=context, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield TlsServer(port, database, log_dir)
    finally:
        process.terminate()
        process.wait(30)
        output.close()


def _wss(server: TlsServer, station: str, password: str, **sslopt: object
         ) -> websocket.WebSocket:
    return websocket.create_connection(
        f"wss://127.0.0.1:{server.port}/ocpp/{station}", timeout=30,
        subprotocols=["ocpp1.6"], header=[basic(station, password)], sslopt=sslopt)


def test_profile_2_a_simulated_station_is_answered_over_wss_and_plain_ws_is_refused(
        tmp_path: Path, pki: Pki) -> None:
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    with serve_tls(tmp_path, pki) as server:
        password = add_station(server.database, "SIM00001")
        config = make_config(stations=1, url=f"wss://127.0.0.1:{server.port}/ocpp",
                             version="1.6", faults="none", seed=3, duration_s=600,
                             speed=600, password=password, ca_file=pki.ca)
        report = asyncio.run(simulate(config)).to_json()
        assert report["errors"] == []
        logged = [json.loads(line) for line in day_file(server.log_dir, datetime.now(UTC))
                  .read_text(encoding="utf-8").splitlines()]
        boots = [row for row in logged if "frame" in row and row["frame"][0] == 2
                 and row["frame"][2] == "BootNotification"]
        assert [row["charge_point_id"] for row in boots] == ["SIM00001"]
        answers = {row["frame"][1] for row in logged
                   if "frame" in row and row["direction"] == "out"}
        assert boots[0]["frame"][1] in answers
        with pytest.raises((websocket.WebSocketException, OSError)):
            websocket.create_connection(f"ws://127.0.0.1:{server.port}/ocpp/SIM00001",
                                        timeout=30, subprotocols=["ocpp1.6"],
                                        header=[basic("SIM00001", password)])
        with pytest.raises(ssl.SSLCertVerificationError):  # the test CA is not the system's
            _wss(server, "SIM00001", password)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            _wss(server, "SIM00001", "wrong", ca_certs=str(pki.ca))
        assert refused.value.status_code == 401  # still HTTP Basic under TLS


def test_with_ssl_ca_certs_a_station_needs_a_client_certificate(tmp_path: Path,
                                                                 pki: Pki) -> None:
    with serve_tls(tmp_path, pki, "--ssl-ca-certs", str(pki.ca)) as server:
        password = add_station(server.database, "CP-TLS")
        ws = _wss(server, "CP-TLS", password, ca_certs=str(pki.ca),
                  certfile=str(pki.client_cert), keyfile=str(pki.client_key))
        assert ask(ws, BOOT)[:2] == [3, "b1"]
        ws.close()
        with pytest.raises((ssl.SSLError, websocket.WebSocketException, OSError)):
            ws = _wss(server, "CP-TLS", password, ca_certs=str(pki.ca))
            ask(ws, BOOT)  # TLS 1.3 may report the refused certificate at the first read


def test_bad_tls_options_are_one_error_listing_each(tmp_path: Path, pki: Pki) -> None:
    result = CliRunner().invoke(cli_app, [
        "serve", "--database", f"sqlite:///{tmp_path / 'r.sqlite3'}",
        "--ssl-certfile", str(tmp_path / "missing.pem"), "--ssl-keyfile", str(pki.key),
        "--ssl-ca-certs", str(tmp_path / "missing-ca.pem")])
    assert result.exit_code == 2
    assert "--ssl-certfile" in result.output and "--ssl-ca-certs" in result.output
    mismatched = CliRunner().invoke(cli_app, [
        "serve", "--ssl-certfile", str(pki.cert), "--ssl-keyfile", str(pki.client_key)])
    assert mismatched.exit_code == 2 and "--ssl-certfile" in mismatched.output
    alone = CliRunner().invoke(cli_app, ["serve", "--ssl-keyfile", str(pki.key)])
    assert alone.exit_code == 2 and "--ssl-keyfile" in alone.output
    simulated = CliRunner().invoke(cli_app, [
        "charging", "simulate", "--url", "ws://127.0.0.1:1/ocpp", "--ca-file",
        str(tmp_path / "missing-ca.pem")])
    assert simulated.exit_code == 2
    assert "2 problems" in simulated.output  # not wss://, and not readable
