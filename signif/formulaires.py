"""The pages of `signif demo` driven as a browser would, and how the demo says it failed."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import httpx


class DemoEchouee(Exception):
    """A step did not give the expected answer; the message says which, in French."""


class Formulaires:
    """A page of forms driven as a browser would: read the page (its CSRF token), post one of its forms.

    The session cookie is Secure: httpx keeps it only for https, so it is carried by hand. A redirect
    carrying `erreur=` stops the demo with `refus` and the error's code."""

    def __init__(self, http: httpx.Client, adresse: str, *, refus: str) -> None:
        self.http, self.adresse, self.refus = http, adresse, refus
        self.cookies: dict[str, str] = {}

    def lire(self) -> httpx.Response:
        page = self.http.get(self.adresse, headers=self._entetes())
        self._garder(page)
        return page

    def poster(self, action: str, champs: dict[str, str]) -> httpx.Response:
        page = self.lire()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if page.status_code != 200 or csrf is None:
            raise DemoEchouee(f"{self.adresse} : page inattendue ({page.status_code})")
        reponse = self.http.post(
            f"{self.adresse}/{action}", data={"csrf": csrf.group(1), **champs}, headers=self._entetes()
        )
        self._garder(reponse)
        if reponse.status_code == 303 and "erreur=" in reponse.headers.get("location", ""):
            raise DemoEchouee(f"{self.refus} : {reponse.headers['location'].split('erreur=')[1]}")
        return reponse

    def _entetes(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _garder(self, reponse: httpx.Response) -> None:
        for entete in reponse.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(entete)
            self.cookies.update({nom: morsel.value for nom, morsel in jar.items()})
