"""The lock files and pyproject.toml agree, and the environment the suite runs in is the locked one.

`make install` installs requirements/dev.txt with `--require-hashes` and never resolves, so a
dependency added to pyproject.toml without `make lock` (or a lock edited by hand) would silently not
be installed, or be installed unchecked. These tests fail in both directions: a direct requirement
with no pin satisfying its range, and a pin that nothing in pyproject.toml leads to.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)


def locked(path: Path) -> dict[str, Version]:
    """The pins of a lock file that apply to this interpreter and platform."""
    pins: dict[str, Version] = {}
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match is None:
            continue
        marker = match["marker"]
        if marker is None or Marker(marker).evaluate():
            pins[canonicalize_name(match["name"])] = Version(match["version"])
    return pins


def applicable(requirements: list[str], extra: str = "") -> list[Requirement]:
    parsed = [Requirement(text) for text in requirements]
    return [req for req in parsed if req.marker is None or req.marker.evaluate({"extra": extra})]


def closure(roots: list[Requirement]) -> set[str]:
    """Every distribution `roots` need here, through the installed distributions' own metadata."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(canonicalize_name(r.name), frozenset(r.extras)) for r in roots]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        seen.add(name)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            wanted = req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras})
            if wanted:
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return seen


RUNTIME = applicable(PYPROJECT["project"]["dependencies"])
DEV = RUNTIME + applicable(PYPROJECT["project"]["optional-dependencies"]["dev"], "dev")
BUILD = applicable(PYPROJECT["build-system"]["requires"])
LOCKS = {
    "runtime.txt": (RUNTIME, locked(ROOT / "requirements" / "runtime.txt")),
    "dev.txt": (DEV + BUILD, locked(ROOT / "requirements" / "dev.txt")),
}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_direct_requirement_is_pinned_within_its_range(lock: str) -> None:
    requirements, pins = LOCKS[lock]
    wrong: dict[str, str] = {}
    for req in requirements:
        pin = pins.get(canonicalize_name(req.name))
        if pin is None or pin not in req.specifier:
            wrong[str(req)] = str(pin or "absent")
    assert wrong == {}, f"pyproject.toml and requirements/{lock} disagree: run `make lock`"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_is_needed_by_pyproject(lock: str) -> None:
    requirements, pins = LOCKS[lock]
    needed = closure(requirements)
    assert set(pins) - needed == set(), f"requirements/{lock} pins what pyproject.toml no longer asks for"
    assert needed - set(pins) == set(), f"requirements/{lock} misses what pyproject.toml needs"


def test_the_suite_runs_on_the_locked_versions() -> None:
    _, pins = LOCKS["dev.txt"]
    installed = {name: Version(metadata.version(name)) for name in pins}
    assert {n: str(v) for n, v in installed.items() if v != pins[n]} == {}, "run `make install`"


def test_the_runtime_lock_is_the_dev_lock_restricted_to_the_runtime() -> None:
    _, runtime = LOCKS["runtime.txt"]
    _, dev = LOCKS["dev.txt"]
    assert {name: dev.get(name) for name in runtime} == runtime
