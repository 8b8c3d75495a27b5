"""Judicial authority (`autorite_judiciaire`): purpose-bound searches and proof downloads, each logged."""
