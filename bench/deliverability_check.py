"""Benchmark: a full deliverability check against DNS that answers after 30 ms.

Sequential (one lookup at a time) against the engine's parallel path, on a
typical SendGrid domain and on a busy one (9 SPF lookups, nested includes).
Target (docs/performance.md): a full check in at most 0.5 s.

    python bench/deliverability_check.py [--runs 5] [--latency 0.03]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from deliverability.engine import DnsResolver, run_deliverability_check
from tests.dnsserver import DnsTestServer

TARGET_SECONDS = 0.5


def _key() -> str:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return base64.b64encode(
        public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()


def _publish_domain(dns: DnsTestServer, domain: str, spf: str, key: str) -> None:
    dns.add(domain, "TXT", spf, "google-site-verification=bench")
    dns.add(domain, "MX", f"10 mx.{domain}")
    for selector in ("s1", "s2"):
        target = f"{selector}.domainkey.u1234567.wl123.sendgrid.net"
        dns.add(f"{selector}._domainkey.{domain}", "CNAME", target)
    dns.add(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=reject; rua=mailto:dmarc@reports.example")


def build_zones(dns: DnsTestServer) -> list[tuple[str, str, str]]:
    """Publish the benchmark domains: (scenario, domain, expected overall status)."""
    key = _key()
    dns.add("sendgrid.net", "TXT", "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all")
    for selector in ("s1", "s2"):
        dns.add(f"{selector}.domainkey.u1234567.wl123.sendgrid.net", "TXT", f"k=rsa; p={key}")
    dns.add("reports.example", "MX", "10 mx.reports.example")
    dns.add("*._report._dmarc.reports.example", "TXT", "v=DMARC1")
    # A busy SPF: 9 lookups over three levels, like a company using several services.
    dns.add("_spf.google.example", "TXT", "v=spf1 include:_netblocks.google.example ~all")
    dns.add("_netblocks.google.example", "TXT", "v=spf1 ip4:35.190.247.0/24 ~all")
    dns.add("mailgun.example", "TXT", "v=spf1 include:_spf.mailgun.example ~all")
    dns.add("_spf.mailgun.example", "TXT", "v=spf1 ip4:198.61.254.0/23 ~all")
    dns.add("crm.example", "TXT", "v=spf1 a:out.crm.example mx:crm.example ~all")
    dns.add("out.crm.example", "A", "192.0.2.80")
    dns.add("crm.example", "MX", "10 out.crm.example")
    busy_spf = (
        "v=spf1 mx include:_spf.google.example include:mailgun.example include:crm.example "
        "include:sendgrid.net -all"
    )
    _publish_domain(dns, "typical.example", "v=spf1 include:sendgrid.net ~all", key)
    _publish_domain(dns, "busy.example", busy_spf, key)
    dns.add("mx.busy.example", "A", "192.0.2.25")
    return [
        ("typical: SendGrid, 1 SPF lookup", "typical.example", "pass"),
        # 9 lookups is amber by design (one include away from failing).
        ("busy: 9 SPF lookups over 3 levels", "busy.example", "warning"),
    ]


def time_check(
    resolver: DnsResolver, domain: str, expected: str, *, parallel: bool, runs: int
) -> list[float]:
    """Wall times of ``runs`` fresh checks; each must reach the expected verdict."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        report = run_deliverability_check(
            from_domain=domain,
            smtp_host="smtp.sendgrid.net",
            resolver=resolver,
            fresh=True,
            parallel=parallel,
        )
        times.append(time.perf_counter() - started)
        if report.overall != expected:
            raise SystemExit(f"{domain}: expected {expected}, got {report.to_dict()}")
    return times


def _summary(times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"median {statistics.median(ms):7.1f} ms  min {min(ms):7.1f}  max {max(ms):7.1f}"


def main() -> int:
    """Run the benchmark and print the figures; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.030, help="seconds per DNS query")
    args = parser.parse_args()
    met = True
    with DnsTestServer(latency=args.latency) as dns:
        scenarios = build_zones(dns)
        resolver = DnsResolver([dns.address], timeout=1.0, lifetime=2.0)
        print(f"DNS latency {args.latency * 1000:.0f} ms per query, {args.runs} runs each")
        for name, domain, expected in scenarios:
            dns.queries.clear()
            time_check(resolver, domain, expected, parallel=True, runs=1)
            queries = len(dns.queries)
            sequential = time_check(resolver, domain, expected, parallel=False, runs=args.runs)
            parallel = time_check(resolver, domain, expected, parallel=True, runs=args.runs)
            speedup = statistics.median(sequential) / statistics.median(parallel)
            ok = statistics.median(parallel) <= TARGET_SECONDS and max(parallel) <= TARGET_SECONDS
            met &= ok
            print(f"\n{name} ({domain}, {expected}), {queries} DNS queries per check")
            print(f"  sequential  {_summary(sequential)}")
            print(f"  parallel    {_summary(parallel)}")
            verdict = "met" if ok else "MISSED"
            print(f"  speedup     {speedup:.1f}x; target ≤ {TARGET_SECONDS} s: {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
