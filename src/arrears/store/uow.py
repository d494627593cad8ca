"""The unit of work: one database transaction per use case."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from arrears.store.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class UnitOfWork:
    """``with UnitOfWork(db) as uow: ...; uow.commit()`` — without ``commit()`` everything rolls back."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The session of this unit of work."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a with-block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.session()
        self._session.begin()
        return self

    def commit(self) -> None:
        """Make the work of this use case permanent."""
        self.session.commit()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        if session.in_transaction():
            session.rollback()
        session.close()
        self._session = None
