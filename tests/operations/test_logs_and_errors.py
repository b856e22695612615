"""What leaves the process: JSON log lines a shipper can parse, Sentry events without
anyone's address, code or password."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cymmetri.sentry import SCRUBBED, before_send
from tests.support import ROOT


def test_sentry_events_lose_secrets_recipients_and_codes_wherever_they_are():
    event = {
        "exception": {
            "values": [{"type": "SMTPRecipientsRefused", "value": "550 for ada@example.com"}]
        },
        "extra": {"to": "ada@example.com", "context": {"code": "493027"}, "email_id": 42},
        "request": {"headers": {"Authorization": "Bearer cym_abc", "Host": "acme.test"}},
        "breadcrumbs": {
            "values": [{"message": "sending to bob@example.org", "data": {"password": "hunter2"}}]
        },
    }

    scrubbed = before_send(event, {})

    text = json.dumps(scrubbed)
    for secret in ("ada@example.com", "bob@example.org", "493027", "cym_abc", "hunter2"):
        assert secret not in text
    assert scrubbed["exception"]["values"][0]["value"] == f"550 for {SCRUBBED}"
    assert scrubbed["extra"]["email_id"] == 42
    assert scrubbed["request"]["headers"]["Host"] == "acme.test"


def test_log_format_json_writes_one_parseable_object_per_line():
    program = (
        "import django, logging; django.setup(); "
        "logging.getLogger('mailer.delivery').warning('Email %s waits', 7)"
    )
    run = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cymmetri.settings",
            "LOG_FORMAT": "json",
        },
        capture_output=True,
        text=True,
        check=True,
    )

    [line] = [line for line in run.stderr.splitlines() if line.strip()]
    record = json.loads(line)
    assert record["message"] == "Email 7 waits"
    assert record["level"] == "WARNING"
    assert record["logger"] == "mailer.delivery"
    assert "time" in record


def test_a_bad_log_format_is_refused_at_start_up():
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cymmetri.settings",
            "LOG_FORMAT": "xml",
        },
        capture_output=True,
        text=True,
    )

    assert run.returncode != 0
    assert "LOG_FORMAT must be one of plain, json; got 'xml'" in run.stderr
