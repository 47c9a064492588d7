"""Reading the geography: which data zone a postcode or a point falls in."""

import shapely
from pyproj import Transformer
from shapely.geometry import Point

from saferhub.geography.models import DataZone, PostcodeLookup
from saferhub.geography.postcodes import postcode_normalise
from saferhub.geography.services import BRITISH_NATIONAL_GRID, WGS84


def data_zone_for(
    *,
    postcode: str | None = None,
    easting: float | None = None,
    northing: float | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> DataZone | None:
    """The data zone of a postcode (by the lookup) or of a point (by its boundary), in British
    National Grid or WGS84. A postcode not in the lookup falls back to the coordinates, if given.
    None when it cannot be resolved: the caller keeps the place and flags it."""
    if postcode:
        try:
            normalised = postcode_normalise(postcode)
        except ValueError:
            normalised = None
        if normalised:
            lookup = (
                PostcodeLookup.objects.select_related("data_zone")
                .filter(postcode=normalised)
                .first()
            )
            if lookup:
                return lookup.data_zone
    if easting is not None and northing is not None:
        transformer = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
        longitude, latitude = transformer.transform(float(easting), float(northing))
    if latitude is None or longitude is None:
        return None
    return _data_zone_containing(float(longitude), float(latitude))


def _data_zone_containing(longitude: float, latitude: float) -> DataZone | None:
    point = Point(longitude, latitude)
    # The bounding boxes narrow the search to a few zones; the shapes decide.
    candidates = DataZone.objects.filter(
        min_lon__lte=longitude, max_lon__gte=longitude, min_lat__lte=latitude, max_lat__gte=latitude
    ).exclude(boundary="")
    for zone in candidates.order_by("code"):
        if shapely.from_geojson(zone.boundary).covers(point):
            return zone
    return None
