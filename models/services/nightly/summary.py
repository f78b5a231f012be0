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
    failed_recipients: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return not self.failed_recipients

    def line(self) -> str:
        """One-line summary for logs and the CLI."""
        return (
            f"since {self.since:%Y-%m-%d %H:%M} UTC: {self.recipients} recipients, {self.new_matches} new "
            f"matches, {self.sent_messages} e-mails with {self.sent_matches} matches "
            f"{'written' if self.dry_run else 'sent'}, {len(self.failed_recipients)} failed, "
            f"{self.seconds:.1f} s"
        )
