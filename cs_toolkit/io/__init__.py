"""Reading exports as tables: file types, encodings, delimiters, malformed records set aside with their
row numbers. Nothing here interprets values; survey validation lives in :mod:`cs_toolkit.survey.reader`."""

from cs_toolkit.io.tables import RawTable, detect_encoding, read_table

__all__ = ["RawTable", "detect_encoding", "read_table"]
