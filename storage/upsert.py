"""Statements over many rows whose SQL does not depend on how many rows there are.

SQLAlchemy caches a compiled statement by its shape, and a multi-row
``insert().values(rows)`` or an ``IN`` list has a new shape for every row
count: each batch was compiled afresh (thousands of bind parameters) and, on
PostgreSQL, prepared afresh by the server. Here a batch is data, not SQL:

- PostgreSQL: one array parameter per column, turned back into rows by
  ``unnest`` (``INSERT ... SELECT ... FROM unnest($1::BIGINT[], ...)``,
  ``UPDATE ... FROM unnest(...)``, ``= ANY($1)``): one statement text for any
  batch size, prepared once per connection, one round trip.
- SQLite: the same with one JSON parameter holding every row, read back by
  ``json_each`` (dates and times written as SQLAlchemy stores them), rather
  than executemany, which costs SQLAlchemy a parameter set per row.

The statements are templates with named parameters, built once per dialect
by their callers (``functools.cache``), so neither building them nor
computing their cache key costs anything per batch; ``rows_params`` and
``keys_params`` shape a batch into the parameters the template takes.

``INSERT ... ON CONFLICT`` has the same syntax on both (``insert_for``), but
SQLAlchemy 2.0 never caches the dialects' INSERT (its ON CONFLICT clause has
no cache key), so every execution compiled it again. ``template_insert`` is
the same INSERT with a cache key: its ON CONFLICT clause is keyed by identity,
which is right for a template built once and reused, and only for that.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, cast, func, select, true, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert as StandardInsert
from sqlalchemy.sql.visitors import InternalTraversal

POSTGRESQL = "postgresql"
Rows = Sequence[Mapping[str, Any]]
_ROWS = "rows"  # the SQLite parameter holding a batch's rows as JSON


def dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def insert_for(session: AsyncSession, table: Table) -> Any:
    return (postgresql.insert if dialect(session) == POSTGRESQL else sqlite.insert)(table)


def template_insert(name: str, table: Table) -> Any:
    """A dialect INSERT that SQLAlchemy caches; only for statements built once
    (see the module docstring)."""
    return (_PostgresqlInsert if name == POSTGRESQL else _SqliteInsert)(table)


_conflict_keys = itertools.count(1)
_KEYED_BY_CONFLICT = [*[(n, v) for n, v in StandardInsert._traverse_internals if n != "_post_values_clause"],
                      ("_conflict_key", InternalTraversal.dp_plain_obj)]


class _ConflictKeyed:
    """Puts a number unique to the ON CONFLICT clause object in the cache key."""

    _post_values_clause: Any

    @property
    def _conflict_key(self) -> int | None:
        clause = self._post_values_clause
        if clause is None:
            return None
        if "_conflict_key" not in clause.__dict__:
            clause.__dict__["_conflict_key"] = next(_conflict_keys)
        return int(clause.__dict__["_conflict_key"])


class _PostgresqlInsert(_ConflictKeyed, postgresql.Insert):
    inherit_cache = False
    _cache_key_traversal = _KEYED_BY_CONFLICT


class _SqliteInsert(_ConflictKeyed, sqlite.Insert):
    inherit_cache = False
    _cache_key_traversal = _KEYED_BY_CONFLICT


def _bind(column: str) -> str:
    """Parameter names never equal column names: SQLAlchemy would read such a
    parameter as a value to SET."""
    return f"rows_{column}"


def _array(column: Any, name: str) -> Any:
    array = postgresql.ARRAY(column.type)
    return cast(bindparam(name, type_=array), array)


def _batch(name: str, table: Table, columns: Sequence[str]) -> Any:
    """The rows of a batch as a table ``batch`` with ``columns``: one array per
    column unnested (PostgreSQL) or one JSON array of rows read by
    ``json_each`` (SQLite)."""
    if name == POSTGRESQL:
        arrays = [_array(table.c[c], _bind(c)) for c in columns]
        return func.unnest(*arrays).table_valued(*columns).render_derived(name="batch")
    each = func.json_each(bindparam(_ROWS)).table_valued("value")
    return select(*[func.json_extract(each.c.value, f"$[{i}]").label(c) for i, c in enumerate(columns)]) \
        .subquery("batch")


def insert_rows(name: str, stmt: Any, columns: Sequence[str]) -> Any:
    """``stmt`` (an insert of one table, to be given any ON CONFLICT and
    RETURNING) fed with rows of ``columns`` through ``rows_params``. (SQLite
    needs the WHERE to tell a following ON CONFLICT from a join's ON.)"""
    source = _batch(name, stmt.table, columns)
    return stmt.from_select(columns, select(*[source.c[c] for c in columns]).where(true()))


def update_rows(name: str, table: Table, keys: Sequence[str], columns: Sequence[str],
                *where: ColumnElement[bool], **fixed: Any) -> Any:
    """``UPDATE table`` fed with rows of ``keys`` + ``columns`` through
    ``rows_params``: the row whose ``keys`` columns equal the row's and that
    meets ``where`` gets the row's ``columns`` and the ``fixed`` values."""
    source = _batch(name, table, [*keys, *columns])
    return update(table).values({**{c: source.c[c] for c in columns}, **fixed}) \
        .where(*[table.c[k] == source.c[k] for k in keys], *where)


def rows_params(name: str, rows: Rows, **shared: Any) -> dict[str, Any]:
    """The parameters of an ``insert_rows`` or ``update_rows`` statement for
    ``rows`` (one or more, all with the same keys), plus ``shared`` ones."""
    columns = list(rows[0])
    if name == POSTGRESQL:
        return {**{_bind(c): [row[c] for row in rows] for c in columns}, **shared}
    return {_ROWS: json.dumps([[row[c] for c in columns] for row in rows], default=_sqlite_value), **shared}


def _sqlite_value(value: Any) -> str:
    """Dates and times in JSON as SQLAlchemy stores them in SQLite."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a batch")


def any_of(name: str, column: Any, param: str) -> ColumnElement[bool]:
    """``column IN`` the values given as ``param`` (see ``keys_params``)."""
    if name == POSTGRESQL:
        return column == any_(_array(column, param))
    each = func.json_each(bindparam(param)).table_valued("value")
    return column.in_(select(each.c.value))


def one_of(name: str, columns: Sequence[Any], param: str) -> ColumnElement[bool]:
    """``(a, b, ...) IN`` the rows given as ``param`` (see ``keys_params``)."""
    keys = key_table(name, columns, param)
    return tuple_(*columns).in_(select(*keys.c))


def key_table(name: str, columns: Sequence[Any], param: str) -> Any:
    """The rows given as ``param`` as a table with columns ``k0``, ``k1``, ...
    typed like ``columns``; a query driven from it looks each key up by index."""
    names = [f"k{i}" for i in range(len(columns))]
    if name == POSTGRESQL:
        arrays = [_array(c, f"{param}_{i}") for i, c in enumerate(columns)]
        return func.unnest(*arrays).table_valued(*names).render_derived(name="keys")
    each = func.json_each(bindparam(param)).table_valued("value")
    fields = [func.json_extract(each.c.value, f"$[{i}]").label(n) for i, n in enumerate(names)]
    return select(*fields).subquery("keys")


def keys_params(name: str, param: str, keys: Collection[Any], width: int = 0) -> dict[str, Any]:
    """Parameters named ``param`` for ``any_of`` (plain values), or for
    ``one_of`` / ``key_table`` (tuples of ``width`` values)."""
    values = list(keys)
    if name != POSTGRESQL:
        return {param: json.dumps([list(v) for v in values] if width else values)}
    if width:
        return {f"{param}_{i}": [v[i] for v in values] for i in range(width)}
    return {param: values}
