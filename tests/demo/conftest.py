"""The export generator without a database: postcodes laid out as the demo geography lays
them out, and the generated sets made once per session (generating is the slow part)."""

import csv
import datetime
import io
import random

import openpyxl
import pytest

from saferhub.demo.partner_exports import EXPORT_FILES, ExportSet, partner_exports
from saferhub.demo.population import PostcodePoint
from saferhub.geography.demo import COLUMNS, DUNDEE_ROWS, INWARD_LETTERS, SIDE, SOUTH, WEST

TODAY = datetime.date(2026, 11, 23)


def grid_postcodes(seed: int = 1) -> list[PostcodePoint]:
    """Three postcodes in each Dundee data zone of the demo grid."""
    rng = random.Random(seed)
    points, used = [], set()
    for row in range(DUNDEE_ROWS):
        for column in range(COLUMNS):
            west, south = WEST + column * SIDE, SOUTH + row * SIDE
            for _ in range(3):
                postcode = None
                while postcode is None or postcode in used:
                    inward = "".join(rng.choice(INWARD_LETTERS) for _ in range(2))
                    postcode = f"DD{1 + column % 5} {rng.randint(1, 9)}{inward}"
                used.add(postcode)
                points.append(
                    PostcodePoint(
                        postcode=postcode,
                        data_zone=f"S0109{row * COLUMNS + column:04d}",
                        easting=rng.randint(west + 1, west + SIDE - 1),
                        northing=rng.randint(south + 1, south + SIDE - 1),
                        bounds=(west, south, west + SIDE, south + SIDE),
                    )
                )
    return points


@pytest.fixture(scope="session")
def postcodes() -> list[PostcodePoint]:
    return grid_postcodes()


@pytest.fixture(scope="session")
def tiny(postcodes) -> ExportSet:
    return partner_exports(postcodes=postcodes, today=TODAY, seed=2026, size="tiny")


@pytest.fixture(scope="session")
def small(postcodes) -> ExportSet:
    return partner_exports(postcodes=postcodes, today=TODAY, seed=2026, size="small")


def rows_of(export_set: ExportSet, name: str) -> list[dict[str, str]]:
    """The rows of one export file as dicts of text, read as its partner wrote it."""
    content = export_set.files[name]
    if name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        values = [
            ["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        headings = [str(v) for v in values[0]]
        return [dict(zip(headings, row, strict=True)) for row in values[1:]]
    export = next(f for f in EXPORT_FILES if f.name == name)
    text = content.decode(export.encoding)
    return list(csv.DictReader(io.StringIO(text), delimiter=export.delimiter))


def answer_key(export_set: ExportSet, table: str) -> list[dict[str, str]]:
    text = export_set.files[f"answer-key/{table}.csv"].decode()
    return list(csv.DictReader(io.StringIO(text)))
