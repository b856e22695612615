"""The test zones' names and records, and a way to pick a row out of a report."""

from __future__ import annotations

from tests.dnsserver import DnsTestServer

DOMAIN = "example.com"
SENDGRID_HOST = "smtp.sendgrid.net"
SENDGRID_SPF = "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all"


def dkim_record(p: str, extra: str = "") -> str:
    return f"v=DKIM1; k=rsa; {extra}p={p}"


def publish_sendgrid_dkim(dns: DnsTestServer, p: str, domain: str = DOMAIN, *, extra: str = ""):
    for selector in ("s1", "s2"):
        target = f"{selector}.domainkey.u1234567.wl123.sendgrid.net"
        dns.set(f"{selector}._domainkey.{domain}", "CNAME", target)
        dns.set(target, "TXT", dkim_record(p, extra))


def row(report, check: str, title: str | None = None):
    """The one row of a check (by title when there are several)."""
    rows = [r for r in report.rows if r.check == check and (title is None or r.title == title)]
    assert len(rows) == 1, [r.title for r in report.rows]
    return rows[0]
