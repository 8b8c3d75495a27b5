"""Every bad input is a clear 4xx with the contract's code, and nothing is stored or sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.services.coffre.conftest import CoffreFactory, metadonnees
from tests.services.coffre.depot.helpers import assert_rien_stocke
from tests.services.coffre.voisins import DECL

DOCUMENTS = [
    ("jpeg", "pdf-invalide"),
    ("tronque", "pdf-invalide"),
    ("chiffre", "pdf-invalide"),
    ("javascript", "pdf-invalide"),
    ("non-signe", "signature-invalide"),
    ("signature-alteree", "signature-invalide"),
    ("page-ajoutee", "signature-invalide"),
    ("ac-inconnue", "signature-invalide"),
    ("certificat-expire", "signature-invalide"),
]


@pytest.mark.parametrize(("variante", "code"), DOCUMENTS)
async def test_document_refuse(
    coffre_factory: CoffreFactory, mauvais_pdfs: dict[str, bytes], variante: str, code: str
) -> None:
    async with coffre_factory() as t:
        response = await t.deposer(mauvais_pdfs[variante])
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert response.headers["content-type"] == "application/problem+json"
        await assert_rien_stocke(t)
        assert await t.voisins.verifications() == []  # the document gate comes first


async def test_60_mo_refuse_avant_lecture(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory() as t:
        response = await t.deposer(b"%PDF-1.7\n" + b"\0" * (60 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json()["code"] == "trop-volumineux"
        await assert_rien_stocke(t)


async def test_trop_volumineux_en_flux_sans_longueur(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    """Chunked upload (no Content-Length): the limit is enforced while streaming into storage."""
    async with coffre_factory(max_acte_bytes=len(pdf_signe) - 1) as t:
        boundary = "frontiere-test"
        meta = json.dumps(metadonnees()).encode()

        async def corps() -> AsyncIterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="metadonnees"\r\n\r\n'.encode()
                + meta
                + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="document"; '
                'filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            )
            for i in range(0, len(pdf_signe), 4096):
                yield pdf_signe[i : i + 4096]
            yield f"\r\n--{boundary}--\r\n".encode()

        headers = {**t.jeton(), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        response = await t.client.post("/coffre/v1/actes", headers=headers, content=corps())
        assert response.status_code == 413
        assert response.json()["code"] == "trop-volumineux"
        await assert_rien_stocke(t)


async def test_corps_non_multipart(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory() as t:
        response = await t.client.post("/coffre/v1/actes", headers=t.jeton(), json=metadonnees())
        assert response.status_code == 415
        assert response.json()["code"] == "type-non-supporte"
        await assert_rien_stocke(t)


async def test_nature_inconnue(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        response = await t.deposer(pdf_signe, metadonnees(nature="pv-de-constat-imaginaire"))
        assert response.status_code == 422
        assert response.json()["code"] == "nature-inconnue"
        await assert_rien_stocke(t)


async def test_metadonnees_invalides(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        response = await t.deposer(pdf_signe, metadonnees(requerant={}))
        assert response.status_code == 422
        assert response.json()["code"] == "metadonnees-invalides"
        assert response.json()["errors"][0]["champ"] == "requerant.nom"
        await assert_rien_stocke(t)


INCONNUE = "5d1f4a8e-0000-4000-8000-000000000000"  # no declaration has this id
MARTIN = {"type": "physique", "nom": "MARTIN", "prenoms": "Paul", "date_naissance": "1980-01-01"}


@pytest.mark.parametrize(
    ("cas", "motif"),
    [
        ("inconnue", "absent"),
        ("revoquee", "revoque"),
        ("assignations", "hors_perimetre"),
        ("martin", "absent"),
    ],
)
async def test_sans_consentement(
    coffre_factory: CoffreFactory, pdf_signe: bytes, cas: str, motif: str
) -> None:
    """`cas`: a key of the standard declarations, an unknown id, or an identity nobody declared."""
    declaration = DECL.get(cas)
    destinataire = MARTIN if cas == "martin" else {"declaration_id": declaration or INCONNUE}
    async with coffre_factory() as t:
        response = await t.deposer(pdf_signe, metadonnees(destinataire=destinataire))
        assert response.status_code == 422
        assert response.json()["code"] == "consentement-absent"
        assert response.json()["motif"] == motif
        # consent answered an authenticated call of the coffre, and recorded it.
        [verification] = await t.voisins.verifications()
        assert verification.demandeur == "service:coffre"
        assert verification.nature == "signification_decision"
        assert (verification.consentement, verification.motif) == (False, motif)
        assert verification.declaration_id == declaration
        await assert_rien_stocke(t)


async def test_identite_avec_consentement(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        destinataire = {
            "type": "physique",
            "nom": "DUPONT",
            "prenoms": "Jeanne",
            "date_naissance": "1970-05-04",
        }
        response = await t.deposer(pdf_signe, metadonnees(destinataire=destinataire))
        assert response.status_code == 201
        # Only the identity was sent: consent matched it to Jeanne Dupont's declaration.
        assert response.json()["consentement"] == {"declaration_id": DECL["paris"]}
        [verification] = await t.voisins.verifications()
        assert (verification.declaration_id, verification.consentement) == (DECL["paris"], True)


async def test_registre_injoignable(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        t.voisins.aiguillage.couper("consent")  # connection refused, as for a consent that is down
        response = await t.deposer(pdf_signe)
        assert response.status_code == 503
        assert response.json()["code"] == "consentement-indisponible"
        await assert_rien_stocke(t)
        assert await t.voisins.verifications() == []


async def test_commissaire_d_une_autre_cour_d_appel(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        lyon = t.commissaire(office_id="office-lyon", cour_appel="Lyon", commune_insee="69123")
        response = await t.deposer(pdf_signe, headers=lyon)
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "incompetence-territoriale"
        assert body["cour_appel_office"] == "lyon"
        assert body["cour_appel_destinataire"] == "paris"
        await assert_rien_stocke(t)


async def test_cour_d_appel_du_jeton_normalisee(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        lyon = t.commissaire(
            office_id="office-lyon", cour_appel="Cour d'appel de Lyon", commune_insee="69123"
        )
        response = await t.deposer(
            pdf_signe, metadonnees(destinataire={"declaration_id": DECL["lyon"]}), headers=lyon
        )
        assert response.status_code == 201, response.text


async def test_role_et_authentification(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory() as t:
        assert (await t.deposer(pdf_signe, headers={})).status_code == 401
        autorite = t.jeton(role="autorite_judiciaire", juridiction="TJ Paris")
        response = await t.deposer(pdf_signe, headers=autorite)
        assert response.status_code == 403
        assert response.json()["code"] == "interdit"
        await assert_rien_stocke(t)


async def test_partie_document_absente(coffre_factory: CoffreFactory) -> None:
    async with coffre_factory() as t:
        files = {"metadonnees": (None, json.dumps(metadonnees()).encode(), "application/json")}
        response = await t.client.post("/coffre/v1/actes", headers=t.jeton(), files=files)
        assert response.status_code == 400
        assert response.json()["code"] == "multipart-invalide"
        await assert_rien_stocke(t)
