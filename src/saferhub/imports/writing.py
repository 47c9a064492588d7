"""Writing a checked batch: set-based SQL, the same on SQLite and PostgreSQL but for how the
staging tables are filled (COPY on PostgreSQL, executemany on SQLite).

Each batch is staged in temporary tables, then written with a handful of statements:
classify each staged row against what the organisation already holds (new, changed or the
same, by its fingerprint), keep a revision of what every changed record said before,
INSERT ... ON CONFLICT (organisation, source reference) DO UPDATE, then replace the links of
new and changed incidents. Call inside a transaction: the batch is written whole or not at all.

Records an incident names (its place and people) are upserted with a gentler rule than records
imported for themselves: a value the incident row gives replaces the stored one, a value it
does not give is kept, so that an incident file never blanks what a people or places file said.
"""

import io
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection, models

from saferhub.imports.checking import Checked, Plan
from saferhub.imports.models import RecordKind
from saferhub.incidents.models import Incident, IncidentPerson, IncidentRevision, RelevantPartner
from saferhub.partnerships.models import Organisation
from saferhub.people.models import PersonAddress, PersonRecord, PersonRecordRevision
from saferhub.places.models import PlaceRecord, PlaceRecordRevision

NEW, CHANGE, SAME = "new", "change", "same"

STAGING_TYPES = {
    # logical type: (PostgreSQL, SQLite)
    "text": ("text", "TEXT"),
    "bigint": ("bigint", "INTEGER"),
    "float": ("double precision", "REAL"),
    "bool": ("boolean", "INTEGER"),
    "date": ("date", "TEXT"),
    "timestamp": ("timestamptz", "TEXT"),
}

PLACE_COLUMNS = {
    "source_ref": "text",
    "address_line_1": "text",
    "address_line_2": "text",
    "town": "text",
    "postcode": "text",
    "uprn": "text",
    "easting": "float",
    "northing": "float",
    "latitude": "float",
    "longitude": "float",
    "property_type": "text",
    "data_zone": "text",
    "resolved_by": "text",
    "address_key": "text",
    "import_fingerprint": "text",
}
PERSON_COLUMNS = {
    "source_ref": "text",
    "given_name": "text",
    "family_name": "text",
    "other_names": "text",
    "date_of_birth": "date",
    "date_of_birth_precision": "text",
    "sex": "text",
    "chi_number": "text",
    "phone": "text",
    "email": "text",
    "given_key": "text",
    "family_key": "text",
    "address": "text",
    "postcode": "text",
    "lived_from": "date",
    "lived_to": "date",
    "import_fingerprint": "text",
}
SLOT_PERSON_COLUMNS = {
    "source_ref": "text",
    "given_name": "text",
    "family_name": "text",
    "given_key": "text",
    "family_key": "text",
    "date_of_birth": "date",
    "date_of_birth_precision": "text",
    "sex": "text",
}
INCIDENT_COLUMNS = {
    "source_ref": "text",
    "category": "text",
    "theme_mask": "bigint",
    "occurred_at": "timestamp",
    "reported_at": "timestamp",
    "address": "text",
    "postcode": "text",
    "data_zone": "text",
    "vulnerability_flags": "text",
    "narrative": "text",
    "risk": "text",
    "restricted": "bool",
    "place_ref": "text",
    "import_fingerprint": "text",
}
LINK_COLUMNS = {
    "incident_ref": "text",
    "slot": "bigint",
    "role": "text",
    "given_name": "text",
    "family_name": "text",
    "date_of_birth": "date",
    "sex": "text",
    "person_ref": "text",
}
PARTNER_COLUMNS = {"source_ref": "text", "organisation_id": "bigint"}

# What a person record's revision keeps (as saferhub.people.services.SNAPSHOT_FIELDS).
PERSON_SNAPSHOT = (
    "source_ref",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "date_of_birth_precision",
    "sex",
    "chi_number",
    "phone",
    "email",
)
PLACE_SNAPSHOT = tuple(c for c in PLACE_COLUMNS if c != "import_fingerprint")
INCIDENT_SNAPSHOT = (
    "source_ref",
    "category",
    "theme_mask",
    "occurred_at",
    "reported_at",
    "address",
    "postcode",
    "data_zone",
    "vulnerability_flags",
    "narrative",
    "risk",
    "restricted",
    "place_record_id",
)


@dataclass
class Written:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Each row's outcome, by row number (for the per-item answer of an API push).
    outcomes: dict[int, str] = field(default_factory=dict)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


class Writer:
    """Writes the batches of one run (call `write` inside a transaction per batch)."""

    def __init__(
        self,
        *,
        plan: Plan,
        organisation_id: int,
        partnership_id: int | None,
        user_id: int | None,
        through: str,
        now,
    ):
        self.plan = plan
        self.organisation_id = organisation_id
        self.partnership_id = partnership_id
        self.user_id = user_id
        self.through = through
        self.postgres = connection.vendor == "postgresql"
        self.now = connection.ops.adapt_datetimefield_value(now)
        self.has_other_keys = any(f.name == "other_keys" for f in PersonRecord._meta.fields)
        # Each row's outcome is fetched only when asked for (an API push answers per item).
        self.outcomes = False

    # -- staging ---------------------------------------------------------------------------

    def _stage(self, cursor, name: str, table: pa.Table, columns: dict[str, str]) -> None:
        """A temporary table `name` holding `table` (dropped at commit on PostgreSQL)."""
        which = 0 if self.postgres else 1
        definition = ", ".join(
            [f"{_q(c)} {STAGING_TYPES[t][which]}" for c, t in columns.items()]
            + [f"_row {STAGING_TYPES['bigint'][which]}"]
        )
        table = table.select(
            [c for c in columns if c in table.column_names]
            + (["_row"] if "_row" in table.column_names else [])
        )
        names = ", ".join(_q(c) for c in table.column_names)
        if self.postgres:
            # Dropped at commit; and before, for a batch inside a caller's transaction (a test).
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cursor.execute(f"CREATE TEMP TABLE {name} ({definition}) ON COMMIT DROP")
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
            with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getbuffer())
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
            cursor.execute(f"CREATE TEMP TABLE {name} ({definition})")
            marks = ", ".join(["%s"] * table.num_columns)
            rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", list(rows))

    def _json(self, pairs: list[tuple[str, str]]) -> str:
        function = "jsonb_build_object" if self.postgres else "json_object"
        arguments = ", ".join(f"'{k}', {v}" for k, v in pairs)
        return f"{function}({arguments})"

    def _json_value(self, expression: str) -> str:
        """A JSON column's value inside a JSON object built in SQL."""
        return expression if self.postgres else f"json({expression})"

    def _as_json(self, expression: str) -> str:
        """Staged JSON text as the value of a JSON column."""
        return f"CAST({expression} AS jsonb)" if self.postgres else expression

    # -- the pieces common to every kind ---------------------------------------------------

    def _insert_columns(self, model, provided: dict[str, str]) -> tuple[list[str], list[str], list]:
        """Every column of `model` to INSERT: those provided (as SQL), the rest as their
        defaults, so that a field added to the model later does not break the import."""
        columns, values, params = [], [], []
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            column = f.column
            columns.append(_q(column))
            if column in provided:
                values.append(provided[column])
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                values.append("%s")
                params.append(self.now)
            elif f.has_default():
                values.append("%s")
                params.append(f.get_db_prep_save(f.get_default(), connection))
            elif f.null:
                values.append("NULL")
            else:
                values.append("%s")
                params.append(f.get_db_prep_save("" if f.empty_strings_allowed else 0, connection))
        return columns, values, params

    def _classify(self, cursor, stage: str, model, owner: str, differs: str) -> None:
        """`stage` from `stage`_in: each staged row with the record it matches (`_target_id`)
        and what writing it does (`_action`: new, change or same). `differs` compares the
        staged row `s` with the record `t`. Made as a new table, which is far quicker than
        updating the staged one in place."""
        if self.postgres:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{stage}")
            create = f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS"
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{stage}")
            create = f"CREATE TEMP TABLE {stage} AS"
        cursor.execute(
            f"{create} SELECT s.*, t.id AS _target_id, CASE WHEN t.id IS NULL THEN '{NEW}' "
            f"WHEN {differs} THEN '{CHANGE}' ELSE '{SAME}' END AS _action "
            f"FROM {stage}_in s LEFT JOIN {_table(model)} t "
            f"ON t.{_q(owner)} = %s AND t.source_ref = s.source_ref",
            [self.organisation_id],
        )

    def _revisions(self, cursor, stage: str, model, revision, link: str, snapshot: str) -> None:
        """What each changed record said before: one revision per record, written before the
        record changes."""
        user = str(int(self.user_id)) if self.user_id else "NULL"
        columns, values, params = self._insert_columns(
            revision,
            {
                f"{link}_id": "t.id",
                "before": snapshot,
                "changed_by_id": user,
                "changed_through": "'" + self.through.replace("'", "''") + "'",
            },
        )
        cursor.execute(
            f"INSERT INTO {_table(revision)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {stage} JOIN {_table(model)} t "
            f"ON t.id = {stage}._target_id WHERE {stage}._action = '{CHANGE}'",
            params,
        )

    def _counts(self, cursor, stage: str) -> Written:
        written = Written()
        names = {NEW: "inserted", CHANGE: "updated", SAME: "unchanged"}
        if self.outcomes:
            cursor.execute(f"SELECT _row, _action FROM {stage}")
            written.outcomes = {row: names[action] for row, action in cursor.fetchall()}
        cursor.execute(f"SELECT _action, count(*) FROM {stage} GROUP BY _action")
        for action, count in cursor.fetchall():
            setattr(written, names[action], count)
        return written

    def _upsert(
        self,
        cursor,
        stage: str,
        model,
        *,
        provided: dict[str, str],
        updated: list[str],
        owner: str,
        conflict_where: str = "",
        joins: str = "",
    ) -> None:
        """INSERT new and changed rows; a row whose reference exists updates it when its
        fingerprint differs (another import may have written it since it was classified)."""
        columns, values, params = self._insert_columns(model, provided)
        assignments = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in [*updated, "updated_at"])
        cursor.execute(
            f"INSERT INTO {_table(model)} AS t ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {stage} {joins} "
            f"WHERE {stage}._action <> '{SAME}' "
            f"ON CONFLICT ({_q(owner)}, source_ref) {conflict_where} DO UPDATE SET {assignments} "
            "WHERE t.import_fingerprint IS DISTINCT FROM excluded.import_fingerprint",
            params,
        )

    # -- places ----------------------------------------------------------------------------

    def _place_snapshot(self) -> str:
        return self._json([(c, f"t.{_q(c)}") for c in PLACE_SNAPSHOT])

    def _places_of_kind(self, cursor, rows: pa.Table) -> Written:
        stage = "stg_place"
        self._stage(cursor, f"{stage}_in", rows, PLACE_COLUMNS)
        self._classify(
            cursor,
            stage,
            PlaceRecord,
            "organisation_id",
            "t.import_fingerprint IS DISTINCT FROM s.import_fingerprint",
        )
        self._revisions(
            cursor, stage, PlaceRecord, PlaceRecordRevision, "place", self._place_snapshot()
        )
        mapped = set(self.plan.spec.columns) | set(self.plan.spec.defaults)
        updated = [c for c in PLACE_COLUMNS if c in mapped or c in self._place_derived(mapped)]
        provided = {c: f"{stage}.{_q(c)}" for c in PLACE_COLUMNS}
        provided["organisation_id"] = str(int(self.organisation_id))
        self._upsert(
            cursor,
            stage,
            PlaceRecord,
            provided=provided,
            updated=[*updated, "import_fingerprint"],
            owner="organisation_id",
        )
        return self._counts(cursor, stage)

    @staticmethod
    def _place_derived(mapped: set[str]) -> set[str]:
        derived = {"address_key"}
        if mapped & {"postcode", "easting", "northing", "latitude", "longitude"}:
            derived |= {"data_zone", "resolved_by"}
        if mapped & {"easting", "northing", "latitude", "longitude"}:
            derived |= {"easting", "northing", "latitude", "longitude"}
        return derived

    def _given(self, stage: str, column: str, kind: str) -> str:
        """Whether an incident row gives a value for a place or person field."""
        value = f"{stage}.{_q(column)}"
        if column == "resolved_by":
            return f"{value} <> 'unresolved'"
        if kind == "text":
            return f"{value} IS NOT NULL AND {value} <> ''"
        return f"{value} IS NOT NULL"

    def _upsert_named(
        self,
        cursor,
        stage: str,
        rows: pa.Table,
        model,
        revision,
        link: str,
        columns: dict[str, str],
        updatable: list[str],
        snapshot: str,
        defaults: dict[str, str],
    ) -> None:
        """Records an incident names: insert the new, update the given values that differ."""
        self._stage(cursor, f"{stage}_in", rows, columns)
        differs = (
            " OR ".join(
                f"({self._given('s', c, columns[c])} AND s.{_q(c)} IS DISTINCT FROM t.{_q(c)})"
                for c in updatable
            )
            or "false"
        )
        self._classify(cursor, stage, model, "organisation_id", differs)
        self._revisions(cursor, stage, model, revision, link, snapshot)
        provided = {
            c: f"coalesce({stage}.{_q(c)}, {defaults[c]})" if c in defaults else f"{stage}.{_q(c)}"
            for c in columns
        }
        provided["organisation_id"] = str(int(self.organisation_id))
        inserted, values, params = self._insert_columns(model, provided)
        cursor.execute(
            f"INSERT INTO {_table(model)} ({', '.join(inserted)}) SELECT {', '.join(values)} "
            f"FROM {stage} WHERE {stage}._action = '{NEW}' "
            "ON CONFLICT (organisation_id, source_ref) DO NOTHING",
            params,
        )
        if updatable:
            table = _table(model)
            assignments = ", ".join(
                f"{_q(c)} = CASE WHEN {self._given(stage, c, columns[c])} THEN {stage}.{_q(c)} "
                f"ELSE {table}.{_q(c)} END"
                for c in updatable
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments}, updated_at = %s FROM {stage} "
                f"WHERE {table}.id = {stage}._target_id AND {stage}._action = '{CHANGE}'",
                [self.now],
            )

    def _places_of_incidents(self, cursor, rows: pa.Table) -> None:
        mapped = set(self.plan.place)
        updatable = [
            c
            for c in PLACE_COLUMNS
            if c not in ("source_ref", "import_fingerprint")
            and (c in mapped or c in self._place_derived(mapped))
        ]
        self._upsert_named(
            cursor,
            "stg_place",
            rows.drop_columns(["import_fingerprint"]),
            PlaceRecord,
            PlaceRecordRevision,
            "place",
            {c: t for c, t in PLACE_COLUMNS.items() if c != "import_fingerprint"},
            updatable,
            self._place_snapshot(),
            defaults={"property_type": "'unknown'", "resolved_by": "'unresolved'"},
        )

    # -- people ----------------------------------------------------------------------------

    def _person_snapshot(self) -> str:
        address = self._json(
            [
                ("address", "a.address"),
                ("postcode", "a.postcode"),
                ("lived_from", "a.lived_from"),
                ("lived_to", "a.lived_to"),
            ]
        )
        table = _table(PersonAddress)
        if self.postgres:
            addresses = (
                f"(SELECT coalesce(jsonb_agg({address} ORDER BY a.id), '[]'::jsonb) "
                f"FROM {table} a WHERE a.person_id = t.id)"
            )
        else:
            addresses = (
                f"(SELECT json_group_array(json({address})) FROM "
                f"(SELECT * FROM {table} a WHERE a.person_id = t.id ORDER BY a.id) a)"
            )
        pairs = [
            (c, self._json_value(f"t.{_q(c)}") if c == "other_names" else f"t.{_q(c)}")
            for c in PERSON_SNAPSHOT
        ]
        return self._json([*pairs, ("addresses", self._json_value(addresses))])

    def _people_of_kind(self, cursor, rows: pa.Table) -> Written:
        stage = "stg_person"
        if self.has_other_keys:
            rows = rows.append_column("other_keys", _other_keys(rows.column("other_names")))
        columns = dict(PERSON_COLUMNS)
        if self.has_other_keys:
            columns["other_keys"] = "text"
        self._stage(cursor, f"{stage}_in", rows, columns)
        self._classify(
            cursor,
            stage,
            PersonRecord,
            "organisation_id",
            "t.import_fingerprint IS DISTINCT FROM s.import_fingerprint",
        )
        self._revisions(
            cursor, stage, PersonRecord, PersonRecordRevision, "person", self._person_snapshot()
        )
        record_columns = [
            c for c in columns if c not in ("address", "postcode", "lived_from", "lived_to")
        ]
        mapped = set(self.plan.spec.columns) | set(self.plan.spec.defaults)
        derived = {
            "given_key": "given_name",
            "family_key": "family_name",
            "date_of_birth_precision": "date_of_birth",
            "other_keys": "other_names",
        }
        updated = [
            c
            for c in record_columns
            if c != "source_ref" and (c in mapped or derived.get(c) in mapped)
        ]
        provided = {c: f"{stage}.{_q(c)}" for c in record_columns}
        provided["other_names"] = self._as_json(f"{stage}.other_names")
        provided["organisation_id"] = str(int(self.organisation_id))
        self._upsert(
            cursor,
            stage,
            PersonRecord,
            provided=provided,
            updated=[*updated, "import_fingerprint"],
            owner="organisation_id",
        )
        if "address" in mapped:
            self._addresses(cursor, stage)
        return self._counts(cursor, stage)

    def _addresses(self, cursor, stage: str) -> None:
        """One address per row: its dates updated when the person already has it, else added
        (addresses typed in the hub are kept)."""
        table = _table(PersonAddress)
        cursor.execute(
            f"UPDATE {table} SET lived_from = {stage}.lived_from, lived_to = {stage}.lived_to "
            f"FROM {stage} WHERE {table}.person_id = {stage}._target_id "
            f"AND {stage}._action = '{CHANGE}' AND {table}.address = {stage}.address "
            f"AND {table}.postcode = {stage}.postcode"
        )
        # New people have no id in the staging table: found by their reference.
        cursor.execute(
            f"INSERT INTO {table} (person_id, address, postcode, lived_from, lived_to) "
            f"SELECT p.id, s.address, s.postcode, s.lived_from, s.lived_to FROM {stage} s "
            f"JOIN {_table(PersonRecord)} p ON p.organisation_id = %s "
            f"AND p.source_ref = s.source_ref "
            f"WHERE s._action IN ('{NEW}', '{CHANGE}') AND s.address <> '' AND NOT EXISTS "
            f"(SELECT 1 FROM {table} a WHERE a.person_id = p.id "
            "AND a.address = s.address AND a.postcode = s.postcode)",
            [self.organisation_id],
        )

    def _people_of_incidents(self, cursor, rows: pa.Table) -> None:
        mapped = set()
        for slot in self.plan.slots:
            mapped |= set(slot.items)
        pairs = {
            "given_key": "given_name",
            "family_key": "family_name",
            "date_of_birth_precision": "date_of_birth",
        }
        updatable = [
            c
            for c in SLOT_PERSON_COLUMNS
            if c != "source_ref" and (c in mapped or pairs.get(c) in mapped)
        ]
        self._upsert_named(
            cursor,
            "stg_person",
            rows,
            PersonRecord,
            PersonRecordRevision,
            "person",
            SLOT_PERSON_COLUMNS,
            updatable,
            self._person_snapshot(),
            defaults={
                "given_name": "''",
                "family_name": "''",
                "given_key": "''",
                "family_key": "''",
                "date_of_birth_precision": "''",
                "sex": "'unknown'",
            },
        )

    # -- incidents -------------------------------------------------------------------------

    def _incidents(self, cursor, checked: Checked) -> Written:
        if checked.places is not None and checked.places.num_rows:
            self._places_of_incidents(cursor, checked.places)
        if checked.persons is not None and checked.persons.num_rows:
            self._people_of_incidents(cursor, checked.persons)
        stage = "stg_incident"
        self._stage(cursor, f"{stage}_in", checked.main, INCIDENT_COLUMNS)
        self._classify(
            cursor,
            stage,
            Incident,
            "owner_id",
            "t.import_fingerprint IS DISTINCT FROM s.import_fingerprint",
        )
        snapshot = self._json(
            [
                *[
                    (
                        c,
                        self._json_value(f"t.{_q(c)}")
                        if c == "vulnerability_flags"
                        else f"t.{_q(c)}",
                    )
                    for c in INCIDENT_SNAPSHOT
                ],
                ("relevant_partners", self._partners_snapshot()),
                ("people", self._people_snapshot()),
            ]
        )
        self._revisions(cursor, stage, Incident, IncidentRevision, "incident", snapshot)
        place = _table(PlaceRecord)
        provided = {c: f"{stage}.{_q(c)}" for c in INCIDENT_COLUMNS if c != "place_ref"}
        provided["vulnerability_flags"] = self._as_json(f"{stage}.vulnerability_flags")
        provided["owner_id"] = str(int(self.organisation_id))
        provided["partnership_id"] = str(int(self.partnership_id))
        provided["created_by_id"] = str(int(self.user_id)) if self.user_id else "NULL"
        provided["place_record_id"] = "p.id"
        joins = (
            f"LEFT JOIN {place} p ON p.organisation_id = {int(self.organisation_id)} "
            f"AND p.source_ref = {stage}.place_ref"
        )
        updated = [c for c in INCIDENT_COLUMNS if c not in ("source_ref", "place_ref")]
        updated += ["place_record_id", "partnership_id"]
        self._upsert(
            cursor,
            stage,
            Incident,
            provided=provided,
            updated=updated,
            owner="owner_id",
            conflict_where="WHERE source_ref IS NOT NULL",
            joins=joins,
        )
        self._links(cursor, stage, checked)
        return self._counts(cursor, stage)

    def _partners_snapshot(self) -> str:
        table, organisation = _table(RelevantPartner), _table(Organisation)
        if self.postgres:
            return (
                f"(SELECT coalesce(jsonb_agg(o.code ORDER BY o.code), '[]'::jsonb) FROM {table} r "
                f"JOIN {organisation} o ON o.id = r.organisation_id WHERE r.incident_id = t.id)"
            )
        return (
            f"json((SELECT json_group_array(code) FROM (SELECT o.code FROM {table} r JOIN "
            f"{organisation} o ON o.id = r.organisation_id WHERE r.incident_id = t.id "
            "ORDER BY o.code)))"
        )

    def _people_snapshot(self) -> str:
        table = _table(IncidentPerson)
        person = self._json(
            [
                ("role", "p.role"),
                ("given_name", "p.given_name"),
                ("family_name", "p.family_name"),
                ("date_of_birth", "p.date_of_birth"),
                ("sex", "p.sex"),
                ("person_record_id", "p.person_record_id"),
            ]
        )
        if self.postgres:
            return (
                f"(SELECT coalesce(jsonb_agg({person} ORDER BY p.id), '[]'::jsonb) "
                f"FROM {table} p WHERE p.incident_id = t.id)"
            )
        return (
            f"json((SELECT json_group_array(json({person})) FROM "
            f"(SELECT * FROM {table} p WHERE p.incident_id = t.id ORDER BY p.id) p))"
        )

    def _links(self, cursor, stage: str, checked: Checked) -> None:
        """The people and relevant partners of new and changed incidents, as the file says."""
        changed = f"SELECT _target_id FROM {stage} WHERE _action = '{CHANGE}'"
        cursor.execute(f"DELETE FROM {_table(IncidentPerson)} WHERE incident_id IN ({changed})")
        cursor.execute(f"DELETE FROM {_table(RelevantPartner)} WHERE incident_id IN ({changed})")
        # New incidents have no id in the staging table: found by their reference.
        written = (
            f"JOIN {stage} s ON s.source_ref = {{ref}} AND s._action IN ('{NEW}', '{CHANGE}') "
            f"JOIN {_table(Incident)} i ON i.owner_id = {int(self.organisation_id)} "
            "AND i.source_ref = s.source_ref"
        )
        if checked.links is not None and checked.links.num_rows:
            self._stage(cursor, "stg_link", checked.links, LINK_COLUMNS)
            cursor.execute(
                f"INSERT INTO {_table(IncidentPerson)} (incident_id, role, given_name, "
                "family_name, date_of_birth, sex, person_record_id) "
                "SELECT i.id, l.role, l.given_name, l.family_name, "
                f"l.date_of_birth, l.sex, p.id FROM stg_link l "
                f"{written.format(ref='l.incident_ref')} "
                f"LEFT JOIN {_table(PersonRecord)} p ON p.organisation_id = %s "
                "AND p.source_ref = l.person_ref ORDER BY i.id, l.slot",
                [self.organisation_id],
            )
        if checked.partners is not None and checked.partners.num_rows:
            self._stage(cursor, "stg_partner", checked.partners, PARTNER_COLUMNS)
            cursor.execute(
                f"INSERT INTO {_table(RelevantPartner)} (incident_id, organisation_id) "
                "SELECT DISTINCT i.id, r.organisation_id FROM stg_partner r "
                f"{written.format(ref='r.source_ref')}"
            )

    # -- a batch ---------------------------------------------------------------------------

    def write(self, checked: Checked) -> Written:
        """Write a checked batch's good rows. Call inside transaction.atomic()."""
        if checked.main is None or not checked.main.num_rows:
            return Written()
        with connection.cursor() as cursor:
            if self.plan.kind == RecordKind.INCIDENTS:
                return self._incidents(cursor, checked)
            if self.plan.kind == RecordKind.PLACES:
                return self._places_of_kind(cursor, checked.main)
            return self._people_of_kind(cursor, checked.main)


def _other_keys(names: pa.ChunkedArray) -> pa.Array:
    """PersonRecord.other_keys of each row (only rows with other names are worked out)."""
    import json

    from saferhub.people.services import other_names_key

    return pa.array(
        [
            "" if text in (None, "[]") else other_names_key(json.loads(text))
            for text in names.to_pylist()
        ],
        type=pa.string(),
    )
