"""Every tenant page at 390 px (a phone) and 1280 px: nothing scrolls sideways, and
screenshots of both widths land in var/screenshots/ to look at."""

import pytest
from django.db import connection

from audit.services import audit_record
from deliverability import services
from deliverability.services import domain_dns_check
from smtp_integration.models import SmtpConnectionTest
from tests.accounts.helpers import make_user
from tests.deliverability.tabpage import fresh_start, smtp_config_create
from tests.deliverability.zones import DOMAIN
from tests.live import open_as_admin, shot
from tests.mailer.helpers import outbound_email
from tests.support import TENANTS

pytestmark = pytest.mark.browser

SIGNED_OUT = ["/accounts/login/", "/accounts/password-reset/"]
SIGNED_IN = [
    "/",
    "/integrations/",
    "/integrations/email-smtp/",
    "/integrations/email-smtp/deliverability/",
    "/integrations/email-smtp/activity/",
    "/integrations/email-smtp/activity/?status=failed",
    "/integrations/email-smtp/templates/",
    "/integrations/email-smtp/templates/invitation/de/",
    "/integrations/email-smtp/delete/",
    "/accounts/admins/",
    "/accounts/email/",
    "/accounts/api-tokens/",
]
# What sticks out past the right edge, to name in a failure.
_OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 0.5;
  });
  const outermost = wide.filter(el => !wide.includes(el.parentElement));
  const labels = [...document.querySelectorAll(".chart__label")];
  return {
    chartLabelPx: labels.length
      ? Math.min(...labels.map(l => l.getBoundingClientRect().height)) : null,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    culprits: outermost.slice(0, 5).map(el => el.tagName.toLowerCase() +
      (typeof el.className === "string" && el.className
        ? "." + el.className.split(" ").join(".") : "")),
  };
}"""


def _seed(tenant) -> int:
    """A tenant as a busy admin sees it: its own SMTP, red DNS rows, failures, an invitee."""
    connection.set_tenant(tenant)
    fresh_start()
    smtp_config_create()
    domain_dns_check(fresh=True)
    invitee = make_user(
        "a-very-long-invitee-address.for-testing@subsidiary.example.com", password=None, admin=True
    )
    audit_record("admin.user_invited", tenant=tenant, actor=invitee, recipient=invitee.email)
    for n in range(6):
        outbound_email(
            "failed" if n % 2 else "queued",
            kind="email_change",
            to=f"someone.with.a.long.address{n}@department.example.com",
            transport="custom",
            smtp_host="smtp.sendgrid.net",
            reply_code=550 if n % 2 else None,
            failure_reason="recipient_rejected" if n % 2 else "",
            waiting_for="" if n % 2 else "smtp_paused",
            reply_text="5.1.1 <someone.with.a.long.address@department.example.com>: "
            "Recipient address rejected: User unknown in virtual mailbox table",
        )
    # A finished Test connection, as its result page (without scripts) shows it.
    failed = {"ok": False, "code": 535, "reply": "5.7.8 Authentication credentials invalid"}
    steps = [
        {
            "name": "resolve",
            "label": "Resolve",
            "ok": True,
            "code": None,
            "reply": "",
            "detail": "smtp.sendgrid.net resolves to 203.0.113.10",
            "duration_ms": 3.0,
        },
        {
            "name": "auth",
            "label": "AUTH",
            "detail": "Authentication failed",
            "duration_ms": 41.0,
            **failed,
        },
    ]
    test = SmtpConnectionTest.objects.create(
        actor_email=TENANTS["a"].admin_email,
        host="smtp.sendgrid.net",
        port=587,
        tls_mode="starttls",
        outcome="failed",
        reason="auth_failed",
        message="Authentication failed (535 5.7.8 Authentication credentials invalid): check "
        "the username and password; for SendGrid the username is the literal word apikey",
        steps=steps,
        fingerprint="0" * 64,
    )
    connection.set_schema_to_public()
    return test.pk


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "dashboard"


def test_no_tenant_page_scrolls_sideways_on_a_phone(
    browser, live_server_url, green, settings, monkeypatch, tenant_a
):
    info = TENANTS["a"]
    settings.DELIVERABILITY_NAMESERVERS = [green.address]
    monkeypatch.setattr(services, "CHECK_DEADLINE_SECONDS", 1.5)
    green.remove(f"_dmarc.{DOMAIN}")
    test_page = f"/integrations/email-smtp/test/{_seed(tenant_a)}/"

    def measure(page, path, width):
        page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
        page.goto(live_server_url(info.domain, path))
        shot(page, f"mobile-{_slug(path)}-{width}")
        return page.evaluate(_OVERFLOW)

    def flow(page):
        seen = {}
        for path in SIGNED_OUT:
            seen[path] = measure(page, path, 390)
            measure(page, path, 1280)
        open_as_admin(page, live_server_url, "/")
        for path in [*SIGNED_IN, test_page]:
            seen[path] = measure(page, path, 390)
            measure(page, path, 1280)
        return seen

    seen = browser(flow)
    wide = {
        path: found for path, found in seen.items() if found["scrollWidth"] > found["innerWidth"]
    }
    assert wide == {}, f"pages that scroll sideways at 390 px: {wide}"
    # The chart's day labels stay readable on a phone (at least 10 px tall on screen).
    assert seen["/integrations/email-smtp/activity/"]["chartLabelPx"] >= 10
