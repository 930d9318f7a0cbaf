"""``Backend(tls=True)``: every site over HTTPS with the data dir's self-signed certificate."""

from __future__ import annotations

import json
import ssl

import aiohttp
import pytest
from cryptography import x509

from fake_backend.runner import Backend
from fake_backend.tls import client_context, ensure_certificate


async def test_https_everywhere_and_verification(tmp_path):
    be = Backend(tmp_path / "data", catalog="tiny", content_scale=0.05, ocas=3, tls=True)
    await be.start()
    try:
        ep = json.loads((tmp_path / "data" / "endpoints.json").read_text())
        urls = [ep["gateway_url"], ep["control_url"], *ep["oca_urls"]]
        assert all(u.startswith("https://127.0.0.1:") for u in urls), urls
        cert_path = tmp_path / "data" / "tls" / "cert.pem"
        assert ep["tls_cert"] == str(cert_path.resolve())
        assert all(c.startswith("https://") for c in ep["control_urls"])

        ctx = ssl.create_default_context(cafile=ep["tls_cert"])
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            for base in urls:
                async with http.get(base + "/health") as r:
                    assert r.status == 200, base
            # An OCA that does not hold the title fills it from a peer over HTTPS.
            control = {"X-Nrdp-Control-Token": ep["control_token"]}
            async with http.get(ep["control_url"] + "/control/v1/ocas", headers=control) as r:
                ocas = (await r.json())["ocas"]
            title_id = be.catalog[0].id
            miss = next(o for o in ocas if not o["holdings"].get(title_id, {}).get("complete"))
            rel = next(
                rel
                for rel in be.origin.files(title_id)
                if be.origin.file_path(title_id, rel).stat().st_size > 100
            )
            want = be.origin.file_path(title_id, rel).read_bytes()[10:100]
            async with http.get(
                f"{miss['url']}/titles/{title_id}/{rel}", headers={"Range": "bytes=10-99"}
            ) as r:
                assert r.status == 206
                assert await r.read() == want
            async with http.get(
                ep["control_url"] + "/control/v1/ocas/" + miss["oca_id"], headers=control
            ) as r:
                assert (await r.json())["stats"]["fills_peer"] >= 1

        async with aiohttp.ClientSession() as plain:  # system trust store only
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await plain.get(ep["gateway_url"] + "/health")
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await plain.get(ep["oca_urls"][0] + "/health")
    finally:
        await be.close()

    # A later start reuses the certificate, so clients can keep trusting it.
    before = cert_path.read_bytes()
    be2 = Backend(tmp_path / "data", catalog="tiny", content_scale=0.05, ocas=1, tls=True)
    await be2.start()
    try:
        assert cert_path.read_bytes() == before
        ctx = client_context(cert_path)
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http,
            http.get(be2.gateway_url + "/health") as r,
        ):
            assert r.status == 200
    finally:
        await be2.close()


def test_certificate_names_reuse_and_repair(tmp_path):
    files = ensure_certificate(tmp_path, "127.0.0.1")
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert {str(i) for i in san.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "::1"}
    assert files.key.stat().st_mode & 0o077 == 0
    first = files.cert.read_bytes()
    assert ensure_certificate(tmp_path, "localhost").cert.read_bytes() == first
    other = ensure_certificate(tmp_path, "player.test")  # a name it lacks: a new certificate
    assert other.cert.read_bytes() != first
    san = x509.load_pem_x509_certificate(other.cert.read_bytes()).extensions
    names = san.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "player.test" in names.get_values_for_type(x509.DNSName)
    other.cert.write_text("not a certificate")
    repaired = ensure_certificate(tmp_path, "127.0.0.1")
    x509.load_pem_x509_certificate(repaired.cert.read_bytes())
