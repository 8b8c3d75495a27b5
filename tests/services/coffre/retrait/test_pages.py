"""Retrieval pages: sign-in through consent, download = prise de connaissance, nothing on GET,
refusals (other person, other acte, unknown link, CSRF, commissaire tokens), rate limit."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func, select

from services.coffre.models import JOB_TABLES, Acte, ActeEvenement
from services.coffre.preuves import verifier_avis_reception
from services.coffre.retrait.connexion import ConnexionRefusee
from shared.http import STRICT_CSP
from tests.services.coffre.retrait.outils import (
    PERSONNE_AUTRE,
    PERSONNE_PARIS,
    Banc,
    BancFactory,
    csrf,
    executer,
    nouveau_client,
    regler,
    se_connecter,
    telecharger,
)
from tests.services.coffre.voisins import DECL


async def _evenements(b: Banc, type_: str) -> int:
    async with b.t.runtime.db.transaction() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(ActeEvenement).where(ActeEvenement.type == type_)
            )
            or 0
        )


async def test_parcours_complet(banc: BancFactory, pdf_signe: bytes, pdf_signe_bis: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        autre_id = await b.signifier(pdf_signe_bis, nature="assignation")
        jeton = await b.lien(acte_id)

        page = await b.client.get(f"/coffre/retrait/{jeton}")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == STRICT_CSP
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "secure" in cookie
        assert "samesite=strict" in cookie
        assert "Me Martin" in page.text
        assert "Office office-paris-1" in page.text
        assert "2 mars 2026" in page.text
        assert "%PDF" not in page.text
        assert '<html lang="fr">' in page.text
        assert "<script" not in page.text
        assert 'label for="email"' in page.text
        assert 'label for="mot_de_passe"' in page.text
        assert await b.voisins.defis_de_connexion() == []  # consent not asked yet

        apres = await se_connecter(b, jeton, PERSONNE_PARIS)
        assert "Télécharger l'acte" in apres.text
        assert acte_id in apres.text
        assert autre_id in apres.text
        # consent took the coffre's (authenticated) sign-in: one challenge, spent by the right code.
        assert [d.utilise for d in await b.voisins.defis_de_connexion()] == [True]
        # Still no prise de connaissance: only the POST counts.
        avis = await b.client.get(f"/coffre/v1/actes/{acte_id}/avis-de-reception", headers=b.t.jeton())
        assert avis.status_code == 404
        assert avis.json()["code"] == "pas-encore"

        r = await telecharger(b.client, jeton)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.content == pdf_signe

        detail = (await b.client.get(f"/coffre/v1/actes/{acte_id}", headers=b.t.jeton())).json()
        assert detail["statut"] == "pris_connaissance"
        assert detail["pris_connaissance_le"] is not None
        assert "prise_connaissance" in [e["type"] for e in detail["evenements"]]

        avis = await b.client.get(f"/coffre/v1/actes/{acte_id}/avis-de-reception", headers=b.t.jeton())
        assert avis.status_code == 200
        jwks = (await b.client.get("/coffre/v1/.well-known/jwks.json")).json()
        verifie = verifier_avis_reception(
            avis.json()["jws"],
            jwks,
            tsa_trust_roots=[b.t.coffre.horodatage.authority.credentials.root],  # type: ignore[attr-defined]
        )
        assert verifie.contenu["acte_id"] == acte_id
        assert verifie.contenu["declaration_id"] == DECL["paris"]
        assert verifie.contenu["pris_connaissance_le"] == detail["pris_connaissance_le"]

        # Later download (and of the other acte): logged, never a new avis.
        regler(b, b.t.runtime.clock.now() + timedelta(minutes=3))
        again = await telecharger(b.client, jeton)
        assert again.content == pdf_signe
        avis2 = await b.client.get(f"/coffre/v1/actes/{acte_id}/avis-de-reception", headers=b.t.jeton())
        assert avis2.json()["jws"] == avis.json()["jws"]
        assert await _evenements(b, "telechargement") == 1
        other = await telecharger(b.client, jeton, autre_id)
        assert other.content == pdf_signe_bis

        await executer(b)
        evenements = await b.voisins.evenements()  # what notify received
        types = [e["type"] for e in evenements]
        assert types.count("acte.pris_connaissance") == 2  # one per acte, never per download
        donnees = next(e["donnees"] for e in evenements if e["type"] == "acte.pris_connaissance")
        assert set(donnees) == {
            "acte_id",
            "office_id",
            "sha256",
            "pris_connaissance_le",
            "fuseau",
            "avis_reception_jws",
        }

        pdf = await b.client.get(
            f"/coffre/v1/actes/{acte_id}/avis-de-reception",
            headers={**b.t.jeton(), "Accept": "application/pdf"},
        )
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        assert b"/ETSI.CAdES.detached" in pdf.content
        autre_office = b.t.commissaire(office_id="office-ailleurs")
        refus = await b.client.get(f"/coffre/v1/actes/{acte_id}/avis-de-reception", headers=autre_office)
        assert refus.status_code == 404


async def test_get_et_connexion_ne_valent_pas_prise(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        for _ in range(5):
            assert (await b.client.get(f"/coffre/retrait/{jeton}")).status_code == 200
        await se_connecter(b, jeton, PERSONNE_PARIS)
        assert (await b.client.get(f"/coffre/retrait/{jeton}")).status_code == 200
        async with b.t.runtime.db.transaction() as session:
            acte = await session.get(Acte, acte_id)
            assert acte is not None
            assert acte.pris_connaissance_le is None
            assert acte.statut == "envoye"
            sortie = await session.scalar(select(func.count()).select_from(JOB_TABLES.outbox))
        assert sortie == 1  # only acte.envoye


async def test_autre_destinataire_et_autre_acte_refuses(
    banc: BancFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    async with banc() as b:
        acte_paris = await b.signifier(pdf_signe)
        acte_lyon = await b.signifier(pdf_signe_bis, declaration="paris-2")
        jeton_paris = await b.lien(acte_paris)
        jeton_lyon = await b.lien(acte_lyon)

        # Paul signs in on Jeanne's link: refused, no session.
        page = await se_connecter(b, jeton_paris, PERSONNE_AUTRE)
        assert "ne correspond pas" in page.text
        assert "Télécharger l'acte" not in page.text
        r = await b.client.post(
            f"/coffre/retrait/{jeton_paris}/telechargement", data={"csrf": csrf(page.text)}
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith("erreur=csrf")

        # Paul on his own link cannot fetch Jeanne's acte by id.
        async with nouveau_client(b) as paul:
            await se_connecter(b, jeton_lyon, PERSONNE_AUTRE, client=paul)
            r = await telecharger(paul, jeton_lyon, acte_paris)
            assert r.status_code == 404
            assert b"%PDF" not in r.content
            # Paul's cookie does not open Jeanne's link (the cookie is bound to one link).
            page = await paul.get(f"/coffre/retrait/{jeton_paris}")
            assert "Se connecter" in page.text
            cookie = paul.cookies.get("signif_retrait")
            assert cookie is not None
            r = await paul.post(
                f"/coffre/retrait/{jeton_paris}/telechargement",
                data={"csrf": csrf(page.text), "acte_id": acte_paris},
            )
            assert r.status_code == 303
        async with b.t.runtime.db.transaction() as session:
            acte = await session.get(Acte, acte_paris)
            assert acte is not None
            assert acte.pris_connaissance_le is None

        inconnu = await b.client.get("/coffre/retrait/" + "A" * 43)
        assert inconnu.status_code == 404
        assert "Lien invalide" in inconnu.text


async def test_csrf_mauvais_code_et_jetons_commissaire(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        sans_csrf = await b.client.post(
            f"/coffre/retrait/{jeton}/connexion",
            data={"email": PERSONNE_PARIS.email, "mot_de_passe": PERSONNE_PARIS.mot_de_passe},
        )
        assert sans_csrf.headers["location"].endswith("erreur=csrf")
        assert await b.voisins.defis_de_connexion() == []  # consent was not asked
        mauvais = await se_connecter(b, jeton, PERSONNE_PARIS, code_errone=True)
        assert "incorrects" in mauvais.text
        assert "Télécharger l'acte" not in mauvais.text

        # A commissaire's bearer token does not open anything: the pages read the cookie only.
        async with nouveau_client(b) as commissaire:
            page = await commissaire.get(f"/coffre/retrait/{jeton}", headers=b.t.jeton())
            assert "Se connecter" in page.text
            r = await commissaire.post(
                f"/coffre/retrait/{jeton}/telechargement", headers=b.t.jeton(), data={"csrf": csrf(page.text)}
            )
            assert r.status_code == 303

        # A token with role commissaire, even signed by consent's key, or a destinataire token signed by
        # another key, never verifies as a destinataire.
        retrait = b.t.coffre.retrait
        now = b.t.runtime.clock.now()
        v = b.voisins
        for mauvais_jeton in (
            v.jeton_destinataire(role="commissaire", sub="commissaire-1"),
            v.jeton_destinataire(cle=ed25519.Ed25519PrivateKey.generate()),
            v.jeton_destinataire(aud="consent"),
            v.jeton_destinataire(exp=int(time.time()) - 60),
            b.t.jeton(role="destinataire", sub="personne-1", declarations=[DECL["paris"]])["Authorization"][
                7:
            ],
        ):
            try:
                await retrait.client.verifier(mauvais_jeton, now=now)
            except ConnexionRefusee:
                continue
            raise AssertionError("token accepted")
        # The same shape with nothing altered verifies, and so does a token from consent's sign-in.
        intact = await retrait.client.verifier(v.jeton_destinataire(), now=now)
        assert intact.declarations == [DECL["paris"]]
        reel = await v.connecter(PERSONNE_PARIS.email, PERSONNE_PARIS.mot_de_passe)
        ok = await retrait.client.verifier(reel, now=now)
        assert ok.declarations == [DECL["paris"]]


async def test_limite_de_debit(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        statuts = [(await b.client.get(f"/coffre/retrait/{jeton}")).status_code for _ in range(121)]
        assert statuts[:120] == [200] * 120
        assert statuts[120] == 429
        # The limit is this client's, not the link's: from elsewhere the page still opens.
        async with nouveau_client(b, adresse="198.51.100.20") as ailleurs:
            assert (await ailleurs.get(f"/coffre/retrait/{jeton}")).status_code == 200
            inconnus = [(await ailleurs.get(f"/coffre/retrait/x{i}")).status_code for i in range(21)]
        assert inconnus[:20] == [404] * 20
        assert inconnus[20] == 429


async def test_lien_expire_session_expiree_et_document_altere(banc: BancFactory, pdf_signe: bytes) -> None:
    async with banc() as b:
        acte_id = await b.signifier(pdf_signe)
        jeton = await b.lien(acte_id)
        await se_connecter(b, jeton, PERSONNE_PARIS)

        # The stored acte altered: an error page, no prise de connaissance recorded.
        path = b.t.coffre.blobs.path_for(await _sha(b, acte_id))  # type: ignore[attr-defined]
        path.chmod(0o644)
        altere = bytearray(path.read_bytes())
        altere[200] ^= 0x01
        path.write_bytes(bytes(altere))
        r = await telecharger(b.client, jeton)
        assert r.status_code == 500
        assert b"%PDF" not in r.content
        async with b.t.runtime.db.transaction() as session:
            acte = await session.get(Acte, acte_id)
            assert acte is not None
            assert acte.pris_connaissance_le is None
            alertes = (
                await session.scalars(
                    select(ActeEvenement).where(
                        ActeEvenement.acte_id == acte_id, ActeEvenement.type == "alerte_integrite"
                    )
                )
            ).all()
            size = await b.t.coffre.repertoire.log.size(session)
            feuille = (await b.t.coffre.repertoire.log.leaves(session, size - 1, size))[0]
        # The integrity alarm, as for the office's document: the event and the répertoire leaf.
        assert [(a.donnees, a.journal_index) for a in alertes] == [({"lors": "retrait"}, size - 1)]
        assert json.loads(feuille.data) | {"instant": None} == {
            "v": 2,
            "type": "alerte_integrite",
            "acte_id": acte_id,
            "sha256": await _sha(b, acte_id),
            "instant": None,
        }

        # The session ends after 15 minutes on the service clock: the cookie then opens nothing.
        regler(b, b.t.runtime.clock.now() + timedelta(minutes=16))
        page = await b.client.get(f"/coffre/retrait/{jeton}")
        assert "Se connecter" in page.text
        assert "Télécharger l'acte" not in page.text

        # After its expiry the link is the same 404 page as an unknown one.
        regler(b, b.t.runtime.clock.now() + timedelta(days=31))
        expire = await b.client.get(f"/coffre/retrait/{jeton}")
        assert expire.status_code == 404


async def _sha(b: Banc, acte_id: str) -> str:
    async with b.t.runtime.db.transaction() as session:
        acte = await session.get(Acte, acte_id)
        assert acte is not None
        return acte.sha256
