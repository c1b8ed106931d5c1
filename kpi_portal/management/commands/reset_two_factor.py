from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from kpi_portal import two_factor


class Command(BaseCommand):
    help = (
        "Remove a user's two-step sign-in (authenticator app and recovery codes), e.g. after a "
        "lost phone, and sign them out everywhere. Auditors and administrators set up a new app "
        "at their next sign-in; other users sign in with their password only until they set one up."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be removed, change nothing"
        )

    def handle(self, *args, username, dry_run, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        with transaction.atomic():
            devices = two_factor.remove_devices(user)
            sessions = self.end_sessions(user)
            if dry_run:
                transaction.set_rollback(True)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{username}: {verb} {devices} two-step sign-in device(s) and {sessions} session(s)."
            )
        )

    @staticmethod
    def end_sessions(user) -> int:
        """Delete the user's live sessions (a session verified with the lost phone ends too)."""
        mine = [
            session.pk
            for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
            if session.get_decoded().get("_auth_user_id") == str(user.pk)
        ]
        Session.objects.filter(pk__in=mine).delete()
        return len(mine)
