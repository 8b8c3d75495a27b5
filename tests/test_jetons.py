"""`signif token issue`: presets for each role, explicit options over the preset, French refusals."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from signif.cli import main
from signif.jetons import PRESETS


def _emettre(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["token", "issue", *args]) == 0
    token = capsys.readouterr().out.strip()
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


@pytest.fixture(autouse=True)
def _var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNIF_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SIGNIF_ENV", "development")


def test_the_paris_office_preset_is_a_complete_commissaire(capsys: pytest.CaptureFixture[str]) -> None:
    claims = _emettre(capsys, "--preset", "commissaire-paris")
    assert claims["role"] == "commissaire"
    assert claims["aud"] == ["consent", "coffre", "notify"]
    assert claims["office"] == {
        "id": "office-paris",
        "nom": "Office d'essai de Paris",
        "commune_insee": "75056",
        "cour_appel": "paris",
    }


def test_options_override_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    claims = _emettre(capsys, "--preset", "commissaire-lyon", "--aud", "coffre", "--office-id", "o-42")
    assert claims["aud"] == "coffre"
    assert claims["office"]["id"] == "o-42"  # type: ignore[index]
    assert claims["office"]["cour_appel"] == "lyon"  # type: ignore[index]
    assert claims["sub"] == "cj-lyon"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_mints_its_role(capsys: pytest.CaptureFixture[str], preset: str) -> None:
    claims = _emettre(capsys, "--preset", preset)
    assert claims["role"] == PRESETS[preset].role
    if claims["role"] == "autorite_judiciaire":
        assert claims["juridiction"] == "Tribunal judiciaire de Paris"


def test_a_commissaire_without_office_is_refused_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "issue", "--role", "commissaire", "--sub", "cj-1"]) == 2
    erreur = capsys.readouterr().err
    assert "requiert --office-id, --cour-appel, --commune-insee" in erreur
    assert "--preset commissaire-paris" in erreur
    assert main(["token", "issue"]) == 2
    assert "indiquez --role ou --preset" in capsys.readouterr().err
