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
def server_cursor() -> Iterator[psycopg.Cursor]:
    """A server-binding cursor on Django's connection, in the current tenant's schema; errors
    are Django's DatabaseErrors."""
    path_set = getattr(connection, "search_path_set_schemas", None) is not None
    if connection.connection is None or not path_set:
        # Django's own cursor applies the tenant's search_path (django-tenants does it there
        # and notes it; a switch of schema clears the note). Creating one costs more than the
        # statements here, so only when the note says the path is not set.
        connection.cursor().close()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
