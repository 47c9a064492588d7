"""Checking a batch of rows at once: every value cleaned and checked in one DuckDB query over
the batch (an Arrow table of text, one column per heading), the problems of the few bad rows
described in Python, and the good rows turned into what the database is sent.

A row with any problem is rejected whole; the others go on. Each problem names the row (as a
spreadsheet numbers it: the heading row is 1), the column heading, the reason and the value.
"""

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from saferhub.imports.geo import PlaceResolver
from saferhub.imports.models import RecordKind
from saferhub.imports.profiles import (
    FIELDS_OF_KIND,
    SLOT_FIELDS,
    VOCABULARIES,
    ProfileSpec,
)
from saferhub.imports.rules import (
    ISO_FORMATS,
    MACROS,
    WHITESPACE,
    Boolean,
    Chi,
    Coded,
    CodedList,
    Date,
    DateTime,
    Invalid,
    Number,
    PartialDate,
    Partners,
    Pattern,
    Postcode,
    Rule,
    Text,
    TextList,
    Uprn,
    ident,
    lit,
    sql_map,
)
from saferhub.incidents.vocabulary import PersonRole, Risk

MAX_VALUE = 200
FUTURE_MARGIN_MINUTES = 5
# The fingerprint's recipe: changing how values are cleaned changes this, so that the next
# import rewrites every record once.
FINGERPRINT_VERSION = "1"


@dataclass
class Problem:
    row: int
    field: str
    reason: str
    value: str = ""
    source_ref: str = ""


@dataclass
class Context:
    """What a run checks rows against, looked up once per run."""

    kind: str
    organisation_id: int
    # Incidents only: the partnership's themes (code to bit) and member organisations.
    partnership_code: str = ""
    theme_bits: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    # Rows dated after this are refused as in the future (an aware datetime).
    now: object = None
    postgres: bool = False


@dataclass
class Item:
    """One value of a row: where it comes from and how it is checked."""

    name: str
    rule: Rule
    heading: str | None
    label: str
    default: str = ""
    required: bool = False


@dataclass
class Slot:
    index: int
    role: str | None
    role_heading: str | None
    items: dict[str, Item]


def _rule(field_name: str, spec: ProfileSpec, context: Context, formats: tuple[str, ...]) -> Rule:
    codes = spec.codes.get(field_name, {})
    if field_name in ("category", "risk", "sex", "property_type"):
        return Coded(hub_field=field_name, codes=codes, vocabulary=VOCABULARIES[field_name])
    if field_name == "vulnerability_flags":
        return CodedList(hub_field=field_name, codes=codes, vocabulary=VOCABULARIES[field_name])
    return {
        "source_ref": Text(max_length=100),
        "occurred_at": DateTime(formats=formats),
        "reported_at": DateTime(formats=formats),
        "narrative": Text(max_length=20_000),
        "restricted": Boolean(),
        "relevant_partners": Partners(
            members=context.members, partnership=context.partnership_code
        ),
        "given_name": Text(max_length=100),
        "family_name": Text(max_length=100),
        "other_names": TextList(max_length=100),
        "date_of_birth": PartialDate(formats=formats),
        "chi_number": Chi(),
        "phone": Pattern(
            pattern=r"[0-9 +()\-]{6,40}",
            message="a phone number has digits, spaces and + ( ) - only",
            max_length=40,
        ),
        "email": Pattern(
            pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
            message="is not an email address like name@example.org",
            max_length=254,
        ),
        "address": Text(max_length=300),
        "postcode": Postcode(),
        "address_from": Date(formats=formats),
        "address_to": Date(formats=formats),
        "address_line_1": Text(max_length=200),
        "address_line_2": Text(max_length=200),
        "town": Text(max_length=100),
        "uprn": Uprn(),
        "easting": Number(low=0, high=700_000),
        "northing": Number(low=0, high=1_300_000),
        "latitude": Number(low=-90, high=90),
        "longitude": Number(low=-180, high=180),
    }[field_name]


class Plan:
    """A profile read against one file's headings: every value of a row, with its rule."""

    def __init__(self, spec: ProfileSpec, headings: list[str], context: Context):
        self.spec = spec
        self.kind = spec.kind
        self.context = context
        present = set(headings)
        # The profile's formats first, then ISO dates (what an XLSX date cell becomes).
        self.formats = tuple(dict.fromkeys([*spec.date_formats, *ISO_FORMATS]))

        def item(name: str, field_name: str, heading: str | None, required=False, default=""):
            return Item(
                name=name,
                rule=_rule(field_name, spec, context, self.formats),
                heading=heading if heading in present else None,
                label=heading or field_name,
                default=default,
                required=required,
            )

        required = {"source_ref"} | (
            {"category", "occurred_at"} if self.kind == RecordKind.INCIDENTS else set()
        )
        self.items = [
            item(
                name,
                name,
                spec.columns.get(name),
                required=name in required,
                default=spec.defaults.get(name, ""),
            )
            for name in FIELDS_OF_KIND[RecordKind(self.kind)]
            if name in spec.columns or name in spec.defaults or name == "risk"
        ]
        if self.kind == RecordKind.INCIDENTS:
            for one in self.items:
                if one.name == "risk" and not one.default:
                    one.default = Risk.GREEN
        self.place: dict[str, Item] = {}
        self.slots: list[Slot] = []
        self.themes_heading: str | None = None
        if self.kind == RecordKind.INCIDENTS:
            if spec.place is not None:
                self.place = {
                    name: item(f"pl_{name}", name, heading, default=spec.defaults.get(name, ""))
                    for name, heading in spec.place.mapped().items()
                }
            for index, slot in enumerate(spec.people):
                items = {
                    name: item(f"s{index}_{name}", name, heading)
                    for name, heading in slot.columns.mapped().items()
                }
                self.slots.append(Slot(index, slot.role, None, items))
            if spec.themes and spec.themes.column in present:
                self.themes_heading = spec.themes.column
        self.missing = [heading for heading in spec.headings() if heading not in present]

    def add_identity_slots(self, count: int, headings: set[str]) -> None:
        """An API push names each person's role in a column `people[i].role`."""
        for index in range(count):
            items = {}
            for name in SLOT_FIELDS:
                heading = f"people[{index}].{name}"
                items[name] = Item(
                    name=f"s{index}_{name}",
                    rule=_rule(name, self.spec, self.context, self.formats),
                    heading=heading if heading in headings else None,
                    label=heading,
                )
            role = f"people[{index}].role"
            self.slots.append(Slot(index, None, role if role in headings else None, items))

    def all_items(self) -> list[Item]:
        items = list(self.items) + list(self.place.values())
        for slot in self.slots:
            items += list(slot.items.values())
        return items


@dataclass
class Checked:
    """A checked batch: the good rows, ready to write, and the problems of the bad ones."""

    rows_read: int
    problems: list[Problem]
    # The good rows: one per record of the kind, with the values the database is sent.
    main: pa.Table | None = None
    places: pa.Table | None = None
    persons: pa.Table | None = None
    links: pa.Table | None = None
    partners: pa.Table | None = None
    # Each good row's row number, for the per-item outcome of an API push.
    rows: list[int] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})


def _cut(text: object) -> str:
    return "" if text is None else str(text)[:MAX_VALUE]


class Checker:
    """Checks the batches of one run. Keeps a DuckDB database of its own (a temporary file, so
    that what it remembers of the file — each source reference and its row — stays on disk,
    not in memory, however long the file)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.context = plan.context
        self._folder = tempfile.TemporaryDirectory(prefix="saferhub-import-")
        self.db = duckdb.connect(str(Path(self._folder.name) / "check.duckdb"))
        self.db.execute("SET memory_limit = '256MB'")
        self.db.execute("SET threads = 2")
        self.db.execute(f"SET TimeZone = {lit(settings.TIME_ZONE)}")
        for statement in MACROS.split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.execute("CREATE TABLE seen (ref VARCHAR, row_number INTEGER)")
        self.resolver = PlaceResolver()
        # A change to the profile (a code now meaning another thing) changes every
        # fingerprint, so the next import rewrites what the old profile wrote.
        profile = json.dumps(plan.spec.model_dump(mode="json"), sort_keys=True)
        self.salt = hashlib.md5(  # noqa: S324 - a fingerprint, not a secret
            f"{FINGERPRINT_VERSION}|{profile}|{sorted(plan.context.theme_bits.items())}".encode()
        ).hexdigest()
        self._problem_columns: dict[str, tuple[str, str | None, Rule | None]] = {}
        self.query = self._query()

    def prepare(self) -> None:
        """Read the reference data the checks need (the postcode lookup and boundaries) now,
        in the caller's thread: checking may then run in another thread without touching the
        database."""
        if self.plan.kind == RecordKind.PLACES or self.plan.place:
            self.resolver.postcodes()
            self.resolver.tree()

    def close(self) -> None:
        self.db.close()
        self._folder.cleanup()

    def restart(self) -> None:
        """Forget the source references seen (for a second pass over the same file)."""
        self.db.execute("DELETE FROM seen")

    # -- the checking query ---------------------------------------------------------------

    def _raw(self, item: Item) -> str:
        # Cells arrive trimmed (see check()).
        cell = ident(item.heading) if item.heading else "''"
        if item.default:
            return f"coalesce(nullif({cell}, ''), {lit(item.default)})"
        return cell

    def _problem(self, column: str, label: str, raw: str | None, rule: Rule | None) -> str:
        self._problem_columns[column] = (label, raw, rule)
        return column

    def _query(self) -> str:
        plan = self.plan
        items = plan.all_items()
        raws = [f"{self._raw(i)} AS r_{i.name}" for i in items]
        values = [f"{i.rule.sql_value(f'r_{i.name}')} AS v_{i.name}" for i in items]
        problems = []
        for i in items:
            bad = i.rule.sql_bad(f"r_{i.name}", f"v_{i.name}")
            required = f"WHEN r_{i.name} = '' THEN 'required' " if i.required else ""
            problems.append(
                f"CASE {required}WHEN r_{i.name} <> '' AND ({bad}) THEN 'invalid' END "
                f"AS {self._problem(f'p_{i.name}', i.label, f'r_{i.name}', i.rule)}"
            )
        if plan.kind == RecordKind.INCIDENTS:
            raws, values, problems = self._incident_sql(raws, values, problems)
        elif plan.kind == RecordKind.PEOPLE:
            problems += self._person_problems()
        problems += self._place_problems("" if plan.kind == RecordKind.PLACES else "pl_")
        return (
            f"WITH a AS MATERIALIZED (SELECT _row, {', '.join(raws)} FROM batch), "
            f"b AS MATERIALIZED (SELECT *, {', '.join(values)} FROM a) "
            f"SELECT *, {', '.join(problems)} FROM b"
        )

    def _label(self, name: str) -> str:
        for i in self.plan.all_items():
            if i.name == name:
                return i.label
        return name

    def _has(self, name: str) -> bool:
        return any(i.name == name for i in self.plan.all_items())

    def _incident_sql(self, raws, values, problems):
        plan, context = self.plan, self.context
        bits = context.theme_bits
        default_mask = 0
        for code in plan.spec.default_themes:
            default_mask |= 1 << bits[code]
        if plan.themes_heading:
            raws.append(f"{ident(plan.themes_heading)} AS r_themes")
            theme_codes = plan.spec.themes.codes if plan.spec.themes else {}
            if theme_codes:
                masks = {}
                for partner_code, codes in theme_codes.items():
                    mask = 0
                    for code in codes:
                        mask |= 1 << bits[code]
                    masks[partner_code.strip().lower()] = str(mask)
                values.append(
                    f"coalesce({sql_map(masks, 'BIGINT')}[lower(r_themes)], 0) AS v_theme_list"
                )
                values.append("[]::BIGINT[] AS v_unknown_themes")
            else:
                table = sql_map({code: str(1 << bit) for code, bit in bits.items()}, "BIGINT")
                items = (
                    "list_filter(list_transform(string_split_regex(r_themes, '[;,]'), "
                    "lambda x: clean(x)), lambda x: x <> '')"
                )
                values.append(
                    f"coalesce(list_aggregate(list_transform({items}, "
                    f"lambda x: {table}[lower(x)]), 'bit_or'), 0) AS v_theme_list"
                )
                values.append(
                    f"list_filter({items}, lambda x: {table}[lower(x)] IS NULL) AS v_unknown_themes"
                )
            problems.append(
                "CASE WHEN len(v_unknown_themes) > 0 THEN 'unknown theme ' || "
                "array_to_string(v_unknown_themes, ', ') || ' in this partnership' END AS "
                + self._problem("p_unknown_themes", plan.themes_heading, "r_themes", None)
            )
        else:
            values.append("0::BIGINT AS v_theme_list")
        values.append(f"(coalesce(v_theme_list, 0) | {default_mask})::BIGINT AS v_theme_mask")
        themes_label = plan.themes_heading or "themes"
        problems.append(
            "CASE WHEN v_theme_mask = 0 THEN 'no theme: the row''s value has no themes in the "
            "profile (themes.codes) and the profile has no default_themes' END AS "
            + self._problem(
                "p_theme_mask", themes_label, "r_themes" if plan.themes_heading else None, None
            )
        )
        now = context.now.isoformat()
        problems.append(
            f"CASE WHEN v_occurred_at > TIMESTAMPTZ {lit(now)} + INTERVAL "
            f"{FUTURE_MARGIN_MINUTES} MINUTE THEN 'is in the future' END AS "
            + self._problem("p_occurred_future", self._label("occurred_at"), "r_occurred_at", None)
        )
        if self._has("reported_at"):
            problems.append(
                "CASE WHEN v_reported_at < v_occurred_at THEN 'is before the incident happened' "
                "END AS "
                + self._problem(
                    "p_reported_before", self._label("reported_at"), "r_reported_at", None
                )
            )
        if self._has("restricted"):
            partners = "len(v_relevant_partners)" if self._has("relevant_partners") else "0"
            problems.append(
                f"CASE WHEN v_restricted AND coalesce({partners}, 0) = 0 THEN 'a restricted "
                "incident needs at least one relevant partner, or only your organisation will "
                "ever see it' END AS "
                + self._problem(
                    "p_restricted_alone", self._label("restricted"), "r_restricted", None
                )
            )
        for slot in plan.slots:
            s = f"s{slot.index}_"
            present = " OR ".join(f"r_{i.name} <> ''" for i in slot.items.values()) or "false"
            values.append(f"({present}) AS {s}present")
            named = " OR ".join(
                f"r_{s}{n} <> ''"
                for n in ("source_ref", "given_name", "family_name")
                if n in slot.items
            )
            first = next(iter(slot.items.values()))
            problems.append(
                f"CASE WHEN ({present}) AND NOT ({named or 'false'}) THEN 'the "
                f"{slot.role or 'person'} needs a reference or a name' END AS "
                + self._problem(f"p_{s}unnamed", first.label, f"r_{first.name}", None)
            )
            if slot.role_heading:
                raws.append(f"{ident(slot.role_heading)} AS r_{s}role")
                role = Coded(hub_field="role", vocabulary=tuple(PersonRole.values))
                values.append(f"{role.sql_value(f'r_{s}role')} AS v_{s}role")
                problems.append(
                    f"CASE WHEN ({present}) AND r_{s}role = '' THEN 'required' "
                    f"WHEN r_{s}role <> '' AND v_{s}role IS NULL THEN 'invalid' END AS "
                    + self._problem(f"p_{s}role", slot.role_heading, f"r_{s}role", role)
                )
            else:
                values.append(f"{lit(slot.role or '')} AS v_{s}role")
            if "date_of_birth" in slot.items:
                problems.append(
                    f"CASE WHEN v_{s}date_of_birth.d > TIMESTAMPTZ {lit(now)}::DATE THEN "
                    "'the date of birth cannot be in the future' END AS "
                    + self._problem(
                        f"p_{s}born_future",
                        slot.items["date_of_birth"].label,
                        f"r_{s}date_of_birth",
                        None,
                    )
                )
        if self.plan.place:
            present = " OR ".join(f"r_{i.name} <> ''" for i in plan.place.values())
            values.append(f"({present}) AS pl_present")
        return raws, values, problems

    def _person_problems(self) -> list[str]:
        problems = []
        now = self.context.now.isoformat()
        given = "coalesce(v_given_name, '')" if self._has("given_name") else "''"
        family = "coalesce(v_family_name, '')" if self._has("family_name") else "''"
        label = (
            self._label("family_name") if self._has("family_name") else self._label("given_name")
        )
        problems.append(
            f"CASE WHEN {given} = '' AND {family} = '' THEN 'a person needs a given name or a "
            "family name' END AS " + self._problem("p_no_name", label, None, None)
        )
        if self._has("date_of_birth"):
            label = self._label("date_of_birth")
            problems.append(
                f"CASE WHEN v_date_of_birth.d > TIMESTAMPTZ {lit(now)}::DATE THEN "
                "'the date of birth cannot be in the future' END AS "
                + self._problem("p_born_future", label, "r_date_of_birth", None)
            )
        if self._has("date_of_birth") and self._has("chi_number"):
            born, precision = "v_date_of_birth.d", "v_date_of_birth.p"
            problems.append(
                f"CASE WHEN v_chi_number IS NOT NULL AND {born} IS NOT NULL AND CASE {precision} "
                f"WHEN 'day' THEN substr(v_chi_number, 1, 6) <> strftime({born}, '%d%m%y') "
                f"WHEN 'month' THEN substr(v_chi_number, 3, 4) <> strftime({born}, '%m%y') "
                f"ELSE substr(v_chi_number, 5, 2) <> strftime({born}, '%y') END "
                "THEN 'the CHI number does not match the date of birth' END AS "
                + self._problem("p_chi_born", self._label("chi_number"), "r_chi_number", None)
            )
        if self._has("address_from") and self._has("address_to"):
            problems.append(
                "CASE WHEN v_address_to < v_address_from THEN 'the person cannot have left "
                "before they arrived' END AS "
                + self._problem("p_address_dates", self._label("address_to"), "r_address_to", None)
            )
        if self._has("address"):
            others = [n for n in ("postcode", "address_from", "address_to") if self._has(n)]
            if others:
                given_any = " OR ".join(f"r_{n} <> ''" for n in others)
                problems.append(
                    f"CASE WHEN r_address = '' AND ({given_any}) THEN 'a postcode or dates of an "
                    "address need the address' END AS "
                    + self._problem("p_address_missing", self._label("address"), "r_address", None)
                )
        return problems

    def _place_problems(self, prefix: str) -> list[str]:
        problems = []
        for first, second, what in (
            ("easting", "northing", "an easting needs a northing, and a northing an easting"),
            ("latitude", "longitude", "a latitude needs a longitude, and a longitude a latitude"),
        ):
            one, other = self._has(prefix + first), self._has(prefix + second)
            if not (one or other):
                continue
            a = f"v_{prefix}{first}" if one else "NULL"
            b = f"v_{prefix}{second}" if other else "NULL"
            label = self._label(prefix + (first if one else second))
            problems.append(
                f"CASE WHEN ({a} IS NULL) <> ({b} IS NULL) THEN {lit(what)} END AS "
                + self._problem(f"p_{prefix}{first}_pair", label, None, None)
            )
        return problems

    # -- checking a batch -----------------------------------------------------------------

    def check(self, batch: pa.Table) -> Checked:
        """Check one batch: a table of text with a column per heading and `_row`."""
        # Every cell trimmed as Python's str.strip() would (pyarrow does it far quicker than
        # SQL); empty cells are "", never NULL.
        batch = pa.table(
            {
                name: column
                if name == "_row"
                else pc.utf8_trim(pc.fill_null(column, ""), WHITESPACE)
                for name, column in zip(batch.column_names, batch.columns, strict=True)
            }
        )
        self.db.register("batch", batch)
        try:
            result = self.db.sql(self.query).to_arrow_table()
        finally:
            self.db.unregister("batch")
        problem_columns = list(self._problem_columns)
        bad = None
        for column in problem_columns:
            flagged = result.column(column).is_valid()
            bad = flagged if bad is None else pc.or_(bad, flagged)
        problems: list[Problem] = []
        if bad is not None and pc.any(bad).as_py():
            problems = self._describe(result.filter(bad))
            result = result.filter(pc.invert(bad))
        result, duplicates = self._without_duplicates(result)
        problems += duplicates
        problems.sort(key=lambda p: p.row)
        checked = Checked(rows_read=batch.num_rows, problems=problems)
        if result.num_rows:
            self._finish(result, checked)
        return checked

    def _describe(self, rows: pa.Table) -> list[Problem]:
        """The problems of the bad rows, in words (from the Python rules, which say why)."""
        problems = []
        refs = "r_source_ref" in rows.column_names
        for row in rows.to_pylist():
            # One problem per cell: the first (an unknown code, say), not its consequences
            # (no theme from that code).
            cells = set()
            for column, (label, raw, rule) in self._problem_columns.items():
                code = row[column]
                if code is None or label in cells:
                    continue
                cells.add(label)
                value = row[raw] if raw else ""
                if code == "required":
                    reason = "is empty; a value is required"
                elif code == "invalid":
                    reason = self._reason(rule, value)
                else:
                    reason = code
                problems.append(
                    Problem(
                        row=row["_row"],
                        field=label,
                        reason=reason,
                        value=_cut(value),
                        source_ref=_cut(row["r_source_ref"])[:100] if refs else "",
                    )
                )
        return problems

    @staticmethod
    def _reason(rule: Rule | None, value: str) -> str:
        if rule is None:
            return "is not valid"
        try:
            rule.check(value)
        except Invalid as exc:
            return str(exc)
        # The SQL refused what the Python rule accepts (only possible for odd characters:
        # see saferhub.imports.rules); the row is still refused, and says so.
        return "contains characters the import cannot check; type it again in plain text"

    def _without_duplicates(self, rows: pa.Table) -> tuple[pa.Table, list[Problem]]:
        """The first row with a source reference is imported; a later one with the same
        reference, in this batch or an earlier one, is refused."""
        if not rows.num_rows:
            return rows, []
        keys = pa.table({"ref": rows.column("v_source_ref"), "row_number": rows.column("_row")})
        self.db.register("keys", keys)
        try:
            duplicates = self.db.sql(
                "SELECT k.row_number, k.ref, coalesce(s.row_number, f.first) AS first "
                "FROM keys k JOIN (SELECT ref, min(row_number) AS first FROM keys GROUP BY ref) f "
                "ON f.ref = k.ref LEFT JOIN seen s ON s.ref = k.ref "
                "WHERE s.row_number IS NOT NULL OR k.row_number <> f.first"
            ).fetchall()
            self.db.execute(
                "INSERT INTO seen SELECT ref, min(row_number) FROM keys "
                "WHERE ref NOT IN (SELECT ref FROM seen) GROUP BY ref"
            )
        finally:
            self.db.unregister("keys")
        if not duplicates:
            return rows, []
        label = self._label("source_ref")
        problems = [
            Problem(
                row=row,
                field=label,
                reason=f"source reference {ref} appears already at row {first}; only the first "
                "row with a reference is imported",
                value=_cut(ref),
                source_ref=ref,
            )
            for row, ref, first in duplicates
        ]
        rejected = pa.array([row for row, _, _ in duplicates], type=rows.column("_row").type)
        keep = pc.invert(pc.is_in(rows.column("_row"), value_set=rejected))
        return rows.filter(keep), problems

    # -- the good rows, as the database is sent them --------------------------------------

    def _finish(self, rows: pa.Table, checked: Checked) -> None:
        plan = self.plan
        rows = self._with_keys(rows)
        if plan.kind == RecordKind.PLACES:
            rows = self._with_geography(rows, "")
        elif plan.place:
            rows = self._with_geography(rows, "pl_")
        # Only what the writing needs, kept as Arrow (DuckDB reads it where it is).
        rows = rows.select(
            [c for c in rows.column_names if not c.startswith("p_") and c != "v_unknown_themes"]
        )
        self.db.register("good", rows)
        try:
            derived = self.db.sql(self._final_query()).to_arrow_table()
        finally:
            self.db.unregister("good")
        for name, column in zip(derived.column_names, derived.columns, strict=True):
            rows = rows.append_column(name, column)
        checked.rows = rows.column("_row").to_pylist()
        self.db.register("fin", rows)
        try:
            self._outputs(checked)
        finally:
            self.db.unregister("fin")

    def _outputs(self, checked: Checked) -> None:
        plan = self.plan
        if plan.kind == RecordKind.INCIDENTS:
            checked.main = self.db.sql(self._incident_columns()).to_arrow_table()
            if plan.place:
                checked.places = self.db.sql(self._place_rows("pl_")).to_arrow_table()
            if plan.slots:
                checked.persons = self.db.sql(self._slot_persons()).to_arrow_table()
                checked.links = self.db.sql(self._slot_links()).to_arrow_table()
            if self._has("relevant_partners"):
                checked.partners = self.db.sql(
                    "SELECT v_source_ref AS source_ref, unnest(v_relevant_partners) "
                    "AS organisation_id FROM fin WHERE v_relevant_partners IS NOT NULL"
                ).to_arrow_table()
        elif plan.kind == RecordKind.PLACES:
            checked.main = self.db.sql(self._place_rows("")).to_arrow_table()
        else:
            checked.main = self.db.sql(self._person_columns()).to_arrow_table()

    def _with_keys(self, rows: pa.Table) -> pa.Table:
        """Names and addresses folded for search, as saferhub.people.identifiers.name_key and
        saferhub.places.addresses.address_key fold them (tests check they agree)."""
        plan = self.plan
        name_columns = []
        if plan.kind == RecordKind.PEOPLE:
            name_columns = [n for n in ("given_name", "family_name") if self._has(n)]
        for slot in plan.slots:
            name_columns += [
                f"s{slot.index}_{n}" for n in ("given_name", "family_name") if n in slot.items
            ]
        for name in name_columns:
            rows = rows.append_column(f"k_{name}", name_key_array(rows.column(f"v_{name}")))
        prefix = {"places": "", "incidents": "pl_"}.get(plan.kind)
        if prefix is not None and (plan.kind == RecordKind.PLACES or plan.place):
            parts = [
                rows.column(f"v_{prefix}{n}")
                if self._has(prefix + n)
                else pa.nulls(rows.num_rows, pa.string())
                for n in ("address_line_1", "address_line_2", "town", "postcode")
            ]
            rows = rows.append_column(f"k_{prefix}address", address_key_array(parts))
        return rows

    def _with_geography(self, rows: pa.Table, prefix: str) -> pa.Table:
        def column(name: str, kind: pa.DataType | None = None) -> pa.Array:
            if self._has(prefix + name):
                return rows.column(f"v_{prefix}{name}").combine_chunks()
            return pa.nulls(rows.num_rows, kind or pa.float64())

        resolved = self.resolver.resolve(
            column("postcode", pa.string()),
            column("easting"),
            column("northing"),
            column("latitude"),
            column("longitude"),
        )
        for name, values in resolved.items():
            rows = rows.append_column(f"g_{prefix}{name}", values)
        return rows

    def _final_query(self) -> str:
        """The references of slots and places made where the file has none, and the
        fingerprint of each row: a hash of everything the row says."""
        plan = self.plan
        columns = []
        if plan.kind == RecordKind.INCIDENTS:
            for slot in plan.slots:
                s = f"s{slot.index}_"
                given = f"k_{s}given_name" if "given_name" in slot.items else "''"
                family = f"k_{s}family_name" if "family_name" in slot.items else "''"
                born = f"v_{s}date_of_birth.d" if "date_of_birth" in slot.items else "NULL"
                derived = (
                    f"'auto-' || md5(concat_ws('|', coalesce({family}, ''), "
                    f"coalesce({given}, ''), coalesce(CAST({born} AS VARCHAR), '')))"
                )
                given_ref = f"v_{s}source_ref" if "source_ref" in slot.items else "NULL"
                columns.append(f"coalesce({given_ref}, {derived}) AS {s}ref")
            if plan.place:
                given_ref = "v_pl_source_ref" if "source_ref" in plan.place else "NULL"
                # Without an address, the place is known by its UPRN and coordinates.
                uprn = "v_pl_uprn" if "uprn" in plan.place else "NULL"
                located = (
                    f"concat_ws('|', coalesce({uprn}, ''), coalesce(CAST(g_pl_easting AS VARCHAR), "
                    "''), coalesce(CAST(g_pl_northing AS VARCHAR), ''))"
                )
                columns.append(
                    f"coalesce({given_ref}, 'auto-' || md5(CASE WHEN k_pl_address <> '' "
                    f"THEN k_pl_address ELSE {located} END)) AS pl_ref"
                )
        values = [f"coalesce(CAST({c} AS VARCHAR), '')" for c in self._fingerprinted()]
        columns.append(
            f"md5(concat_ws(chr(31), {lit(self.salt)}, {', '.join(values)})) AS fingerprint"
        )
        return f"SELECT {', '.join(columns)} FROM good"

    def _fingerprinted(self) -> list[str]:
        """What a record's fingerprint is made of: the row's trimmed cells (with the profile,
        which says what they mean, in the salt), its themes and where its place is. Text is
        hashed as it is, which is quicker than making text of every cleaned value."""
        names = [f"r_{i.name}" for i in self.plan.all_items()]
        if self.plan.kind == RecordKind.INCIDENTS:
            names.append("v_theme_mask")
            names += [f"v_s{slot.index}_role" for slot in self.plan.slots]
        prefix = {"places": "", "incidents": "pl_"}.get(self.plan.kind)
        if prefix is not None and (self.plan.kind == RecordKind.PLACES or self.plan.place):
            names += [f"g_{prefix}{n}" for n in ("easting", "northing", "latitude", "longitude")]
            names += [f"g_{prefix}data_zone"]
        return names

    # The values as the database is sent them: text for timestamps and lists, so that the
    # staging table can be filled the same way on SQLite and PostgreSQL.
    def _timestamp(self, column: str) -> str:
        utc = f"timezone('UTC', {column})"
        text = (
            f"CASE WHEN microsecond({utc}) = 0 THEN strftime({utc}, '%Y-%m-%d %H:%M:%S') "
            f"ELSE strftime({utc}, '%Y-%m-%d %H:%M:%S.%f') END"
        )
        return f"({text} || '+00')" if self.context.postgres else text

    def _text(self, name: str, prefix: str = "") -> str:
        return f"coalesce(v_{prefix}{name}, '')" if self._has(prefix + name) else "''"

    def _incident_columns(self) -> str:
        plan = self.plan
        has = self._has
        if plan.place:
            lines = [self._text(n, "pl_") for n in ("address_line_1", "address_line_2", "town")]
            parts = ", ".join(f"nullif({x}, '')" for x in lines)
            address = f"left(concat_ws(', ', {parts}), 300)"
            postcode = self._text("postcode", "pl_")
            zone = "g_pl_data_zone"
            place_ref = "CASE WHEN pl_present THEN pl_ref END"
        else:
            address, postcode, zone, place_ref = "''", "''", "''", "NULL"
        flags = (
            "to_json(coalesce(v_vulnerability_flags, []::VARCHAR[]))"
            if has("vulnerability_flags")
            else "'[]'"
        )
        reported = (
            "coalesce(v_reported_at, v_occurred_at)" if has("reported_at") else "v_occurred_at"
        )
        restricted = "coalesce(v_restricted, false)" if has("restricted") else "false"
        return (
            "SELECT _row, v_source_ref AS source_ref, v_category AS category, "
            "v_theme_mask AS theme_mask, "
            f"{self._timestamp('v_occurred_at')} AS occurred_at, "
            f"{self._timestamp(reported)} AS reported_at, "
            f"{address} AS address, {postcode} AS postcode, {zone} AS data_zone, "
            f"CAST({flags} AS VARCHAR) AS vulnerability_flags, "
            f"{self._text('narrative')} AS narrative, v_risk AS risk, "
            f"{restricted} AS restricted, {place_ref} AS place_ref, "
            "fingerprint AS import_fingerprint FROM fin"
        )

    def _place_rows(self, prefix: str) -> str:
        """Place records; for incidents, one per place reference (the last row's values)."""
        p = prefix
        text = lambda n: self._text(n, p)  # noqa: E731
        ptype = (
            f"coalesce(v_{p}property_type, 'unknown')"
            if self._has(p + "property_type")
            else ("'unknown'")
        )
        uprn = f"v_{p}uprn" if self._has(p + "uprn") else "''"
        select = (
            f"SELECT _row, {'pl_ref' if p else 'v_source_ref'} AS source_ref, "
            f"{text('address_line_1')} AS address_line_1, "
            f"{text('address_line_2')} AS address_line_2, {text('town')} AS town, "
            f"{text('postcode')} AS postcode, coalesce({uprn}, '') AS uprn, "
            f"g_{p}easting AS easting, g_{p}northing AS northing, "
            f"g_{p}latitude AS latitude, g_{p}longitude AS longitude, "
            f"{ptype} AS property_type, g_{p}data_zone AS data_zone, "
            f"g_{p}resolved_by AS resolved_by, coalesce(k_{p}address, '') AS address_key, "
            "fingerprint AS import_fingerprint FROM fin"
        )
        if not p:
            return select
        return (
            f"{select} WHERE pl_present "
            "QUALIFY row_number() OVER (PARTITION BY pl_ref ORDER BY _row DESC) = 1"
        )

    def _slot_values(self, slot: Slot) -> str:
        s = f"s{slot.index}_"
        has = slot.items.__contains__
        born = f"v_{s}date_of_birth" if has("date_of_birth") else "NULL"
        return (
            f"SELECT _row, {slot.index} AS slot, source_ref AS incident_ref, v_{s}role AS role, "
            f"{s}ref AS source_ref, "
            f"{f'v_{s}given_name' if has('given_name') else 'NULL'} AS given_name, "
            f"{f'v_{s}family_name' if has('family_name') else 'NULL'} AS family_name, "
            f"{f'k_{s}given_name' if has('given_name') else 'NULL'} AS given_key, "
            f"{f'k_{s}family_name' if has('family_name') else 'NULL'} AS family_key, "
            f"strftime({born}.d, '%Y-%m-%d') AS date_of_birth, "
            f"{born}.p AS date_of_birth_precision, "
            f"{f'v_{s}sex' if has('sex') else 'NULL'} AS sex "
            f"FROM (SELECT *, v_source_ref AS source_ref FROM fin) WHERE {s}present"
        )

    def _slot_persons(self) -> str:
        """Person records named by the incidents, one per reference (the last row's values);
        NULL where the file says nothing, so that an update keeps what the record has."""
        union = " UNION ALL ".join(self._slot_values(slot) for slot in self.plan.slots)
        return (
            "SELECT source_ref, given_name, family_name, given_key, family_key, date_of_birth, "
            f"date_of_birth_precision, sex FROM ({union}) "
            "QUALIFY row_number() OVER (PARTITION BY source_ref ORDER BY _row DESC, slot DESC) = 1"
        )

    def _slot_links(self) -> str:
        union = " UNION ALL ".join(self._slot_values(slot) for slot in self.plan.slots)
        return (
            "SELECT incident_ref, slot, role, coalesce(given_name, '') AS given_name, "
            "coalesce(family_name, '') AS family_name, date_of_birth, "
            f"coalesce(sex, 'unknown') AS sex, source_ref AS person_ref FROM ({union}) "
            "ORDER BY incident_ref, slot"
        )

    def _person_columns(self) -> str:
        has = self._has
        born = "v_date_of_birth" if has("date_of_birth") else "NULL"
        other = "to_json(coalesce(v_other_names, []::VARCHAR[]))" if has("other_names") else "'[]'"
        address_date = lambda n: f"strftime(v_{n}, '%Y-%m-%d')" if has(n) else "NULL"  # noqa: E731
        return (
            "SELECT _row, v_source_ref AS source_ref, "
            f"{self._text('given_name')} AS given_name, "
            f"{self._text('family_name')} AS family_name, "
            f"CAST({other} AS VARCHAR) AS other_names, "
            f"strftime({born}.d, '%Y-%m-%d') AS date_of_birth, "
            f"coalesce({born}.p, '') AS date_of_birth_precision, "
            f"{'coalesce(v_sex, ' + lit('unknown') + ')' if has('sex') else lit('unknown')} "
            "AS sex, "
            f"{self._text('chi_number')} AS chi_number, {self._text('phone')} AS phone, "
            f"{self._text('email')} AS email, "
            f"{'coalesce(k_given_name, ' + lit('') + ')' if has('given_name') else lit('')} "
            "AS given_key, "
            f"{'coalesce(k_family_name, ' + lit('') + ')' if has('family_name') else lit('')} "
            "AS family_key, "
            f"{self._text('address')} AS address, {self._text('postcode')} AS postcode, "
            f"{address_date('address_from')} AS lived_from, "
            f"{address_date('address_to')} AS lived_to, "
            "fingerprint AS import_fingerprint FROM fin"
        )


def name_key_array(names: pa.ChunkedArray | pa.Array) -> pa.Array:
    """saferhub.people.identifiers.name_key over a whole column."""
    folded = pc.utf8_normalize(pc.fill_null(names, ""), "NFKD")
    folded = pc.replace_substring_regex(folded, r"[^\x00-\x7F]", "")
    folded = pc.ascii_lower(folded)
    return pc.replace_substring_regex(folded, "[^a-z0-9]", "")


def address_key_array(parts: list) -> pa.Array:
    """saferhub.places.addresses.address_key over whole columns (one per part)."""
    joined = pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], " ")
    folded = pc.utf8_normalize(joined, "NFKD")
    folded = pc.replace_substring_regex(folded, r"[^\x00-\x7F]", "")
    folded = pc.ascii_lower(folded)
    folded = pc.replace_substring_regex(folded, "[^a-z0-9]+", " ")
    return pc.utf8_trim(folded, " ")
