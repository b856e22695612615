from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cymmetri.decorators import permission_required_page
from mailer.charts import daily_chart
from mailer.kinds import EmailKind
from mailer.models import EmailStatus
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
