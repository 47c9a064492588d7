"""`saferhub evaluate`: end to end through call_command and a real process, and every kind of
bad input ending in a clean error that names the problem."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

FIXTURES = Path(__file__).parent / "fixtures"
SAFERHUB = Path(sys.executable).parent / "saferhub"


def run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


@pytest.fixture
def panel_csv(tmp_path) -> Path:
    rng = np.random.default_rng(7)
    rows = []
    for u in range(16):
        level = rng.normal(30, 4)
        for m in range(24):
            month = f"{2022 + m // 12}-{m % 12 + 1:02d}"
            y = level + 0.2 * m + rng.normal(0, 0.5) + (-3.0 if u < 4 and m >= 12 else 0.0)
            rows.append((f"Area {u:02d}", month, round(y, 3)))
    path = tmp_path / "areas.csv"
    pd.DataFrame(rows, columns=["area", "month", "incidents"]).to_csv(path, index=False)
    return path


@pytest.fixture
def synthetic_csv(tmp_path) -> Path:
    """Eight donors and a treated area that is exactly 0.6 x donor 2 + 0.4 x donor 5 before
    2021 and 4 below that after."""
    rng = np.random.default_rng(3)
    donors = 40 + np.cumsum(rng.normal(0, 1, (8, 30)), axis=1)
    treated = 0.6 * donors[2] + 0.4 * donors[5]
    treated[20:] -= 4.0
    rows = [(f"Donor {i}", 2001 + t, donors[i, t]) for i in range(8) for t in range(30)]
    rows += [("Dundee City", 2001 + t, treated[t]) for t in range(30)]
    path = tmp_path / "synthetic.csv"
    pd.DataFrame(rows, columns=["area", "year", "fires"]).to_csv(path, index=False)
    return path


def test_its_json_has_every_field():
    result = run_json(
        "its",
        "--data",
        str(FIXTURES / "seatbelts.csv"),
        "--time",
        "month",
        "--outcome",
        "drivers",
        "--start",
        "1983-02",
        "--seasonal",
        "12",
        "--log",
    )
    for field in (
        "method",
        "effect",
        "effect_total",
        "ci_low",
        "ci_high",
        "p_value",
        "pre_rmspe",
        "weights",
        "series",
        "warnings",
        "msms_level",
        "conclusion",
    ):
        assert field in result, field
    assert result["method"] == "its"
    assert result["msms_level"] == 2
    assert len(result["series"]) == 192
    assert set(result["series"][0]) == {"time", "observed", "counterfactual"}
    assert result["series"][0]["time"] == "1969-01"
    assert result["ci_low"] < result["effect"] < result["ci_high"] < 0
    assert "Maryland Scientific Methods Scale" in result["conclusion"]


def test_did_2x2_command_reproduces_wooldridge():
    result = run_json(
        "did",
        "--data",
        str(FIXTURES / "kielmc.csv"),
        "--outcome",
        "rprice",
        "--group",
        "nearinc",
        "--post",
        "y81",
        "--errors",
        "classical",
    )
    # Wooldridge, Introductory Econometrics, Example 13.3: -11,863.90.
    assert result["effect"] == pytest.approx(-11863.90, abs=0.01)
    assert result["method"] == "did-2x2"
    assert result["msms_level"] == 3


def test_did_panel_command_with_plot_and_readable_summary(panel_csv, tmp_path):
    chart = tmp_path / "areas.png"
    text = run(
        "did",
        "--data",
        str(panel_csv),
        "--unit",
        "area",
        "--time",
        "month",
        "--outcome",
        "incidents",
        "--treated",
        "Area 00",
        "--treated",
        "Area 01",
        "--treated",
        "Area 02",
        "--treated",
        "Area 03",
        "--start",
        "2023-01",
        "--plot",
        str(chart),
        "--cost",
        "12000",
        "--unit-cost",
        "900",
    )
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Method: did-panel" in text
    assert "[pass] parallel pre-trends" in text
    assert "Maryland Scientific Methods Scale level 3" in text
    assert "Economic view: About" in text


def test_did_staggered_starts_by_name_equals_period(panel_csv):
    result = run_json(
        "did",
        "--data",
        str(panel_csv),
        "--unit",
        "area",
        "--time",
        "month",
        "--outcome",
        "incidents",
        "--treated",
        "Area 00=2023-01",
        "--treated",
        "Area 01=2023-01",
        "--treated",
        "Area 02=2023-04",
    )
    assert result["method"] == "did-staggered"
    assert any("staggered adoption" in w for w in result["warnings"])
    assert result["details"]["starts"] == {
        "Area 00": "2023-01",
        "Area 01": "2023-01",
        "Area 02": "2023-04",
    }


def test_synthetic_control_reads_xlsx(synthetic_csv, tmp_path):
    workbook = tmp_path / "synthetic.xlsx"
    pd.read_csv(synthetic_csv).to_excel(workbook, index=False)
    result = run_json(
        "synthetic-control",
        "--data",
        str(workbook),
        "--unit",
        "area",
        "--time",
        "year",
        "--outcome",
        "fires",
        "--treated",
        "Dundee City",
        "--start",
        "2021",
        "--no-leave-one-out",
    )
    assert result["weights"]["Donor 2"] == pytest.approx(0.6, abs=1e-6)
    assert result["weights"]["Donor 5"] == pytest.approx(0.4, abs=1e-6)
    assert result["effect"] == pytest.approx(-4.0, abs=1e-6)
    assert result["p_value"] == pytest.approx(1 / 9)


def test_a_real_saferhub_process(synthetic_csv):
    done = subprocess.run(
        [
            str(SAFERHUB),
            "evaluate",
            "synthetic-control",
            "--data",
            str(synthetic_csv),
            "--unit",
            "area",
            "--time",
            "year",
            "--outcome",
            "fires",
            "--treated",
            "Dundee City",
            "--start",
            "2021",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["method"] == "synthetic-control"
    assert result["pre_rmspe"] == pytest.approx(0.0, abs=1e-6)
    assert result["effect_total"] == pytest.approx(-40.0, abs=1e-5)
    assert [row["time"] for row in result["series"]][:2] == [2001, 2002]

    failed = subprocess.run(
        [
            *(str(SAFERHUB), "evaluate", "synthetic-control", "--data", str(synthetic_csv)),
            *("--unit", "area", "--time", "year", "--outcome", "fires"),
            *("--treated", "Perth", "--start", "2021"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert "'Perth' is not a unit in the data" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("evaluate", "did", "--help")
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--group", "--post", "--unit", "--treated", "--start", "--controls", "--plot"):
        assert option in shown
    assert "NAME=PERIOD" in shown
    assert "Maryland Scientific Methods Scale" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["its", "--time", "month", "--outcome", "deaths", "--start", "1983-02"],
            "No column 'deaths' in the data",
        ),
        (
            ["its", "--time", "month", "--outcome", "drivers", "--start", "1990-01"],
            "--start 1990-01-01 is after the last period",
        ),
        (
            ["its", "--time", "month", "--outcome", "drivers", "--start", "1969-03"],
            "Too few periods before the start: 2",
        ),
        (
            ["its", "--time", "month", "--outcome", "drivers", "--start", "soon"],
            "--start 'soon' is not a period",
        ),
        (
            ["did", "--outcome", "drivers", "--group", "law", "--unit", "month"],
            "not both",
        ),
        (["did", "--outcome", "drivers", "--unit", "month"], "needs --time, --treated"),
        (
            [
                *("its", "--time", "month", "--outcome", "drivers", "--start", "1983-02"),
                *("--plot", "chart.jpg"),
            ],
            "use a .png or .svg file name",
        ),
    ],
)
def test_bad_options_give_a_clean_error(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run(args[0], "--data", str(FIXTURES / "seatbelts.csv"), *args[1:])


def test_non_numeric_outcome_names_the_first_bad_row(tmp_path):
    data = pd.read_csv(FIXTURES / "seatbelts.csv")
    data["drivers"] = data["drivers"].astype(object)
    data.loc[9, "drivers"] = "n/a"
    path = tmp_path / "bad.csv"
    data.to_csv(path, index=False)
    with pytest.raises(CommandError, match="'drivers' must hold numbers: data row 10 is 'n/a'"):
        run(
            "its",
            "--data",
            str(path),
            "--time",
            "month",
            "--outcome",
            "drivers",
            "--start",
            "1983-02",
        )


def test_unbalanced_panel_and_unknown_treated_unit(panel_csv, tmp_path):
    data = pd.read_csv(panel_csv)
    path = tmp_path / "gappy.csv"
    data.drop(index=30).to_csv(path, index=False)
    panel = ["--unit", "area", "--time", "month", "--outcome", "incidents", "--start", "2023-01"]
    with pytest.raises(
        CommandError, match="unbalanced: unit 'Area 01' has no row for period 2022-07"
    ):
        run("did", "--data", str(path), *panel, "--treated", "Area 00")
    with pytest.raises(CommandError, match="'Area 99' is not a unit in the data"):
        run("did", "--data", str(panel_csv), *panel, "--treated", "Area 99")
    with pytest.raises(CommandError, match="'Area 99' is not a unit in the data"):
        run("synthetic-control", "--data", str(panel_csv), *panel, "--treated", "Area 99")


def test_unreadable_files(tmp_path):
    options = ["--time", "t", "--outcome", "y", "--start", "2"]
    with pytest.raises(CommandError, match="No such file"):
        run("its", "--data", str(tmp_path / "missing.csv"), *options)
    text = tmp_path / "notes.txt"
    text.write_text("t,y\n1,2\n")
    with pytest.raises(CommandError, match=r"use a CSV \(\.csv\) or XLSX"):
        run("its", "--data", str(text), *options)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="is empty"):
        run("its", "--data", str(empty), *options)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match=r"Cannot read .* as XLSX"):
        run("its", "--data", str(broken), *options)
