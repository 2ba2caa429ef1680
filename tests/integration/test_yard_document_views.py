"""The yard layout in force as each transaction sees it: a version being written is seen by
its own transaction only, and by everyone once committed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from landport.adapters.db import yard_documents
from landport.adapters.db.engine import make_engine
from landport.adapters.db.migrate import upgrade
from landport.adapters.reference_files import YARD_FILE, _packaged
from landport.yard.model import yard_from_document

AT = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def test_a_version_being_written_stays_in_its_transaction_until_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'views.db'}"
    upgrade(url)
    engine = make_engine(url, writer=False)  # one engine, so one shared cache, two transactions
    document = _packaged(YARD_FILE)
    try:
        with engine.connect() as r, r.begin():
            before = yard_documents.current(engine, r)
            assert before.layout is None  # the packaged file rules
            with engine.connect() as w:
                tx = w.begin()
                number = yard_documents.keep_layout(
                    w, document, yard_from_document(document), actor="admin", at=AT, reason=None
                )
                mine = yard_documents.current(engine, w).layout
                assert mine is not None and mine.number == number
                assert before.layout is None  # what the reader was given did not change
                # the reader's transaction, and a fresh read, see only what is committed
                assert yard_documents.current(engine, r).layout is None
                assert yard_documents.current(engine).layout is None
                tx.commit()
        seen = yard_documents.current(engine).layout
        assert seen is not None and seen.number == number
    finally:
        engine.dispose()
