"""Prise de connaissance, avis de réception, mode à personne / à domicile, lettre simple, certificat."""
