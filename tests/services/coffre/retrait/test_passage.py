"""One sign-in for both spaces: from the destinataire's space, « Gérer mes déclarations » opens her
personal space at consent with a one-time ticket (same origin only, never twice, never for a session
that has ended)."""

from __future__ import annotations

import re

import httpx

from tests.services.coffre.retrait.outils import PERSONNE_PARIS, BancFactory, csrf
from tests.services.coffre.retrait.test_espace import ESPACE, connecter_espace


def _ticket(html: str) -> str:
    found = re.search(r'name="ticket" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def test_de_l_espace_destinataire_a_l_espace_personnel_sans_nouvelle_connexion(
    banc: BancFactory,
) -> None:
    async with banc() as b:
        espace = await connecter_espace(b, PERSONNE_PARIS)
        assert 'action="/coffre/retrait/declarations"' in espace.text
        # Not without this page's CSRF value.
        forge = await b.client.post(f"{ESPACE}/declarations", data={})
        assert forge.status_code == 303
        assert "ticket" not in forge.text
        page = await b.client.post(f"{ESPACE}/declarations", data={"csrf": csrf(espace.text)})
        assert page.status_code == 200, page.text
        assert page.headers["cache-control"] == "no-store"
        assert 'action="/consent/espace/passage"' in page.text
        ticket = _ticket(page.text)

        # The same browser at consent (its cookies are Secure: an https origin).
        async with httpx.AsyncClient(
            transport=b.voisins.aiguillage, base_url="https://signif.test"
        ) as consent:
            # From another site: refused, and the ticket still unused.
            ailleurs = await consent.post(
                "/consent/espace/passage", data={"ticket": ticket}, headers={"Sec-Fetch-Site": "cross-site"}
            )
            assert ailleurs.status_code == 403
            ouvert = await consent.post(
                "/consent/espace/passage", data={"ticket": ticket}, headers={"Sec-Fetch-Site": "same-origin"}
            )
            assert (ouvert.status_code, ouvert.headers["location"]) == (303, "/consent/espace/declarations")
            liste = await consent.get("/consent/espace/declarations")
            assert liste.status_code == 200
            assert re.search(r"RC-\d{4}-[0-9A-F]+", liste.text)
            # Never twice.
            consent.cookies.clear()
            encore = await consent.post(
                "/consent/espace/passage", data={"ticket": ticket}, headers={"Sec-Fetch-Site": "same-origin"}
            )
            assert encore.status_code == 403
            assert "Ce passage a expiré" in encore.text

        # Signed out of the destinataire's space: no ticket any more.
        page = await b.client.get(ESPACE)
        await b.client.post(f"{ESPACE}/deconnexion", data={"csrf": csrf(page.text)})
        page = await b.client.get(ESPACE)
        apres = await b.client.post(f"{ESPACE}/declarations", data={"csrf": csrf(page.text)})
        assert apres.status_code == 303
        assert "ticket" not in apres.text
