"""RFC 3161 clients: the embedded TSA in-process, or any TSA over HTTP (RFC 3161 §3.4).

Both build the same request (version 1, the digest as messageImprint, a random 64-bit nonce,
certReq true so the token carries the TSA certificate) and hold the answer to the requester's duties
of RFC 3161 §2.4.2: status granted, messageImprint equal to what was sent, nonce echoed. With
`trust_roots`, the token is also fully verified (`shared.timestamps.verify`) before being returned;
without, trust is left to whoever verifies the stored token later. Any failure raises
`TimestampError` (a 503 `horodatage-indisponible` if it reaches a handler).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Sequence

import httpx
from asn1crypto import tsp
from cryptography import x509

from shared.timestamps.token import TimestampError, TimestampToken, parse_response
from shared.timestamps.tsa import HASH_ALGORITHMS, TimeStampAuthority
from shared.timestamps.verify import TimestampVerificationError, verify_timestamp

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
MAX_RESPONSE_BYTES = 256 * 1024


class TimestampClient(ABC):
    """Obtains RFC 3161 timestamps over a digest."""

    def __init__(self, *, trust_roots: Sequence[x509.Certificate] | None = None) -> None:
        self._trust_roots = list(trust_roots) if trust_roots is not None else None

    async def timestamp(self, digest: bytes, *, hash_alg: str = "sha256") -> TimestampToken:
        """A timestamp token over `digest` (the hash, by `hash_alg`, of what is timestamped)."""
        if hash_alg not in HASH_ALGORITHMS:
            raise ValueError(f"unsupported hash algorithm {hash_alg!r}: one of {sorted(HASH_ALGORITHMS)}")
        if len(digest) != HASH_ALGORITHMS[hash_alg]:
            raise ValueError(f"a {hash_alg} digest is {HASH_ALGORITHMS[hash_alg]} bytes, got {len(digest)}")
        nonce = secrets.randbits(64)
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": hash_alg}, "hashed_message": digest},
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
        response = await self._exchange(request)
        return self._accept(response, digest=digest, hash_alg=hash_alg, nonce=nonce)

    @abstractmethod
    async def _exchange(self, request: bytes) -> bytes:
        """Send the DER TimeStampReq, return the DER TimeStampResp."""

    def _accept(self, response: bytes, *, digest: bytes, hash_alg: str, nonce: int) -> TimestampToken:
        token = parse_response(response)
        if token.hash_algorithm != hash_alg or token.hashed_message != digest:
            raise TimestampError("la TSA a horodaté une autre empreinte que celle demandée")
        if token.nonce != nonce:
            raise TimestampError("la TSA n'a pas renvoyé le nonce de la demande (réponse rejouée ?)")
        if self._trust_roots is not None:
            try:
                verify_timestamp(response, digest, trust_roots=self._trust_roots, hash_algorithm=hash_alg)
            except TimestampVerificationError as exc:
                raise TimestampError(f"jeton d'horodatage non vérifiable : {exc}") from exc
        return token


class EmbeddedTimestampClient(TimestampClient):
    """Timestamps from the in-process TSA (development default)."""

    def __init__(
        self, authority: TimeStampAuthority, *, trust_roots: Sequence[x509.Certificate] | None = None
    ) -> None:
        super().__init__(trust_roots=trust_roots)
        self.authority = authority

    async def _exchange(self, request: bytes) -> bytes:
        return self.authority.respond(request)


class HttpTimestampClient(TimestampClient):
    """Timestamps from a TSA at `url` (RFC 3161 §3.4: HTTP POST of the DER request)."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        timeout: httpx.Timeout = httpx.Timeout(10.0),  # noqa: B008 - immutable configuration
        trust_roots: Sequence[x509.Certificate] | None = None,
    ) -> None:
        super().__init__(trust_roots=trust_roots)
        self.url = url
        self._http = http
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"HttpTimestampClient(url={self.url!r})"

    async def _exchange(self, request: bytes) -> bytes:
        headers = {"Content-Type": QUERY_CONTENT_TYPE, "Accept": REPLY_CONTENT_TYPE}
        try:
            async with self._http.stream(
                "POST", self.url, content=request, headers=headers, timeout=self._timeout
            ) as reply:
                if reply.status_code != 200:
                    raise TimestampError(f"la TSA a répondu HTTP {reply.status_code}")
                content_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != REPLY_CONTENT_TYPE:
                    raise TimestampError(f"la TSA a répondu en {content_type or 'type inconnu'}")
                body = bytearray()
                async for chunk in reply.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise TimestampError("réponse de la TSA trop volumineuse")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise TimestampError(f"TSA injoignable : {type(exc).__name__}") from exc
