"""The natures of actes the coffre accepts: the platform's one catalogue (shared.natures)."""

from __future__ import annotations

from shared.natures import NATURES, libelle

__all__ = ["NATURES", "libelle"]
