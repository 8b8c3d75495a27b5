"""Recording the posting of the lettre simple (CPC 662-1 al. 3): dated neither before the envoi nor in
the future, never overwritten; a correction is a new record with its reason and its own leaf, and the
evidence bundle verifies with both, the current one being the story's."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

from services.coffre.journal.repertoire import instant
from services.coffre.models import Acte, LettreSimpleEnvoi
from shared.clock import TestClock
from shared.evidence import format as fmt
from shared.evidence.archive import FileEntry, render_sums, sha256_hex
from shared.evidence.verify import verify_bundle
from tests.services.coffre.conftest import CoffreEnTest, CoffreFactory

MINUIT_PARIS = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # end of Monday 2 March, the day of the envoi


def _regler(t: CoffreEnTest, moment: datetime) -> None:
    horloge = t.runtime.clock
    assert isinstance(horloge, TestClock)
    horloge.set(moment)


async def _a_domicile(t: CoffreEnTest, pdf: bytes) -> str:
    depot = await t.deposer(pdf)
    assert depot.status_code == 201, depot.text
    acte_id: str = depot.json()["id"]
    _regler(t, MINUIT_PARIS)
    assert t.runtime.runner is not None
    assert await t.runtime.runner.run_due() >= 1
    return acte_id


async def _poster(t: CoffreEnTest, acte_id: str, **corps: str) -> tuple[int, dict[str, object]]:
    r = await t.client.post(f"/coffre/v1/actes/{acte_id}/lettre-simple/envoi", headers=t.jeton(), json=corps)
    assert r.headers["content-type"].startswith(
        "application/json" if r.status_code == 200 else "application/problem+json"
    )
    body: dict[str, object] = r.json()
    return r.status_code, body


async def _preuves(t: CoffreEnTest, acte_id: str) -> bytes:
    r = await t.client.get(f"/coffre/v1/actes/{acte_id}/preuves", headers=t.jeton())
    assert r.status_code == 200, r.text
    return r.content


async def test_dates_refusees_avec_un_code_stable(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = await _a_domicile(t, pdf_signe)
        _regler(t, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # Tuesday 3 March, 9:00 in Paris
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-01")
        assert (statut, corps["code"]) == (422, "lettre-simple-avant-envoi")
        assert corps["jour_envoi"] == "2026-03-02"
        # Nor on the day of the envoi itself: the mode (à domicile) exists only once that day has ended.
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-02")
        assert (statut, corps["code"]) == (422, "lettre-simple-avant-envoi")
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-04")
        assert (statut, corps["code"]) == (422, "lettre-simple-date-future")
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-03", motif="rien à corriger")
        assert (statut, corps["code"]) == (422, "correction-sans-envoi")
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-13-03")
        assert statut == 422
        # Nothing was recorded by the refusals.
        detail = (await t.client.get(f"/coffre/v1/actes/{acte_id}", headers=t.jeton())).json()
        assert detail["lettre_simple"] == {"due_le": "2026-03-03", "envoyee_le": None}
        # 23:57 in Paris: tomorrow is within the tolerated clock skew of five minutes, not beyond.
        _regler(t, datetime(2026, 3, 3, 22, 54, tzinfo=UTC))
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-04")
        assert (statut, corps["code"]) == (422, "lettre-simple-date-future")
        _regler(t, datetime(2026, 3, 3, 22, 57, tzinfo=UTC))
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-04")
        assert statut == 200, corps


async def test_correction_nouvel_enregistrement_et_lot_verifiable(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    async with coffre_factory(database_url=database_url) as t:
        acte_id = await _a_domicile(t, pdf_signe)
        _regler(t, datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
        statut, premier = await _poster(t, acte_id, envoyee_le="2026-03-04")
        assert statut == 200
        assert premier["corrige"] is None
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-03")
        assert (statut, corps["code"]) == (409, "lettre-deja-envoyee")
        assert corps["envoyee_le"] == "2026-03-04"
        motif = "Erreur de saisie : la lettre a été déposée le 3 mars (récépissé du bureau de poste)."
        statut, correction = await _poster(t, acte_id, envoyee_le="2026-03-03", motif=motif)
        assert statut == 200, correction
        assert correction["corrige"] == premier["journal_index"]
        assert correction["journal_index"] != premier["journal_index"]

        async with t.runtime.db.transaction() as session:
            lignes = (
                await session.scalars(
                    LettreSimpleEnvoi.__table__.select().where(LettreSimpleEnvoi.acte_id == acte_id)
                )
            ).all()
        assert len(lignes) == 2  # the first record is still there, untouched
        detail = (await t.client.get(f"/coffre/v1/actes/{acte_id}", headers=t.jeton())).json()
        assert detail["lettre_simple"] == {"due_le": "2026-03-03", "envoyee_le": "2026-03-03"}
        types = [e["type"] for e in detail["evenements"]]
        assert types[-2:] == ["lettre_simple_envoyee", "lettre_simple_corrigee"]

        bundle = await _preuves(t, acte_id)
    rapport = verify_bundle(bundle)
    assert rapport.ok, "\n".join(str(c) for c in rapport.checks)
    assert any("correction" in c.message and motif in c.message for c in rapport.checks)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        lettre = json.loads(archive.read(fmt.LETTRE_SIMPLE))
    assert lettre["envoyee_le"] == "2026-03-03"
    assert [(e["envoyee_le"], e["corrige"], e["motif"], e["en_vigueur"]) for e in lettre["envois"]] == [
        ("2026-03-04", None, None, False),
        ("2026-03-03", premier["journal_index"], motif, True),
    ]
    # The reason is the one the leaf committed to: changing it in the record fails verification.
    falsifie = _remplacer(bundle, fmt.LETTRE_SIMPLE, motif.encode(), b"Autre motif, ajoute apres coup.")
    echec = verify_bundle(falsifie, on_check=None)
    assert not echec.ok


def _remplacer(bundle: bytes, chemin: str, avant: bytes, apres: bytes) -> bytes:
    """The bundle with one piece edited and the manifest and SHA256SUMS recomputed to match."""

    with zipfile.ZipFile(io.BytesIO(bundle)) as source:
        fichiers = {n: source.read(n) for n in source.namelist()}
    fichiers[chemin] = fichiers[chemin].replace(avant, apres)
    manifeste = json.loads(fichiers[fmt.MANIFEST])
    for entree in manifeste["fichiers"]:
        donnees = fichiers[entree["chemin"]] if entree["chemin"] != fmt.SUMS else b""
        if entree["chemin"] == chemin:
            entree["sha256"], entree["taille"] = sha256_hex(donnees), len(donnees)

    entrees = [
        FileEntry(e["chemin"], e["sha256"], e["taille"], e.get("role", "")) for e in manifeste["fichiers"]
    ]
    fichiers[fmt.SUMS] = render_sums(entrees)
    for entree in manifeste["fichiers"]:
        if entree["chemin"] == fmt.SUMS:
            entree["sha256"], entree["taille"] = sha256_hex(fichiers[fmt.SUMS]), len(fichiers[fmt.SUMS])
    fichiers[fmt.MANIFEST] = json.dumps(manifeste).encode()
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w") as cible:
        for nom, donnees in fichiers.items():
            cible.writestr(nom, donnees)
    return sortie.getvalue()


async def test_une_faute_ancienne_se_corrige(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    """A posting dated before the envoi, as the unchecked endpoint used to accept, made every bundle
    fail for good; a correction with its reason now makes the bundle verify again."""
    async with coffre_factory(database_url=database_url) as t:
        acte_id = await _a_domicile(t, pdf_signe)
        maintenant = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
        _regler(t, maintenant)
        async with t.runtime.db.transaction() as session:  # the old write, without any check
            index = await t.coffre.repertoire.ajouter(
                session,
                {"type": "lettre_simple", "acte_id": acte_id, "envoyee_le": "2025-03-03",
                 "instant": instant(maintenant)},
                now=maintenant,
            )  # fmt: skip
            acte = await session.get(Acte, acte_id)
            assert acte is not None
            acte.lettre_simple_envoyee_le = date(2025, 3, 3)
            faute = date(2025, 3, 3)
            session.add(LettreSimpleEnvoi(acte_id=acte_id, envoyee_le=faute, enregistre_le=maintenant,
                                          commissaire_sub="c-1", journal_index=index))  # fmt: skip
        avant = verify_bundle(await _preuves(t, acte_id))
        assert not avant.ok
        assert avant.failure is not None
        assert "avant l'envoi" in avant.failure.message
        _regler(t, maintenant + timedelta(hours=1))
        statut, corps = await _poster(t, acte_id, envoyee_le="2026-03-03", motif="Année mal saisie (2025).")
        assert statut == 200, corps
        apres = verify_bundle(await _preuves(t, acte_id))
    assert apres.ok, "\n".join(str(c) for c in apres.checks)


async def test_deux_corrections_simultanees_s_enchainent(
    coffre_factory: CoffreFactory, pdf_signe: bytes, database_url: str
) -> None:
    """Two corrections sent at once (the same date, two reasons) both succeed, the second correcting
    the first: the acte's row is locked while a posting is recorded, so none is lost and none fails."""
    async with coffre_factory(database_url=database_url) as t:
        acte_id = await _a_domicile(t, pdf_signe)
        _regler(t, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
        statut, premier = await _poster(t, acte_id, envoyee_le="2026-03-03")
        assert statut == 200, premier
        resultats = await asyncio.gather(
            _poster(t, acte_id, envoyee_le="2026-03-04", motif="date du cachet"),
            _poster(t, acte_id, envoyee_le="2026-03-04", motif="date du registre"),
        )
        assert [statut for statut, _ in resultats] == [200, 200], resultats
        corriges = sorted(int(str(corps["corrige"])) for _, corps in resultats)
        indexes = sorted(int(str(corps["journal_index"])) for _, corps in resultats)
        assert corriges == [int(str(premier["journal_index"])), indexes[0]]
