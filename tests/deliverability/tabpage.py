"""Helpers for the Deliverability tab's tests: read the page as an admin does, set things up."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from deliverability.engine import clear_caches
from deliverability.services import RECHECK_THROTTLE
from smtp_integration.models import SmtpConfig
from tenants.models import EmailTransport
from tenants.selectors import tenant_current
from tenants.services import tenant_email_status_set
from tests.deliverability.zones import DOMAIN, SENDGRID_HOST

TAB = "/integrations/email-smtp/deliverability/"
SELECTORS = "/integrations/email-smtp/deliverability/selectors/"
CONFIGURE = "/integrations/email-smtp/"


@dataclass
class Row:
    check: str
    status: str
    title: str = ""
    message: str = ""
    found: list[str] = field(default_factory=list)
    publish: list[tuple[str, ...]] = field(default_factory=list)  # (name, type, value)


@dataclass
class Tab:
    overall: str = ""
    rows: list[Row] = field(default_factory=list)

    def row(self, title: str) -> Row:
        [found] = [row for row in self.rows if row.title == title]
        return found

    @property
    def statuses(self) -> dict[str, str]:
        return {row.title: row.status for row in self.rows}


class _TabParser(HTMLParser):
    """Collects the overall badge and, per check row, its title, message, found and publish."""

    def __init__(self) -> None:
        super().__init__()
        self.tab = Tab()
        self._capture: str | None = None  # which text is being read
        self._text: list[str] = []
        self._record: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if attrs.get("data-testid") == "overall-badge":
            self._start("overall")
        elif tag == "article" and "dcheck" in classes:
            self.tab.rows.append(Row(check=attrs["data-check"], status=attrs["data-status"]))
        elif "dcheck__title" in classes:
            self._start("title")
        elif "dcheck__message" in classes:
            self._start("message")
        elif "dcheck__value" in classes:
            self._start("found")
        elif tag == "dl" and "data-record" in attrs:
            self._record = []
        elif tag == "code" and self._record is not None:
            self._start("record")

    def handle_endtag(self, tag: str) -> None:
        if tag == "dl" and self._record is not None:
            self.tab.rows[-1].publish.append(tuple(self._record))
            self._record = None
        if self._capture is None or tag not in {"span", "h3", "p", "code"}:
            return
        text = " ".join("".join(self._text).split())
        kind, self._capture = self._capture, None
        if kind == "overall":
            self.tab.overall = text
        elif kind == "record":
            self._record.append(text)
        elif kind == "found":
            self.tab.rows[-1].found.append(text)
        else:
            setattr(self.tab.rows[-1], kind, text)

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._text.append(data)

    def _start(self, kind: str) -> None:
        self._capture, self._text = kind, []


def read_tab(response) -> Tab:
    parser = _TabParser()
    parser.feed(response.content.decode())
    return parser.tab


def smtp_config_create(
    *, host: str = SENDGRID_HOST, from_address: str = f"noreply@{DOMAIN}", enabled: bool = True
) -> SmtpConfig:
    """The tenant's own SMTP, written directly: no SMTP server needed to check DNS. The
    tenant's public row says so too, as a Save would."""
    config = SmtpConfig.objects.create(
        host=host, port=587, from_address=from_address, enabled=enabled
    )
    transport = EmailTransport.CUSTOM if enabled else EmailTransport.CUSTOM_DISABLED
    tenant_email_status_set(tenant=tenant_current(), transport=transport)
    return config


def fresh_start() -> None:
    """Forget what earlier tests left in process-wide DNS caches and the re-check budget.

    Call inside the tenant: the budget's cache keys carry the schema.
    """
    clear_caches()
    RECHECK_THROTTLE.reset()
