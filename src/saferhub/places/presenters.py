"""What place record pages show, so that templates hold no logic.

At `personal` a place shows everything; at `depersonalised` it is its data zone (with the
zone's deprivation decile) and its property type, and nothing else reaches the template:
no address, postcode, UPRN or coordinates.
"""

from dataclasses import dataclass

from saferhub.geography.models import DataZone
from saferhub.places.models import PlaceRecord, PropertyType, ResolvedBy
from saferhub.sharing.engine import OWNER, Access
from saferhub.sharing.models import Level

FIELD_NAMES = {
    "source_ref": "Reference",
    "address_line_1": "Address",
    "address_line_2": "Address",
    "town": "Town",
    "postcode": "Postcode",
    "uprn": "UPRN",
    "easting": "Location",
    "northing": "Location",
    "latitude": "Location",
    "longitude": "Location",
    "property_type": "Property type",
    "data_zone": "Data zone",
    "resolved_by": "Data zone",
}


@dataclass
class PlaceRow:
    id: int
    address: str
    uprn: str
    property_type: str
    data_zone: str
    held_by: str
    source_ref: str


def place_rows(records: list[PlaceRecord]) -> list[PlaceRow]:
    """Search results: records the reader may see in full (the search looks at no others)."""
    return [
        PlaceRow(
            id=record.pk,
            address=record.address,
            uprn=record.uprn,
            property_type=PropertyType(record.property_type).label,
            data_zone=record.data_zone,
            held_by=record.organisation.name,
            source_ref=record.source_ref,
        )
        for record in records
    ]


def why_record_shown(access: Access) -> str:
    """The 'Why can I see this?' answer for a place record."""
    if access.shared_under and access.shared_under.rule == OWNER:
        return "Your organisation holds this record."
    reason = "The place appears in an incident you may see."
    if access.shared_under:
        reason += f" {access.shared_under.in_words()}"
    if access.level == Level.DEPERSONALISED:
        reason += (
            " At the depersonalised level you see the place as its data zone and the kind of "
            "property, not its address."
        )
    return reason


def _zone(code: str, zone: DataZone | None, *, personal: bool) -> dict:
    if not code:
        return {"code": "", "title": "Not known"}
    seen = {"code": code, "title": f"{zone.name} ({code})" if zone and zone.name else code}
    if zone is not None:
        seen["simd_decile"] = zone.simd_decile
        if personal:
            seen.update(simd_rank=zone.simd_rank, simd_quintile=zone.simd_quintile)
    return seen


def place_page(record: PlaceRecord, access: Access, zone: DataZone | None) -> dict:
    """A place record as `access` allows."""
    if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
        raise ValueError(f"a place record at level {access.level!r} is not shown")
    personal = access.level == Level.PERSONAL
    page = {
        "id": record.pk,
        "personal": personal,
        "held_by": record.organisation.name,
        "property_type": PropertyType(record.property_type).label,
        "zone": _zone(record.data_zone, zone, personal=personal),
        "why": why_record_shown(access),
    }
    if not personal:
        page["title"] = (
            f"A place in data zone {record.data_zone}" if record.data_zone else "A place"
        )
        return page
    page.update(
        title=record.address or record.source_ref,
        address_line_1=record.address_line_1,
        address_line_2=record.address_line_2,
        town=record.town,
        postcode=record.postcode,
        uprn=record.uprn,
        grid_reference=(
            f"{record.easting:.0f}, {record.northing:.0f}" if record.easting is not None else ""
        ),
        latitude_longitude=(
            f"{record.latitude:.6f}, {record.longitude:.6f}" if record.latitude is not None else ""
        ),
        resolved_by=ResolvedBy(record.resolved_by).label,
        unresolved=record.resolved_by == ResolvedBy.UNRESOLVED,
        source_ref=record.source_ref,
    )
    return page
