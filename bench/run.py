"""Run every benchmark in bench/ (files named bench_*.py) and print each figure beside its target.

Each benchmark sets up its own database: SQLite in a temporary folder, or DATABASE_URL if
set (PostgreSQL: a database of that name is created and dropped by Django's test runner).
Exit status is 1 if any figure misses its target.
"""

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhub.settings")
    os.environ.setdefault("DEBUG", "true")
    import django
    from django.test.utils import get_runner, setup_test_environment

    django.setup()
    from django.conf import settings

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    missed = 0
    try:
        only = sys.argv[1:]
        for path in sorted(HERE.glob("bench_*.py")):
            if only and path.stem not in only:
                continue
            module = importlib.import_module(f"bench.{path.stem}")
            print(f"\n== {path.stem}: {module.__doc__.strip().splitlines()[0]}")
            for result in module.run():
                print(result.line())
                missed += not result.met
    finally:
        runner.teardown_databases(old_config)
    print("\nAll targets met." if not missed else f"\n{missed} target(s) missed.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
