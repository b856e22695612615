from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smtp_integration.selectors import email_delivery_status


@login_required
def integrations_index(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/index.html", {"email_status": email_delivery_status()})
