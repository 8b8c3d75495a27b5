"""Request dependencies of consent's routers: the request's session (the only thing that commits),
the runtime and the legal instant of the request (all shared by the three services)."""

from shared.app import NowDep, RuntimeDep, runtime_of
from shared.db import SessionDep

__all__ = ["NowDep", "RuntimeDep", "SessionDep", "runtime_of"]
