"""What the book workers do for notifications between tasks: send the mails that are
due (each poll: one indexed query when there are none) and, every
``REMINDER_INTERVAL_SECONDS``, run the reminder pass (``reminders.run_pass``; the
advisory lock and the unique constraint keep several workers from sending twice)."""

import logging
import time

from django.conf import settings

from reports.notifications import mail, reminders

logger = logging.getLogger(__name__)


class NotificationDuty:
    def __init__(self, interval: float | None = None, clock=time.monotonic):
        self.interval = settings.REMINDER_INTERVAL_SECONDS if interval is None else interval
        self.clock = clock
        self.next_pass = clock()  # the first poll runs the pass: a restarted worker catches up

    def tick(self) -> None:
        """Never lets a failure stop the worker: it is logged, and tried at the next tick."""
        try:
            if self.clock() >= self.next_pass:
                self.next_pass = self.clock() + self.interval
                reminders.run_pass()
            mail.deliver_due()
        except Exception:
            logger.exception("Notifications failed (the reminder pass or sending mail); trying again later")
