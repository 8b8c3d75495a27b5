"""CPC 664 in the destinataire's legal time zone: schedule at the next legal instant, refuse when asked
not to defer, bypass with a judge's derogation; the scheduled job re-runs every gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.coffre.models import JOB_TABLES, Acte
from shared.blobs import LocalBlobStore
from tests.services.coffre.conftest import CoffreFactory, metadonnees
from tests.services.coffre.depot.helpers import assert_rien_stocke, compter
from tests.services.coffre.voisins import DECL

PARIS = {"office_id": "office-paris-1", "cour_appel": "paris", "commune_insee": "75056"}
BASSE_TERRE = {"office_id": "office-gp", "cour_appel": "basse-terre", "commune_insee": "97105"}
METZ = {"office_id": "office-metz", "cour_appel": "metz", "commune_insee": "57463"}

CAS = [
    # (what, now UTC, declaration (key of DECL), office, envoi_prevu_le UTC, local)
    ("dimanche 10:00", datetime(2026, 3, 8, 9, 0, tzinfo=UTC), "paris", PARIS,
     "2026-03-09T05:00:00Z", "2026-03-09T06:00:00+01:00"),
    ("mardi 21:30", datetime(2026, 3, 3, 20, 30, tzinfo=UTC), "paris", PARIS,
     "2026-03-04T05:00:00Z", "2026-03-04T06:00:00+01:00"),
    ("14 juillet", datetime(2026, 7, 14, 8, 0, tzinfo=UTC), "paris", PARIS,
     "2026-07-15T04:00:00Z", "2026-07-15T06:00:00+02:00"),
    ("Guadeloupe 05:30 (Paris 10:30)", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "guadeloupe",
     BASSE_TERRE,
     "2026-03-02T10:00:00Z", "2026-03-02T06:00:00-04:00"),
    ("26 décembre en Moselle", datetime(2026, 12, 26, 9, 0, tzinfo=UTC), "moselle", METZ,
     "2026-12-28T05:00:00Z", "2026-12-28T06:00:00+01:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cas", "now", "declaration", "office", "prevu", "local"), CAS, ids=[c[0] for c in CAS]
)
async def test_hors_heures_programme_puis_envoye(
    coffre_factory: CoffreFactory,
    pdf_signe: bytes,
    cas: str,
    now: datetime,
    declaration: str,
    office: dict[str, str],
    prevu: str,
    local: str,
) -> None:
    async with coffre_factory(now=now) as t:
        meta = metadonnees(destinataire={"declaration_id": DECL[declaration]})
        response = await t.deposer(pdf_signe, meta, headers=t.commissaire(**office))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["statut"] == "programme"
        assert body["envoye_le"] is None
        assert body["envoi_prevu_le"] == prevu
        assert body["envoi_prevu_le_local"] == local
        assert (await compter(t))["outbox"] == 0  # nothing is sent before the legal instant

        assert await t.runtime.runner.run_due() == 0  # type: ignore[union-attr]
        t.runtime.clock.set(datetime.fromisoformat(prevu))  # type: ignore[attr-defined]
        assert await t.runtime.runner.run_due() == 2  # type: ignore[union-attr] # sending + relay
        async with t.runtime.db.transaction() as session:
            acte = await session.get(Acte, body["id"])
            outbox = (await session.execute(select(JOB_TABLES.outbox))).all()
        assert acte is not None
        assert acte.statut == "envoye"
        assert acte.envoye_le == datetime.fromisoformat(prevu)
        assert [row.type for row in outbox] == ["acte.envoye"]
        # consent asked again at the instant of sending (and recorded both verifications).
        verifications = await t.voisins.verifications()
        assert [v.a for v in verifications] == [now, datetime.fromisoformat(prevu)]
        assert [v.declaration_id for v in verifications] == [DECL[declaration]] * 2
        evenements = await t.voisins.evenements(office["office_id"])  # what notify received
        assert [e["type"] for e in evenements] == ["acte.envoye"]
        assert evenements[0]["donnees"]["acte_id"] == body["id"]


async def test_envoi_differe_refuse(coffre_factory: CoffreFactory, pdf_signe: bytes) -> None:
    async with coffre_factory(now=datetime(2026, 3, 8, 9, 0, tzinfo=UTC)) as t:
        response = await t.deposer(pdf_signe, metadonnees(envoi_differe=False))
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "hors-heures-legales"
        assert body["prochain_instant_legal"] == "2026-03-09T06:00:00+01:00"
        await assert_rien_stocke(t)


async def test_derogation_664_envoie_et_est_enregistree(
    coffre_factory: CoffreFactory, pdf_signe: bytes
) -> None:
    async with coffre_factory(now=datetime(2026, 3, 8, 9, 0, tzinfo=UTC)) as t:
        derogation = {"ordonnance": "ORD-2026-17", "juridiction": "TJ Paris", "date": "2026-03-07"}
        response = await t.deposer(pdf_signe, metadonnees(derogation_664=derogation))
        assert response.status_code == 201
        assert response.json()["statut"] == "envoye"
        async with t.runtime.db.transaction() as session:
            acte = await session.get(Acte, response.json()["id"])
        assert acte is not None
        assert acte.derogation_664 == derogation


async def test_consentement_revoque_avant_l_envoi_programme(
    coffre_factory: CoffreFactory, pdf_signe: bytes
) -> None:
    async with coffre_factory(now=datetime(2026, 3, 8, 9, 0, tzinfo=UTC)) as t:
        response = await t.deposer(pdf_signe)
        assert response.json()["statut"] == "programme"
        await t.voisins.revoquer("paris")  # by the declarant, on Sunday (consent's clock is the coffre's)
        t.runtime.clock.set(datetime(2026, 3, 9, 5, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        assert await t.runtime.runner.run_due() == 2  # type: ignore[union-attr] # the sending and the relay
        async with t.runtime.db.transaction() as session:
            acte = await session.get(Acte, response.json()["id"])
            outbox = (await session.execute(select(JOB_TABLES.outbox))).all()
        assert acte is not None
        assert acte.statut == "annule"
        assert acte.envoye_le is None
        assert acte.motif_annulation is not None
        assert acte.motif_annulation.startswith("consentement-absent")
        assert [row.type for row in outbox] == ["notification.echec"]
        assert outbox[0].donnees["office_id"] == "office-paris-1"
        assert [e["type"] for e in await t.voisins.evenements()] == ["notification.echec"]
        assert [(v.consentement, v.motif) for v in await t.voisins.verifications()] == [
            (True, None),
            (False, "revoque"),
        ]


async def test_document_altere_avant_l_envoi_programme(
    coffre_factory: CoffreFactory, pdf_signe: bytes, pdf_signe_bis: bytes
) -> None:
    async with coffre_factory(now=datetime(2026, 3, 8, 9, 0, tzinfo=UTC)) as t:
        response = await t.deposer(pdf_signe)
        assert response.json()["statut"] == "programme"
        blobs = t.coffre.blobs
        assert isinstance(blobs, LocalBlobStore)
        path = blobs.path_for(response.json()["sha256"])
        path.chmod(0o600)
        path.write_bytes(pdf_signe_bis)  # another validly signed acte behind the platform's back
        t.runtime.clock.set(datetime(2026, 3, 9, 5, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        assert await t.runtime.runner.run_due() == 2  # type: ignore[union-attr] # the sending and the relay
        async with t.runtime.db.transaction() as session:
            acte = await session.get(Acte, response.json()["id"])
            outbox = (await session.execute(select(JOB_TABLES.outbox))).all()
        assert acte is not None
        assert acte.statut == "annule"
        assert acte.motif_annulation is not None
        assert acte.motif_annulation.startswith("blob-integrite")
        assert [row.type for row in outbox] == ["notification.echec"]
