from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cymmetri.decorators import permission_required_page
from mailer.charts import daily_chart
from mailer.kinds import KINDS, EmailKind
from mailer.models import EmailStatus
from mailer.previews import email_preview
from mailer.selectors import email_activity, email_daily_counts
from smtp_integration.models import CHANGE_PERMISSION
from tenants.selectors import tenant_current

PER_PAGE = 50


@permission_required_page(CHANGE_PERMISSION)
def activity(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    kind = request.GET.get("kind") or None
    status = status if status in EmailStatus.values else None
    kind = kind if kind in EmailKind.values else None
    tenant = tenant_current()
    page = Paginator(email_activity(tenant=tenant, status=status, kind=kind), PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = email_daily_counts(tenant=tenant, days=7)
    return render(
        request,
        "integrations/email_smtp/activity.html",
        {
            "tab": "activity",
            "page": page,
            "status": status,
            "kind": kind,
            "kinds": EmailKind.choices,
            "counts": counts,
            "totals": {
                "sent": sum(c.sent for c in counts),
                "failed": sum(c.failed for c in counts),
            },
            "chart": daily_chart(counts),
        },
    )


def _preview(request: HttpRequest, kind: str):
    if kind not in KINDS:
        raise Http404("No such kind of email.")
    return email_preview(
        kind,
        tenant_name=tenant_current().display_name,
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )


@permission_required_page(CHANGE_PERMISSION)
def previews(request: HttpRequest, kind: str = "otp") -> HttpResponse:
    rendered = _preview(request, kind)
    return render(
        request,
        "integrations/email_smtp/previews.html",
        {"tab": "previews", "kinds": EmailKind.choices, "kind": kind, "rendered": rendered},
    )


# Email HTML styles itself inline; it is shown in a sandboxed frame with a policy of its own
# (no scripts, nothing fetched), so the pages around it keep their strict policy.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


@permission_required_page(CHANGE_PERMISSION)
@xframe_options_sameorigin
def preview_html(request: HttpRequest, kind: str) -> HttpResponse:
    response = HttpResponse(_preview(request, kind).html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
