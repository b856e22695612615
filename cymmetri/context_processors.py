from django.db import connection
from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict:
    """The tenant the request is served for; None on the public domain."""
    current = getattr(connection, "tenant", None)
    if current is None or current.schema_name == "public":
        return {"tenant": None}
    return {"tenant": current}
