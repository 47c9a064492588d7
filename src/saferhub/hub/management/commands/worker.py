from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from saferhub.briefings.tasks import briefings_schedule_ensure


def tasks_run_in_a_worker() -> bool:
    """Whether background tasks wait in the database for a worker (TASKS_BACKEND=database),
    rather than running inside the request that starts them (TASKS_BACKEND=immediate)."""
    return isinstance(task_backends["default"], DatabaseBackend)


class Command(BaseCommand):
    help = (
        "Run the hub's background tasks (imports uploaded on the web, linking runs, the morning "
        "briefings) as they are queued in the database, from every queue, until stopped. It "
        "first makes sure the morning briefings are scheduled. `saferhub serve` starts one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run every task waiting now, then stop (for cron, or a one-off catch-up)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait before looking again when the queue is empty (default 1)",
        )

    def handle(self, *args, **options) -> None:
        if not tasks_run_in_a_worker():
            raise CommandError(
                "TASKS_BACKEND is immediate: tasks run inside the request that starts them, "
                "so there is nothing for a worker to do. Set TASKS_BACKEND=database to use one."
            )
        if options["interval"] < 0:
            raise CommandError("--interval must be zero or more seconds.")
        # The morning briefings re-queue themselves each day; a new or restored database has
        # no run waiting yet, so the worker starts one (never a second).
        self.stdout.write(briefings_schedule_ensure())
        # Never reload on code changes (db_worker does under DEBUG): a reload would cut an
        # import short; restart the worker after an upgrade instead.
        call_command(
            "db_worker",
            queue_name="*",
            batch=options["batch"],
            interval=options["interval"],
            reload=False,
            startup_delay=not options["batch"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
