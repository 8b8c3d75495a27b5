"""The destinataire's retrieval pages driven with plain form posts (what the browser test does with
clicks). The session cookie is `Secure`, which httpx's cookie jar never sends over http, so this
keeps it by hand, as a browser does for 127.0.0.1 (a potentially trustworthy origin)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

import httpx


class Retrait:
    def __init__(self, http: httpx.AsyncClient, lien: str) -> None:
        self.http = http
        self.lien = lien
        self.cookies: dict[str, str] = {}

    def _garder(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def _entetes(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    async def page(self) -> str:
        response = await self.http.get(self.lien, headers=self._entetes())
        assert response.status_code == 200, response.text
        self._garder(response)
        return response.text

    async def poster(self, action: str, champs: dict[str, str]) -> httpx.Response:
        found = re.search(r'name="csrf" value="([^"]+)"', await self.page())
        assert found, "no CSRF field on the page"
        response = await self.http.post(
            f"{self.lien}/{action}", data={"csrf": found.group(1), **champs}, headers=self._entetes()
        )
        self._garder(response)
        return response

    async def telecharger(
        self, email: str, mot_de_passe: str, code: Callable[[], Awaitable[str]]
    ) -> httpx.Response:
        """Sign in (password, then the e-mailed code) and download the acte."""
        sent = await self.poster("connexion", {"email": email, "mot_de_passe": mot_de_passe})
        assert sent.status_code == 303
        assert "erreur" not in sent.headers["location"], sent.headers
        checked = await self.poster("code", {"code": await code()})
        assert checked.status_code == 303
        assert "erreur" not in checked.headers["location"], checked.headers
        assert "Télécharger l'acte" in await self.page()
        return await self.poster("telechargement", {})
