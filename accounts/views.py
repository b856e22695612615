from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import dashboard_summary
from tenants.selectors import tenant_current


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    summary = dashboard_summary(tenant=tenant_current())
    return render(request, "accounts/dashboard.html", {"summary": summary})
