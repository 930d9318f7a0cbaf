"""A self-signed certificate for ``serve --tls``, kept in the data dir and reused.

One ECDSA P-256 certificate, its own issuer (so a client trusts it by loading it as its CA
file), valid for ``localhost``, ``127.0.0.1``, ``::1`` and the bind host. Later starts reuse
it while it covers the names and is not about to expire, so clients can keep trusting it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TlsFiles", "client_context", "ensure_certificate", "server_context"]

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
VALID_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=1)


@dataclass(frozen=True)
class TlsFiles:
    """Where the certificate (also the CA file clients load) and its private key live."""

    cert: Path
    key: Path


def _wanted_names(host: str) -> tuple[set[str], set[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    dns = {"localhost"}
    ips: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        if host:
            dns.add(host)
    else:
        if not addr.is_unspecified:
            ips.add(addr)
    return dns, ips


def _reusable(files: TlsFiles, host: str, now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        serialization.load_pem_private_key(files.key.read_bytes(), password=None)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    dns, ips = _wanted_names(host)
    covered = dns <= set(san.get_values_for_type(x509.DNSName)) and ips <= set(
        san.get_values_for_type(x509.IPAddress)
    )
    return covered and cert.not_valid_after_utc - RENEW_BEFORE > now


def _write_private(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def ensure_certificate(directory: Path, host: str = "127.0.0.1") -> TlsFiles:
    """The data dir's certificate for ``host``: reused when still good, else generated."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / CERT_NAME, directory / KEY_NAME)
    now = dt.datetime.now(dt.UTC)
    if _reusable(files, host, now):
        return files
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nrdp fake backend"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        ]
    )
    dns, ips = _wanted_names(host)
    san = [x509.DNSName(d) for d in sorted(dns)] + [x509.IPAddress(i) for i in sorted(ips, key=str)]
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(files.key, key_pem, 0o600)
    _write_private(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return files


def server_context(files: TlsFiles) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(files.cert, files.key)
    return ctx


def client_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts exactly this certificate (hostname checked)."""
    return ssl.create_default_context(cafile=str(cert))
