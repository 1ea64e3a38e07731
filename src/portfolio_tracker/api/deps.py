"""Request dependencies every slice shares: the app's core runtime and a database session.

`create_app` stores each runtime object once on ``app.state`` under a name; the slice that
owns it reads it back through a small dependency of its own (``prices.deps``,
``portfolio.deps``, ``accounts.auth``) built on `from_state`, so this kit knows no feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Core:
    """What every slice may need: the settings and the database (``app.state.core``)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]


def from_state(request: Request, name: str, kind: type[T]) -> T:
    """The runtime object `create_app` stored as ``app.state.<name>``, checked to be a `kind`.

    Raises RuntimeError when the app was built without it (a wiring bug, never user input).
    """
    value = getattr(request.app.state, name, None)
    if not isinstance(value, kind):
        raise RuntimeError(f"app.state.{name} is not a {kind.__name__}: create_app wires it")
    return value


def core(request: Request) -> Core:
    return from_state(request, "core", Core)


CoreRuntime = Annotated[Core, Depends(core)]


def app_settings(runtime: CoreRuntime) -> Settings:
    return runtime.settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def get_db(runtime: CoreRuntime) -> Iterator[Session]:
    """One unit of work per request. Services commit; anything uncommitted is rolled back."""
    session = runtime.session_factory()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]
