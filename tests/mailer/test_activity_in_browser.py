"""The Activity tab in Chromium: the chart and the failed filter."""

import pytest
from django.db import connection

from tests.live import open_as_admin, shot
from tests.mailer.helpers import outbound_email

pytestmark = pytest.mark.browser


def seed(tenant):
    connection.set_tenant(tenant)
    rows = []
    for day in range(7):
        for n in range(day % 4 + 1):
            rows.append(("sent", day, f"user{day}{n}@example.com", 250, ""))
        if day in (1, 4):
            rows.append(("failed", day, f"bounce{day}@example.com", 550, "recipient_rejected"))
    rows.append(("queued", 0, "waiting@example.com", None, ""))
    for status, day, to, code, reason in rows:
        outbound_email(
            status,
            kind="otp" if day % 2 else "verification",
            to=to,
            days_ago=day,
            transport="custom",
            smtp_host="smtp.acme.test",
            reply_code=code,
            failure_reason=reason,
            waiting_for="rate_limited" if status == "queued" else "",
        )
    connection.set_schema_to_public()


def test_activity_chart_and_failed_filter(browser, live_server_url, tenant_a):
    seed(tenant_a)

    def flow(page):
        open_as_admin(page, live_server_url, "/integrations/email-smtp/activity/")
        page.get_by_role("heading", name="Last 7 days").wait_for()
        bars = page.locator("rect.chart__bar--sent").count()
        shot(page, "activity")
        page.get_by_role("link", name="Failed", exact=True).click()
        page.wait_for_url("**status=failed")
        statuses = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
        shot(page, "activity-failed")
        return bars, statuses

    bars, statuses = browser(flow)
    assert bars == 7
    assert statuses == ["failed", "failed"]
