"""An office's integration with Signif, from end to end, written from `docs/` alone.

    python examples/office/integration.py --url http://127.0.0.1:8000 --jeton "$JETON" \
        --acte acte-signe.pdf --declaration <declaration_id> [--port-webhooks 8765] [--dossier sortie/]

1. start a webhook receiver on 127.0.0.1 that verifies every delivery (Standard Webhooks v1 with the
   subscription's secret, v1a with the platform's public key) before trusting it;
2. subscribe it to the office's events (`POST /notify/v1/abonnements`; the secret is shown once);
3. deposit the signed PDF/A acte (`POST /coffre/v1/actes`, automatic Idempotency-Key, retried on 503);
4. wait for the `acte.envoye` webhook of that acte; without it in time, read the pull feed instead;
5. download the evidence bundle and verify it offline, as `signif verify` does.

The token is an office's (`signif token issue --preset commissaire-paris` on a development deployment).
A webhook receiver at a loopback address is refused by the platform unless its network is allowed
(`NOTIFY_WEBHOOK_ALLOWLIST='["127.0.0.1/32"]'`, development only): in production the URL is https.
Exit status 0 only if the acte was sent and its evidence bundle verifies.
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from signif.client import (
    ClientSignif,
    ErreurSignif,
    Evenement,
    SignatureWebhookInvalide,
    verifier_preuves,
    verifier_webhook,
)

TYPES = ["acte.envoye", "acte.pris_connaissance", "acte.mode_fixe", "notification.echec"]


class Recepteur:
    """The office's webhook endpoint: verified events go to `recus`; a bad signature gets a 400."""

    def __init__(self, port: int) -> None:
        self.recus: queue.Queue[Evenement] = queue.Queue()
        self.refuses = 0
        self.secret: str | None = None
        self.cle_publique: str | None = None
        self.horloge: datetime | None = None  # the platform's instant, for a deployment with a test clock
        recepteur = self

        class Gestionnaire(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                corps = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    evenement = verifier_webhook(
                        corps,
                        dict(self.headers.items()),
                        secret=recepteur.secret,
                        cle_publique=recepteur.cle_publique,
                        maintenant=recepteur.horloge,
                    )
                except SignatureWebhookInvalide as exc:
                    recepteur.refuses += 1
                    print(f"   webhook refusé : {exc}", flush=True)
                    self.send_response(400)
                    self.end_headers()
                    return
                recepteur.recus.put(evenement)
                self.send_response(204)  # any 2xx: the platform stops retrying
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.serveur = ThreadingHTTPServer(("127.0.0.1", port), Gestionnaire)
        self.url = f"http://127.0.0.1:{self.serveur.server_address[1]}/webhooks/signif"
        threading.Thread(target=self.serveur.serve_forever, daemon=True).start()

    def attendre(self, acte_id: str, type_: str, delai: float) -> Evenement | None:
        fin = datetime.now(UTC).timestamp() + delai
        while (reste := fin - datetime.now(UTC).timestamp()) > 0:
            try:
                evenement = self.recus.get(timeout=reste)
            except queue.Empty:
                return None
            if evenement.type == type_ and evenement.donnees.get("acte_id") == acte_id:
                return evenement
        return None


async def integrer(args: argparse.Namespace) -> int:
    recepteur = Recepteur(args.port_webhooks)
    dossier = Path(args.dossier)
    async with ClientSignif(args.url, args.jeton) as signif:
        print("1. Abonnement du récepteur de webhooks", flush=True)
        abonnement = await signif.abonner(recepteur.url, TYPES)
        recepteur.secret = abonnement.secret  # shown once: store it with the subscription
        recepteur.cle_publique = await signif.cle_webhooks()
        recepteur.horloge = args.horloge
        print(f"   abonnement {abonnement.id} → {recepteur.url}", flush=True)
        try:
            return await _deposer_et_prouver(signif, recepteur, args, dossier)
        finally:
            await signif.desabonner(abonnement.id)
            recepteur.serveur.shutdown()


async def _deposer_et_prouver(
    signif: ClientSignif, recepteur: Recepteur, args: argparse.Namespace, dossier: Path
) -> int:
    print("2. Dépôt de l'acte signé", flush=True)
    metadonnees = {
        "reference_dossier": args.reference,
        "nature": args.nature,
        "requerant": {"nom": args.requerant},
        "destinataire": {"declaration_id": args.declaration},
    }
    try:
        depot = await signif.deposer(Path(args.acte), metadonnees)
    except ErreurSignif as refus:
        print(f"   dépôt refusé : {refus.status} {refus.code} — {refus.detail}", flush=True)
        return 1
    print(f"   acte {depot.id} : {depot.statut}, SHA-256 {depot.sha256}", flush=True)
    if depot.statut == "programme":
        print(f"   hors heures légales : envoi programmé le {depot.envoi_prevu_le}", flush=True)
        return 1

    print("3. Webhook acte.envoye vérifié (signatures v1 et v1a)", flush=True)
    recu = await asyncio.to_thread(recepteur.attendre, depot.id, "acte.envoye", args.delai)
    if recu is None:
        print("   pas de webhook à temps : lecture du flux d'événements", flush=True)
        recu = await _par_le_flux(signif, depot.id)
    if recu is None:
        print("   aucun événement acte.envoye pour cet acte", flush=True)
        return 1
    print(f"   {recu.type} {recu.id} reçu, créé le {recu.cree_le.isoformat()}", flush=True)

    acte = await signif.acte(depot.id)
    print(f"4. Statut : {acte.statut}, envoyé le {acte.envoye_le} ({acte.fuseau})", flush=True)

    print("5. Lot de preuves, vérifié hors ligne", flush=True)
    lot = await signif.preuves(depot.id, dossier / f"preuves-{depot.id}.zip")
    rapport = verifier_preuves(lot)
    for controle in rapport.checks:
        print(f"   {controle}", flush=True)
    print(f"   {lot} : {'vérifié' if rapport.ok else 'REJETÉ'}", flush=True)
    return 0 if rapport.ok else 1


async def _par_le_flux(signif: ClientSignif, acte_id: str) -> Evenement | None:
    async for evenement in signif.evenements():
        if evenement.type == "acte.envoye" and evenement.donnees.get("acte_id") == acte_id:
            return evenement
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="la plateforme, ex. http://127.0.0.1:8000")
    parser.add_argument("--jeton", required=True, help="le JWT de l'office (rôle commissaire)")
    parser.add_argument("--acte", required=True, help="le PDF/A signé (signif dev sign en développement)")
    parser.add_argument("--declaration", required=True, help="declaration_id du destinataire")
    parser.add_argument("--nature", default="signification_decision")
    parser.add_argument("--reference", default="EXEMPLE-2026-0001", help="la référence du dossier")
    parser.add_argument("--requerant", default="SCI Les Tilleuls")
    parser.add_argument("--port-webhooks", type=int, default=0, help="0 : un port libre")
    parser.add_argument("--delai", type=float, default=30, help="attente du webhook, en secondes")
    parser.add_argument("--dossier", default="sortie-exemple")
    parser.add_argument(
        "--horloge",
        type=datetime.fromisoformat,
        help="l'instant de la plateforme quand elle a une horloge de test (tolérance des webhooks)",
    )
    args = parser.parse_args(argv)
    Path(args.dossier).mkdir(parents=True, exist_ok=True)
    return asyncio.run(integrer(args))


if __name__ == "__main__":
    sys.exit(main())
