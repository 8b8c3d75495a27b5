"""The platform's PAdES seal (`shared.sceau_pdf`, shared with consent's récépissé)."""

from shared.sceau_pdf import CHAMP_SCEAU, EmbeddedTimeStamper, SceauPdf, sceller_pdf

__all__ = ["CHAMP_SCEAU", "EmbeddedTimeStamper", "SceauPdf", "sceller_pdf"]
