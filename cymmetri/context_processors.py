from django.http import HttpRequest

from tenants.selectors import tenant_current


def tenant(request: HttpRequest) -> dict:
    """The tenant the request is served for; None on the public domain."""
    return {"tenant": tenant_current()}
