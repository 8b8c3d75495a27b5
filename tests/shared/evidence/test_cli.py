"""`signif verify <bundle.zip>`: one line per check, exit 0 only if every check holds, 1 on the first
failure, 2 when the bundle or an anchor file cannot be read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from shared.evidence import format as fmt
from signif.cli import main
from tests.shared.evidence.helpers import Built, files_of, flip, raw_replace


def test_a_genuine_bundle_exits_zero(
    genuine: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "preuves.zip"
    bundle.write_bytes(genuine.bundle)
    assert main(["verify", str(bundle)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("OK     1. manifest.json : ")
    assert all(line.startswith("OK ") for line in lines[:-1])
    assert {line.split()[1] for line in lines[:-1]} == {"1.", "2.", "3.", "4.", "5.", "6."}
    assert lines[-1] == "Lot de preuves vérifié : toutes les vérifications sont satisfaites."


def test_a_tampered_bundle_exits_one_naming_the_piece(
    genuine: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acte = files_of(genuine.bundle)[fmt.ACTE]
    bundle = tmp_path / "preuves.zip"
    bundle.write_bytes(raw_replace(genuine.bundle, {fmt.ACTE: flip(acte, 100)}))
    assert main(["verify", str(bundle)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("ÉCHEC  1. acte/document.pdf : SHA-256 attendu")
    assert lines[-1] == "Lot de preuves REJETÉ : acte/document.pdf."


def test_pinned_anchors_from_files(
    genuine: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "preuves.zip"
    bundle.write_bytes(genuine.bundle)
    root = tmp_path / "racine.pem"
    root.write_bytes(genuine.credentials.root.public_bytes(Encoding.PEM))
    key = tmp_path / "cle.txt"
    key.write_text(genuine.note_signer.verifier.vkey + "\n")
    assert main(["verify", str(bundle), "--racine-tsa", str(root), "--cle-journal", str(key)]) == 0
    assert "fournie par le vérificateur" in capsys.readouterr().out
    other = tmp_path / "autre.txt"
    other.write_text("signif.example/coffre/repertoire+00000000+AQ==\n")
    assert main(["verify", str(bundle), "--cle-journal", str(other)]) == 1
    assert "ÉCHEC  4. journal/cle.txt" in capsys.readouterr().out


def test_unreadable_inputs_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "absent.zip")]) == 2
    assert "lecture impossible" in capsys.readouterr().err
    bundle = tmp_path / "x.zip"
    bundle.write_bytes(b"")
    (tmp_path / "bad.pem").write_text("pas un certificat")
    assert main(["verify", str(bundle), "--racine-tsa", str(tmp_path / "bad.pem")]) == 2


def test_the_installed_command(genuine: Built, tmp_path: Path) -> None:
    bundle = tmp_path / "preuves.zip"
    bundle.write_bytes(genuine.bundle)
    signif = Path(sys.executable).with_name("signif")
    ok = subprocess.run([str(signif), "verify", str(bundle)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK     5. recit.json : mode a_personne conforme" in ok.stdout
    bundle.write_bytes(raw_replace(genuine.bundle, {fmt.RECIT: None}))
    ko = subprocess.run([str(signif), "verify", str(bundle)], capture_output=True, text=True, check=False)
    assert ko.returncode == 1
    assert "ÉCHEC  1. recit.json : pièce absente du lot" in ko.stdout
