"""Registry evidence for the judicial authority: a declaration's logged history as a `registre` bundle."""
