"""The destinataire's retrieval pages (`/coffre/retrait/{jeton}`)."""
