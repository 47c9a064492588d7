import os
import shutil
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve the hub with gunicorn, a production-grade web server (never Django's runserver)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", default=os.environ.get("PORT", "8000"), help="default 8000, or $PORT"
        )
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help="address to listen on (0.0.0.0 for every interface; default 127.0.0.1)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.environ.get("WEB_CONCURRENCY") or None,
            help="worker processes (default: two per CPU core, plus one)",
        )

    def handle(self, *args, **options) -> None:
        port = _whole_number(options["port"], "--port (or PORT)")
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        manifest = settings.STATIC_ROOT / "staticfiles.json"
        if not settings.DEBUG and not manifest.exists():
            raise CommandError(
                f"The static files are not collected in {settings.STATIC_ROOT}: run "
                "`saferhub collectstatic --no-input` with these same (production) settings first."
            )
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment.")
        workers = (
            _whole_number(options["workers"], "--workers (or WEB_CONCURRENCY)")
            if options["workers"]
            else 2 * (os.cpu_count() or 1) + 1
        )
        arguments = [
            gunicorn,
            "saferhub.wsgi:application",
            "--bind",
            f"{options['host']}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        self.stdout.write(f"Serving the Safer Communities Hub on http://{options['host']}:{port}/")
        self.stdout.flush()
        # Replace this process, so that signals reach gunicorn directly.
        os.execv(gunicorn, arguments)  # noqa: S606


def _whole_number(value: str | int, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandError(f"{name} must be a whole number, not {value!r}.") from None
