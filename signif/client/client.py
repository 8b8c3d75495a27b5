"""`ClientSignif`: the platform's HTTP API for an office's software (async, httpx).

One client per office. Tokens: the office's JWT (role `commissaire`, its `office` claims), either one
string valid for the three services (`aud` = consent, coffre and notify) or a function giving the token
for a service's audience. Every refusal raises `ErreurSignif` with the problem's stable `code`.

Deposits are safe to retry: each deposit carries an `Idempotency-Key` (a fresh UUID unless the caller
gives one — give your own, stored with your file, to retry safely across restarts too), and a 503 or
a lost connection is retried with the same key and the same bytes, so the coffre stores and sends the
acte once. Anything else is not retried: a 4xx is the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Self

import httpx

from shared.evidence.verify import Report, verify_bundle

from .erreurs import ErreurSignif
from .modeles import (
    Abonnement,
    AbonnementCree,
    Acte,
    ActeDepose,
    AvisReception,
    Consultation,
    Evenement,
    PageActes,
)

Jetons = str | Callable[[str], str]
#: The document or an annex: a path (re-read on each attempt), bytes, or a seekable binary stream.
Source = Path | bytes | IO[bytes]
PDF = "application/pdf"


@dataclass(frozen=True)
class Reessais:
    """Retries of a deposit on 503 or a lost connection: `tentatives` in all, waiting `delai` seconds
    doubled each time (at most `delai_max`), or what the answer's `Retry-After` says."""

    tentatives: int = 4
    delai: float = 0.5
    delai_max: float = 8.0


class ClientSignif:
    def __init__(
        self,
        url: str,
        jetons: Jetons,
        *,
        reessais: Reessais | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        attendre: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._jetons = jetons
        self._reessais = reessais or Reessais()
        self._attendre = attendre
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), transport=transport, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.fermer()

    async def fermer(self) -> None:
        await self._http.aclose()

    # --- plumbing -----------------------------------------------------------------------------------

    def _auth(self, service: str) -> dict[str, str]:
        jeton = self._jetons(service) if callable(self._jetons) else self._jetons
        return {"Authorization": f"Bearer {jeton}"}

    async def _appel(self, service: str, methode: str, chemin: str, **kwargs: Any) -> httpx.Response:
        entetes = {**self._auth(service), **kwargs.pop("headers", {})}
        reponse = await self._http.request(methode, f"/{service}/v1{chemin}", headers=entetes, **kwargs)
        if reponse.is_error:
            raise ErreurSignif.de_reponse(reponse)
        return reponse

    async def _json(self, service: str, methode: str, chemin: str, **kwargs: Any) -> Any:
        return (await self._appel(service, methode, chemin, **kwargs)).json()

    async def _pdf(self, chemin: str) -> bytes:
        return (await self._appel("coffre", "GET", chemin, headers={"Accept": PDF})).content

    # --- consent ------------------------------------------------------------------------------------

    async def consulter(
        self, destinataire: dict[str, Any], *, nature: str, reference_dossier: str
    ) -> Consultation:
        """Is there a consent for this person and this nature now? (logged with your file reference)"""
        corps = {"destinataire": destinataire, "nature": nature, "reference_dossier": reference_dossier}
        return Consultation.model_validate(await self._json("consent", "POST", "/consultations", json=corps))

    # --- coffre: deposit ----------------------------------------------------------------------------

    async def deposer(
        self,
        document: Source,
        metadonnees: dict[str, Any],
        *,
        annexes: Sequence[tuple[str, Source]] = (),
        cle_idempotence: str | None = None,
    ) -> ActeDepose:
        """Deposit the signed PDF/A acte: sent now (`envoye`), or scheduled (`programme`) outside legal
        hours unless `metadonnees["envoi_differe"]` is false. Retries on 503 with the same key."""
        cle = cle_idempotence or str(uuid.uuid4())
        meta = json.dumps(metadonnees, ensure_ascii=False).encode()
        sources = [document, *(source for _nom, source in annexes)]
        # A stream that cannot be rewound cannot be sent twice: one attempt only.
        tentatives = self._reessais.tentatives if all(map(_rejouable, sources)) else 1
        essai = 0
        while True:
            essai += 1
            with contextlib.ExitStack() as fichiers:
                parties: list[tuple[str, tuple[str | None, bytes | IO[bytes], str]]] = [
                    ("metadonnees", (None, meta, "application/json")),
                    ("document", ("acte.pdf", _ouvrir(document, fichiers), PDF)),
                ]
                parties += [("annexes", (nom, _ouvrir(source, fichiers), PDF)) for nom, source in annexes]
                try:
                    reponse = await self._http.post(
                        "/coffre/v1/actes",
                        files=parties,
                        headers={**self._auth("coffre"), "Idempotency-Key": cle},
                    )
                except httpx.TransportError:
                    if essai >= tentatives:
                        raise
                    await self._attendre(self._delai(essai, None))
                    continue
            if reponse.status_code == 503 and essai < tentatives:
                await self._attendre(self._delai(essai, reponse.headers.get("retry-after")))
                continue
            if reponse.is_error:
                raise ErreurSignif.de_reponse(reponse)
            return ActeDepose.model_validate(reponse.json())

    def _delai(self, essai: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.isdigit():
            return min(float(retry_after), self._reessais.delai_max)
        delai: float = self._reessais.delai * 2.0 ** (essai - 1)
        return min(delai, self._reessais.delai_max)

    # --- coffre: status and documents ---------------------------------------------------------------

    async def acte(self, acte_id: str) -> Acte:
        return Acte.model_validate(await self._json("coffre", "GET", f"/actes/{acte_id}"))

    async def actes(
        self, *, statut: str | None = None, reference_dossier: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """The office's actes (summaries), every page followed."""
        params: dict[str, str] = {
            k: v for k, v in {"statut": statut, "reference_dossier": reference_dossier}.items() if v
        }
        while True:
            page = PageActes.model_validate(await self._json("coffre", "GET", "/actes", params=params))
            for element in page.elements:
                yield element
            if page.suivant is None:
                return
            params["apres"] = page.suivant

    async def document(self, acte_id: str) -> bytes:
        """The acte's original bytes (the coffre re-checks their SHA-256 before serving them)."""
        return await self._pdf(f"/actes/{acte_id}/document")

    async def avis_de_reception(self, acte_id: str) -> AvisReception:
        """The avis de réception as JSON with its JWS; 404 `pas-encore` before the prise de connaissance."""
        reponse = await self._json("coffre", "GET", f"/actes/{acte_id}/avis-de-reception")
        return AvisReception.model_validate(reponse)

    async def avis_de_reception_pdf(self, acte_id: str) -> bytes:
        return await self._pdf(f"/actes/{acte_id}/avis-de-reception")

    async def certificat(self, acte_id: str) -> bytes:
        """The certificat de signification (sealed PDF); 409 `mode-non-fixe` until the end of the day."""
        return await self._pdf(f"/actes/{acte_id}/certificat")

    async def lettre_simple(self, acte_id: str) -> bytes:
        """The lettre simple to post (signification à domicile); 409 `pas-de-lettre-simple` otherwise."""
        return await self._pdf(f"/actes/{acte_id}/lettre-simple")

    async def enregistrer_envoi_lettre_simple(
        self, acte_id: str, envoyee_le: date, *, motif: str | None = None
    ) -> dict[str, Any]:
        """Record the posting; with `motif`, correct the recorded one (a new record, never an overwrite).
        422 `lettre-simple-avant-envoi` / `lettre-simple-date-future` for an impossible date."""
        corps: dict[str, Any] = {"envoyee_le": envoyee_le.isoformat()}
        if motif is not None:
            corps["motif"] = motif
        resultat: dict[str, Any] = await self._json(
            "coffre", "POST", f"/actes/{acte_id}/lettre-simple/envoi", json=corps
        )
        return resultat

    # --- coffre: evidence ---------------------------------------------------------------------------

    async def preuves(self, acte_id: str, destination: Path) -> Path:
        """Stream the evidence bundle (ZIP) of the acte to `destination`."""
        entetes = self._auth("coffre")
        async with self._http.stream("GET", f"/coffre/v1/actes/{acte_id}/preuves", headers=entetes) as rep:
            if rep.is_error:
                await rep.aread()
                raise ErreurSignif.de_reponse(rep)
            with destination.open("wb") as fichier:
                async for morceau in rep.aiter_bytes():
                    fichier.write(morceau)
        return destination

    # --- notify: webhooks and the pull feed ----------------------------------------------------------

    async def abonner(self, url: str, types: Sequence[str]) -> AbonnementCree:
        """Subscribe a webhook endpoint (`https://...`) or an e-mail address (`mailto:...`)."""
        corps = {"url": url, "types": list(types)}
        return AbonnementCree.model_validate(await self._json("notify", "POST", "/abonnements", json=corps))

    async def abonnements(self) -> list[Abonnement]:
        page = await self._json("notify", "GET", "/abonnements", params={"limite": 200})
        return [Abonnement.model_validate(a) for a in page["elements"]]

    async def desabonner(self, abonnement_id: str) -> None:
        await self._appel("notify", "DELETE", f"/abonnements/{abonnement_id}")

    async def livraisons(self, *, statut: str | None = None) -> list[dict[str, Any]]:
        params = {"statut": statut} if statut else {}
        page = await self._json("notify", "GET", "/livraisons", params=params)
        elements: list[dict[str, Any]] = page["elements"]
        return elements

    async def relivrer(self, livraison_id: str) -> dict[str, Any]:
        resultat: dict[str, Any] = await self._json(
            "notify", "POST", f"/livraisons/{livraison_id}/relivraison"
        )
        return resultat

    async def cle_webhooks(self) -> str:
        """The platform's public key for the v1a signatures (`whpk_...`)."""
        reponse = await self._http.get("/notify/v1/.well-known/webhooks-key")
        if reponse.is_error:
            raise ErreurSignif.de_reponse(reponse)
        return str(reponse.json()["cle_publique"])

    async def evenements(self, apres: str | None = None, *, limite: int = 100) -> AsyncIterator[Evenement]:
        """The office's events after the cursor `apres`, oldest first, until none is left.

        Resumable: store each event's `curseur` once you have handled it, and start the next poll
        with `apres=` that cursor; no event is skipped or repeated, even while new ones arrive.
        """
        while True:
            params: dict[str, str | int] = {"limite": limite}
            if apres is not None:
                params["apres"] = apres
            page = await self._json("notify", "GET", "/evenements", params=params)
            for element in page["elements"]:
                evenement = Evenement.model_validate(element)
                apres = evenement.curseur
                yield evenement
            if page["suivant"] is None:
                return


def verifier_preuves(lot: bytes | Path) -> Report:
    """Check an evidence bundle offline, as `signif verify` does (no network, no platform needed):
    `rapport.ok` is true only if every check holds; `rapport.checks` says each in French."""
    data = lot.read_bytes() if isinstance(lot, Path) else lot
    return verify_bundle(data)


def _rejouable(source: Source) -> bool:
    return isinstance(source, Path | bytes) or source.seekable()


def _ouvrir(source: Source, fichiers: contextlib.ExitStack) -> bytes | IO[bytes]:
    """What httpx streams into the multipart body: a file is read as it is sent, never whole."""
    if isinstance(source, Path):
        return fichiers.enter_context(source.open("rb"))
    if isinstance(source, bytes):
        return source
    if source.seekable():
        source.seek(0)  # a retry sends the same bytes again
    return source
