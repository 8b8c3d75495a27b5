"""Warnings of third-party libraries that we know, have read, and silence at their source only.

Every entry names one warning (its category and the start of its message) from one module of one
library, with the reason it is harmless here. Anything else stays visible: the test suite turns every
other warning into an error (`filterwarnings = ["error", ...]` in pyproject.toml, whose `ignore`
entries must be exactly these, checked by tests/shared/test_third_party.py), and the programs'
entry points (`signif`, each service's `main.py`) install these filters before importing the
libraries, so a user never reads them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownWarning:
    category: str  # dotted path of the warning class
    message: str  # regular expression matched at the start of the message
    module: str  # regular expression matched at the start of the module that triggers it
    why: str

    @property
    def pytest_filter(self) -> str:
        """The entry for pytest's `filterwarnings` (action:message:category:module)."""
        return f"ignore:{self.message}:{self.category}:{self.module}"


KNOWN_WARNINGS: tuple[KnownWarning, ...] = (
    KnownWarning(
        category="cryptography.utils.CryptographyDeprecationWarning",
        message="DSA is deprecated",
        module=r"pyhanko\.",
        why=(
            "cryptography 51 deprecates DSA and warns when the module is imported; pyHanko 0.38 imports "
            "it for isinstance checks on signer keys. Our keys are ECDSA and Ed25519, never DSA."
        ),
    ),
)


def _category(dotted: str) -> type[Warning]:
    module_name, _, name = dotted.rpartition(".")
    module = __import__(module_name, fromlist=[name])
    category: type[Warning] = getattr(module, name)
    return category


def silence_known_warnings() -> None:
    """Install the filters of `KNOWN_WARNINGS` (call first thing in a program's entry point)."""
    for known in KNOWN_WARNINGS:
        warnings.filterwarnings(
            "ignore", message=known.message, category=_category(known.category), module=known.module
        )
