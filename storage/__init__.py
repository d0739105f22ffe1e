"""Persistence: SQLAlchemy models, the points ledger, repositories, migrations."""
