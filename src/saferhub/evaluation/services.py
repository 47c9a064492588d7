"""Changing the initiatives register and running evaluations.

Each function checks what it is given and raises a `...Invalid` exception whose `errors` map
each field to what is wrong with it, so that a form can show the message against the field.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from saferhub.evaluation import (
    EvaluationError,
    did_panel,
    economic_view,
    interrupted_time_series,
    synthetic_control,
)
from saferhub.evaluation.models import (
    ContributionKind,
    Design,
    Evaluation,
    Granularity,
    Indicator,
    IndicatorKind,
    IndicatorSource,
    Initiative,
    InitiativePartner,
    InitiativeStatus,
    PreventionLevel,
)
from saferhub.evaluation.selectors import (
    PRE_PERIODS_NEEDED,
    SINGLE_SERIES,
    SYNTHETIC_CONTROL_DONORS,
    analysis_reader,
    indicator_series,
    seasonal_cycle,
    treated_zones,
)
from saferhub.geography.models import DataZone
from saferhub.partnerships.models import Membership, Organisation, Partnership, User
from saferhub.partnerships.themes import ThemeBook

MAX_UPLOAD_ROWS = 1000


class InitiativeInvalid(Exception):
    """What is wrong, by field name."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class InitiativeInput:
    title: str
    themes: list[str]
    prevention_level: str
    starts_on: datetime.date
    target_group: str = ""
    data_zones: list[str] = field(default_factory=list)
    ends_on: datetime.date | None = None
    cost: Decimal | None = None
    inputs: str = ""
    activities: str = ""
    outputs: str = ""
    outcomes: str = ""
    status: str = InitiativeStatus.PLANNED


def parse_zones(text: str) -> list[str]:
    """Data zone codes typed with commas, spaces or new lines between them."""
    return list(dict.fromkeys(code.upper() for code in text.replace(",", " ").split()))


def _check_zones(codes: list[str], errors: dict[str, str], name: str = "data_zones") -> None:
    if not codes:
        return
    malformed = [c for c in codes if len(c) != 9 or not c.startswith("S01")]
    if malformed:
        errors[name] = (
            f"{', '.join(malformed)} is not a data zone code: data zone codes are S01 and six "
            "digits, like S01009876"
        )
        return
    if DataZone.objects.exists():
        known = set(DataZone.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors[name] = f"There is no data zone {', '.join(unknown)}"


def _check_initiative(partnership: Partnership, data: InitiativeInput) -> None:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Enter the initiative's title"
    themes = ThemeBook.of(partnership).by_code
    if not data.themes:
        errors["themes"] = "Choose at least one theme"
    elif unknown := [code for code in data.themes if code not in themes]:
        errors["themes"] = f"Unknown theme {', '.join(unknown)} in this partnership"
    if data.prevention_level not in PreventionLevel.values:
        errors["prevention_level"] = "Choose primary, secondary or tertiary prevention"
    if data.status not in InitiativeStatus.values:
        errors["status"] = "Choose planned, running or finished"
    if data.ends_on and data.starts_on and data.ends_on < data.starts_on:
        errors["ends_on"] = "The end date must be on or after the start date"
    if data.cost is not None and data.cost < 0:
        errors["cost"] = "The cost cannot be less than £0"
    _check_zones(data.data_zones, errors)
    if errors:
        raise InitiativeInvalid(errors)


def _fields(data: InitiativeInput) -> dict:
    return {
        "title": data.title.strip(),
        "themes": list(dict.fromkeys(data.themes)),
        "prevention_level": data.prevention_level,
        "target_group": data.target_group.strip(),
        "data_zones": list(data.data_zones),
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "cost": data.cost,
        "inputs": data.inputs.strip(),
        "activities": data.activities.strip(),
        "outputs": data.outputs.strip(),
        "outcomes": data.outcomes.strip(),
        "status": data.status,
    }


@transaction.atomic
def initiative_create(*, user: User, partnership: Partnership, data: InitiativeInput) -> Initiative:
    """Register an initiative owned by the user's organisation."""
    if (
        user.organisation_id is None
        or not Membership.objects.filter(
            partnership=partnership, organisation_id=user.organisation_id
        ).exists()
    ):
        raise InitiativeInvalid({"owner": "Your organisation is not a member of the partnership"})
    _check_initiative(partnership, data)
    return Initiative.objects.create(
        partnership=partnership, owner_id=user.organisation_id, created_by=user, **_fields(data)
    )


@transaction.atomic
def initiative_update(*, initiative: Initiative, user: User, data: InitiativeInput) -> Initiative:
    _check_initiative(initiative.partnership, data)
    for name, value in _fields(data).items():
        setattr(initiative, name, value)
    initiative.save()
    return initiative


def initiative_partner_add(
    *,
    initiative: Initiative,
    organisation_code: str,
    kind: str,
    amount: Decimal | None = None,
    notes: str = "",
) -> InitiativePartner:
    errors: dict[str, str] = {}
    organisation = Organisation.objects.filter(
        code=organisation_code, memberships__partnership_id=initiative.partnership_id
    ).first()
    if organisation is None:
        errors["organisation"] = "Choose a member organisation of the partnership"
    if kind not in ContributionKind.values:
        errors["kind"] = "Choose staff hours, money or in kind"
    elif kind != ContributionKind.IN_KIND and amount is None:
        errors["amount"] = "Enter how many hours or pounds"
    if amount is not None and amount < 0:
        errors["amount"] = "The amount cannot be less than 0"
    if kind == ContributionKind.IN_KIND and not notes.strip():
        errors["notes"] = "Say what the organisation gives in kind"
    if errors:
        raise InitiativeInvalid(errors)
    return InitiativePartner.objects.create(
        initiative=initiative, organisation=organisation, kind=kind, amount=amount, notes=notes
    )


@dataclass
class IndicatorInput:
    name: str
    kind: str
    source: str = IndicatorSource.QUERY
    theme: str = ""
    category: str = ""
    data_zones: list[str] = field(default_factory=list)
    granularity: str = Granularity.MONTH
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None
    upload: str = ""  # the CSV's text


def read_series_csv(text: str) -> list[list]:
    """A two-column CSV (period, value) with headings: rows in time order, or InitiativeInvalid
    naming the first bad data row (counting from 1 under the headings)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 3:
        raise InitiativeInvalid(
            {"upload": "The file needs headings and at least two rows: period, value"}
        )
    if len(rows) > MAX_UPLOAD_ROWS + 1:
        raise InitiativeInvalid({"upload": f"The file has more than {MAX_UPLOAD_ROWS} rows"})
    series = []
    for number, row in enumerate(rows[1:], start=1):
        if len(row) < 2:
            raise InitiativeInvalid({"upload": f"Data row {number} needs a period and a value"})
        period, value = row[0].strip(), row[1].strip()
        try:
            parsed = pd.Timestamp(period)
            number_value = float(value.replace(",", ""))
        except ValueError:
            raise InitiativeInvalid(
                {
                    "upload": f"Data row {number} ({period}, {value}) must be a month like "
                    "2024-03 and a number"
                }
            ) from None
        series.append([parsed.strftime("%Y-%m"), number_value])
    series.sort()
    if len({p for p, _ in series}) != len(series):
        raise InitiativeInvalid({"upload": "A period appears twice in the file"})
    return series


def indicator_create(*, initiative: Initiative, data: IndicatorInput) -> Indicator:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Enter the indicator's name"
    if data.kind not in IndicatorKind.values:
        errors["kind"] = "Choose output or outcome"
    if data.granularity not in Granularity.values:
        errors["granularity"] = "Choose month or quarter"
    rows: list = []
    if data.source == IndicatorSource.QUERY:
        if not data.theme:
            errors["theme"] = "Choose the theme of the incidents to count"
        elif data.theme not in ThemeBook.of(initiative.partnership_id).by_code:
            errors["theme"] = f"Unknown theme {data.theme} in this partnership"
        _check_zones(data.data_zones, errors)
        if data.period_from and data.period_to and data.period_to <= data.period_from:
            errors["period_to"] = "The end of the period must be after its beginning"
        if data.period_from and data.period_from >= initiative.starts_on:
            errors["period_from"] = (
                "The period must begin before the initiative starts, or there is nothing "
                "to compare with"
            )
    elif data.source == IndicatorSource.UPLOAD:
        if not data.upload.strip():
            errors["upload"] = "Choose a CSV file with a period and a value on each row"
        else:
            try:
                rows = read_series_csv(data.upload)
            except InitiativeInvalid as exc:
                errors.update(exc.errors)
    else:
        errors["source"] = "Choose incidents in the hub or an uploaded series"
    if errors:
        raise InitiativeInvalid(errors)
    return Indicator.objects.create(
        initiative=initiative,
        name=data.name.strip(),
        kind=data.kind,
        source=data.source,
        theme=data.theme if data.source == IndicatorSource.QUERY else "",
        category=data.category.strip() if data.source == IndicatorSource.QUERY else "",
        data_zones=list(data.data_zones) if data.source == IndicatorSource.QUERY else [],
        granularity=data.granularity,
        period_from=data.period_from,
        period_to=data.period_to,
        rows=rows,
    )


EMMIE_FIELDS = {
    "emmie_effect": "effect",
    "emmie_mechanism": "mechanism",
    "emmie_moderators": "moderators",
    "emmie_implementation": "implementation",
    "emmie_economic_cost": "economic cost",
}


@transaction.atomic
def initiative_publish(*, initiative: Initiative, user: User, **summary: str) -> Initiative:
    """Publish (or republish) the initiative's summary under the EMMIE headings to the
    partnership's practice library; every heading needs something under it."""
    errors = {
        name: f"Write something under {heading}"
        for name, heading in EMMIE_FIELDS.items()
        if not summary.get(name, "").strip()
    }
    if unknown := set(summary) - set(EMMIE_FIELDS):
        raise TypeError(f"unknown summary fields {sorted(unknown)}")
    if errors:
        raise InitiativeInvalid(errors)
    for name in EMMIE_FIELDS:
        setattr(initiative, name, summary[name].strip())
    initiative.published_at = timezone.now()
    initiative.published_by = user
    initiative.save()
    return initiative


# Evaluations ----------------------------------------------------------------------------------


def evaluation_run(
    *,
    initiative: Initiative,
    indicator: Indicator,
    user: User,
    design: str,
    comparison_zones: list[str] = (),
    unit_cost: Decimal | None = None,
    today: datetime.date | None = None,
) -> Evaluation:
    """Evaluate the initiative on an outcome indicator with the design chosen, through the
    evaluation library, with what the user may see for analysis; store it as the indicator's
    next version. The library's methods take well under a second on a partnership's series,
    so this runs in the request (no background task)."""
    errors: dict[str, str] = {}
    if indicator.initiative_id != initiative.pk:
        raise InitiativeInvalid({"indicator": "Choose one of this initiative's indicators"})
    if indicator.kind != IndicatorKind.OUTCOME:
        errors["indicator"] = "Evaluate an outcome indicator: an output shows work done"
    if design not in Design.values:
        errors["design"] = "Choose a design"
    comparison_zones = list(dict.fromkeys(comparison_zones))
    _check_zones(comparison_zones, errors, "comparison_zones")
    overlap = set(comparison_zones) & set(treated_zones(indicator))
    if overlap:
        errors["comparison_zones"] = (
            f"{', '.join(sorted(overlap))} is in the initiative's area: a comparison area must "
            "be one that did not get the initiative"
        )
    if design in (Design.DID, Design.SYNTHETIC_CONTROL):
        if not treated_zones(indicator) or indicator.source != IndicatorSource.QUERY:
            errors["design"] = (
                "A comparison needs an indicator counted in the initiative's data zones; "
                "this one covers the whole partnership or was uploaded"
            )
        elif not comparison_zones:
            errors["comparison_zones"] = "Choose at least one comparison area"
        elif design == Design.SYNTHETIC_CONTROL and len(comparison_zones) < (
            SYNTHETIC_CONTROL_DONORS
        ):
            errors["comparison_zones"] = (
                f"A synthetic control needs at least {SYNTHETIC_CONTROL_DONORS} comparison areas"
            )
    if unit_cost is not None and unit_cost < 0:
        errors["unit_cost"] = "The cost of one incident cannot be less than £0"
    if errors:
        raise InitiativeInvalid(errors)
    reader = analysis_reader(user, initiative.partnership)
    series = indicator_series(
        indicator=indicator,
        reader=reader,
        comparison_zones=comparison_zones if design not in SINGLE_SERIES else [],
        today=today,
    )
    try:
        result = _run_design(design, indicator, series)
    except EvaluationError as exc:
        raise InitiativeInvalid({"design": str(exc)}) from None
    economic = None
    if initiative.cost is not None:
        economic = economic_view(
            result.effect_total,
            cost=float(initiative.cost),
            unit_cost=float(unit_cost) if unit_cost is not None else None,
        ).to_dict()
    parameters = {
        "start": series.start,
        "periods": series.periods,
        "values": series.values,
        "counts": series.counts,
        "treated_zones": treated_zones(indicator),
        "comparison_zones": comparison_zones if design not in SINGLE_SERIES else [],
        "granularity": indicator.granularity,
        "seasonal": seasonal_cycle(series, indicator.granularity)
        if design in SINGLE_SERIES
        else None,
        "pre_periods_needed": PRE_PERIODS_NEEDED[design],
    }
    with transaction.atomic():
        # Lock the initiative's row so that two runs at once cannot take the same number.
        Initiative.objects.select_for_update().filter(pk=initiative.pk).first()
        last = Evaluation.objects.filter(initiative=initiative, indicator=indicator).aggregate(
            last=Max("version")
        )["last"]
        return Evaluation.objects.create(
            initiative=initiative,
            indicator=indicator,
            version=(last or 0) + 1,
            design=design,
            parameters=parameters,
            result=result.to_dict(),
            unit_cost=unit_cost,
            economic=economic,
            organisation_id=user.organisation_id,
            created_by=user,
        )


def _run_design(design: str, indicator: Indicator, series):
    outcome = indicator.name
    if design in SINGLE_SERIES:
        frame = pd.DataFrame({"period": series.periods, outcome: series.values})
        return interrupted_time_series(
            frame,
            time="period",
            outcome=outcome,
            start=series.start,
            seasonal=seasonal_cycle(series, indicator.granularity),
            structural=design == Design.ITS_STRUCTURAL,
        )
    zones = treated_zones(indicator)
    if design == Design.DID:
        rows = []
        # Each treated zone is a unit of its own, as each comparison zone is.
        for zone, values in {**series.treated_by_zone, **series.comparisons}.items():
            rows += [
                {"area": zone, "period": p, outcome: v}
                for p, v in zip(series.periods, values, strict=True)
            ]
        return did_panel(
            pd.DataFrame(rows),
            unit="area",
            time="period",
            outcome=outcome,
            treated=zones,
            start=series.start,
        )
    treated = "Initiative area"
    rows = [
        {"area": treated, "period": p, outcome: v}
        for p, v in zip(series.periods, series.values, strict=True)
    ]
    for zone, values in series.comparisons.items():
        rows += [
            {"area": zone, "period": p, outcome: v}
            for p, v in zip(series.periods, values, strict=True)
        ]
    return synthetic_control(
        pd.DataFrame(rows),
        unit="area",
        time="period",
        outcome=outcome,
        treated=treated,
        start=series.start,
    )
