"""The initiatives register, the guided evaluation and the practice library.

Every member of a partnership may read the register and the library; coordinators, analysts,
managers and administrators change it and run evaluations. An evaluation's figures are what
the runner's organisation may see for analysis, so only that organisation's members see them.
"""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from saferhub.evaluation.forms import (
    ChooseIndicatorForm,
    DesignForm,
    IndicatorForm,
    InitiativeForm,
    PartnerForm,
    PublishForm,
)
from saferhub.evaluation.models import Design, Evaluation, Indicator, IndicatorKind, Initiative
from saferhub.evaluation.presenters import (
    DESIGN_IN_WORDS,
    chart_data_uri,
    initiative_rows,
    result_page,
    series_rows,
)
from saferhub.evaluation.results import economic_view
from saferhub.evaluation.selectors import (
    analysis_reader,
    comparison_candidates,
    design_proposal,
    evaluations_of,
    indicator_series,
    initiative_of,
    initiatives_of,
    may_see_figures,
    published_of,
)
from saferhub.evaluation.services import (
    EMMIE_FIELDS,
    IndicatorInput,
    InitiativeInput,
    InitiativeInvalid,
    evaluation_run,
    indicator_create,
    initiative_create,
    initiative_partner_add,
    initiative_publish,
    initiative_update,
    parse_zones,
)
from saferhub.hub.form_pages import errors_on_form, saved_through
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Membership, Role
from saferhub.partnerships.themes import ThemeBook

EDIT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MANAGER, Role.ADMIN})


def editors_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Other members get 403 and a page saying who can (the register is no secret)."""

    @never_cache
    @partnership_member_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.roles & EDIT_ROLES:
            return render(request, "evaluation/not_for_you.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _initiative(request: HttpRequest, initiative_id: int) -> Initiative:
    try:
        return initiative_of(partnership=request.partnership, initiative_id=initiative_id)
    except Initiative.DoesNotExist:
        raise Http404("No such initiative") from None


def _indicator(initiative: Initiative, indicator_id) -> Indicator:
    try:
        return initiative.indicators.get(pk=int(indicator_id))
    except (ValueError, TypeError, Indicator.DoesNotExist):
        raise Http404("No such indicator") from None


def _to_initiative(request: HttpRequest, initiative: Initiative) -> HttpResponse:
    return redirect(
        "evaluation:initiative",
        partnership_code=request.partnership.code,
        initiative_id=initiative.pk,
    )


def _theme_choices(request: HttpRequest) -> list[tuple[str, str]]:
    book = ThemeBook.of(request.partnership)
    return sorted(((t.code, t.name) for t in book.by_code.values()), key=lambda c: c[1])


@never_cache
@partnership_member_required
def register(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/register.html",
        {
            "initiatives": initiatives_of(partnership=request.partnership),
            "editor": bool(request.roles & EDIT_ROLES),
        },
    )


def _initiative_input(data: dict) -> InitiativeInput:
    return InitiativeInput(
        title=data["title"],
        themes=data["themes"],
        prevention_level=data["prevention_level"],
        starts_on=data["starts_on"],
        target_group=data["target_group"],
        data_zones=parse_zones(data["data_zones"]),
        ends_on=data["ends_on"],
        cost=data["cost"],
        inputs=data["inputs"],
        activities=data["activities"],
        outputs=data["outputs"],
        outcomes=data["outcomes"],
        status=data["status"],
    )


def _initiative_form_page(request, initiative: Initiative | None) -> HttpResponse:
    initial = None
    if initiative is not None:
        initial = {
            name: getattr(initiative, name)
            for name in InitiativeForm.base_fields
            if name != "data_zones"
        } | {"data_zones": " ".join(initiative.data_zones)}
    form = InitiativeForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        theme_choices=_theme_choices(request),
    )

    def save(data: dict) -> Initiative:
        if initiative is None:
            return initiative_create(
                user=request.user, partnership=request.partnership, data=_initiative_input(data)
            )
        return initiative_update(
            initiative=initiative, user=request.user, data=_initiative_input(data)
        )

    saved = saved_through(
        request,
        form,
        save,
        refused=InitiativeInvalid,
        success=lambda done: f"Saved: {done.title}.",
        then=lambda done: _to_initiative(request, done),
    )
    return saved or render(
        request,
        "evaluation/initiative_form.html",
        {"form": form, "initiative": initiative},
        status=422 if form.errors else 200,
    )


@editors_only
def initiative_new(request: HttpRequest) -> HttpResponse:
    return _initiative_form_page(request, None)


@editors_only
def initiative_edit(request: HttpRequest, initiative_id: int) -> HttpResponse:
    return _initiative_form_page(request, _initiative(request, initiative_id))


@never_cache
@partnership_member_required
def initiative_detail(request: HttpRequest, initiative_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    names = {code: t.name for code, t in ThemeBook.of(request.partnership).by_code.items()}
    evaluations = list(evaluations_of(initiative=initiative))
    return render(
        request,
        "evaluation/initiative.html",
        {
            "initiative": initiative,
            "rows": initiative_rows(initiative, names),
            "partners": initiative.partners.select_related("organisation"),
            "indicators": initiative.indicators.all(),
            "evaluations": [(e, may_see_figures(e, request.user)) for e in evaluations],
            "editor": bool(request.roles & EDIT_ROLES),
        },
    )


@editors_only
def partner_add(request: HttpRequest, initiative_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    members = Membership.objects.filter(partnership=request.partnership).select_related(
        "organisation"
    )
    choices = sorted((m.organisation.code, m.organisation.name) for m in members)
    form = PartnerForm(
        request.POST if request.method == "POST" else None, organisation_choices=choices
    )
    saved = saved_through(
        request,
        form,
        lambda data: initiative_partner_add(
            initiative=initiative,
            organisation_code=data["organisation"],
            kind=data["kind"],
            amount=data["amount"],
            notes=data["notes"],
        ),
        refused=InitiativeInvalid,
        success="The partner's contribution is added.",
        then=lambda _: _to_initiative(request, initiative),
    )
    return saved or render(
        request,
        "evaluation/partner_form.html",
        {"form": form, "initiative": initiative},
        status=422 if form.errors else 200,
    )


@editors_only
def indicator_new(request: HttpRequest, initiative_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    posted = request.method == "POST"
    form = IndicatorForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        theme_choices=_theme_choices(request),
    )
    saved = saved_through(
        request,
        form,
        lambda data: indicator_create(
            initiative=initiative,
            data=IndicatorInput(
                name=data["name"],
                kind=data["kind"],
                source=data["source"],
                theme=data["theme"],
                category=data["category"],
                data_zones=parse_zones(data["data_zones"]),
                granularity=data["granularity"],
                period_from=data["period_from"],
                period_to=data["period_to"],
                upload=data["upload"],
            ),
        ),
        refused=InitiativeInvalid,
        success=lambda _: f"The indicator {form.cleaned_data['name']} is added.",
        then=lambda _: _to_initiative(request, initiative),
    )
    return saved or render(
        request,
        "evaluation/indicator_form.html",
        {"form": form, "initiative": initiative},
        status=422 if form.errors else 200,
    )


@never_cache
@partnership_member_required
def indicator_detail(request: HttpRequest, initiative_id: int, indicator_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    indicator = _indicator(initiative, indicator_id)
    series = indicator_series(
        indicator=indicator, reader=analysis_reader(request.user, request.partnership)
    )
    return render(
        request,
        "evaluation/indicator.html",
        {
            "initiative": initiative,
            "indicator": indicator,
            "rows": series_rows(series, counts=series.counts),
            "start": series.start,
        },
    )


# The guided evaluation --------------------------------------------------------------------


@editors_only
def evaluate_start(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """Step 1: pick an outcome indicator."""
    initiative = _initiative(request, initiative_id)
    outcomes = initiative.indicators.filter(kind=IndicatorKind.OUTCOME)
    form = ChooseIndicatorForm(
        request.GET if "chosen" in request.GET else None,
        indicator_choices=[(str(i.pk), i.name) for i in outcomes],
    )
    if form.is_bound and form.is_valid():
        return redirect(
            "evaluation:evaluate_design",
            partnership_code=request.partnership.code,
            initiative_id=initiative.pk,
            indicator_id=form.cleaned_data["indicator"],
        )
    return render(
        request,
        "evaluation/evaluate_start.html",
        {"form": form, "initiative": initiative, "outcomes": outcomes},
        status=422 if form.errors else 200,
    )


@editors_only
def evaluate_design(request: HttpRequest, initiative_id: int, indicator_id: int) -> HttpResponse:
    """Step 2: comparison areas and the proposed design, explained; step 3: run it."""
    initiative = _initiative(request, initiative_id)
    indicator = _indicator(initiative, indicator_id)
    if indicator.kind != IndicatorKind.OUTCOME:
        raise Http404("Only outcome indicators are evaluated")
    reader = analysis_reader(request.user, request.partnership)
    candidates = comparison_candidates(indicator=indicator, reader=reader)
    candidate_choices = [
        (
            c.code,
            f"{c.code}{' ' + c.name if c.name else ''}: SIMD rank {c.simd_rank or 'not known'}, "
            f"{c.pre_mean:.1f} a period before the start, trend {c.pre_trend:+.0%} a period",
        )
        for c in candidates
    ]
    data = request.POST if request.method == "POST" else request.GET
    bound = request.method == "POST" or "propose" in request.GET
    # The five most alike are ticked to begin with.
    chosen = [c.code for c in candidates[:5]]
    if bound:
        chosen = [c for c in data.getlist("comparison") if c in {c.code for c in candidates}]
        chosen = list(dict.fromkeys(chosen + parse_zones(data.get("more_zones", ""))))
    series = indicator_series(indicator=indicator, reader=reader, comparison_zones=chosen)
    proposal = design_proposal(series=series, whole_partnership=initiative.whole_partnership)
    design_choices = [(d, Design(d).label) for d in proposal.allowed]
    form = DesignForm(
        data if bound else None,
        initial={"design": proposal.design, "comparison": chosen},
        candidate_choices=candidate_choices,
        design_choices=design_choices,
    )
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = evaluation_run(
                initiative=initiative,
                indicator=indicator,
                user=request.user,
                design=form.cleaned_data["design"] or proposal.design,
                comparison_zones=chosen,
                unit_cost=form.cleaned_data["unit_cost"],
            )
        except InitiativeInvalid as exc:
            errors_on_form(form, exc.errors)
        else:
            return redirect(
                "evaluation:evaluation",
                partnership_code=request.partnership.code,
                initiative_id=initiative.pk,
                evaluation_id=evaluation.pk,
            )
    return render(
        request,
        "evaluation/evaluate_design.html",
        {
            "form": form,
            "initiative": initiative,
            "indicator": indicator,
            "proposal": proposal,
            "proposed_label": Design(proposal.design).label,
            "proposed_words": DESIGN_IN_WORDS[proposal.design],
            "chosen": chosen,
            "has_candidates": bool(candidates),
        },
        status=422 if form.errors else 200,
    )


def _evaluation(request: HttpRequest, initiative: Initiative, evaluation_id: int) -> Evaluation:
    found = evaluations_of(initiative=initiative).filter(pk=evaluation_id).first()
    if found is None:
        raise Http404("No such evaluation")
    return found


def _report_context(request, initiative, evaluation) -> dict:
    return {
        "initiative": initiative,
        "evaluation": evaluation,
        "page": result_page(evaluation),
        "chart": chart_data_uri(evaluation),
        "versions": evaluations_of(initiative=initiative).filter(indicator=evaluation.indicator),
    }


@never_cache
@partnership_member_required
def evaluation_detail(request: HttpRequest, initiative_id: int, evaluation_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    evaluation = _evaluation(request, initiative, evaluation_id)
    if not may_see_figures(evaluation, request.user):
        return render(
            request,
            "evaluation/figures_not_for_you.html",
            {"initiative": initiative, "evaluation": evaluation},
            status=403,
        )
    context = _report_context(request, initiative, evaluation)
    # Another unit cost for the economic view, shown but not stored.
    other = request.GET.get("unit_cost", "").replace(",", "").replace("£", "").strip()
    if other and initiative.cost is not None:
        try:
            value = float(other)
            if value < 0:
                raise ValueError
        except ValueError:
            context["unit_cost_error"] = "Enter the cost of one incident in pounds, like 1200"
        else:
            context["page"]["economic"] = economic_view(
                evaluation.result.get("effect_total") or 0.0,
                cost=float(initiative.cost),
                unit_cost=value,
            ).message
            context["unit_cost"] = other
    context["editor"] = bool(request.roles & EDIT_ROLES)
    return render(request, "evaluation/evaluation.html", context)


@never_cache
@partnership_member_required
def evaluation_pdf(request: HttpRequest, initiative_id: int, evaluation_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    evaluation = _evaluation(request, initiative, evaluation_id)
    if not may_see_figures(evaluation, request.user):
        raise Http404("No such evaluation")
    from weasyprint import HTML  # a heavy import, only for this page

    html = render_to_string(
        "evaluation/report_pdf.html", _report_context(request, initiative, evaluation)
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"evaluation-{initiative.pk}-{evaluation.indicator_id}-v{evaluation.version}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# Publishing -----------------------------------------------------------------------------------


@editors_only
def publish(request: HttpRequest, initiative_id: int) -> HttpResponse:
    initiative = _initiative(request, initiative_id)
    initial = {name: getattr(initiative, name) for name in EMMIE_FIELDS}
    if not initial["emmie_effect"]:
        latest = evaluations_of(initiative=initiative).order_by("-created_at").first()
        if latest is not None and may_see_figures(latest, request.user):
            initial["emmie_effect"] = latest.result.get("conclusion", "")
    form = PublishForm(request.POST if request.method == "POST" else None, initial=initial)
    saved = saved_through(
        request,
        form,
        lambda data: initiative_publish(initiative=initiative, user=request.user, **data),
        refused=InitiativeInvalid,
        success="The summary is published to the practice library.",
        then=lambda _: redirect("evaluation:library", partnership_code=request.partnership.code),
    )
    return saved or render(
        request,
        "evaluation/publish.html",
        {"form": form, "initiative": initiative},
        status=422 if form.errors else 200,
    )


@never_cache
@partnership_member_required
def library(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/library.html",
        {"initiatives": published_of(partnership=request.partnership)},
    )
