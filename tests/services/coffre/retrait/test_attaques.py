"""Issue 19, findings 2, 3 and 4 on the retrieval pages, replayed as the attacker's requests: a
stranger holding the link tries to lock its destinataire out, codes guessed over fresh challenges, a
cross-site form post, and the old cookie replayed after sign-out or after a password reset."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.coffre.models import Acte
from tests.services.coffre.retrait.outils import (
    PERSONNE_PARIS,
    BancFactory,
    csrf,
    nouveau_client,
    regler,
    se_connecter,
    telecharger,
)


async def test_un_inconnu_qui_a_le_lien_ne_bloque_pas_sa_destinataire(
    banc: BancFactory, pdf_signe: bytes
) -> None:
    """Finding 2: ~13 failed POSTs on one link used to block it (429, 600 s) for everyone."""
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        async with nouveau_client(b, adresse="203.0.113.66") as inconnu:
            statuts = []
            for i in range(25):
                page = await inconnu.get(f"/coffre/retrait/{jeton}")
                r = await inconnu.post(
                    f"/coffre/retrait/{jeton}/connexion",
                    data={"csrf": csrf(page.text), "email": f"essai{i}@example.org", "mot_de_passe": "x"},
                )
                statuts.append(r.headers["location"].rsplit("?", 1)[-1])
            assert statuts.count("erreur=trop-de-requetes") >= 5  # the stranger is slowed down...
        # ... and only the stranger: the destinataire, from her own address, signs in and downloads.
        async with nouveau_client(b, adresse="192.0.2.10") as elle:
            apres = await se_connecter(b, jeton, PERSONNE_PARIS, client=elle)
            assert "Télécharger l'acte" in apres.text
            assert (await telecharger(elle, jeton)).content == pdf_signe


async def test_codes_devines_sur_des_defis_successifs(banc: BancFactory, pdf_signe: bytes) -> None:
    """Finding 2: a locked challenge used to be followed by a fresh one that opened the acte."""
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        erreurs = []
        for _ in range(2):
            page = await b.client.get(f"/coffre/retrait/{jeton}")
            await b.client.post(
                f"/coffre/retrait/{jeton}/connexion",
                data={
                    "csrf": csrf(page.text),
                    "email": PERSONNE_PARIS.email,
                    "mot_de_passe": PERSONNE_PARIS.mot_de_passe,
                },
            )
            for _ in range(5):
                page = await b.client.get(f"/coffre/retrait/{jeton}")
                r = await b.client.post(
                    f"/coffre/retrait/{jeton}/code", data={"csrf": csrf(page.text), "code": "00000000"}
                )
                erreurs.append(r.headers["location"].rsplit("=", 1)[-1])
        assert erreurs[:5] == ["authentification"] * 4 + ["compte-verrouille"]
        # The second challenge, opened while locked, got no code and opens nothing.
        assert "compte-verrouille" not in erreurs[5:] or set(erreurs[5:]) <= {
            "authentification",
            "compte-verrouille",
        }
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        assert "Télécharger l'acte" not in page.text
        async with b.t.runtime.db.read() as session:
            acte = await session.scalar(select(Acte).where(Acte.id == acte_id))
        assert acte is not None
        assert acte.pris_connaissance_le is None


async def test_un_formulaire_venu_d_un_autre_site_est_refuse(banc: BancFactory, pdf_signe: bytes) -> None:
    """Finding 3 on these pages: the right CSRF value is not enough from another site."""
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        await se_connecter(b, jeton, PERSONNE_PARIS)
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        for entetes in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            r = await b.client.post(
                f"/coffre/retrait/{jeton}/telechargement", data={"csrf": csrf(page.text)}, headers=entetes
            )
            assert (r.status_code, r.headers["location"].endswith("erreur=csrf")) == (303, True)
        async with b.t.runtime.db.read() as session:
            acte = await session.get(Acte, acte_id)
        assert acte is not None
        assert acte.pris_connaissance_le is None


async def test_apres_deconnexion_l_ancien_cookie_ne_telecharge_plus(
    banc: BancFactory, pdf_signe: bytes
) -> None:
    """Finding 4: after sign-out the old cookie still downloaded the acte (and recorded the prise)."""
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        await se_connecter(b, jeton, PERSONNE_PARIS)
        ancien = b.client.cookies.get("signif_retrait")
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        ancien_csrf = csrf(page.text)
        sortie = await b.client.post(f"/coffre/retrait/{jeton}/deconnexion", data={"csrf": ancien_csrf})
        assert sortie.status_code == 303
        async with nouveau_client(b) as rejeu:
            rejeu.cookies.set("signif_retrait", ancien or "", domain="coffre.test", path="/coffre/retrait/")
            r = await rejeu.post(f"/coffre/retrait/{jeton}/telechargement", data={"csrf": ancien_csrf})
            assert r.status_code == 303
            assert b"%PDF" not in r.content
            assert "Se connecter" in (await rejeu.get(f"/coffre/retrait/{jeton}")).text
        async with b.t.runtime.db.read() as session:
            acte = await session.get(Acte, acte_id)
        assert acte is not None
        assert acte.pris_connaissance_le is None


async def test_une_reinitialisation_ferme_la_session_de_retrait(banc: BancFactory, pdf_signe: bytes) -> None:
    """Finding 4: sessions opened before a password reset survived it."""
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        await se_connecter(b, jeton, PERSONNE_PARIS)
        regler(b, b.t.runtime.clock.now() + timedelta(minutes=1))
        consent = b.voisins.consent_client
        url = "/consent/v1/comptes/reinitialisation"
        defi = (
            await consent.post(url, json={"email": PERSONNE_PARIS.email, "date_naissance": "1970-05-04"})
        ).json()
        fait = await consent.post(
            f"{url}/{defi['defi_id']}",
            json={
                "code": b.voisins.dernier_code(PERSONNE_PARIS.email),
                "mot_de_passe": "un nouveau secret 2026",
            },
        )
        assert fait.status_code == 204
        r = await telecharger(b.client, jeton)
        assert r.status_code == 303
        assert b"%PDF" not in r.content
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        assert "Se connecter" in page.text
