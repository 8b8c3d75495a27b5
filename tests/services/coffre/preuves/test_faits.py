"""The facts refuse what would make a legally wrong document."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.coffre.preuves import CertificatSignification, LettreSimple

from .conftest import ENVOI, LENDEMAIN, PRISE, signification


def test_signification_is_checked() -> None:
    with pytest.raises(ValueError, match="sha256"):
        signification(sha256="F" * 64)
    with pytest.raises(ValueError, match="naive"):
        signification(envoye_le=ENVOI.replace(tzinfo=None))
    with pytest.raises(ValueError, match="repertoire_index"):
        signification(repertoire_index=-1)
    with pytest.raises(Exception, match="Nowhere"):
        signification(fuseau="Europe/Nowhere")


def test_a_personne_needs_a_prise_de_connaissance_the_same_local_day() -> None:
    with pytest.raises(ValueError, match="local day"):
        CertificatSignification(signification=signification(), mode="a_personne")
    # 04:00:01Z on the 17th is already the 17th in Guadeloupe, the day after the envoi.
    lendemain_local = datetime(2026, 3, 17, 4, 0, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="local day"):
        CertificatSignification(
            signification=signification(), mode="a_personne", pris_connaissance_le=lendemain_local
        )
    # 03:59:59Z on the 17th is still the 16th there: à personne.
    veille_locale = datetime(2026, 3, 17, 3, 59, 59, tzinfo=UTC)
    ok = CertificatSignification(
        signification=signification(), mode="a_personne", pris_connaissance_le=veille_locale
    )
    assert ok.mode == "a_personne"
    with pytest.raises(ValueError, match="lettre simple"):
        CertificatSignification(
            signification=signification(),
            mode="a_personne",
            pris_connaissance_le=PRISE,
            lettre_simple_due_le=LENDEMAIN,
        )


def test_a_domicile_needs_the_lettre_simple_and_no_same_day_prise() -> None:
    with pytest.raises(ValueError, match="lettre_simple_due_le"):
        CertificatSignification(signification=signification(), mode="a_domicile")
    with pytest.raises(ValueError, match="a_personne"):
        CertificatSignification(
            signification=signification(),
            mode="a_domicile",
            pris_connaissance_le=PRISE,
            lettre_simple_due_le=LENDEMAIN,
        )
    with pytest.raises(ValueError, match="due after"):
        CertificatSignification(
            signification=signification(), mode="a_domicile", lettre_simple_due_le=date(2026, 3, 16)
        )
    with pytest.raises(ValueError, match="precedes"):
        CertificatSignification(
            signification=signification(),
            mode="a_domicile",
            lettre_simple_due_le=LENDEMAIN,
            pris_connaissance_le=ENVOI - timedelta(seconds=1),
        )
    with pytest.raises(ValueError, match="unknown mode"):
        CertificatSignification(
            signification=signification(),
            mode="a_residence",  # type: ignore[arg-type]
            lettre_simple_due_le=LENDEMAIN,
        )


def test_lettre_simple_needs_a_web_address() -> None:
    with pytest.raises(ValueError, match="URL"):
        LettreSimple(
            signification=signification(),
            date_lettre=LENDEMAIN,
            lieu="Paris",
            acces_url="javascript:alert(1)",
        )
