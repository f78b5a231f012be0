"""Sending e-mail: SMTP (STARTTLS/SSL, credentials, retries with backoff) or .eml files for a dry run."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class TemporaryMailError(Exception):
    """The server or the connection failed in a way that may pass (4xx, network)."""


class PermanentMailError(Exception):
    """The server refused the message for good (5xx), e.g. an unknown recipient."""


class DeferredMailError(Exception):
    """The server refused this recipient for now (a 4xx reply other than 421: greylisting, a full mailbox):
    try that recipient again in a later run, and go on with the others."""


class Mailer(Protocol):
    """Delivers one message, or raises TemporaryMailError/PermanentMailError."""

    def send(self, message: EmailMessage) -> None:
        """Deliver the message."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SmtpMailer:
    """SMTP with an optional TLS layer; reuses one connection and reconnects when it drops."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 2.0,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        ctx = ssl.create_default_context()
        conn: smtplib.SMTP
        if self.security == "ssl":
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                conn.starttls(context=ctx)
        if self.username:
            conn.login(self.username, self.password or "")
        self._conn = conn
        return conn

    def _reset(self) -> None:
        """After a refused message: clear the transaction on the open connection (or drop a broken one)."""
        if self._conn is not None:
            try:
                self._conn.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def send(self, message: EmailMessage) -> None:
        """Send; a refusal of the recipient raises at once (5xx: for good, 4xx: for now), while a failing
        connection or server (network errors, 421) is retried with exponential backoff, then raises
        TemporaryMailError."""
        delay = self.backoff
        for attempt in range(1, self.retries + 1):
            try:
                refused = self._connect().send_message(message)
                if refused:
                    raise PermanentMailError(f"recipients refused: {refused}")
                return
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                codes = [c for c, _ in exc.recipients.values()]
                if all(c >= 500 for c in codes):
                    raise PermanentMailError(f"recipient refused: {exc.recipients}") from exc
                raise DeferredMailError(f"recipient deferred: {exc.recipients}") from exc
            except smtplib.SMTPServerDisconnected as exc:
                err: Exception = exc
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    self._reset()
                    raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
                if exc.smtp_code != 421:  # 421: the service is closing the connection (the server, not the recipient)
                    self._reset()
                    raise DeferredMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
                err = exc
            except (OSError, smtplib.SMTPException) as exc:
                err = exc
            self._drop()
            if attempt == self.retries:
                raise TemporaryMailError(str(err)) from err
            time.sleep(delay)
            delay *= 2

    def close(self) -> None:
        """Quit the connection."""
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
            self._conn = None


class DirectoryMailer:
    """Writes each message as an .eml file (dry run)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def send(self, message: EmailMessage) -> None:
        """Write the message."""
        name = str(message["Message-ID"]).strip("<>").split("@")[0]
        path = self.folder / f"{name}.eml"
        path.write_bytes(bytes(message))
        self.written.append(path)

    def close(self) -> None:
        """Nothing to close."""
