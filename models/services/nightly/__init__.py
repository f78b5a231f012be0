"""The nightly job: new matches since the last run, one Dutch e-mail per recipient, each match once.

Exactly once: before anything is sent, every (recipient, match) to report is written to the ledger
(``notifications``) as pending, in one transaction. Sending then takes one recipient at a time: the
rows are marked ``sending`` with the Message-ID (committed), the message goes out, and the rows are
marked ``sent`` (committed). A rerun sends what is pending, failed or still ``sending`` and never
what is ``sent``. The only window in which a crash can cause a second copy is between the SMTP
server accepting a message and the ``sent`` commit; the copy then carries the same matches and a
new Message-ID, and is logged. A lock keeps two runs from overlapping.
"""

from models.services.nightly.collect import JOBHUNTER_STRONG, TOP_PER_VACANCY, collect
from models.services.nightly.deliver import deliver
from models.services.nightly.lock import LockBusy, nightly_lock
from models.services.nightly.message import MailSettings, render_message
from models.services.nightly.run import last_success, run_nightly
from models.services.nightly.summary import NightlySummary

__all__ = [
    "JOBHUNTER_STRONG",
    "TOP_PER_VACANCY",
    "LockBusy",
    "MailSettings",
    "NightlySummary",
    "collect",
    "deliver",
    "last_success",
    "nightly_lock",
    "render_message",
    "run_nightly",
]
