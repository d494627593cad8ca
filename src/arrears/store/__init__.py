"""Persistence: SQLAlchemy models, the unit of work, migrations; SQLite by default, PostgreSQL by URL."""
