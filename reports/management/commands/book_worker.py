import os
import socket
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from reports.books import recover_stalled_chunks


class Command(BaseCommand):
    help = (
        "Run a background worker for books: hand chunks of dead workers back to the queue, "
        "then run django-tasks-db's worker over all queued tasks; repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker-id",
            default=f"{socket.gethostname()}-{os.getpid()}",
            help="a name that stays the same across restarts lets a restarted worker take its chunks back "
            "at once (default: host-pid)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")

    def handle(self, *args, worker_id, interval, once, **options):
        verbosity = options["verbosity"]
        while True:
            recovered = recover_stalled_chunks(worker_id)
            if recovered and verbosity:
                self.stdout.write(f"{recovered} abandoned chunks queued again")
            call_command(
                "db_worker",
                worker_id=worker_id,
                batch=True,
                startup_delay=False,
                reload=False,
                interval=interval,
                verbosity=verbosity,
            )
            if once:
                return
            time.sleep(interval)
