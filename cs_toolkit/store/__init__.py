"""The store: survey responses, complaints, every ingested file and every rejected row, in an embedded
DuckDB file (default) or a team's PostgreSQL database, behind one API (:class:`Store`)."""

from cs_toolkit.store.ingest import IngestSummary
from cs_toolkit.store.store import Store

__all__ = ["IngestSummary", "Store"]
