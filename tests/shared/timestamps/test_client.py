from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from shared.clock import TestClock
from shared.crypto.keys import DevelopmentKeyRefusedError
from shared.timestamps.authority import TsaCredentials
from shared.timestamps.client import EmbeddedTimestampClient, HttpTimestampClient
from shared.timestamps.configuration import chaine_tsa, client_du_service, client_horodatage
from shared.timestamps.token import TimestampError
from shared.timestamps.tsa import TimeStampAuthority
from shared.timestamps.verify import verify_timestamp
from tests.shared.timestamps.helpers import DIGEST, NOW, make_credentials, openssl_ok, openssl_verify

# What the tiny server answers: given the request body, (status, content type, body).
Behaviour = Callable[[bytes], tuple[int, str, bytes]]


class _TsaServer:
    """A real HTTP server on 127.0.0.1 in a thread; its behaviour is swapped per test."""

    def __init__(self) -> None:
        self.behaviour: Behaviour = lambda _body: (500, "text/plain", b"not configured")
        self.requests: list[tuple[str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((self.headers["Content-Type"], body))
                status, content_type, reply = outer.behaviour(body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, authority: TimeStampAuthority) -> None:
        self.behaviour = lambda body: (200, "application/timestamp-reply", authority.respond(body))


@pytest.fixture(scope="module")
def server() -> Iterator[_TsaServer]:
    tsa_server = _TsaServer()
    tsa_server.thread.start()
    yield tsa_server
    tsa_server.httpd.shutdown()
    tsa_server.httpd.server_close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_embedded_client_returns_a_verifiable_token(
    authority: TimeStampAuthority, credentials: TsaCredentials, clock: TestClock, tmp_path: Path
) -> None:
    clock.advance(timedelta(minutes=5))
    token = await EmbeddedTimestampClient(authority, trust_roots=credentials.chain).timestamp(DIGEST)
    assert token.gen_time == NOW + timedelta(minutes=5)
    assert token.tsa_name == "Signif TSA de développement (non qualifiée)"
    assert token.hashed_message == DIGEST
    assert token.serial_number > 0
    assert token.nonce is not None
    assert verify_timestamp(token.response, DIGEST, trust_roots=credentials.chain).gen_time == token.gen_time
    assert openssl_ok(openssl_verify(tmp_path, token.response, DIGEST, roots=credentials.chain))
    assert token.token in token.response  # the bare TimeStampToken, for CMS/PAdES embedding
    assert "response" not in repr(token)


async def test_http_client_speaks_rfc3161_over_http(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority, credentials: TsaCredentials
) -> None:
    server.serve(authority)
    client = HttpTimestampClient(server.url, http, trust_roots=credentials.chain)
    token = await client.timestamp(DIGEST)
    content_type, body = server.requests[-1]
    assert content_type == "application/timestamp-query"
    assert body.startswith(b"\x30")
    assert token.gen_time == NOW
    assert (
        verify_timestamp(token.response, DIGEST, trust_roots=credentials.chain).signer
        == credentials.certificate
    )


async def test_each_request_carries_a_fresh_nonce(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority
) -> None:
    server.serve(authority)
    client = HttpTimestampClient(server.url, http)
    nonces = {(await client.timestamp(DIGEST)).nonce for _ in range(3)}
    assert len(nonces) == 3


async def test_a_replayed_response_is_refused(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority
) -> None:
    server.serve(authority)
    client = HttpTimestampClient(server.url, http)
    old = (await client.timestamp(DIGEST)).response
    server.behaviour = lambda _body: (200, "application/timestamp-reply", old)
    with pytest.raises(TimestampError, match="nonce"):
        await client.timestamp(DIGEST)


async def test_a_token_for_another_digest_is_refused(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority
) -> None:
    def swap_digest(body: bytes) -> tuple[int, str, bytes]:
        return 200, "application/timestamp-reply", authority.respond(body.replace(DIGEST, bytes(32)))

    server.behaviour = swap_digest
    with pytest.raises(TimestampError, match="autre empreinte"):
        await HttpTimestampClient(server.url, http).timestamp(DIGEST)


async def test_an_untrusted_tsa_is_refused_when_roots_are_given(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority
) -> None:
    server.serve(authority)
    client = HttpTimestampClient(server.url, http, trust_roots=make_credentials().chain)
    with pytest.raises(TimestampError, match="non vérifiable") as caught:
        await client.timestamp(DIGEST)
    assert caught.value.status_code == 503
    assert caught.value.code == "horodatage-indisponible"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ((500, "text/plain", b"boom"), "HTTP 500"),
        ((200, "text/html", b"<html></html>"), "text/html"),
        ((200, "application/timestamp-reply", b"not DER"), "illisible"),
    ],
)
async def test_http_failures_are_timestamp_errors(
    server: _TsaServer, http: httpx.AsyncClient, reply: tuple[int, str, bytes], message: str
) -> None:
    server.behaviour = lambda _body: reply
    with pytest.raises(TimestampError, match=message):
        await HttpTimestampClient(server.url, http).timestamp(DIGEST)


async def test_a_rejection_is_reported_with_its_reason(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority
) -> None:
    server.behaviour = lambda _body: (200, "application/timestamp-reply", authority.respond(b"junk"))
    with pytest.raises(TimestampError, match=r"refusé.*bad_data_format"):
        await HttpTimestampClient(server.url, http).timestamp(DIGEST)


async def test_an_oversized_reply_is_cut_short(server: _TsaServer, http: httpx.AsyncClient) -> None:
    server.behaviour = lambda _body: (200, "application/timestamp-reply", b"\x30" * 300_000)
    with pytest.raises(TimestampError, match="trop volumineuse"):
        await HttpTimestampClient(server.url, http).timestamp(DIGEST)


async def test_an_unreachable_tsa_is_a_timestamp_error(http: httpx.AsyncClient) -> None:
    with pytest.raises(TimestampError, match="injoignable"):
        await HttpTimestampClient("http://127.0.0.1:9/tsa", http).timestamp(DIGEST)


async def test_digest_length_must_match_the_algorithm(authority: TimeStampAuthority) -> None:
    client = EmbeddedTimestampClient(authority)
    with pytest.raises(ValueError, match="32 bytes"):
        await client.timestamp(DIGEST[:16])
    with pytest.raises(ValueError, match="md5"):
        await client.timestamp(DIGEST, hash_alg="md5")


async def test_configured_tsa_url_gives_a_verifying_http_client(
    server: _TsaServer, http: httpx.AsyncClient, authority: TimeStampAuthority, credentials: TsaCredentials,
    tmp_path: Path,
) -> None:  # fmt: skip
    """`COFFRE_TSA_URL` / `CONSENT_TSA_URL`: the external TSA over HTTP, its tokens verified against the
    chain provisioned in `<keys>/tsa/tsa-chain.pem`, which is also what the bundles carry."""
    server.serve(authority)
    keys_dir = tmp_path / "keys"
    (keys_dir / "tsa").mkdir(parents=True)
    chaine = [credentials.certificate, *credentials.chain]
    (keys_dir / "tsa" / "tsa-chain.pem").write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in chaine))
    client = client_horodatage(keys_dir, tsa_url=server.url, production=True, http=http, clock=lambda: NOW)
    assert isinstance(client, HttpTimestampClient)
    token = await client.timestamp(DIGEST)
    assert token.gen_time == NOW
    assert chaine_tsa(client, keys_dir) == (credentials.certificate, list(credentials.chain))
    # Another TSA at that URL: its token does not chain to the provisioned roots, refused.
    server.serve(TimeStampAuthority(make_credentials(), clock=lambda: NOW))
    with pytest.raises(TimestampError):
        await client.timestamp(DIGEST)


def test_without_tsa_url_the_embedded_tsa_and_never_its_development_key_in_production(
    tmp_path: Path,
) -> None:
    clock = TestClock(NOW)
    client = client_horodatage(tmp_path, tsa_url=None, production=False, http=None, clock=clock.now)
    assert isinstance(client, EmbeddedTimestampClient)
    certificat, chaine = chaine_tsa(client, tmp_path)
    assert certificat == client.authority.credentials.certificate
    assert chaine[-1] == client.authority.credentials.root
    with pytest.raises(DevelopmentKeyRefusedError):
        client_horodatage(tmp_path, tsa_url=None, production=True, http=None, clock=clock.now)
    with pytest.raises(ValueError, match="HTTP client"):
        client_horodatage(
            tmp_path, tsa_url="http://127.0.0.1:9/tsa", production=False, http=None, clock=clock.now
        )


@dataclass(frozen=True)
class _Reglages:
    keys_dir: Path
    tsa_url: str | None
    env: str


async def test_a_services_tsa_from_its_settings(tmp_path: Path, http: httpx.AsyncClient) -> None:
    """coffre and consent build their TSA client from their settings alike: the embedded TSA on the
    service's clock outside production, never its development key in production."""
    clock = TestClock(NOW + timedelta(minutes=3))
    client = client_du_service(_Reglages(tmp_path, None, "development"), http, clock)
    assert isinstance(client, EmbeddedTimestampClient)
    assert (await client.timestamp(DIGEST)).gen_time == NOW + timedelta(minutes=3)
    with pytest.raises(DevelopmentKeyRefusedError):
        client_du_service(_Reglages(tmp_path, None, "production"), http, clock)
    externe = client_du_service(_Reglages(tmp_path, "http://127.0.0.1:9/tsa", "production"), http, clock)
    assert isinstance(externe, HttpTimestampClient)
