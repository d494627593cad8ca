"""Use cases: one database transaction each."""
