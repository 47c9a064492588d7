"""The library works in a notebook with no Django settings, and never imports Django."""

import subprocess
import sys

SCRIPT = """
import sys, os
os.environ.pop("DJANGO_SETTINGS_MODULE", None)
import pandas as pd
from saferhub.analysis import autocorrelation, hotspots, near_repeat, repeats, trends, write_plot
from tests.analysis.helpers import lattice
areas = lattice(3, 3, [1, 2, 3, 4, 9, 6, 7, 8, 9])
spots = hotspots(areas, id="area", value="value", weights="rook", permutations=19, seed=1)
trends(pd.DataFrame({"d": ["2025-01-01", "2025-02-03"]}), date="d")
assert "django" not in sys.modules, "the library imported Django"
print(len(spots.table))
"""


def test_the_library_imports_and_runs_without_django():
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "9"


def test_loading_the_app_does_not_import_the_libraries():
    # Django imports saferhub.analysis for every command and page; pandas and PySAL must
    # wait until an analysis is asked for.
    script = "import sys, saferhub.analysis; print('pandas' in sys.modules)"
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.stdout.strip() == "False", run.stderr
