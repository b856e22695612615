"""DMARC: checkdmarc's query and parse, judged as one tab row."""

from __future__ import annotations

from checkdmarc.dmarc import (
    DMARCError,
    DMARCRecordInWrongLocation,
    DMARCRecordNotFound,
    MultipleDMARCRecords,
    parse_dmarc_record,
    query_dmarc_record,
)
from checkdmarc.utils import get_base_domain

from deliverability.engine import records
from deliverability.engine.dns import DnsSession, LookupFailure, find_unknown_reason
from deliverability.engine.report import Check, CheckRow, RecordToPublish, Status

REPORT_MAILBOX = "dmarc-reports@{domain}"
REPORT_NOTE = (
    "Use a mailbox you read (or your DMARC report service's address) for rua. If other "
    "services also send as this domain, start with p=none for two weeks and read the reports."
)


def check_dmarc(session: DnsSession, domain: str) -> CheckRow:
    """The DMARC row for ``domain`` (a record at its organisational domain counts)."""
    _prefetch(session, domain)
    with session.recording_failures() as failures:
        try:
            query = query_dmarc_record(
                domain, ignore_unrelated_records=True, **session.checkdmarc_kwargs()
            )
        except MultipleDMARCRecords:
            return _multiple(session, domain)
        except DMARCRecordNotFound as exc:
            return _unknown(exc, failures) or _missing(session, domain)
        except DMARCRecordInWrongLocation:
            return _misplaced(domain)
        except DMARCError as exc:
            return _unknown(exc, failures) or _invalid(domain, None, exc)
        record, location = query["record"], query["location"]
        _prefetch_reports(session, location, record)
        try:
            parsed = parse_dmarc_record(
                record, location, ignore_unrelated_records=True, **session.checkdmarc_kwargs()
            )
        except DMARCError as exc:
            return _unknown(exc, []) or _invalid(location, record, exc)
    return _evaluate(domain, location, record, parsed, query["warnings"])


def _evaluate(domain: str, location: str, record: str, parsed: dict, notes: list) -> CheckRow:
    tags = parsed["tags"]
    inherited = location != domain
    # A subdomain without its own record gets the organisational domain's sp= policy.
    policy_tag = "sp" if inherited and tags["sp"]["explicit"] else "p"
    policy = tags["sp" if inherited else "p"]["value"]
    problems = []
    if policy == "none":
        problems.append(
            f"The policy is none: receivers deliver mail that fails DMARC as usual. "
            f"Use {policy_tag}=quarantine (or reject) once your senders pass."
        )
    if "rua" not in tags:
        problems.append("There is no rua, so you get no reports on who sends as your domain.")
    where = f" (inherited from {location})" if inherited else ""
    publish = []
    if problems:
        value = records.suggested_dmarc(
            record, report_to=REPORT_MAILBOX.format(domain=location), policy_tag=policy_tag
        )
        publish = [RecordToPublish(f"_dmarc.{location}", "TXT", value, note=REPORT_NOTE)]
    return CheckRow(
        check=Check.DMARC,
        status=Status.WARNING if problems else Status.PASS,
        title="DMARC",
        message=" ".join(problems) or f"DMARC enforces p={policy}{where}.",
        found=[record],
        expected=_expected(domain),
        publish=publish,
        details={"policy": policy, "location": location, "notes": notes + parsed["warnings"]},
    )


def _missing(session: DnsSession, domain: str) -> CheckRow:
    org = get_base_domain(domain)
    value = records.suggested_dmarc(None, report_to=REPORT_MAILBOX.format(domain=org))
    if session.nonexistent(domain):
        message = records.nonexistent_domain_message(domain)
    else:
        message = (
            f"{domain} has no DMARC record, so receivers get no policy for mail that fails SPF "
            "and DKIM (and Gmail and Yahoo require one from bulk senders)."
        )
    return CheckRow(
        check=Check.DMARC,
        status=Status.FAIL,
        title="DMARC",
        message=message,
        expected=_expected(domain),
        publish=[RecordToPublish(f"_dmarc.{org}", "TXT", value, note=REPORT_NOTE)],
    )


def _multiple(session: DnsSession, domain: str) -> CheckRow:
    found = [r for r in session.txt(f"_dmarc.{domain}").records if _is_dmarc(r)]
    value = records.suggested_dmarc(found[0], report_to=REPORT_MAILBOX.format(domain=domain))
    return CheckRow(
        check=Check.DMARC,
        status=Status.FAIL,
        title="DMARC",
        message=f"_dmarc.{domain} has {len(found)} DMARC records; receivers then ignore all "
        "of them. Keep exactly one.",
        found=found,
        expected=_expected(domain),
        publish=[
            RecordToPublish(f"_dmarc.{domain}", "TXT", value, note="Delete the other records.")
        ],
    )


def _misplaced(domain: str) -> CheckRow:
    value = records.suggested_dmarc(None, report_to=REPORT_MAILBOX.format(domain=domain))
    return CheckRow(
        check=Check.DMARC,
        status=Status.FAIL,
        title="DMARC",
        message=f"The DMARC record is published at {domain} itself, where receivers never "
        f"look: it belongs at _dmarc.{domain}.",
        expected=_expected(domain),
        publish=[RecordToPublish(f"_dmarc.{domain}", "TXT", value, note=REPORT_NOTE)],
    )


def _invalid(location: str, record: str | None, exc: Exception) -> CheckRow:
    value = records.suggested_dmarc(None, report_to=REPORT_MAILBOX.format(domain=location))
    return CheckRow(
        check=Check.DMARC,
        status=Status.FAIL,
        title="DMARC",
        message=f"The DMARC record is invalid, so receivers ignore it: {exc}",
        found=[record] if record else [],
        expected=_expected(location),
        publish=[RecordToPublish(f"_dmarc.{location}", "TXT", value, note=REPORT_NOTE)],
    )


def _unknown(exc: BaseException, failures: list[LookupFailure]) -> CheckRow | None:
    reason = find_unknown_reason(exc) or (failures[0].reason if failures else None)
    if reason is None:
        return None
    return CheckRow(
        check=Check.DMARC,
        status=Status.UNKNOWN,
        title="DMARC",
        message=f"DNS did not answer ({reason}); DMARC could not be checked. Re-check later.",
        details={"reason": reason},
    )


def _expected(domain: str) -> str:
    return (
        f"One DMARC record at _dmarc.{domain} (or its organisational domain) with "
        "p=quarantine or p=reject and a rua address for reports."
    )


def _is_dmarc(record: str) -> bool:
    return record.replace(" ", "").lower().startswith("v=dmarc1")


def _prefetch(session: DnsSession, domain: str) -> None:
    # checkdmarc asks these one after another; ask them all at once.
    session.prefetch(f"_dmarc.{domain}", "TXT", "CNAME")
    session.prefetch(domain, "TXT")
    labels = domain.split(".")
    for i in range(1, len(labels)):
        session.prefetch(f"_dmarc.{'.'.join(labels[i:])}", "TXT")


def _prefetch_reports(session: DnsSession, location: str, record: str) -> None:
    # Parsing checks each report address: its domain's MX and, when it is another
    # organisation's, that organisation's authorisation record.
    for tag, value in records.dmarc_tags(record):
        if tag not in ("rua", "ruf"):
            continue
        for uri in value.split(","):
            dest = uri.strip().split("!")[0].rpartition("@")[2].lower()
            if not dest:
                continue
            session.prefetch(dest, "MX")
            if get_base_domain(dest) != get_base_domain(location):
                session.prefetch(f"*._report._dmarc.{dest}", "TXT")
                session.prefetch(f"{location}._report._dmarc.{dest}", "TXT")
