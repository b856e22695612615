"""Statements on the hot path, bound and prepared by PostgreSQL.

Django's psycopg cursors bind parameters on the client: every execution sends a new SQL text,
which PostgreSQL parses and plans again. The few statements run for every email (the claim,
the outcomes, their audit events, the lease renewals, the SMTP config a step sends with) go
through a server-binding cursor on the same connection and transaction instead: psycopg
prepares a statement once it has run a few times, so PostgreSQL plans it once per connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def server_cursor(*, search_path: bool = True) -> Iterator[psycopg.Cursor]:
    """A server-binding cursor on Django's connection, in the current tenant's schema (or,
    with ``search_path=False``, for statements that name their tables in full, whatever the
    connection's path); errors are Django's DatabaseErrors."""
    path_set = getattr(connection, "search_path_set_schemas", None) is not None
    if not search_path:
        # What Django's own cursor would do first, short of setting the path.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    elif connection.connection is None or not path_set:
        # Django's own cursor applies the tenant's search_path (django-tenants does it there
        # and notes it; a switch of schema clears the note). Creating one costs more than the
        # statements here, so only when the note says the path is not set.
        connection.cursor().close()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def model_from_row(model, values: list | tuple):
    """An instance of ``model`` from a row of all its concrete columns, in the model's field
    order, converted as the ORM would (JSON arrives as text)."""
    fields = model._meta.concrete_fields
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(None, [field.attname for field in fields], converted)


def model_columns(model, alias: str) -> str:
    """``model``'s concrete columns for a SELECT, in the order model_from_row() reads them."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def delete_in_batches(*, table: str, key: str, where: str, params: list, batch: int) -> int:
    """DELETE rows of ``table`` matching ``where``, ``batch`` rows per statement and each
    statement its own transaction (call it outside atomic()), skipping rows other
    transactions hold: no lock is held for long and nothing waits for it. Returns how many
    rows went. ``table``, ``key`` and ``where`` are code, never input."""
    sql = (
        f"DELETE FROM {table} WHERE {key} IN ("  # noqa: S608
        f"SELECT {key} FROM {table} WHERE {where} LIMIT %s FOR UPDATE SKIP LOCKED)"
    )
    deleted = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, batch])
            count = cursor.rowcount
        deleted += count
        if count < batch:
            return deleted
