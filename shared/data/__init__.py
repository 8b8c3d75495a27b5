"""Territorial facts as data (read with importlib.resources by `shared.territoire`)."""
