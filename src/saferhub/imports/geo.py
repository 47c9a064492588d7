"""Where imported places are: both grids filled in, and the data zone of each, for a whole
batch at once. The same answers as saferhub.geography.selectors.data_zone_for, which looks up
one place at a time: the postcode lookup first, else the boundary covering the point."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from saferhub.geography.models import DataZone, PostcodeLookup
from saferhub.geography.services import BRITISH_NATIONAL_GRID, WGS84


class PlaceResolver:
    """Made once per import run: the postcode lookup and the boundaries are read from the
    database the first time a batch needs them, then kept for the rest of the run (a few MB
    for all of Scotland, whatever the size of the file)."""

    def __init__(self) -> None:
        self._postcodes: tuple[pa.Array, pa.Array] | None = None
        self._tree: shapely.STRtree | None = None
        self._codes: np.ndarray | None = None
        self._to_wgs84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
        self._to_grid = Transformer.from_crs(WGS84, BRITISH_NATIONAL_GRID, always_xy=True)

    def postcodes(self) -> tuple[pa.Array, pa.Array]:
        """The postcode lookup as two arrays: postcodes, and the data zone of each."""
        if self._postcodes is None:
            pairs = list(PostcodeLookup.objects.values_list("postcode", "data_zone__code"))
            self._postcodes = (
                pa.array([p for p, _ in pairs], type=pa.string()),
                pa.array([z for _, z in pairs], type=pa.string()),
            )
        return self._postcodes

    def tree(self) -> tuple[shapely.STRtree, np.ndarray]:
        if self._tree is None:
            zones = list(
                DataZone.objects.exclude(boundary="")
                .order_by("code")
                .values_list("code", "boundary")
            )
            codes = np.array([code for code, _ in zones], dtype=object)
            shapes = shapely.from_geojson([boundary for _, boundary in zones]) if zones else []
            self._tree, self._codes = shapely.STRtree(shapes), codes
        return self._tree, self._codes

    def resolve(
        self,
        postcode: pa.Array,
        easting: pa.Array,
        northing: pa.Array,
        latitude: pa.Array,
        longitude: pa.Array,
    ) -> dict[str, pa.Array]:
        """Both grids (the one not given worked out from the other) and the data zone with how
        it was found, for each place of a batch."""
        e = easting.to_numpy(zero_copy_only=False).astype(float)
        n = northing.to_numpy(zero_copy_only=False).astype(float)
        lat = latitude.to_numpy(zero_copy_only=False).astype(float)
        lon = longitude.to_numpy(zero_copy_only=False).astype(float)
        has_grid = ~np.isnan(e) & ~np.isnan(n)
        has_degrees = ~np.isnan(lat) & ~np.isnan(lon)
        # Rounded, so that the same input gives the same stored value (and fingerprint)
        # whatever the version of the projection library: 0.1 m and about 0.1 m.
        if has_grid.any():
            x, y = self._to_wgs84.transform(e[has_grid], n[has_grid])
            fill = has_grid & ~has_degrees
            lon[fill] = np.round(np.asarray(x), 6)[fill[has_grid]]
            lat[fill] = np.round(np.asarray(y), 6)[fill[has_grid]]
        only_degrees = has_degrees & ~has_grid
        if only_degrees.any():
            x, y = self._to_grid.transform(lon[only_degrees], lat[only_degrees])
            e[only_degrees] = np.round(np.asarray(x), 1)
            n[only_degrees] = np.round(np.asarray(y), 1)
        count = len(e)
        zone = np.full(count, "", dtype=object)
        how = np.full(count, "unresolved", dtype=object)
        if postcode.null_count < len(postcode):
            known, zones = self.postcodes()
            found = pc.take(zones, pc.index_in(postcode, value_set=known))
            hit = found.is_valid().to_numpy(zero_copy_only=False)
            zone[hit] = np.asarray(found.drop_null().to_pylist(), dtype=object)
            how[hit] = "postcode"
        located = (zone == "") & ~np.isnan(lon) & ~np.isnan(lat)
        if located.any():
            tree, zone_codes = self.tree()
            if len(zone_codes):
                index = np.flatnonzero(located)
                points = shapely.points(lon[index], lat[index])
                found, zones = tree.query(points, predicate="covered_by")
                # A point on the edge between zones is in both: the lowest code wins, as the
                # one-at-a-time lookup orders them (zones were loaded in code order).
                order = np.lexsort((zones, found))
                found, zones = found[order], zones[order]
                first = np.unique(found, return_index=True)[1]
                for point, tree_index in zip(found[first], zones[first], strict=True):
                    zone[index[point]] = zone_codes[tree_index]
                    how[index[point]] = "coordinates"

        def column(values: np.ndarray) -> pa.Array:
            return pa.array(values, type=pa.float64(), from_pandas=True)

        return {
            "easting": column(e),
            "northing": column(n),
            "latitude": column(lat),
            "longitude": column(lon),
            "data_zone": pa.array(zone.tolist(), type=pa.string()),
            "resolved_by": pa.array(how.tolist(), type=pa.string()),
        }
