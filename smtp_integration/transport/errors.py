"""Socket, TLS and smtplib exceptions turned into SmtpErrors that say what happened."""

import smtplib
import ssl

from smtp_integration.exceptions import (
    STEP_LABELS,
    PermanentSmtpError,
    SmtpError,
    SmtpTimeout,
    TransientSmtpError,
)

# OpenSSL's reasons when a ClientHello is answered with plain text, such as an SMTP greeting.
_PLAINTEXT_PEER = frozenset(
    {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"}
)


def answered_in_plaintext(exc: ssl.SSLError) -> bool:
    """Whether a failed handshake means the peer does not speak TLS on this port."""
    return exc.reason in _PLAINTEXT_PEER


def network_error(step: str, exc: OSError | smtplib.SMTPException, *, where: str, tls_mode: str):
    """The SmtpError for an exception raised while talking to the server at where."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentSmtpError(
            f"The certificate of {where} could not be verified: {exc.verify_message}",
            reason="certificate_invalid",
            detail=exc.verify_message,
        )
    if isinstance(exc, ssl.SSLError) and step == "tls" and not isinstance(exc, ssl.SSLEOFError):
        return _handshake_error(exc, where=where, tls_mode=tls_mode)
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # smtplib turns a read timeout into SMTPServerDisconnected; the cause tells.
        return SmtpTimeout(f"{where} did not answer in time ({STEP_LABELS[step]})")
    if isinstance(exc, ConnectionRefusedError):
        return TransientSmtpError(f"{where} refused the connection", reason="connection_refused")
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | ssl.SSLError):
        return TransientSmtpError(
            f"{where} closed the connection during {STEP_LABELS[step]}", reason="connection_lost"
        )
    if isinstance(exc, smtplib.SMTPException):
        return PermanentSmtpError(f"{where}: {exc}", reason="protocol_error")
    reason = exc.strerror or str(exc)
    return TransientSmtpError(
        f"{where} could not be reached: {reason}", reason="unreachable", detail=reason
    )


def _handshake_error(exc: ssl.SSLError, *, where: str, tls_mode: str) -> SmtpError:
    if answered_in_plaintext(exc) and tls_mode == "tls":
        return PermanentSmtpError(
            f"{where} answered the TLS handshake with plain text: it expects plain SMTP first "
            "(STARTTLS)",
            reason="tls_mismatch",
        )
    reason = str(exc.reason or exc)
    return PermanentSmtpError(
        f"The TLS handshake with {where} failed: {reason}", reason="tls_failed", detail=reason
    )


def hostport(host, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    host = str(host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
