"""`saferhub analyse ...` end to end: tables, JSON, plots and clean errors."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from saferhub.analysis.management.commands.analyse import Command
from tests.analysis.helpers import lattice

SAFERHUB = Path(sys.executable).with_name("saferhub")


def analyse(*args) -> str:
    out = StringIO()
    call_command("analyse", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def areas(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    grid = rng.poisson(5, 64).reshape(8, 8)
    grid[:3, :3] += 30
    path = tmp_path / "areas.gpkg"
    lattice(8, 8, grid.ravel(), population=np.full(64, 800)).to_file(path)
    return path


@pytest.fixture
def events(tmp_path) -> Path:
    rng = np.random.default_rng(2)
    n = 400
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    frame = pd.DataFrame(
        {
            "occurred": dates.strftime("%d/%m/%Y"),
            "theme": rng.choice(["asb", "fire"], n),
            "easting": 320000 + rng.uniform(0, 3000, n).round(),
            "northing": 730000 + rng.uniform(0, 3000, n).round(),
        }
    )
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    return path


def test_hotspots_as_json(areas):
    output = json.loads(
        analyse(
            "hotspots",
            "--areas",
            areas,
            "--id",
            "area",
            "--value",
            "value",
            "--population",
            "population",
            "--permutations",
            "999",
            "--seed",
            "1",
            "--fdr",
            "--json",
        )
    )
    assert output["fdr"] is True
    assert output["value"] == "rate per 1,000 residents"
    assert len(output["areas"]) == 64
    first = output["areas"][0]
    assert set(first) >= {"id", "value", "gi_z", "p_value", "spot", "bin", "count", "population"}
    assert output["areas"][9]["spot"].startswith("hot spot")  # row 2, column 2 of the cluster
    assert sum(output["classes"].values()) == 64


def test_hotspots_as_a_table_and_a_map(areas, tmp_path):
    text = analyse(
        "hotspots",
        "--areas",
        areas,
        "--id",
        "area",
        "--value",
        "value",
        "--permutations",
        "99",
        "--seed",
        "1",
        "--plot",
        tmp_path / "map.png",
    )
    assert "gi_z" in text and "hot spot" in text
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_autocorrelation_writes_a_self_contained_page(areas, tmp_path):
    page = tmp_path / "moran.html"
    text = analyse(
        "autocorrelation",
        "--areas",
        areas,
        "--id",
        "area",
        "--value",
        "value",
        "--permutations",
        "99",
        "--seed",
        "1",
        "--plot",
        page,
    )
    assert "morans_i:" in text and "gearys_c:" in text
    html = page.read_text()
    assert "<svg" in html and "vega-lite" in html and "<table" in html
    assert 'src="http' not in html  # nothing to fetch


def test_trends_as_json_and_svg(events, tmp_path):
    output = json.loads(
        analyse(
            "trends",
            "--events",
            events,
            "--date",
            "occurred",
            "--by",
            "theme",
            "--json",
            "--plot",
            tmp_path / "trend.svg",
        )
    )
    assert {row["theme"] for row in output["monthly"]} == {"asb", "fire"}
    assert sum(row["count"] for row in output["monthly"]) == 400
    assert {row["period"] for row in output["comparison"]} == {
        "latest month",
        "year to date",
        "last 12 months",
    }
    assert (tmp_path / "trend.svg").read_text().lstrip().startswith("<?xml")


def test_near_repeat_as_json(events, tmp_path):
    output = json.loads(
        analyse(
            "near-repeat",
            "--events",
            events,
            "--x",
            "easting",
            "--y",
            "northing",
            "--date",
            "occurred",
            "--distance-bands",
            "0-100,101-200",
            "--time-bands",
            "0-7,8-14",
            "--iterations",
            "49",
            "--seed",
            "1",
            "--json",
            "--plot",
            tmp_path / "knox.html",
        )
    )
    assert output["pairs"] == 400 * 399 // 2
    assert len(output["cells"]) == 9
    assert sum(cell["observed"] for cell in output["cells"]) == output["pairs"]
    assert (tmp_path / "knox.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "area", "--value", "crimes"], "has no column 'crimes'"),
        (["--id", "zone", "--value", "value"], "has no column 'zone'"),
        (["--id", "area", "--value", "value", "--weights", "queens"], "Unknown weights 'queens'"),
        (["--id", "area", "--value", "value", "--population", "people"], "no column 'people'"),
        (["--id", "area", "--value", "value", "--permutations", "0"], "at least 1"),
        (["--id", "area", "--value", "value", "--plot", "map.pdf"], "use .png, .svg or .html"),
    ],
)
def test_hotspot_input_errors_are_clean_messages(areas, args, message):
    with pytest.raises(CommandError, match=message):
        analyse("hotspots", "--areas", areas, "--permutations", "9", *args)


def test_a_non_numeric_value_names_the_file_column_and_row(tmp_path):
    path = tmp_path / "areas.geojson"
    lattice(2, 2, ["1", "2", "n/a", "4"]).to_file(path)
    with pytest.raises(CommandError, match=r"Column 'value' in .*areas.geojson .* row 3 is 'n/a'"):
        analyse("autocorrelation", "--areas", path, "--id", "area", "--value", "value")


def test_islands_are_named(tmp_path):
    path = tmp_path / "islands.gpkg"
    areas = lattice(2, 3, [1, 2, 3, 4, 5, 6])
    areas["geometry"] = areas.geometry.scale(0.5, 0.5)  # shrunk apart: no shared edges
    areas.to_file(path)
    with pytest.raises(CommandError, match=r"6 area\(s\) have no neighbours with queen .*A1"):
        analyse("hotspots", "--areas", path, "--id", "area", "--value", "value")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "No such file"),
        (lambda p: p.write_text(""), "is empty"),
        (lambda p: p.write_text("occurred\n"), "has a header but no rows"),
        (lambda p: p.write_text("occurred\n2025-01-01\nsoon\n"), "row 2 is 'soon'"),
        (lambda p: p.write_text("when\n2025-01-01\n"), "has no column 'occurred'"),
    ],
)
def test_trend_input_errors_are_clean_messages(tmp_path, make, message):
    path = tmp_path / "events.csv"
    make(path)
    with pytest.raises(CommandError, match=message):
        analyse("trends", "--events", path, "--date", "occurred")


def test_bad_bands_are_clean_messages(events):
    with pytest.raises(CommandError, match="must start at 0"):
        analyse(
            "near-repeat",
            "--events",
            events,
            "--x",
            "easting",
            "--y",
            "northing",
            "--date",
            "occurred",
            "--distance-bands",
            "50-100",
            "--time-bands",
            "0-7",
        )


def test_the_real_command_line_prints_json(areas):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saferhub.settings"}
    run = subprocess.run(
        [
            str(SAFERHUB),
            "analyse",
            "autocorrelation",
            "--areas",
            str(areas),
            "--id",
            "area",
            "--value",
            "value",
            "--permutations",
            "99",
            "--seed",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    output = json.loads(run.stdout)
    assert output["areas"] == 64
    assert output["morans_i"] > 0.3  # the cluster in the corner
    assert output["expected_i"] == pytest.approx(-1 / 63)


def test_the_real_command_line_gives_a_message_not_a_traceback(tmp_path):
    run = subprocess.run(
        [
            str(SAFERHUB),
            "analyse",
            "hotspots",
            "--areas",
            str(tmp_path / "none.gpkg"),
            "--id",
            "a",
            "--value",
            "v",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert "No such file" in run.stderr
    assert "Traceback" not in run.stderr


def test_every_analysis_has_help_naming_its_options():
    parser = Command().create_parser("saferhub", "analyse")
    actions = next(a for a in parser._actions if a.dest == "action").choices
    expected = {
        "trends": ["--events", "--date", "--by", "--json", "--plot"],
        "hotspots": [
            "--areas",
            "--id",
            "--value",
            "--population",
            "--weights",
            "--permutations",
            "--seed",
            "--fdr",
            "--json",
            "--plot",
        ],
        "autocorrelation": [
            "--areas",
            "--id",
            "--value",
            "--weights",
            "--permutations",
            "--seed",
            "--json",
            "--plot",
        ],
        "near-repeat": [
            "--events",
            "--x",
            "--y",
            "--date",
            "--distance-bands",
            "--time-bands",
            "--iterations",
            "--seed",
            "--json",
            "--plot",
        ],
    }
    assert set(actions) == set(expected)
    for name, options in expected.items():
        text = actions[name].format_help()
        assert "docs/analysis.md" in text
        for option in options:
            assert option in text, (name, option)
