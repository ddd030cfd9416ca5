"""get_or_create when another transaction inserted the same unique row first: the caller gets
that row and its transaction goes on (on PostgreSQL a failed insert outside a savepoint would
abort the whole transaction)."""

from __future__ import annotations

from mediaobjects.context import AppContext
from mediaobjects.db.unique import get_or_create
from mediaobjects.files.models import Folder


def _root(context_id: int) -> Folder:
    return Folder(
        context_type="Course",
        context_id=context_id,
        parent_folder_id=None,
        root_marker=1,
        name="course files",
        full_name="course files",
    )


def test_the_row_a_concurrent_transaction_inserted_first_is_returned(ctx: AppContext) -> None:
    with ctx.write() as other:
        other.add(_root(7))
    with ctx.write() as session:
        seen: list[Folder | None] = []

        def find() -> Folder | None:
            # The first look happens before the other transaction's commit (it sees nothing).
            if not seen:
                seen.append(None)
                return None
            return session.query(Folder).filter_by(context_type="Course", context_id=7).one()

        found = get_or_create(session, find, lambda: _root(7))
        assert found.id is not None
        # The transaction still works after the lost race.
        session.add(_root(8))
        session.flush()
    with ctx.read() as session:
        assert session.query(Folder).filter_by(context_type="Course").count() == 2
