"""`saferhub`: the hub's command line. Runs the hub's own commands and any Django command."""

import os
import sys

HUB_COMMANDS = [
    (
        "Setting up a partnership",
        [
            (
                "partnership apply FILE",
                "Create or update a partnership from its partnership file "
                "(--dry-run shows the changes without making them)",
            ),
            ("partnership export CODE", "Write a partnership's set-up out as a partnership file"),
            ("user set-password USERNAME", "Set a user's password (asks for it, or reads stdin)"),
            ("user list [--partnership CODE]", "List users, their organisations and roles"),
            ("token create USERNAME", "Make an API token; it is printed once, on the last line"),
            ("token list USERNAME", "List a user's API tokens by their first characters"),
            (
                "token revoke USERNAME PREFIX|--all",
                "Revoke one API token, or all of a user's tokens",
            ),
        ],
    ),
    (
        "Reference data (docs/reference-data.md)",
        [
            ("geography import-simd FILE", "Load the SIMD ranks table (CSV or XLSX)"),
            (
                "geography import-boundaries FILE",
                "Load data zone boundaries (GeoJSON or shapefile, either grid)",
            ),
            ("geography import-postcodes FILE", "Load the postcode to data zone lookup (CSV)"),
            (
                "geography resolve --postcode X",
                "Show the data zone and SIMD rank of a postcode or point",
            ),
            (
                "places resolve [--organisation CODE]",
                "Resolve places left unresolved to data zones, once reference data is loaded",
            ),
        ],
    ),
    (
        "Imports from partner systems (docs/imports.md)",
        [
            ("import profile apply FILE", "Create or update mapping profiles from a YAML file"),
            ("import profile export --org CODE", "Write an organisation's mapping profiles out"),
            (
                "import incidents|people|places FILE --org CODE --profile NAME",
                "Import a CSV or XLSX file (--dry-run checks only, --strict is all or nothing)",
            ),
            ("import report RUN [--csv FILE]", "Show an import's outcome and its rejected rows"),
        ],
    ),
    (
        "Linking records (docs/linkage.md)",
        [
            (
                "link people|places [--partnership CODE] [--retrain]",
                "Link a partnership's people or places into entities (ids kept between runs)",
            ),
            (
                "export person-clusters|place-clusters FILE --as USERNAME",
                "Write linked people or places to CSV, only what that user may see in full "
                "(--partnership CODE for one partnership)",
            ),
        ],
    ),
    (
        "The daily briefing (docs/briefings.md)",
        [
            (
                "briefing --partnership CODE [--date D] [--area CODE]",
                "Make (or find) a day's briefing; --as USERNAME prints that user's version, "
                "--pdf FILE writes it as a PDF",
            ),
            (
                "briefing schedule",
                "Make sure the morning briefings are scheduled (the worker does this itself)",
            ),
        ],
    ),
    (
        "Analysis on any data (docs/analysis.md)",
        [
            (
                "analyse trends --events FILE --date COL [--by COL ...]",
                "Counts by month with seasonality and the same period last year",
            ),
            (
                "analyse hotspots --areas FILE --id COL --value COL",
                "Getis-Ord Gi* hotspots and cold spots per area (--fdr, --weights, --plot)",
            ),
            (
                "analyse autocorrelation --areas FILE --id COL --value COL",
                "Global Moran's I and Geary's C with permutation p-values",
            ),
            (
                "analyse near-repeat --events FILE --x COL --y COL --date COL ...",
                "Knox test over distance and time bands, with Monte Carlo p-values",
            ),
        ],
    ),
    (
        "Evaluating initiatives (docs/evaluation.md)",
        [
            (
                "evaluate its --data FILE --time COL --outcome COL --start PERIOD",
                "Interrupted time series: segmented regression with seasonality",
            ),
            (
                "evaluate did --data FILE --outcome COL ...",
                "Difference-in-differences: 2x2, or a panel with unit and time fixed effects",
            ),
            (
                "evaluate synthetic-control --data FILE --unit COL --time COL ...",
                "Synthetic control with donor weights, placebo p-value and leave-one-out",
            ),
        ],
    ),
    (
        "Running the hub",
        [
            (
                "serve [--port N]",
                "Serve the hub with a production-grade web server (gunicorn) and a task worker",
            ),
            (
                "worker [--batch]",
                "Run background tasks (imports, linking, morning briefings) as they are queued "
                "(serve starts one)",
            ),
            (
                "demo [--size small|medium|large] [--exports small|full|none] [--seed N]",
                "Load the demo partnerships, users and partner exports (through the importer)",
            ),
            ("demo code", "Print the current second-factor code of the demo users"),
            ("migrate", "Create or update the database tables"),
            ("check --deploy", "Check the settings are safe for production"),
            ("audit verify", "Check that no audit event has been changed, removed or inserted"),
        ],
    ),
]


def hub_help() -> str:
    lines = [
        "usage: saferhub COMMAND [options]",
        "",
        "The Safer Communities Hub's command line. `saferhub COMMAND --help` explains a command.",
        "Settings come from environment variables (DATABASE_URL, DEBUG, SECRET_KEY, ...):",
        "see docs/operating.md.",
    ]
    for heading, commands in HUB_COMMANDS:
        lines += ["", heading + ":"]
        width = max(len(name) for name, _ in commands)
        lines += [f"  {name.ljust(width)}  {text}" for name, text in commands]
    lines += [
        "",
        "Every Django management command works too, for example `saferhub shell`,",
        "`saferhub createsuperuser` or `saferhub dbshell`; `saferhub help --commands` lists",
        "them all.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(hub_help())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhub.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["saferhub", *argv])
    except ImproperlyConfigured as exc:
        # A setting is missing or wrong: say which, not a traceback.
        print(f"saferhub: the settings are not right: {exc}", file=sys.stderr)
        print("See docs/operating.md for every setting.", file=sys.stderr)
        sys.exit(2)
    except DatabaseError as exc:
        print(f"saferhub: the database cannot be used: {exc}", file=sys.stderr)
        print(
            "Check DATABASE_URL, and run `saferhub migrate` if the tables are missing.",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
