"""The whole check: overall colour, DNS that fails, re-checks, speed, storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from deliverability.engine import DeliverabilityReport
from tests.deliverability.zones import DOMAIN, row
from tests.support import ROOT


def test_green_domain_is_green_overall(green, check):
    report = check()

    assert report.overall == "pass"
    assert report.provider == {"key": "sendgrid", "name": "SendGrid"}
    assert [r.check for r in report.rows] == ["spf", "dkim", "dkim", "dmarc", "return_path"]
    assert report.checked_at.utcoffset().total_seconds() == 0


def test_sendgrid_return_path_says_what_to_look_for(green, check):
    return_path = row(check(), "return_path")

    assert return_path.status == "unverified"
    assert return_path.expected == (
        f"a CNAME em<number>.{DOMAIN} pointing to u1234567.wl123.sendgrid.net"
    )


def test_report_survives_json_storage(green, check):
    green.remove(f"_dmarc.{DOMAIN}")
    report = check()

    stored = DeliverabilityReport.from_dict(json.loads(json.dumps(report.to_dict())))

    assert stored == report
    assert stored.to_dict()["overall"] == "fail"
    assert stored.to_dict()["rows"][3]["publish"][0]["name"] == f"_dmarc.{DOMAIN}"


def test_a_server_that_never_answers_is_unknown_not_fail(green, check):
    green.drop(DOMAIN)

    started = time.monotonic()
    report = check(deadline=1.0)
    elapsed = time.monotonic() - started

    assert {r.status for r in report.rows} == {"unknown"}
    assert report.overall == "unknown"
    assert all(not r.publish for r in report.rows)
    assert elapsed < 1.5


def test_servfail_is_unknown(green, check):
    green.fail(DOMAIN)

    report = check()

    assert {r.status for r in report.rows} == {"unknown"}
    assert "SERVFAIL" in row(report, "spf").message


def test_timeout_deep_in_the_spf_tree_is_unknown(green, check):
    green.drop("sendgrid.net")

    spf = row(check(deadline=2.0), "spf")

    assert spf.status == "unknown"
    assert "timed out" in spf.message


def test_recheck_with_fresh_sees_a_record_added_since(green, check):
    green.set(DOMAIN, "TXT", "google-site-verification=x")
    assert row(check(), "spf").status == "fail"
    green.add(DOMAIN, "TXT", "v=spf1 include:sendgrid.net ~all")

    # Without fresh, checkdmarc's process-wide cache still has the old TXT answer...
    assert row(check(fresh=False), "spf").status == "fail"
    # ...which "Re-check now" clears.
    assert row(check(fresh=True), "spf").status == "pass"


def test_postmark_return_path_passes_when_published(green, check):
    green.set(f"pm-bounces.{DOMAIN}", "CNAME", "pm.mtasv.net")
    green.set("pm.mtasv.net", "A", "50.31.156.6")

    return_path = row(check(host="smtp.postmarkapp.com"), "return_path")

    assert return_path.status == "pass"


def test_ses_return_path_tells_the_region_specific_records(green, check):
    return_path = row(check(host="email-smtp.eu-west-1.amazonaws.com"), "return_path")

    assert return_path.status == "unverified"
    assert [(p.name, p.type, p.value) for p in return_path.publish] == [
        (f"bounce.{DOMAIN}", "MX", "10 feedback-smtp.eu-west-1.amazonses.com"),
        (f"bounce.{DOMAIN}", "TXT", "v=spf1 include:amazonses.com ~all"),
    ]


def test_from_address_is_accepted_as_domain(green, check):
    assert check(domain=f"noreply@{DOMAIN.upper()}").domain == DOMAIN


@pytest.mark.parametrize("parallel", [True, False])
def test_full_check_with_30ms_dns_latency(green, check, parallel):
    green.latency = 0.030

    started = time.monotonic()
    report = check(parallel=parallel)
    elapsed = time.monotonic() - started

    assert report.overall == "pass"
    if parallel:
        assert elapsed < 0.5
    else:
        assert elapsed > 0.25  # one lookup at a time really is slower


def test_the_engine_imports_without_django():
    """The benchmark and scripts run the engine with no settings: it must not pull Django in."""
    code = (
        "import sys, deliverability.engine; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"
