"""Known third-party warnings are silenced at their source, in the suite and in the programs alike."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from shared.testing.pdfs import acte_pdfa
from shared.third_party import KNOWN_WARNINGS

ROOT = Path(__file__).resolve().parents[2]


def test_pytest_ignores_exactly_the_known_warnings() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    filters = pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert filters[0] == "error"
    assert filters[1:] == [known.pytest_filter for known in KNOWN_WARNINGS]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_each_known_warning_is_still_raised_upstream() -> None:
    """When a library stops warning, its entry must go (this fails then, on purpose)."""
    imported = _python("import pyhanko.sign.signers")
    assert imported.returncode != 0
    assert "DSA is deprecated" in imported.stderr


def test_the_filters_silence_those_warnings_and_nothing_else() -> None:
    silenced = _python(
        "from shared.third_party import silence_known_warnings\n"
        "silence_known_warnings()\n"
        "import pyhanko.sign.signers\n"
        "import warnings\n"
        "from cryptography.utils import CryptographyDeprecationWarning\n"
        "warnings.warn('DSA is deprecated', CryptographyDeprecationWarning)\n"  # from __main__: not silenced
    )
    assert "import pyhanko" not in silenced.stderr
    assert silenced.returncode != 0
    assert "CryptographyDeprecationWarning: DSA is deprecated" in silenced.stderr
    assert "<string>" in silenced.stderr  # raised by our own line, not by the pyHanko import


def test_the_command_line_prints_no_warning(tmp_path: Path) -> None:
    """`signif dev sign` imports pyHanko: with every warning an error, it still signs, silently."""
    (tmp_path / "acte.pdf").write_bytes(acte_pdfa())
    ran = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "signif.cli",
            "dev",
            "sign",
            "--in",
            "acte.pdf",
            "--out",
            "s.pdf",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "SIGNIF_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
