"""operateur."""
