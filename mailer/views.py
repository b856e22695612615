from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mailer.charts import daily_chart
from mailer.kinds import EmailKind
from mailer.models import EmailStatus
from mailer.selectors import email_activity, email_daily_counts
from smtp_integration.views import integration_admin_required

PER_PAGE = 50


@integration_admin_required
def activity(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    kind = request.GET.get("kind") or None
    status = status if status in EmailStatus.values else None
    kind = kind if kind in EmailKind.values else None
    page = Paginator(email_activity(status=status, kind=kind), PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = email_daily_counts(days=7)
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
