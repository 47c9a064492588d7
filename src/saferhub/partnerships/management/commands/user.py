import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.partnerships.models import RoleAssignment, User
from saferhub.partnerships.services import user_set_password


class Command(BaseCommand):
    help = "Manage users' passwords and see who holds which roles."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        set_password = actions.add_parser(
            "set-password",
            help="Set a user's password",
            description=(
                "Set a user's password. It is asked for twice at the terminal, or read from "
                "the first line of standard input with --stdin. It must pass the password rules "
                "(at least 12 characters, not common, not all digits, not like the username)."
            ),
        )
        set_password.add_argument("username")
        set_password.add_argument(
            "--stdin", action="store_true", help="read the password from standard input"
        )
        listing = actions.add_parser("list", help="List users with their organisation and roles")
        listing.add_argument("--partnership", help="only users with a role in this partnership")

    def handle(self, *args, **options) -> None:
        if options["action"] == "set-password":
            self.set_password(options["username"], options["stdin"])
        else:
            self.list_users(options["partnership"])

    def set_password(self, username: str, from_stdin: bool) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user with username {username!r}.")
        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            if not sys.stdin.isatty():
                raise CommandError("No terminal to ask for the password: pipe it in with --stdin.")
            password = getpass.getpass(f"New password for {username}: ")
            if getpass.getpass("The same password again: ") != password:
                raise CommandError("The two passwords differ; nothing was changed.")
        try:
            user_set_password(user=user, password=password)
        except ValidationError as exc:
            reasons = " ".join(exc.messages)
            raise CommandError(f"Password not set: {reasons}") from None
        self.stdout.write(self.style.SUCCESS(f"Password set for {username}."))

    def list_users(self, partnership_code: str | None) -> None:
        assignments = RoleAssignment.objects.select_related(
            "user", "user__organisation", "partnership"
        ).order_by("partnership__code", "user__username", "role")
        if partnership_code:
            assignments = assignments.filter(partnership__code=partnership_code)
            if not assignments.exists():
                raise CommandError(f"No users with a role in partnership {partnership_code!r}.")
        rows: dict[tuple[str, str], list[str]] = {}
        for a in assignments:
            organisation = a.user.organisation.code if a.user.organisation else "-"
            key = (a.partnership.code, f"{a.user.username}\t{a.user.name}\t{organisation}")
            rows.setdefault(key, []).append(a.role)
        self.stdout.write("partnership\tusername\tname\torganisation\troles")
        for (partnership, user), roles in rows.items():
            self.stdout.write(f"{partnership}\t{user}\t{','.join(roles)}")
