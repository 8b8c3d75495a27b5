"""The text of a PDF for the tests: `shared.testing.texte_pdf` (shared with `signif demo`, which reads
the address the lettre simple prints)."""

from __future__ import annotations

from shared.testing.texte_pdf import texte_normalise, texte_pdf

__all__ = ["texte_normalise", "texte_pdf"]
