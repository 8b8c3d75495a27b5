"""Step 5 on real bundles whose story the platform itself got right, or wrong: the same-day rule in
the destinataire's zone (CPC 662-1) and the lettre simple due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shared.evidence import format as fmt
from shared.evidence.verify import verify_bundle
from shared.timestamps.authority import TsaCredentials
from tests.shared.evidence.helpers import Built, Story, Territoire, build_acte_bundle, edit_json

# Saturday 7 March 2026, 10:00 in Paris: the next jour ouvrable is Monday 9 March (Sunday is not).
SAMEDI = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
LUNDI = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
GUADELOUPE = Territoire("America/Guadeloupe", "971")
# 18:30 in Guadeloupe (23:30 in Paris) on 2 March; opened at 21:00 there (02:00 on 3 March in Paris).
ENVOI_SOIR = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
PRIS_NUIT = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
LENDEMAIN = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def _messages(bundle: bytes) -> list[str]:
    report = verify_bundle(bundle)
    assert report.ok, report.failure
    return [check.message for check in report.checks]


async def test_a_domicile_after_a_saturday_envoi_letter_due_monday(
    tmp_path: Path, credentials: TsaCredentials
) -> None:
    story = Story(
        depot=SAMEDI, envoi=SAMEDI + timedelta(seconds=1), pris=LUNDI, lettre_envoyee=date(2026, 3, 9)
    )
    built = await build_acte_bundle(tmp_path, credentials, story)
    assert built.recit.mode == "a_domicile"
    messages = _messages(built.bundle)
    assert any(
        "mode a_domicile conforme" in m and "prise de connaissance le 2026-03-09" in m for m in messages
    )
    assert any(
        "lettre simple due le 2026-03-09 (premier jour ouvrable après le 2026-03-07)" in m for m in messages
    )
    assert "lettre simple conforme au récit" in messages


async def test_never_opened_is_a_domicile(tmp_path: Path, credentials: TsaCredentials) -> None:
    built = await build_acte_bundle(tmp_path, credentials, Story(pris=None))
    messages = _messages(built.bundle)
    assert "aucune signature JWS dans ce lot" in messages
    assert any("mode a_domicile conforme" in m and "prise de connaissance aucune" in m for m in messages)


async def test_an_acte_not_yet_sent(tmp_path: Path, credentials: TsaCredentials) -> None:
    built = await build_acte_bundle(tmp_path, credentials, Story(envoi=None, pris=None))
    assert built.recit.mode is None
    assert "mode pas encore fixé" in _messages(built.bundle)


async def test_a_mode_contradicting_the_same_day_rule_fails(
    tmp_path: Path, credentials: TsaCredentials
) -> None:
    # The platform logged and signed "à personne" for an opening the next day: a bug, not a forgery.
    story = Story(pris=LENDEMAIN, mode="a_personne")
    report = verify_bundle((await build_acte_bundle(tmp_path, credentials, story)).bundle)
    failure = report.failure
    assert failure is not None
    assert (failure.numero, failure.piece) == (5, fmt.RECIT)
    assert "mode a_personne contraire à la règle du même jour (CPC 662-1)" in failure.message
    assert "envoi le 2026-03-02, prise de connaissance le 2026-03-03" in failure.message


async def test_a_wrong_lettre_simple_due_date_fails(tmp_path: Path, credentials: TsaCredentials) -> None:
    story = Story(depot=SAMEDI, envoi=SAMEDI, pris=None, mode="a_domicile", lettre_due=date(2026, 3, 8))
    report = verify_bundle((await build_acte_bundle(tmp_path, credentials, story)).bundle)
    failure = report.failure
    assert failure is not None
    assert (failure.numero, failure.piece) == (5, fmt.RECIT)
    assert (
        "lettre simple due le 2026-03-08, premier jour ouvrable après le 2026-03-07 : 2026-03-09"
        in failure.message
    )


async def test_the_same_day_is_the_destinataire_s_local_day(
    tmp_path: Path, credentials: TsaCredentials
) -> None:
    story = Story(envoi=ENVOI_SOIR, pris=PRIS_NUIT, territoire=GUADELOUPE)
    built = await build_acte_bundle(tmp_path, credentials, story)
    assert built.recit.mode == "a_personne"  # different UTC and Paris days, same day in Guadeloupe
    assert any("(America/Guadeloupe)" in m for m in _messages(built.bundle))

    # The same story read in Paris time would be à domicile: a forged zone is caught.
    forged = edit_json(
        built.bundle, fmt.RECIT, lambda r: r.update(fuseau="Europe/Paris", subdivision_feries=None)
    )
    failure = verify_bundle(forged).failure
    assert failure is not None
    assert (failure.numero, failure.piece) == (5, fmt.RECIT)
    assert "contraire à la règle du même jour" in failure.message
    assert "envoi le 2026-03-02, prise de connaissance le 2026-03-03 (Europe/Paris)" in failure.message


def test_an_unknown_zone_or_holiday_calendar_fails(genuine: Built) -> None:
    for change in ({"fuseau": "Mars/Olympus_Mons"}, {"subdivision_feries": "XX"}):
        failure = verify_bundle(edit_json(genuine.bundle, fmt.RECIT, lambda r, c=change: r.update(c))).failure
        assert failure is not None
        assert (failure.numero, failure.piece) == (5, fmt.RECIT)
        assert "fuseau ou subdivision inconnus" in failure.message
