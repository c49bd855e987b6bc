"""Open a client session to one configured OPC UA endpoint, with security and clear errors.

Failures become :class:`~assistant.errors.EndpointUnreachable` with one line saying which endpoint and why
(refused connection, timeout, rejected certificate, bad credentials).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

from assistant.config import EndpointSettings
from assistant.errors import EndpointUnreachable
from tools.opcua.asyncua_fixes import fix_datavalue_decoding

CLIENT_APP_URI = "urn:iiot-assistant:client"
fix_datavalue_decoding()  # before any session decodes a DataValue from a server that sends picoseconds


async def ensure_client_certificate(pki_dir: Path) -> tuple[Path, Path]:
    """A self-signed client certificate and key in ``pki_dir`` (generated once)."""
    pki_dir.mkdir(parents=True, exist_ok=True)
    cert, key = pki_dir / "client_cert.der", pki_dir / "client_key.pem"
    if not (cert.exists() and key.exists()):
        await setup_self_signed_certificate(
            key,
            cert,
            CLIENT_APP_URI,
            socket.gethostname(),
            [ExtendedKeyUsageOID.CLIENT_AUTH],
            {"countryName": "DE", "organizationName": "iiot-assistant", "commonName": "iiot-assistant client"},
        )
    return cert, key


def _explain(endpoint: EndpointSettings, exc: BaseException) -> str:
    where = f"OPC UA endpoint {endpoint.url}"
    if isinstance(exc, ConnectionRefusedError | OSError) and not isinstance(exc, TimeoutError):
        return f"cannot reach {where}: connection refused or host unreachable — is the server running?"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"cannot reach {where}: no answer within {endpoint.timeout_s:g} s"
    if isinstance(exc, ua.UaStatusCodeError):
        code = exc.code
        if code in (
            ua.StatusCodes.BadUserAccessDenied,
            ua.StatusCodes.BadIdentityTokenRejected,
            ua.StatusCodes.BadIdentityTokenInvalid,
        ):
            return f"{where} rejected the user name or password (opcua.endpoints.username/password)"
        if code in (
            ua.StatusCodes.BadSecurityChecksFailed,
            ua.StatusCodes.BadCertificateUntrusted,
            ua.StatusCodes.BadCertificateInvalid,
        ):
            return f"{where} refused our client certificate: add it to the server's trust list"
        return f"{where} refused the session: {exc}"
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}"


@contextlib.asynccontextmanager
async def open_session(endpoint: EndpointSettings, pki_dir: Path | None = None) -> AsyncIterator[Client]:
    """Connect, yield the client, disconnect. Raises EndpointUnreachable with an operator-readable message."""
    # asyncua probes the server every watchdog interval and drops the session when a probe takes longer than it
    # (default 1 s): a server busy with one large Browse/Read would lose the session mid-request. Probe no stricter
    # than the request timeout.
    client = Client(endpoint.url, timeout=endpoint.timeout_s, watchdog_intervall=endpoint.timeout_s)
    client.application_uri = CLIENT_APP_URI
    if endpoint.security != "None":
        if pki_dir is None and endpoint.certificate is None:
            raise EndpointUnreachable(f"{endpoint.url}: secure endpoints need a client certificate folder")
        cert, key = (
            (endpoint.certificate, endpoint.private_key)
            if endpoint.certificate and endpoint.private_key
            else await ensure_client_certificate(pki_dir)  # type: ignore[arg-type]
        )
        mode = (
            ua.MessageSecurityMode.Sign
            if endpoint.security.endswith("_Sign")
            else ua.MessageSecurityMode.SignAndEncrypt
        )
        await client.set_security(
            SecurityPolicyBasic256Sha256,
            certificate=str(cert),
            private_key=str(key),
            server_certificate=str(endpoint.server_certificate) if endpoint.server_certificate else None,
            mode=mode,
        )
    if endpoint.username:
        client.set_user(endpoint.username)
        client.set_password(endpoint.password or "")
    try:
        await asyncio.wait_for(client.connect(), timeout=endpoint.timeout_s + 1)
    except EndpointUnreachable:
        raise
    except (TimeoutError, Exception) as exc:  # asyncua raises many kinds; all mean "no session"
        with contextlib.suppress(Exception):
            await client.disconnect()
        raise EndpointUnreachable(_explain(endpoint, exc)) from exc
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), timeout=2)
