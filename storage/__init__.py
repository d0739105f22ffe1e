"""Persistence: SQLAlchemy models, the points ledger, repositories, migrations."""

# The models module first: feature table modules (storage.ugc, storage.contests) import its Base
# and it imports them back to register their tables, which only works in that order.
from storage import models  # noqa: E402,F401
