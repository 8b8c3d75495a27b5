"""`signif demo`: the whole story against a running embedded deployment (`make run`), step by step.

A newcomer sees the product work in one minute: a destinataire declares her consent (the e-mailed
code is read from the `.eml` files the embedded deployment writes under `<var>/mail/`), an operator
accepts it, a commissaire consults the register, signs a PDF with the development certificate and
deposits it; the avis de mise à disposition arrives by e-mail with the retrieval link; the
destinataire signs in (password + e-mailed code) and downloads the acte; the office sees the events.
When the deployment has the test clock (`/_test/horloge`, development and test only) the demo moves
it past local midnight so the mode is fixed, else it says that this step is skipped. Evidence bundles
are downloaded and verified offline when the coffre serves them. With the test clock, a second acte is
left unread until the end of the day: signification à domicile, the lettre simple, and the
destinataire follows the address the lettre prints to her space (`/coffre/retrait`, no link), signs
in there and downloads the acte.

Development tool only: tokens are minted with the deployment's development issuer key under
`<var>/keys/`, so the demo must run on the machine holding the deployment's `var/` directory.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.issuer import DevIssuer
from signif.formulaires import DemoEchouee, Formulaires

OFFICE = {
    "id": "office-demo",
    "nom": "Office de démonstration",
    "commune_insee": "75056",
    "cour_appel": "paris",
}
MOT_DE_PASSE = "mot de passe de démonstration 2026"
PIECE = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PERSONNE: dict[str, Any] = {
    "type": "physique",
    "nom": "Dupont-Lefèvre",
    "prenoms": "Élise Marie",
    "date_naissance": "1984-07-14",
    "lieu_naissance": "Lyon",
    "domicile": {
        "adresse": "12 rue des Lilas",
        "code_postal": "75011",
        "commune": "Paris",
        "commune_insee": "75056",
        "pays": "France",
    },
}
IDENTITE = ("type", "nom", "prenoms", "date_naissance")
PREUVES = "/coffre/v1/actes/{acte_id}/preuves"


class Demo:
    def __init__(self, url: str, var: Path, dossier: Path, sortie: Callable[[str], None] = print) -> None:
        self.url = url.rstrip("/")
        self.var = var
        self.dossier = dossier
        self.dire = sortie
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.email = f"demo-{uuid.uuid4().hex[:8]}@example.org"
        self.horloge = False
        self._numero = 0
        self._vus: set[str] = set()

    # --- plumbing -------------------------------------------------------------------------------

    def etape(self, titre: str) -> None:
        self._numero += 1
        self.dire(f"\n{self._numero}. {titre}")

    def jeton(self, role: str, audience: str, **claims: Any) -> dict[str, str]:
        issuer = DevIssuer(self.var / "keys", allow_create=False)
        token = issuer.token(role=role, sub=f"demo-{role}", audience=audience, **claims)
        return {"Authorization": f"Bearer {token}"}

    def commissaire(self, audience: str) -> dict[str, str]:
        return self.jeton("commissaire", audience, nom="Me Camille Démo", office=OFFICE)

    def appel(self, methode: str, chemin: str, attendu: int = 200, **kwargs: Any) -> httpx.Response:
        reponse = self.http.request(methode, chemin, **kwargs)
        if reponse.status_code != attendu:
            raise DemoEchouee(f"{methode} {chemin} → {reponse.status_code} : {reponse.text[:500]}")
        return reponse

    def taches(self) -> None:
        """Run due jobs now when the deployment allows it (else its in-process runner does)."""
        if self.horloge:
            self.appel("POST", "/_test/jobs")

    def courriel(self, condition: Callable[[EmailMessage, str], bool], delai: float = 30) -> tuple[Path, str]:
        """The next `.eml` to the demo address that satisfies `condition`, and its text."""
        limite = time.monotonic() + delai
        while time.monotonic() < limite:
            for chemin in sorted((self.var / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
                if chemin.name in self._vus:
                    continue
                message = email.message_from_bytes(chemin.read_bytes(), policy=email.policy.default)
                if not isinstance(message, EmailMessage) or self.email not in str(message["To"]):
                    continue
                corps = message.get_body(preferencelist=("plain",))
                texte = str(corps.get_content()) if corps is not None else ""
                if condition(message, texte):
                    self._vus.add(chemin.name)
                    return chemin, texte
            self.taches()
            time.sleep(0.2)
        raise DemoEchouee(f"aucun courriel attendu dans {self.var / 'mail'} après {delai:.0f} s")

    def code(self, objet: str) -> str:
        chemin, texte = self.courriel(lambda m, _texte: objet in str(m["Subject"]).lower())
        trouve = re.search(r"\b(\d{6}|\d{8})\b", texte)
        if not trouve:
            raise DemoEchouee(f"pas de code dans {chemin}")
        self.dire(f"   courriel : {chemin}")
        return trouve.group(1)

    def fichier(self, nom: str, contenu: bytes) -> Path:
        chemin = self.dossier / nom
        chemin.write_bytes(contenu)
        self.dire(f"   fichier : {chemin}")
        return chemin

    # --- the story ------------------------------------------------------------------------------

    def executer(self) -> str:
        self.dossier.mkdir(parents=True, exist_ok=True)
        self._vus = {p.name for p in (self.var / "mail").glob("*.eml")}
        self.etape("Le déploiement répond")
        for service in ("consent", "coffre", "notify"):
            self.appel("GET", f"/{service}/readyz")
            self.dire(f"   {self.url}/{service}/docs")
        self.horloge = self.http.get("/_test/horloge").status_code == 200
        self.dire(
            "   horloge de test : " + ("disponible" if self.horloge else "absente (étape de minuit omise)")
        )
        declaration_id = self.declarer()
        acte_id, signe = self.deposer(declaration_id)
        self.retirer(acte_id, signe)
        self.minuit(acte_id)
        self.preuves(acte_id)
        self.domicile(declaration_id)
        self.dire(f"\nDémo terminée. Fichiers produits : {self.dossier}")
        return acte_id

    def declarer(self) -> str:
        self.etape(f"Déclaration de consentement de Mme Élise Dupont-Lefèvre ({self.email})")
        mentions = self.appel("GET", "/consent/v1/mentions").json()
        corps = {
            "personne": PERSONNE,
            "contact": {"email": self.email, "mobile": None},
            "natures": ["*"],
            "fin": None,
            "mentions": {"version": mentions["version"], "sha256": mentions["sha256"]},
            "consentement_expres": True,
            "mot_de_passe": MOT_DE_PASSE,
        }
        cree = self.appel("POST", "/consent/v1/declarations", 201, json=corps).json()
        ident, gestion = cree["id"], {"X-Jeton-Gestion": cree["jeton_gestion"]}
        self.dire(f"   déclaration {ident} : {cree['statut']}")
        self.etape("Confirmation de l'adresse électronique avec le code reçu")
        code = self.code("confirme")
        self.appel(
            "POST", f"/consent/v1/declarations/{ident}/confirmation", json={"code": code}, headers=gestion
        )
        self.etape("Pièces justificatives et soumission")
        for type_piece in ("carte_identite", "justificatif_domicile"):
            fichiers = {"fichier": (f"{type_piece}.pdf", PIECE, "application/pdf")}
            self.appel(
                "POST",
                f"/consent/v1/declarations/{ident}/pieces",
                201,
                data={"type": type_piece},
                files=fichiers,
                headers=gestion,
            )
        self.appel("POST", f"/consent/v1/declarations/{ident}/soumission", headers=gestion)
        self.etape("L'opérateur vérifie les pièces et accepte la déclaration")
        self.appel(
            "POST",
            f"/consent/v1/operateur/declarations/{ident}/decision",
            json={"decision": "acceptee", "motif": "Pièces conformes (démo)"},
            headers=self.jeton("operateur", "consent"),
        )
        self.etape("Le commissaire de justice consulte le registre")
        consultation = self.appel(
            "POST",
            "/consent/v1/consultations",
            json={
                "destinataire": {k: PERSONNE[k] for k in IDENTITE},
                "nature": "signification_decision",
                "reference_dossier": "DEMO-2026-0001",
            },
            headers=self.commissaire("consent"),
        ).json()
        self.dire(f"   consentement : {consultation['consentement']}")
        return str(ident)

    def deposer(self, declaration_id: str) -> tuple[str, bytes]:
        self.etape("Signature du PDF avec le certificat de démonstration (signif dev sign)")
        signe = self.signer("acte", "Signification d'un jugement (démonstration)")
        self.dire(f"   fichier : {self.dossier / 'acte-signe.pdf'}")
        self.etape("Dépôt de l'acte dans le coffre et envoi")
        acte = self.envoyer_acte(signe, declaration_id, "DEMO-2026-0001", "signification_decision")
        self.dire(f"   acte {acte['id']} ({acte['statut']}), SHA-256 {acte['sha256']}")
        if acte.get("envoye_le") is None and acte.get("envoi_prevu_le"):
            self.dire(f"   hors heures légales : envoi programmé le {acte['envoi_prevu_le']}")
            if not self.horloge:
                raise DemoEchouee("relancez la démo pendant les heures légales (6 h – 21 h, jours ouvrables)")
            self.appel("POST", "/_test/horloge", json={"maintenant": acte["envoi_prevu_le"]})
        self.taches()
        return str(acte["id"]), signe

    def signer(self, nom: str, titre: str) -> bytes:
        """A PDF/A acte titled `titre`, signed with the development certificate (`signif dev sign`)."""
        from shared.testing.pdfs import acte_pdfa
        from signif.pdfa import signer_en_pdfa

        brut = self.fichier(f"{nom}.pdf", acte_pdfa(titre=titre))
        signer_en_pdfa(brut, self.dossier / f"{nom}-signe.pdf", self.var)
        return (self.dossier / f"{nom}-signe.pdf").read_bytes()

    def envoyer_acte(self, signe: bytes, declaration_id: str, reference: str, nature: str) -> dict[str, Any]:
        """`POST /coffre/v1/actes` of the signed PDF for the declaration; the coffre's answer."""
        meta = {
            "reference_dossier": reference,
            "nature": nature,
            "requerant": {"nom": "SCI Les Tilleuls"},
            "destinataire": {"declaration_id": declaration_id},
        }
        fichiers = [
            ("metadonnees", (None, json.dumps(meta).encode(), "application/json")),
            ("document", ("acte.pdf", signe, "application/pdf")),
        ]
        reponse = self.appel(
            "POST", "/coffre/v1/actes", 201, files=fichiers, headers=self.commissaire("coffre")
        )
        acte: dict[str, Any] = reponse.json()
        return acte

    def retirer(self, acte_id: str, signe: bytes) -> None:
        self.etape("Avis de mise à disposition reçu par courriel")
        chemin, texte = self.courriel(lambda _m, texte: "/coffre/retrait/" in texte)
        trouve = re.search(r"(https?://\S+/coffre/retrait/[A-Za-z0-9_\-]+)", texte)
        if not trouve:
            raise DemoEchouee(f"pas de lien de retrait dans {chemin}")
        lien = trouve.group(1)
        self.dire(f"   courriel : {chemin}\n   lien de retrait : {lien}")
        self.etape("Le destinataire se connecte (mot de passe puis code reçu) et télécharge l'acte")
        page = Formulaires(self.http, lien, refus="retrait refusé")

        page.poster("connexion", {"email": self.email, "mot_de_passe": MOT_DE_PASSE})
        page.poster("code", {"code": self.code("connexion")})
        pdf = page.poster("telechargement", {})
        if pdf.status_code != 200 or pdf.content != signe:
            raise DemoEchouee(f"téléchargement : {pdf.status_code}")
        self.fichier("acte-telecharge.pdf", pdf.content)
        self.dire(f"   SHA-256 identique au dépôt : {hashlib.sha256(pdf.content).hexdigest()}")
        self.taches()
        self.etape("Avis de réception et événements reçus par l'office")
        avis = self.appel(
            "GET",
            f"/coffre/v1/actes/{acte_id}/avis-de-reception",
            headers={**self.commissaire("coffre"), "Accept": "application/pdf"},
        )
        self.fichier("avis-de-reception.pdf", avis.content)
        evenements = self.appel("GET", "/notify/v1/evenements", headers=self.commissaire("notify")).json()
        types = [
            e["type"]
            for e in evenements.get("elements", [])
            if e.get("donnees", {}).get("acte_id") == acte_id
        ]
        self.dire(f"   événements (flux {self.url}/notify/v1/evenements) : {', '.join(types) or 'aucun'}")

    def _apres_minuit(self, acte_id: str) -> None:
        """Move the test clock 5 minutes past the destinataire's next local midnight, run the jobs."""
        acte = self.appel("GET", f"/coffre/v1/actes/{acte_id}", headers=self.commissaire("coffre")).json()
        fuseau = ZoneInfo(acte.get("fuseau") or "Europe/Paris")
        maintenant = datetime.fromisoformat(self.appel("GET", "/_test/horloge").json()["maintenant"])
        local = maintenant.astimezone(fuseau)
        apres = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), fuseau) + timedelta(
            minutes=5
        )
        self.appel("POST", "/_test/horloge", json={"maintenant": apres.isoformat()})
        self.dire(f"   horloge de test avancée au {apres.isoformat()}")
        self.taches()

    def minuit(self, acte_id: str) -> None:
        self.etape("Fin du jour légal : le mode de signification est fixé")
        if not self.horloge:
            self.dire(
                "   étape omise : pas d'horloge de test ; le mode sera fixé à minuit (heure du destinataire)"
            )
            return
        self._apres_minuit(acte_id)
        acte = self.appel("GET", f"/coffre/v1/actes/{acte_id}", headers=self.commissaire("coffre")).json()
        self.dire(f"   mode : {acte['mode']}")
        certificat = self.http.get(
            f"/coffre/v1/actes/{acte_id}/certificat", headers=self.commissaire("coffre")
        )
        if certificat.status_code == 200:
            self.fichier("certificat-de-signification.pdf", certificat.content)
            self.mentions(certificat.content)

    def mentions(self, pdf: bytes) -> None:
        """The certificat's mentions (CPC 663), as it prints them: every formalité, its date and hour."""
        from shared.testing.texte_pdf import texte_pdf

        lignes = [ligne.strip() for ligne in texte_pdf(pdf).splitlines() if ligne.strip()]
        debut = next(
            (i for i, ligne in enumerate(lignes) if ligne.startswith("Formalités et diligences")), None
        )
        if debut is None:
            return
        self.dire("   mentions du certificat :")
        for ligne in lignes[debut:]:
            if ligne.startswith(("Certificat établi", "Document scellé")):
                break
            self.dire(f"     {ligne}")

    def preuves(self, acte_id: str) -> None:
        self.etape("Lot de preuves vérifiable hors ligne")
        if PREUVES not in self.appel("GET", "/coffre/openapi.json").json()["paths"]:
            self.dire("   le coffre ne sert pas encore les lots de preuves : étape omise")
            return
        lot = self.appel("GET", PREUVES.format(acte_id=acte_id), headers=self.commissaire("coffre"))
        chemin = self.fichier("preuves.zip", lot.content)
        from shared.evidence.verify import verify_bundle

        rapport = verify_bundle(chemin.read_bytes(), on_check=lambda c: self.dire(f"   {c}"))
        if not rapport.ok:
            raise DemoEchouee("le lot de preuves ne se vérifie pas")
        self.dire(f"   vérifiez-le vous-même : signif verify {chemin}")

    def domicile(self, declaration_id: str) -> None:
        self.etape("Un second acte, que le destinataire ne consulte pas le jour même")
        if not self.horloge:
            self.dire("   étape omise : pas d'horloge de test pour passer la fin du jour légal")
            return
        from shared.testing.texte_pdf import texte_pdf

        signe = self.signer("acte-2", "Commandement de payer (démonstration)")
        acte = self.envoyer_acte(signe, declaration_id, "DEMO-2026-0002", "commandement_payer")
        if acte.get("envoye_le") is None and acte.get("envoi_prevu_le"):
            self.appel("POST", "/_test/horloge", json={"maintenant": acte["envoi_prevu_le"]})
        self.taches()
        acte_id = str(acte["id"])
        self.dire(f"   acte {acte_id} envoyé ; le destinataire ne l'ouvre pas")

        self.etape("Fin du jour légal sans consultation : signification à domicile et lettre simple")
        self._apres_minuit(acte_id)
        acte = self.appel("GET", f"/coffre/v1/actes/{acte_id}", headers=self.commissaire("coffre")).json()
        self.dire(f"   mode : {acte['mode']}")
        if acte["mode"] != "a_domicile":
            raise DemoEchouee(f"mode attendu : a_domicile, obtenu : {acte['mode']}")
        lettre = self.appel(
            "GET", f"/coffre/v1/actes/{acte_id}/lettre-simple", headers=self.commissaire("coffre")
        )
        self.fichier("lettre-simple.pdf", lettre.content)
        imprimee = re.search(r"https?://\S+/coffre/retrait/?(?=\s)", texte_pdf(lettre.content))
        if imprimee is None:
            raise DemoEchouee("la lettre simple n'imprime pas l'adresse de l'espace destinataire")
        adresse = imprimee.group(0).rstrip("/")
        self.dire(f"   lettre simple : {self.dossier / 'lettre-simple.pdf'}")
        self.dire(f"   adresse imprimée sur la lettre : {adresse}")

        self.etape("Le destinataire suit l'adresse de la lettre : son espace, sans lien, puis l'acte")
        espace = Formulaires(self.http, adresse, refus="espace refusé")

        espace.poster("connexion", {"email": self.email, "mot_de_passe": MOT_DE_PASSE})
        espace.poster("code", {"code": self.code("connexion")})
        if acte_id not in espace.lire().text:
            raise DemoEchouee("l'acte n'apparaît pas dans l'espace destinataire")
        self.dire(f"   espace destinataire : {adresse} (ses actes, leurs annexes, ses déclarations)")
        pdf = espace.poster("acte", {"acte_id": acte_id})
        if pdf.status_code != 200 or pdf.content != signe:
            raise DemoEchouee(f"téléchargement depuis l'espace : {pdf.status_code}")
        self.fichier("acte-2-telecharge.pdf", pdf.content)
        self.dire(f"   acte téléchargé depuis l'espace, SHA-256 {hashlib.sha256(pdf.content).hexdigest()}")
