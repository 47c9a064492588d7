import os
import shutil
import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.hub.management.commands.worker import tasks_run_in_a_worker

# A worker asked to stop finishes the task in hand first; past this it is stopped outright
# (an import cut short can be run again from its page: importing is idempotent).
WORKER_STOP_SECONDS = 30
# A worker that stops by itself is started again, but not more often than this.
WORKER_RESTART_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Serve the hub with gunicorn, a production-grade web server (never Django's runserver), "
        "and a background task worker (saferhub worker) beside it."
    )

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
        parser.add_argument(
            "--no-task-worker",
            action="store_true",
            help="do not start a background task worker: run `saferhub worker` yourself "
            "(none is started anyway when TASKS_BACKEND=immediate)",
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
        if options["no_task_worker"] or not tasks_run_in_a_worker():
            # Replace this process, so that signals reach gunicorn directly.
            os.execv(gunicorn, arguments)  # noqa: S606
        code = Supervisor(arguments, self.stdout).run()
        if code:
            sys.exit(code)


class Supervisor:
    """Run gunicorn and a task worker side by side until gunicorn stops, then stop the worker.

    Signals sent to this process go to gunicorn (which stops, or reloads on SIGHUP); a SIGHUP
    also restarts the worker, so that both run the same code after an upgrade. Each child runs
    in its own session, so that Ctrl+C in a terminal reaches them only through here.
    """

    def __init__(self, web_arguments: list[str], stdout) -> None:
        self.web_arguments = web_arguments
        self.worker_arguments = [sys.executable, "-m", "saferhub.cli", "worker"]
        self.stdout = stdout
        self.stopping = False
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def run(self) -> int:
        # Signals are caught before the children start, so that none is lost in between.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP):
            signal.signal(signum, self._forward)
        self.worker = self._start_worker()
        self.web = subprocess.Popen(self.web_arguments, start_new_session=True)  # noqa: S603
        if self.stopping:
            self.web.terminate()
        while True:
            try:
                code = self.web.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                self._restart_worker_if_it_stopped()
        self.stopping = True
        self._stop_worker()
        return code

    def _start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(self.worker_arguments, start_new_session=True)  # noqa: S603
        self.worker_started = time.monotonic()
        self.stdout.write(f"Started the background task worker (process {worker.pid})")
        self.stdout.flush()
        return worker

    def _restart_worker_if_it_stopped(self) -> None:
        code = self.worker.poll()
        if code is None or self.stopping:
            return
        if time.monotonic() - self.worker_started < WORKER_RESTART_SECONDS:
            return
        self.stdout.write(f"The background task worker stopped (exit code {code}); restarting it")
        self.worker = self._start_worker()

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            if self.worker is not None:
                self.worker.terminate()
        else:
            self.stopping = True
        if self.web is not None:
            self.web.send_signal(signum)

    def _stop_worker(self) -> None:
        if self.worker.poll() is not None:
            return
        self.worker.terminate()
        try:
            self.worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()
        self.stdout.write("Stopped the background task worker")
        self.stdout.flush()


def _whole_number(value: str | int, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandError(f"{name} must be a whole number, not {value!r}.") from None
