"""The writer: layout, manifest, determinism, refusals; and the outside judges: every command that
VERIFIER.md gives a third party (sha256sum, openssl ts -verify, the inclusion script, a JWS library)
is run on the extracted bundle and must agree."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest

from shared.evidence import format as fmt
from shared.evidence.bundle import BundleBuilder, safe_name
from tests.shared.evidence.helpers import ACTE_ID, Built, edit_json, files_of

GENERATED = (fmt.MANIFEST, fmt.GUIDE, fmt.SUMS)


def _extract(bundle: bytes, directory: Path) -> Path:
    with zipfile.ZipFile(BytesIO(bundle)) as archive:
        archive.extractall(directory)
    return directory


def _guide_blocks(directory: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (directory / fmt.GUIDE).read_text(encoding="utf-8"), re.S)


def test_layout_and_manifest(genuine: Built) -> None:
    files = files_of(genuine.bundle)
    manifest = json.loads(files[fmt.MANIFEST])
    assert {k: manifest[k] for k in ("format", "type", "sujet", "genere_le")} == {
        "format": "signif-preuves/1",
        "type": "acte",
        "sujet": ACTE_ID,
        "genere_le": "2026-03-12T09:30:00.123456Z",
    }
    listed = {e["chemin"]: e for e in manifest["fichiers"]}
    assert set(listed) == set(files) - {fmt.MANIFEST}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
        assert entry["taille"] == len(files[path])
    assert listed[fmt.ACTE]["role"] == "acte"
    assert listed["horodatages/depot.tsr"]["role"] == "horodatage"
    assert files[fmt.ACTE] == genuine.pdf
    assert "acte/annexes/1-Piece-n1--bordereau.pdf" in files
    assert json.loads(files["horodatages/depot.json"]) == {"algorithme": "sha256", "objet": fmt.ACTE}
    assert json.loads(files[fmt.RECIT]) == genuine.recit.to_json()
    feuilles = json.loads(files[fmt.FEUILLES])
    assert [f["index"] for f in feuilles] == [3, 4, 6, 7]
    assert json.loads(files[fmt.COHERENCE])["ancienne"] == 8
    with zipfile.ZipFile(BytesIO(genuine.bundle)) as archive:
        names = archive.namelist()
        assert names[:3] == list(GENERATED)
        assert names[3:] == sorted(names[3:])
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}


def test_the_build_is_deterministic(genuine: Built) -> None:
    builder = BundleBuilder.acte(ACTE_ID, genere_le=datetime(2026, 3, 12, 9, 30, 0, 123456, tzinfo=UTC))
    for path, data in files_of(genuine.bundle).items():
        if path not in GENERATED:
            builder.add_file(path, data)
    assert builder.build() == genuine.bundle


def test_sha256sum_checks_every_file(genuine: Built, tmp_path: Path) -> None:
    directory = _extract(genuine.bundle, tmp_path)
    result = subprocess.run(
        ["sha256sum", "-c", fmt.SUMS], cwd=directory, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(files_of(genuine.bundle)) - 2  # all but the manifest and itself
    (directory / fmt.ACTE).write_bytes(b"%PDF-1.7 autre chose")
    result = subprocess.run(
        ["sha256sum", "-c", fmt.SUMS], cwd=directory, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert f"{fmt.ACTE}: FAILED" in result.stdout


def test_openssl_verifies_every_bundled_token_with_the_bundled_chain(genuine: Built, tmp_path: Path) -> None:
    directory = _extract(genuine.bundle, tmp_path)
    commands = [
        line for line in _guide_blocks(directory, "")[0].splitlines() if line.startswith("openssl ts")
    ]
    assert len(commands) == 2
    for command in commands:
        assert "-CAfile tsa/racine.pem -untrusted tsa/tsa.pem" in command
        result = subprocess.run(command.split(), cwd=directory, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "Verification: OK" in result.stdout
    # The digest in the guide is the object's: another digest is refused.
    wrong = re.sub(r"-digest [0-9a-f]{64}", "-digest " + "ab" * 32, commands[-1]).split()
    result = subprocess.run(wrong, cwd=directory, capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_the_guide_s_inclusion_script_agrees(genuine: Built, tmp_path: Path) -> None:
    directory = _extract(genuine.bundle, tmp_path / "ok")
    script = _guide_blocks(directory, "python")[1]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=directory, capture_output=True, text=True, check=False
    )
    assert result.stdout.split("\n")[:-1] == ["3 OK", "4 OK", "6 OK", "7 OK"], result.stderr

    def edit(leaves: list[dict[str, object]]) -> None:
        leaves[1]["donnees"] = "e30="  # "{}" instead of the envoi leaf

    tampered = _extract(edit_json(genuine.bundle, fmt.FEUILLES, edit), tmp_path / "ko")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tampered, capture_output=True, text=True, check=False
    )
    assert "4 ECHEC" in result.stdout


def test_the_guide_s_jws_example_verifies_the_avis(genuine: Built, tmp_path: Path) -> None:
    directory = _extract(genuine.bundle, tmp_path)
    script = _guide_blocks(directory, "python")[0]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=directory, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    pris = genuine.recit.pris_connaissance_le
    assert pris is not None
    assert json.loads(result.stdout)["pris_connaissance_le"] == fmt.rfc3339_utc(pris)


def test_the_guide_is_bilingual_and_names_the_anchors(genuine: Built) -> None:
    guide = files_of(genuine.bundle)[fmt.GUIDE].decode("utf-8")
    assert "## Français" in guide
    assert "## English" in guide
    assert genuine.note_signer.verifier.vkey in guide
    assert genuine.seal.kid in guide
    assert hashlib.sha256(genuine.pdf).hexdigest() in guide


def test_safe_annexe_names() -> None:
    assert safe_name("Pièce n°1 — bordereau.pdf") == "Piece-n1--bordereau.pdf"
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert fmt.is_safe_path("acte/annexes/1-" + safe_name("../../x"))
    assert safe_name("") == "annexe"


def test_the_builder_refuses_incomplete_or_unsafe_bundles(genuine: Built) -> None:
    files = {p: d for p, d in files_of(genuine.bundle).items() if p not in GENERATED}
    now = datetime(2026, 3, 12, tzinfo=UTC)

    def builder_without(*paths: str) -> BundleBuilder:
        builder = BundleBuilder.acte(ACTE_ID, genere_le=now)
        for path, data in files.items():
            if path not in paths:
                builder.add_file(path, data)
        return builder

    with pytest.raises(ValueError, match=r"missing recit\.json"):
        builder_without(fmt.RECIT).build()
    dangling = builder_without()
    dangling.add_timestamp("annexe", files["horodatages/depot.tsr"], objet="acte/annexes/2-absente.pdf")
    with pytest.raises(ValueError, match="which is not in the bundle"):
        dangling.build()
    with pytest.raises(ValueError, match="public keys"):
        builder_without(fmt.JWKS).build()
    with pytest.raises(ValueError, match="TSA chain"):
        builder_without(fmt.TSA_RACINE).build()
    builder = builder_without()
    for path in ("../x", "/etc/passwd", fmt.MANIFEST, "a//b", "été.pdf"):
        with pytest.raises(ValueError, match="refused bundle path"):
            builder.add_file(path, b"")
    with pytest.raises(ValueError, match="already in the bundle"):
        builder.add_file(fmt.ACTE, b"")
    with pytest.raises(ValueError, match="exactly one"):
        builder.add_timestamp("t", b"", objet=fmt.ACTE, sha256=b"\0" * 32)
    with pytest.raises(ValueError, match="aware"):
        BundleBuilder.registre("decl", genere_le=datetime(2026, 3, 12))  # noqa: DTZ001
