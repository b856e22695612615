from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import dashboard_summary


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    summary = dashboard_summary(tenant=connection.tenant, user=request.user)
    return render(request, "accounts/dashboard.html", {"summary": summary})
