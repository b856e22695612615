"""manage.py check_deliverability: rows for people, JSON for scripts, exit 2 when red."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from deliverability.models import DeliverabilityState
from smtp_integration.models import SmtpConfig
from tests.deliverability.tabpage import smtp_config_create
from tests.deliverability.zones import DOMAIN
from tests.support import ROOT

DMARC = f"_dmarc.{DOMAIN}"
RECORD_KEYS = {"check", "title", "status", "message", "found", "expected", "publish"}


def _run(*args: str) -> str:
    out = StringIO()
    call_command("check_deliverability", *args, stdout=out)
    return out.getvalue()


def test_command_prints_each_row_and_the_overall_and_exits_2_when_red(sendgrid, tenant_a):
    sendgrid.remove(DMARC)
    out = StringIO()

    with pytest.raises(CommandError, match=f"{DOMAIN} is red") as failed:
        call_command(
            "check_deliverability", "--tenant", tenant_a.schema_name, "--fresh", stdout=out
        )

    assert failed.value.returncode == 2
    out = out.getvalue()
    assert f"{tenant_a.schema_name}: {DOMAIN} via SendGrid (smtp.sendgrid.net)" in out
    assert "  PASS       SPF: " in out and "  PASS       DKIM (s1): " in out
    assert "  FAIL       DMARC: " in out
    assert f"publish:  {DMARC} TXT v=DMARC1; p=quarantine;" in out
    assert "Overall: FAIL (checked " in out
    assert DeliverabilityState.objects.get().overall == "fail"
    assert connection.schema_name == tenant_a.schema_name


def test_command_explains_the_platform_default_and_refuses_unknown_tenants(sendgrid, tenant_b):
    assert "platform default from noreply@mail.cymmetri.test" in _run(
        "--tenant", tenant_b.schema_name
    )

    with pytest.raises(CommandError, match="No tenant with schema 'nope'"):
        call_command("check_deliverability", "--tenant", "nope")
    with pytest.raises(CommandError):
        call_command("check_deliverability", "--tenant", "public")


def test_json_of_a_green_domain_has_every_record(sendgrid, tenant_a):
    result = json.loads(_run("--tenant", tenant_a.schema_name, "--fresh", "--json"))

    state = DeliverabilityState.objects.get()
    assert {key: result[key] for key in ("tenant", "route", "overall", "domain", "smtp_host")} == {
        "tenant": tenant_a.schema_name,
        "route": "custom",
        "overall": "pass",
        "domain": DOMAIN,
        "smtp_host": "smtp.sendgrid.net",
    }
    assert result["provider"] == {"key": "sendgrid", "name": "SendGrid"}
    assert datetime.fromisoformat(result["checked_at"]) == state.checked_at
    assert [(r["title"], r["status"]) for r in result["records"]] == [
        (r["title"], r["status"]) for r in state.report["rows"]
    ]
    assert all(set(record) == RECORD_KEYS for record in result["records"])
    spf = result["records"][0]
    assert (spf["check"], spf["status"]) == ("spf", "pass")
    assert spf["found"] == ["v=spf1 include:sendgrid.net ~all"]


def test_json_of_a_red_domain_says_what_to_publish_and_exits_2(sendgrid, tenant_a):
    sendgrid.remove(DMARC)
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("check_deliverability", "--tenant", tenant_a.schema_name, "--json", stdout=out)

    assert failed.value.returncode == 2
    result = json.loads(out.getvalue())
    assert result["overall"] == "fail"
    [dmarc] = [record for record in result["records"] if record["check"] == "dmarc"]
    assert (dmarc["status"], dmarc["found"]) == ("fail", [])
    [record] = dmarc["publish"]
    assert set(record) == {"name", "type", "value"}
    assert (record["name"], record["type"]) == (DMARC, "TXT")
    assert record["value"].startswith("v=DMARC1; p=quarantine;")


def test_json_names_no_provider_for_an_own_server(sendgrid, tenant_a):
    SmtpConfig.objects.update(host="mail.example.com")

    result = json.loads(_run("--tenant", tenant_a.schema_name, "--json"))

    assert (result["provider"], result["smtp_host"]) == (None, "mail.example.com")


def test_json_of_the_platform_default_has_nothing_to_check(sendgrid, tenant_b):
    result = json.loads(_run("--tenant", tenant_b.schema_name, "--json"))

    assert result == {
        "tenant": tenant_b.schema_name,
        "route": "platform_default",
        "from_address": "noreply@mail.cymmetri.test",
    }


def test_a_red_domain_exits_2_from_the_shell(committed, green, tenant_a, worker_env):
    """What a cron job or a monitoring probe sees: the process's exit code and clean JSON."""
    green.remove(DMARC)
    with schema_context(tenant_a.schema_name):
        smtp_config_create()
    env = {**os.environ, **worker_env, "DELIVERABILITY_NAMESERVERS": green.address}
    command = ["manage.py", "check_deliverability", "--tenant", tenant_a.schema_name, "--json"]

    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2, done.stderr
    assert json.loads(done.stdout)["overall"] == "fail"
    assert f"{DOMAIN} is red" in done.stderr
