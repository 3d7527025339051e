"""`manage.py reset_second_factor USERNAME --by SUPERUSER`: the admin's «重置双因素认证» from a
shell, for an account the admin does not list (another superuser). The same service, so
the same rules (a superuser, not on their own account) and the same audit row."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.services import staff_second_factor_reset


class Command(BaseCommand):
    help = "Removes a staff account's authenticator and recovery codes (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account that lost its device")
        parser.add_argument("--by", required=True, help="the superuser doing it (audited)")

    def handle(self, *args, username, by, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
            actor = User.objects.get(username=by)
        except User.DoesNotExist as exc:
            raise CommandError(f"no such user: {exc}") from exc
        try:
            removed = staff_second_factor_reset(user=user, by=actor)
        except PermissionDenied as exc:
            raise CommandError(
                "only a superuser may reset, and not their own account (--by)"
            ) from exc
        self.stdout.write(f"{username}: {removed} device(s) removed; enrols again at next log-in")
