"""autorite."""
