"""The database refuses ``UPDATE`` and ``DELETE`` on ``ledger_entries``.

The ledger code never rewrites an entry; these triggers make the database
say so too, so a bug, a hand-typed ``UPDATE`` or a tool that "fixes" a row
fails loudly instead of silently breaking the chain. They do not stop
someone who can drop triggers (an owner of the schema, a PostgreSQL
superuser): that is what the keyed hash and the checkpoints outside the
database are for (README, "Tamper evidence").

The SQL lives here once and is used twice: by migration 0002 (``engagebot
db upgrade``) and by ``attach``, which hangs it on the table so that
``Base.metadata.create_all`` (tests, the demo) makes the same triggers.
A later migration that rebuilds ``ledger_entries`` with SQLite's batch mode
(copy and rename) loses the triggers and must run ``CREATE`` again.

One exception is planned and not built: pseudonymising a member who asks to
be forgotten must rewrite the personal parts of that member's entries. It
will get its own narrow path (a dedicated function that re-chains under the
key and records the event), never a general way around these triggers.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

_SAYS = "ledger_entries is append-only: "
_ADVICE = " refused; post a correcting entry instead"

CREATE: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(
        f"CREATE TRIGGER ledger_entries_no_{op.lower()} BEFORE {op} ON ledger_entries "
        f"BEGIN SELECT RAISE(ABORT, '{_SAYS}{op}{_ADVICE}'); END"
        for op in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING ERRCODE = 'restrict_violation', "
        f"MESSAGE = '{_SAYS}' || TG_OP || '{_ADVICE}'; END $$",
        "CREATE TRIGGER ledger_entries_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
        "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()",
    ),
}

DROP: dict[str, tuple[str, ...]] = {
    "sqlite": ("DROP TRIGGER IF EXISTS ledger_entries_no_update", "DROP TRIGGER IF EXISTS ledger_entries_no_delete"),
    "postgresql": (
        "DROP TRIGGER IF EXISTS ledger_entries_no_update_delete ON ledger_entries",
        "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
        "DROP FUNCTION IF EXISTS ledger_entries_append_only()",
    ),
}


def attach(table: Table) -> None:
    """Create the triggers whenever SQLAlchemy creates ``table``."""
    for dialect, statements in CREATE.items():
        for sql in statements:
            event.listen(table, "after_create", DDL(sql).execute_if(dialect=dialect))
