"""The destinataire's space at the stable address `/coffre/retrait`: reached from the lettre simple's
printed address, sign-in with a way back from the code step, every acte (annexes, avis de réception)
and declaration, the acte's POST download as the only prise de connaissance, refusals."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from services.coffre.models import Acte, ActeEvenement
from shared.http import STRICT_CSP
from shared.pages import taille_lisible
from tests.services.coffre.conftest import metadonnees
from tests.services.coffre.preuves.texte_pdf import texte_pdf
from tests.services.coffre.retrait.outils import (
    PERSONNE_AUTRE,
    PERSONNE_PARIS,
    Banc,
    BancFactory,
    Compte,
    csrf,
    executer,
    nouveau_client,
    regler,
    se_connecter,
)
from tests.services.coffre.voisins import DECL

ESPACE = "/coffre/retrait"


async def connecter_espace(
    b: Banc, compte: Compte, client: httpx.AsyncClient | None = None
) -> httpx.Response:
    """Sign in at the space: e-mail + password, then the code consent e-mailed. Returns the space."""
    client = client or b.client
    page = await client.get(ESPACE)
    assert page.status_code == 200
    assert "Se connecter" in page.text
    r = await client.post(
        f"{ESPACE}/connexion",
        data={"csrf": csrf(page.text), "email": compte.email, "mot_de_passe": compte.mot_de_passe},
    )
    assert (r.status_code, r.headers["location"]) == (303, ESPACE)
    page = await client.get(ESPACE)
    assert "Saisir le code reçu" in page.text
    r = await client.post(
        f"{ESPACE}/code", data={"csrf": csrf(page.text), "code": b.voisins.dernier_code(compte.email)}
    )
    assert r.status_code == 303
    return await client.get(ESPACE)


async def _acte(b: Banc, acte_id: str) -> Acte:
    async with b.t.runtime.db.read() as session:
        acte = await session.get(Acte, acte_id)
    assert acte is not None
    return acte


async def _evenements(b: Banc, acte_id: str, type_: str) -> list[ActeEvenement]:
    async with b.t.runtime.db.read() as session:
        return list(
            (
                await session.scalars(
                    select(ActeEvenement).where(ActeEvenement.acte_id == acte_id, ActeEvenement.type == type_)
                )
            ).all()
        )


async def test_l_adresse_imprimee_sur_la_lettre_simple_mene_a_l_espace(
    banc: BancFactory, pdf_signe: bytes
) -> None:
    async with banc() as b:  # Monday 2 March 2026, 10:00 in Paris
        acte_id = await b.signifier(pdf_signe)
        regler(b, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # the day ended without a prise: à domicile
        await executer(b)
        lettre = await b.client.get(f"/coffre/v1/actes/{acte_id}/lettre-simple", headers=b.t.jeton())
        assert lettre.status_code == 200
        texte = texte_pdf(lettre.content)
        imprimee = re.search(r"https?://\S+/coffre/retrait/?(?=\s)", texte)
        assert imprimee is not None, texte
        adresse = urlsplit(imprimee.group(0))
        assert adresse.path.rstrip("/") == ESPACE  # the printed address, no token in it

        page = await b.client.get(adresse.path)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == STRICT_CSP
        assert "<script" not in page.text
        assert "Mon espace destinataire" in page.text
        assert 'href="/consent/espace/reinitialisation"' in page.text  # mot de passe oublié

        espace = await connecter_espace(b, PERSONNE_PARIS)
        assert "Non consulté" in espace.text
        assert (await _acte(b, acte_id)).pris_connaissance_le is None  # signing in and GETs never count
        assert "Signification à domicile" in espace.text
        certificat = await b.client.post(
            f"{ESPACE}/certificat", data={"csrf": csrf(espace.text), "acte_id": acte_id}
        )
        assert certificat.status_code == 200
        assert certificat.content.startswith(b"%PDF")
        assert (await _acte(b, acte_id)).pris_connaissance_le is None  # a document is not the acte
        r = await b.client.post(f"{ESPACE}/acte", data={"csrf": csrf(espace.text), "acte_id": acte_id})
        assert r.status_code == 200
        assert r.content == pdf_signe
        assert (await _acte(b, acte_id)).pris_connaissance_le is not None


async def test_espace_actes_annexes_avis_et_declarations(
    banc: BancFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    async with banc() as b:
        depot = await b.t.deposer(
            pdf_signe, metadonnees(), annexes=(("Décompte des sommes.pdf", pdf_signe_bis),)
        )
        assert depot.status_code == 201, depot.text
        acte_id = depot.json()["id"]
        autre_id = await b.signifier(pdf_signe_bis, declaration="paris-2")

        espace = await connecter_espace(b, PERSONNE_PARIS)
        texte = espace.text
        assert re.search(r"Déclaration n° RC-\d{4}-[0-9A-F]+", texte)
        assert "active" in texte
        assert "tous les actes" in texte
        assert "Signification d" in texte or "signification" in texte.lower()
        assert "lundi 2 mars 2026 à 10 h 00 (heure de la France métropolitaine)" in texte
        assert "Décompte des sommes.pdf" in texte
        assert hashlib.sha256(pdf_signe_bis).hexdigest() in texte
        assert taille_lisible(len(pdf_signe_bis)) in texte
        assert hashlib.sha256(pdf_signe).hexdigest() in texte
        assert autre_id not in texte  # another person's acte is not listed
        assert "avis-de-reception" not in texte  # no avis before the prise de connaissance
        jeton_csrf = csrf(texte)

        # An annexe: checked bytes, its download recorded, not a prise de connaissance.
        annexe = await b.client.post(
            f"{ESPACE}/annexe", data={"csrf": jeton_csrf, "acte_id": acte_id, "position": "0"}
        )
        assert annexe.status_code == 200, annexe.text
        assert annexe.content == pdf_signe_bis
        assert "filename*=UTF-8''D%C3%A9compte%20des%20sommes.pdf" in annexe.headers["content-disposition"]
        assert annexe.headers["content-type"] == "application/pdf"
        assert annexe.headers["content-security-policy"] == "sandbox; default-src 'none'"
        [evenement] = await _evenements(b, acte_id, "telechargement_annexe")
        assert evenement.donnees["sha256"] == hashlib.sha256(pdf_signe_bis).hexdigest()
        assert evenement.donnees["position"] == 0
        assert (await _acte(b, acte_id)).pris_connaissance_le is None

        # Another person's acte, an unknown annexe, a form without its CSRF value: nothing served.
        autre = await b.client.post(f"{ESPACE}/acte", data={"csrf": jeton_csrf, "acte_id": autre_id})
        assert autre.status_code == 404
        assert b"%PDF" not in autre.content
        assert (await _acte(b, autre_id)).pris_connaissance_le is None
        inconnue = await b.client.post(
            f"{ESPACE}/annexe", data={"csrf": jeton_csrf, "acte_id": acte_id, "position": "7"}
        )
        assert inconnue.status_code == 404
        sans_csrf = await b.client.post(f"{ESPACE}/acte", data={"acte_id": acte_id})
        assert (sans_csrf.status_code, sans_csrf.headers["location"]) == (303, f"{ESPACE}?erreur=csrf")
        assert (await _acte(b, acte_id)).pris_connaissance_le is None

        # The acte's POST download is the prise de connaissance, exactly as from a link.
        acte = await b.client.post(f"{ESPACE}/acte", data={"csrf": jeton_csrf, "acte_id": acte_id})
        assert acte.status_code == 200
        assert acte.content == pdf_signe
        lu = await _acte(b, acte_id)
        assert lu.statut == "pris_connaissance"
        assert lu.avis_reception_jws is not None
        assert len(await _evenements(b, acte_id, "prise_connaissance")) == 1

        apres = await b.client.get(ESPACE)
        assert "Consulté le lundi 2 mars 2026 à 10 h 00 (heure de la France métropolitaine)" in apres.text
        avis = await b.client.post(
            f"{ESPACE}/avis-de-reception", data={"csrf": csrf(apres.text), "acte_id": acte_id}
        )
        assert avis.status_code == 200
        assert avis.content.startswith(b"%PDF")
        assert (await _acte(b, acte_id)).avis_reception_jws == lu.avis_reception_jws  # no new avis
        # The same issued document as the office's (issued once, same bytes).
        bureau = await b.client.get(
            f"/coffre/v1/actes/{acte_id}/avis-de-reception",
            headers={**b.t.jeton(), "Accept": "application/pdf"},
        )
        assert bureau.content == avis.content
        assert "certificat" not in apres.text  # the mode is fixed at the end of the day

        # Sign-out: the old cookie opens nothing.
        sortie = await b.client.post(f"{ESPACE}/deconnexion", data={"csrf": csrf(apres.text)})
        assert sortie.status_code == 303
        assert "Se connecter" in (await b.client.get(ESPACE)).text


async def test_retour_depuis_le_code_et_une_seule_connexion(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        page = await b.client.get(ESPACE)
        await b.client.post(
            f"{ESPACE}/connexion",
            data={
                "csrf": csrf(page.text),
                "email": PERSONNE_PARIS.email,
                "mot_de_passe": "une faute de frappe",
            },
        )
        code = await b.client.get(ESPACE)
        assert "Saisir le code reçu" in code.text
        assert "Revenir à la connexion" in code.text
        retour = await b.client.post(f"{ESPACE}/recommencer", data={"csrf": csrf(code.text)})
        assert retour.status_code == 303
        page = await b.client.get(ESPACE)
        assert "Se connecter" in page.text
        assert "Saisir le code reçu" not in page.text

        # The same way back on a link's page.
        jeton = await b.lien(acte_id)
        page = await b.client.get(f"{ESPACE}/{jeton}")
        await b.client.post(
            f"{ESPACE}/{jeton}/connexion",
            data={
                "csrf": csrf(page.text),
                "email": PERSONNE_PARIS.email,
                "mot_de_passe": "une faute de frappe",
            },
        )
        code = await b.client.get(f"{ESPACE}/{jeton}")
        assert "Revenir à la connexion" in code.text
        assert 'href="/consent/espace/reinitialisation"' in code.text
        await b.client.post(f"{ESPACE}/{jeton}/recommencer", data={"csrf": csrf(code.text)})
        assert "Recevoir un code de connexion" in (await b.client.get(f"{ESPACE}/{jeton}")).text

        # Signed in on the link: the space opens without a second sign-in.
        await se_connecter(b, jeton, PERSONNE_PARIS)
        espace = await b.client.get(ESPACE)
        assert "Les actes qui vous ont été signifiés" in espace.text
        assert DECL["paris"] not in espace.text  # declarations are shown by their number, not their id

        # Another browser signed in as someone else sees only her own.
        async with nouveau_client(b) as autre:
            espace_autre = await connecter_espace(b, PERSONNE_AUTRE, autre)
            assert "Aucun acte ne vous a été signifié" in espace_autre.text
