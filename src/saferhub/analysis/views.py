"""The Analysis area: trends, repeats, near repeats, hotspots, deprivation and the strategic
assessment pack. Every page counts what the reader may see for the `analysis` purpose
(saferhub.analysis.selectors) and publishes no count under 5."""

import datetime
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role

# Analysts and coordinators work with the figures; managers read them for planning (what
# they may count is whatever their organisation's protocols allow, often aggregate only).
ANALYSIS_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, Role.MANAGER})
LONGEST_PERIOD_DAYS = 5 * 366


def analysts_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @never_cache
    @partnership_member_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.roles & ANALYSIS_ROLES:
            return render(request, "analysis/not_for_you.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _scope(request: HttpRequest):
    """The period and filters asked for in the query string, and the problems with them
    (a bad value falls back to its default and is named)."""
    # The analysis modules import pandas and PySAL: only the pages that need them pay.
    from saferhub.analysis.selectors import analysis_reader
    from saferhub.analysis.services import Scope, default_period

    default_from, default_to = default_period(timezone.localdate())
    problems = []
    date_from = _date(request.GET.get("from"))
    date_to = _date(request.GET.get("to"))
    if request.GET.get("from") and date_from is None:
        problems.append("The start date must be a date, like 2026-01-31")
    if request.GET.get("to") and date_to is None:
        problems.append("The end date must be a date, like 2026-12-31")
    date_from, date_to = date_from or default_from, date_to or default_to
    if date_from > date_to or (date_to - date_from).days > LONGEST_PERIOD_DAYS:
        problems.append("The period must start before it ends and be at most five years long")
        date_from, date_to = default_from, default_to
    scope = Scope(
        reader=analysis_reader(request.user, request.partnership),
        partnership=request.partnership,
        date_from=date_from,
        date_to=date_to,
        theme=request.GET.get("theme", "").strip(),
        category=request.GET.get("category", "").strip(),
        data_zone=request.GET.get("data_zone", "").strip().upper(),
    )
    return scope, problems


def _run(problems: list[str], analyse: Callable, *args, **kwargs):
    """The analysis's result; None, with its message among the problems, when the data
    cannot support it (a map with islands, too many pairs to shuffle)."""
    from saferhub.analysis.reading import AnalysisError

    try:
        return analyse(*args, **kwargs)
    except AnalysisError as exc:
        problems.append(str(exc))
        return None


def _context(request: HttpRequest, scope, problems: list[str], **more) -> dict:
    from saferhub.analysis.selectors import analysis_themes
    from saferhub.incidents.vocabulary import Category

    return {
        "scope": scope,
        "problems": problems,
        "themes": analysis_themes(reader=scope.reader, partnership=scope.partnership),
        "categories": Category.choices,
        "query": request.GET.urlencode(),
        **more,
    }


@analysts_only
def index(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.services import emerging_issues, trends_analyse

    scope, problems = _scope(request)
    return render(
        request,
        "analysis/index.html",
        _context(
            request,
            scope,
            problems,
            headline=trends_analyse(scope),
            emerging=emerging_issues(scope),
        ),
    )


@analysts_only
def trends_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.presenters import trends_chart
    from saferhub.analysis.services import GROUPINGS, trends_analyse

    scope, problems = _scope(request)
    by = request.GET.get("by", "theme")
    if by not in GROUPINGS:
        problems.append("Choose how to group the incidents from the list")
        by = "theme"
    result = trends_analyse(scope, by=by)
    return render(
        request,
        "analysis/trends.html",
        _context(
            request,
            scope,
            problems,
            result=result,
            chart=trends_chart(result),
            groupings=GROUPINGS.items(),
            by=by,
            by_label=GROUPINGS[by],
        ),
    )


@analysts_only
def repeats_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.services import WINDOWS, repeats_analyse

    scope, problems = _scope(request)
    try:
        window = int(request.GET.get("window", "365"))
    except ValueError:
        window = 0
    if window not in WINDOWS:
        problems.append("Choose a window from the list")
        window = 365
    return render(
        request,
        "analysis/repeats.html",
        _context(
            request,
            scope,
            problems,
            result=repeats_analyse(scope, window_days=window),
            windows=WINDOWS,
            window=window,
        ),
    )


@analysts_only
def near_repeats_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.presenters import near_repeat_chart
    from saferhub.analysis.services import near_repeat_analyse

    if "category" not in request.GET:
        # Near repeats are a pattern of housebreaking first of all.
        request.GET = request.GET.copy()
        request.GET["category"] = "housebreaking"
    scope, problems = _scope(request)
    result = _run(problems, near_repeat_analyse, scope)
    return render(
        request,
        "analysis/near_repeats.html",
        _context(
            request,
            scope,
            problems,
            result=result,
            chart=near_repeat_chart(result) if result else None,
        ),
    )


@analysts_only
def hotspots_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.presenters import hotspot_rows, map_legend
    from saferhub.analysis.services import hotspots_analyse

    scope, problems = _scope(request)
    fdr = request.GET.get("fdr") == "on"
    result = _run(problems, hotspots_analyse, scope, fdr=fdr)
    notable, others = hotspot_rows(result) if result else ([], [])
    return render(
        request,
        "analysis/hotspots.html",
        _context(
            request,
            scope,
            problems,
            result=result,
            notable=notable,
            others=others,
            fdr=fdr,
            legend=map_legend(),
        ),
    )


@analysts_only
def deprivation_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.presenters import deprivation_chart
    from saferhub.analysis.services import deprivation_analyse

    scope, problems = _scope(request)
    result = _run(problems, deprivation_analyse, scope)
    return render(
        request,
        "analysis/deprivation.html",
        _context(
            request,
            scope,
            problems,
            result=result,
            chart=deprivation_chart(result) if result else None,
        ),
    )


@analysts_only
def assessment_page(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.assessment import assessment_build

    scope, problems = _scope(request)
    pack = assessment_build(scope)
    return render(
        request, "analysis/assessment.html", _context(request, scope, problems, pack=pack)
    )


@analysts_only
def assessment_pdf(request: HttpRequest) -> HttpResponse:
    from saferhub.analysis.assessment import assessment_build, assessment_pdf_render
    from saferhub.analysis.services import assessment_export_record

    scope, _ = _scope(request)
    pdf = assessment_pdf_render(assessment_build(scope), request=request)
    assessment_export_record(user=request.user, scope=scope)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"strategic-assessment-{scope.partnership.code}-{scope.date_from}-{scope.date_to}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
