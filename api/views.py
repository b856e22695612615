"""The API: one NinjaAPI with the Email SMTP and Emails routers (thin: services do the work)."""

from ninja import NinjaAPI

from api import email_templates, emails, smtp
from api.auth import TokenAuth
from api.errors import register_handlers

DESCRIPTION = """\
Manage the tenant's Email SMTP integration and send transactional email, from any language.

Authenticate with a tenant API token (Integrations → API tokens) on the tenant's own
domain: `Authorization: Bearer cym_…`. Each endpoint needs the scope it names. Errors have
one shape: `{"error": {"code", "message", "fields"}}`.
"""

api = NinjaAPI(
    title="Cymmetri API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api-1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
register_handlers(api)
api.add_router("/email-smtp", smtp.router)
api.add_router("/emails", emails.router)
api.add_router("/email-templates", email_templates.router)
