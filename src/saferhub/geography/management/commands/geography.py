from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.geography.models import DataZone
from saferhub.geography.postcodes import postcode_normalise
from saferhub.geography.selectors import data_zone_for
from saferhub.geography.services import (
    GeographyFileError,
    boundaries_import,
    postcodes_import,
    simd_import,
)


class Command(BaseCommand):
    help = (
        "Load Scotland's reference geography (SIMD ranks, data zone boundaries, the postcode "
        "lookup) and find the data zone of a postcode or point (docs/reference-data.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        simd = actions.add_parser(
            "import-simd",
            help="Load the SIMD ranks table (CSV or XLSX)",
            description=(
                "Create or update data zones, intermediate zones and council areas with their "
                "population and SIMD ranks. Quintiles and deciles are worked out from the ranks. "
                "A bad row changes nothing; loading the same file again updates in place."
            ),
        )
        simd.add_argument("file", type=Path, help="the SIMD ranks table, .csv or .xlsx")
        boundaries = actions.add_parser(
            "import-boundaries",
            help="Load data zone boundaries (GeoJSON or shapefile)",
            description=(
                "Attach boundaries to the data zones already loaded. The file may be GeoJSON or a "
                "shapefile (with its .shx, .dbf and .prj beside it), in British National Grid or "
                "WGS84. A bad feature changes nothing."
            ),
        )
        boundaries.add_argument("file", type=Path, help="a .geojson, .json or .shp file")
        boundaries.add_argument(
            "--level",
            choices=["data_zone"],
            default="data_zone",
            help="the kind of zone the boundaries are for (only data_zone for now)",
        )
        boundaries.add_argument(
            "--code-property",
            metavar="NAME",
            help="the feature property holding the zone code (default: DataZone, DZ2011_cod "
            "or code, whichever is there)",
        )
        postcodes = actions.add_parser(
            "import-postcodes",
            help="Load the postcode to data zone lookup (CSV)",
            description=(
                "Create or update the lookup from a CSV file with a postcode column, a data zone "
                "column and, optionally, easting and northing. A bad row changes nothing."
            ),
        )
        postcodes.add_argument("file", type=Path, help="the postcode lookup, .csv")
        resolve = actions.add_parser(
            "resolve",
            help="Show the data zone and SIMD rank of a postcode or a point",
            description="Find the data zone of a postcode, a grid reference or a latitude "
            "and longitude, and show its SIMD rank.",
        )
        resolve.add_argument("--postcode", help="a UK postcode, such as DD1 4HN")
        resolve.add_argument("--easting", type=float, help="British National Grid easting")
        resolve.add_argument("--northing", type=float, help="British National Grid northing")
        resolve.add_argument("--lat", type=float, help="latitude (WGS84)")
        resolve.add_argument("--lon", type=float, help="longitude (WGS84)")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "resolve":
            self.resolve(options)
            return
        path = options["file"]
        try:
            if action == "import-simd":
                result = simd_import(path)
                what = "data zones"
            elif action == "import-boundaries":
                result = boundaries_import(
                    path, level=options["level"], code_property=options["code_property"]
                )
                what = "data zone boundaries"
            else:
                result = postcodes_import(path)
                what = "postcodes"
        except GeographyFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.total} {what} from {path}: "
                f"{result.created} new, {result.updated} updated."
            )
        )

    def resolve(self, options: dict) -> None:
        postcode = options["postcode"]
        grid = (options["easting"], options["northing"])
        degrees = (options["lat"], options["lon"])
        if (None in grid) != (grid == (None, None)) or (None in degrees) != (
            degrees == (None, None)
        ):
            raise CommandError("Give --easting with --northing, and --lat with --lon.")
        if not postcode and None in grid and None in degrees:
            raise CommandError("Give --postcode, or --easting and --northing, or --lat and --lon.")
        if postcode:
            try:
                postcode = postcode_normalise(postcode)
            except ValueError as exc:
                raise CommandError(f"The postcode was not looked up: {exc}.") from None
        zone = data_zone_for(
            postcode=postcode,
            easting=grid[0],
            northing=grid[1],
            latitude=degrees[0],
            longitude=degrees[1],
        )
        if zone is None:
            self.stdout.write("Could not resolve that place to a data zone.")
            return
        self.stdout.write(self.describe(zone))

    def describe(self, zone: DataZone) -> str:
        name = f" {zone.name}" if zone.name else ""
        if zone.simd_rank is None:
            return f"Data zone {zone.code}{name}: no SIMD rank loaded."
        return (
            f"Data zone {zone.code}{name}, {zone.council_area.name or zone.council_area.code}: "
            f"SIMD rank {zone.simd_rank} (decile {zone.simd_decile}, "
            f"quintile {zone.simd_quintile}; 1 is the most deprived)."
        )
