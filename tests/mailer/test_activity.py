"""The Activity tab: recent emails, the failed filter and seven days of sent against failed."""

import html as html_lib
import re

from mailer.models import FailureReason, OutboundEmail, WaitReason
from tests.mailer.helpers import outbound_email

URL = "/integrations/email-smtp/activity/"


def test_recent_emails_with_status_code_and_reason(admin_client_a):
    outbound_email("sent", to="ok@example.com", transport="custom", reply_code=250)
    outbound_email(
        "failed",
        to="bounce@example.com",
        reply_code=550,
        failure_reason="recipient_rejected",
        reply_text="5.1.1 No such user",
        transport="custom",
    )
    outbound_email("queued", to="later@example.com", waiting_for="rate_limited")
    html = admin_client_a.get(URL).content.decode()
    for address in ("ok@example.com", "bounce@example.com", "later@example.com"):
        assert address in html
    assert "Recipient refused" in html and "No such user" in html
    assert "check it for typos" in html
    assert "Waiting for a sending slot" in html

    failed = admin_client_a.get(URL + "?status=failed")
    rows = list(failed.context["page"].object_list)
    assert [row.to_address for row in rows] == ["bounce@example.com"]


def test_no_internal_code_is_shown_for_a_reason(admin_client_a):
    waits = [*WaitReason.values, "timeout", "temporary_failure"]
    for code in waits:
        outbound_email("queued", to=f"{code}@example.com", waiting_for=code)
    for code in [*FailureReason.values, "recipient_rejected", "auth_failed", "relay_denied"]:
        outbound_email("failed", to=f"{code}@example.com", failure_reason=code)
    html = admin_client_a.get(URL).content.decode()
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    cells = html_lib.unescape(re.sub(r"<[^>]+>|[\w.+-]+@example\.com", " ", table))
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", cells), "a raw code is shown"
    assert "waiting:" not in cells
    assert "Held: the tenant's SMTP server is paused" in cells
    assert "go out once the settings on the Configuration tab work again" in cells
    assert "Expired before it could be sent" in cells
    assert "it is retried automatically" in cells


def test_the_chart_counts_the_last_seven_days(admin_client_a):
    for _ in range(3):
        outbound_email("sent", days_ago=1)
    outbound_email("failed", days_ago=1, reply_code=550)
    outbound_email("sent", days_ago=0)
    outbound_email("sent", days_ago=9)  # outside the window
    response = admin_client_a.get(URL)
    counts = response.context["counts"]
    assert len(counts) == 7
    assert (counts[-2].sent, counts[-2].failed) == (3, 1)
    assert (counts[-1].sent, counts[-1].failed) == (1, 0)
    assert response.context["totals"] == {"sent": 4, "failed": 1}
    html = response.content.decode()
    assert "3 sent, 1 failed" in html
    assert html.count('class="chart__bar chart__bar--sent"') == 7


def test_only_integration_admins_see_activity(member_client_a):
    assert member_client_a.get(URL).status_code == 403


def test_no_email_bodies_on_the_page(admin_client_a):
    row = outbound_email("queued")
    OutboundEmail.objects.filter(pk=row.pk).update(context={"code": "493027"})
    assert "493027" not in admin_client_a.get(URL).content.decode()
