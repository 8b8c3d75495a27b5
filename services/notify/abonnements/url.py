"""An office's webhook URL, and the guard on every request notify sends to one (SSRF is the threat).

Who attacks: an office (or whoever holds its token) subscribing a URL that points inside the
platform's network — a cloud metadata endpoint, a database, an admin port — to reach it, or to use
the delivery records as a probe of what answers there.

1. **Form** (`valider_url`): `https` (or `http` to an allow-listed address only), no credentials, a
   host, no fragment, a usable port; names that are local by definition (`localhost`, `.local`,
   `.internal` — `metadata.google.internal` —, `.localdomain`, `.home.arpa`, single labels) refused.
2. **Addresses** (`verifier`): the host is resolved (a literal address is its own resolution) and
   *every* address must be public — not private, loopback, link-local (169.254.169.254 and fe80::/10
   live there), multicast, unspecified, reserved or shared — looking through IPv4-mapped
   (::ffff:a.b.c.d), 6to4, Teredo and NAT64 (64:ff9b::/96) forms to the IPv4 address they carry —,
   or lie in the explicit allow-list (`NOTIFY_WEBHOOK_ALLOWLIST`: networks, e.g. `["127.0.0.1/32"]`
   for the test suite's local receivers; empty by default, never derived from `SIGNIF_ENV`).
   Checked at subscription and again at every delivery.
3. **Connection** (`TransportVerifie`): the delivery connects to the very address that was checked
   (the URL's host replaced by it, the original `Host` header and TLS SNI kept, the certificate
   verified against the name), so a name that resolves differently a moment later (DNS rebinding)
   changes nothing. Redirects are never followed.

A refused target is recorded as refused, with no timing and no byte count (`livraisons.envoi`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx
from email_validator import EmailNotValidError, validate_email

from services.notify.errors import UrlWebhookRefusee

MAX_URL_LENGTH = 2000
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Adresse = ipaddress.IPv4Address | ipaddress.IPv6Address
Reseau = ipaddress.IPv4Network | ipaddress.IPv6Network


def reseaux(valeurs: Iterable[str]) -> tuple[Reseau, ...]:
    """The allow-list setting as networks (`"127.0.0.1"` is `127.0.0.1/32`)."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in valeurs if v.strip())


def _ipv4_portee(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, Teredo's client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def publique(address: Adresse) -> bool:
    """Globally routable unicast, whatever form it is written in."""
    if isinstance(address, ipaddress.IPv6Address):
        porte = _ipv4_portee(address)
        if porte is not None and not publique(porte):
            return False
    return address.is_global and not address.is_multicast


def _autorisee(address: Adresse, autorises: Sequence[Reseau]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in autorises)


def est_courriel(url: str) -> bool:
    """A `mailto:` subscription: the events go to that e-mail address instead of a webhook."""
    return url.startswith("mailto:")


def _valider_courriel(url: str) -> str:
    try:
        adresse = validate_email(url.removeprefix("mailto:"), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UrlWebhookRefusee("L'adresse électronique (mailto:) n'est pas valide.") from exc
    return f"mailto:{adresse.normalized}"


def _forme(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlWebhookRefusee("L'adresse n'est pas une URL valide.") from exc
    if parts.scheme not in ("https", "http"):
        raise UrlWebhookRefusee("Seules les adresses https sont acceptées.")
    if parts.username is not None or parts.password is not None:
        raise UrlWebhookRefusee("L'adresse ne doit pas contenir d'identifiants.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UrlWebhookRefusee("L'adresse ne désigne aucun hôte.")
    if parts.fragment:
        raise UrlWebhookRefusee("L'adresse ne doit pas contenir de fragment.")
    if port == 0:
        raise UrlWebhookRefusee("Le port 0 n'est pas utilisable.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            raise UrlWebhookRefusee("Les adresses locales ou internes sont refusées.") from None
    return parts


def valider_url(url: str) -> str:
    """The URL's form, normalised, or `UrlWebhookRefusee` saying why (in French); its addresses are
    checked by `verifier`. `mailto:<address>` subscribes an e-mail address of the office."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlWebhookRefusee("L'adresse est trop longue.")
    if est_courriel(url.strip()):
        return _valider_courriel(url.strip())
    return _forme(url).geturl()


@dataclass(frozen=True)
class Cible:
    """A webhook URL whose every address was checked; `adresse` is the one to connect to."""

    hote: str
    port: int
    adresse: Adresse


Resolveur = Callable[[str, int], Awaitable[list[Adresse]]]


async def resoudre(hote: str, port: int) -> list[Adresse]:
    """The host's addresses (a literal address is its own), from the system resolver."""
    try:
        return [ipaddress.ip_address(hote)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(hote, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlWebhookRefusee("Le nom d'hôte ne se résout pas.") from exc
    adresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not adresses:
        raise UrlWebhookRefusee("Le nom d'hôte ne se résout pas.")
    return adresses


async def verifier(url: str, autorises: Sequence[Reseau], resolveur: Resolveur = resoudre) -> Cible:
    """Resolve the URL's host and check every address (see the module's threat model)."""
    parts = _forme(url)
    hote = (parts.hostname or "").rstrip(".").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    adresses = await resolveur(hote, port)
    for adresse in adresses:
        if not (_autorisee(adresse, autorises) or publique(adresse)):
            raise UrlWebhookRefusee(
                "L'adresse désigne un réseau privé, de bouclage, local ou de métadonnées : refusée."
            )
    if parts.scheme == "http" and not all(_autorisee(a, autorises) for a in adresses):
        raise UrlWebhookRefusee("Seules les adresses https sont acceptées.")
    return Cible(hote, port, adresses[0])


class TransportVerifie(httpx.AsyncBaseTransport):
    """Every request re-checked (`verifier`) and sent to the address that was checked."""

    def __init__(
        self,
        autorises: Sequence[Reseau],
        inner: httpx.AsyncBaseTransport | None = None,
        resolveur: Resolveur = resoudre,
    ) -> None:
        self.autorises = tuple(autorises)
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.resolveur = resolveur

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        cible = await verifier(str(request.url), self.autorises, self.resolveur)
        request.url = request.url.copy_with(host=str(cible.adresse))
        request.headers["Host"] = request.headers.get("Host") or cible.hote
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": cible.hote}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
