"""Compile the lock files from pyproject.toml's ranges: `make lock`, run on purpose, never by an install.

    requirements/runtime.txt   [project].dependencies: what a deployment installs (docker/Dockerfile)
    requirements/dev.txt       the same, the `dev` extra and [build-system].requires: what `make install`
                               installs for `make run`, `make test` and `make lint`

Both are universal (every platform, Python 3.11 and later; markers say where a pin applies) and carry
the SHA-256 of every file PyPI offers for each pinned version, so `pip install --require-hashes`
installs exactly what CI tested. `make install` never resolves: a new release upstream changes
nothing until someone runs this script, reads the diff and runs the suite.

A range that must stay below a release (because that release breaks something here) is written in
pyproject.toml with the reason beside it, and listed in HOLDS below so that the lock's header says so.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FLOOR = "3.11"

#: Releases held back on purpose: (requirement as in pyproject.toml, why). Empty when nothing is.
HOLDS: tuple[tuple[str, str], ...] = ()

_HEADER = """\
# LOCK FILE: exact versions and hashes. Do not edit: `make lock` rewrites it from pyproject.toml.
# {what}
# Compiled by requirements/lock.py (uv pip compile --universal --generate-hashes, Python >= {floor}).
# Held back on purpose: {holds}
"""


def build_requirements() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requires: list[str] = pyproject["build-system"]["requires"]
    return requires


def compile_lock(
    target: Path, *, extras: list[str], extra_input: list[str], what: str, constraints: Path | None = None
) -> None:
    command = [
        sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml",
        "--universal", "--python-version", PYTHON_FLOOR, "--generate-hashes",
        "--no-header",
    ]  # fmt: skip
    for extra in extras:
        command += ["--extra", extra]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if extra_input:
        command.append("-")
    compiled = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        command, cwd=ROOT, input="\n".join(extra_input), capture_output=True, text=True, check=True
    ).stdout
    holds = "; ".join(f"{req} ({why})" for req, why in HOLDS) or "nothing"
    target.write_text(_HEADER.format(what=what, floor=PYTHON_FLOOR, holds=holds) + compiled)
    print(f"{target.relative_to(ROOT)}: {compiled.count('==')} pins")  # noqa: T201


def main() -> None:
    dev = ROOT / "requirements" / "dev.txt"
    compile_lock(
        dev,
        extras=["dev"],
        extra_input=build_requirements(),
        what="Runtime + dev extra + build backend: what `make install` installs (make run, test, lint).",
    )
    # The runtime lock is the dev lock restricted to what a deployment needs: production runs the
    # versions the suite ran on, never a separate resolution.
    compile_lock(
        ROOT / "requirements" / "runtime.txt",
        extras=[],
        extra_input=[],
        what="Runtime dependencies ([project].dependencies): what a deployment installs.",
        constraints=dev,
    )


if __name__ == "__main__":
    main()
