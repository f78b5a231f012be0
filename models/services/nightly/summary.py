"""What a nightly run did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class NightlySummary:
    """What a run did."""

    since: dt.datetime
    recipients: int = 0
    new_matches: int = 0
    sent_messages: int = 0
    sent_matches: int = 0
    failed_recipients: list[str] = field(default_factory=list)  # refused for good, or too many attempts
    deferred_recipients: list[str] = field(default_factory=list)  # refused for now: tried again next run
    dropped_matches: int = 0  # pending rows of recipients who unsubscribed or left
    stopped: str | None = None  # why the run stopped before the end (mail server down, lock lost)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Nothing failed, nothing waits."""
        return self.stopped is None and not self.failed_recipients and not self.deferred_recipients

    @property
    def status(self) -> str:
        """``ok``; ``with_failures`` (went through every recipient, some were refused: the window moves on);
        ``failed`` (stopped early: the next run starts from the same window)."""
        if self.stopped is not None:
            return "failed"
        return "ok" if self.ok else "with_failures"

    def line(self) -> str:
        """One-line summary for logs and the CLI."""
        text = (
            f"since {self.since:%Y-%m-%d %H:%M} UTC: {self.recipients} recipients, {self.new_matches} new "
            f"matches, {self.sent_messages} e-mails with {self.sent_matches} matches "
            f"{'written' if self.dry_run else 'sent'}, {len(self.failed_recipients)} failed, "
            f"{len(self.deferred_recipients)} deferred, {self.seconds:.1f} s"
        )
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")
