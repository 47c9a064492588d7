from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.api.models import ApiToken
from saferhub.api.services import TokenError, token_create, token_revoke
from saferhub.partnerships.models import User


class Command(BaseCommand):
    help = "Create, list and revoke API tokens. Only a hash of each token is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser(
            "create",
            help="Make an API token for a user",
            description=(
                "Make an API token for a user. The token is printed once, alone on the last "
                "line: copy it now, the hub keeps only a hash of it."
            ),
        )
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")
        listing = actions.add_parser("list", help="List a user's tokens")
        listing.add_argument("username")
        revoke = actions.add_parser(
            "revoke",
            help="Revoke a user's token (by its first characters) or all their tokens",
        )
        revoke.add_argument("username")
        revoke.add_argument("prefix", nargs="?", help="the token's first characters")
        revoke.add_argument("--all", action="store_true", help="revoke every token of the user")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user with username {options['username']!r}.")
        action = options["action"]
        if action == "create":
            if not user.is_active:
                raise CommandError(f"{user.username} is not active; no token was made.")
            record, token = token_create(user=user, name=options["name"])
            self.stdout.write(
                f"API token for {user.username} (starts {record.prefix}). "
                "Copy it now: it is not shown again."
            )
            self.stdout.write(token)
        elif action == "list":
            self.stdout.write("prefix\tname\tcreated\tlast used\tstatus")
            for t in ApiToken.objects.filter(user=user):
                status = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                self.stdout.write(
                    f"{t.prefix}\t{t.name or '-'}\t{t.created_at:%Y-%m-%d}\t{used}\t{status}"
                )
        else:
            if not options["prefix"] and not options["all"]:
                raise CommandError("Say which token to revoke (its first characters) or --all.")
            try:
                revoked = token_revoke(user=user, prefix=options["prefix"])
            except TokenError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"Revoked {len(revoked)} token(s) of {user.username}: "
                + (", ".join(t.prefix for t in revoked) or "none were active")
            )
