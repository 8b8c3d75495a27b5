"""Alembic environment of the coffre service (run through `signif migrate`)."""

from services.coffre.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
