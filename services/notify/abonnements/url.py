"""Validation of an office's webhook URL (server-side request forgery is the threat).

Production: `https` only, no credentials in the URL, and the host must be a public address: literal
IPs are checked at subscription, names are resolved at every delivery (`verifier_resolution`) and
refused if any address is loopback, private, link-local, reserved, multicast or unspecified (cloud
metadata endpoints live there). Development and test (`SIGNIF_ENV`) also accept `http` and private
or loopback addresses so a local receiver can be used. Redirects are never followed by the sender,
so a public endpoint cannot bounce a delivery to an internal one.

Residual risk, documented: a name resolved here may resolve differently when the HTTP client
connects (DNS rebinding); deployments should also egress webhooks through a filtering proxy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from services.notify.errors import UrlWebhookRefusee

MAX_URL_LENGTH = 2000
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _address_is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def est_courriel(url: str) -> bool:
    """A `mailto:` subscription: the events go to that e-mail address instead of a webhook."""
    return url.startswith("mailto:")


def _valider_courriel(url: str) -> str:
    try:
        adresse = validate_email(url.removeprefix("mailto:"), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UrlWebhookRefusee("L'adresse électronique (mailto:) n'est pas valide.") from exc
    return f"mailto:{adresse.normalized}"


def valider_url(url: str, *, production: bool, allow_private: bool) -> str:
    """The URL, normalised, or `UrlWebhookRefusee` saying why (in French). `mailto:<address>`
    subscribes an e-mail address of the office (see `livraisons.courriel`)."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlWebhookRefusee("L'adresse est trop longue.")
    if est_courriel(url.strip()):
        return _valider_courriel(url.strip())
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlWebhookRefusee("L'adresse n'est pas une URL valide.") from exc
    allowed = {"https"} if production else {"https", "http"}
    if parts.scheme not in allowed:
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
    if not allow_private:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
                raise UrlWebhookRefusee("Les adresses locales ou internes sont refusées.") from None
        else:
            if not _address_is_public(address):
                raise UrlWebhookRefusee("Les adresses privées ou de bouclage sont refusées.")
    return parts.geturl()


async def verifier_resolution(url: str) -> None:
    """At delivery time (production): refuse when the host resolves to any non-public address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlWebhookRefusee("Le nom d'hôte ne se résout pas.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not _address_is_public(address):
            raise UrlWebhookRefusee("Le nom d'hôte désigne une adresse privée ou de bouclage.")
