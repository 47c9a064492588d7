"""The case pages: the list, opening a case, and one case with a form for each change.

A case the reader may not see answers 404, as if it did not exist; each change is a POST
that only the organisation leading the case may make, answered with the case page again
(422, the form's errors shown) when the change is refused.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from saferhub.actions.forms import ActionForm
from saferhub.actions.presenters import action_rows
from saferhub.actions.services import ActionInput, ActionInvalid, action_reads_record
from saferhub.cases.forms import (
    CaseFilterForm,
    CaseForm,
    CloseForm,
    LinkIncidentForm,
    ReopenForm,
    ReviewForm,
    RiskForm,
    StageForm,
)
from saferhub.cases.models import Case, Stage
from saferhub.cases.presenters import (
    case_page,
    case_rows,
    review_rows,
    risk_history_rows,
    risk_matrix,
    stage_steps,
)
from saferhub.cases.selectors import (
    CaseFilters,
    case_access,
    case_actions,
    case_incidents,
    case_reviews,
    case_risk_history,
    case_visible_to,
    cases_visible_to,
)
from saferhub.cases.services import (
    OPEN_STAGES,
    CaseInput,
    CaseInvalid,
    case_action_add,
    case_close,
    case_link_incident,
    case_may_change,
    case_move_stage,
    case_open,
    case_reads_record,
    case_reopen,
    case_review,
    case_unlink_incident,
    risk_assess,
)
from saferhub.hub.form_pages import saved_through
from saferhub.incidents.presenters import incident_rows, why_shown
from saferhub.incidents.services import incident_reads_record
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.people.models import PersonRecord
from saferhub.people.selectors import person_record_visible_to
from saferhub.places.models import PlaceRecord
from saferhub.places.selectors import place_record_visible_to
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose

LIST_LIMIT = 200


def _reader(request: HttpRequest) -> Reader:
    return reader_in_partnership(reader_for(request.user, Purpose.TASKING), request.partnership.pk)


@partnership_member_required
def case_list(request: HttpRequest) -> HttpResponse:
    partnership = request.partnership
    form = CaseFilterForm(request.GET or None, partnership=partnership)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = CaseFilters(
        partnership_id=partnership.pk,
        stage=chosen.get("stage", ""),
        rag=chosen.get("rag", ""),
        owner=chosen.get("owner", ""),
        mine_of=request.user.pk if chosen.get("mine") else None,
    )
    reader = _reader(request)
    cases = list(cases_visible_to(reader=reader, filters=filters)[: LIST_LIMIT + 1])
    more, cases = len(cases) > LIST_LIMIT, cases[:LIST_LIMIT]
    case_reads_record(reader=reader, cases=cases)
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "rows": case_rows([(case, case_access(reader, case)) for case in cases]),
            "more": more,
            "filtered": bool(request.GET),
        },
    )


@partnership_member_required
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case: from a person's or a place's page (`?person=ID`, `?place=ID`), or blank."""
    partnership = request.partnership
    initial = _subject_from_query(request)
    form = CaseForm(request.POST or None, partnership=partnership, initial=initial)
    saved = saved_through(
        request,
        form,
        lambda data: case_open(
            user=request.user,
            partnership=partnership,
            data=CaseInput(
                title=data["title"],
                subject=data["subject"],
                themes=data["themes"],
                person_record_id=data["person_record"],
                place_record_id=data["place_record"],
                group_description=data["group_description"],
                data_zone=data["data_zone"],
                relevant_partners=data["relevant_partners"],
                restricted=data["restricted"],
                next_review_on=data["next_review_on"],
            ),
        ),
        refused=CaseInvalid,
        success="The case is open.",
        then=lambda case: redirect(
            "cases:detail", partnership_code=partnership.code, case_id=case.pk
        ),
    )
    return saved or render(
        request,
        "cases/new.html",
        {"form": form, "about": initial.get("about", "")},
        status=422 if request.method == "POST" else 200,
    )


def _subject_from_query(request: HttpRequest) -> dict:
    """The person or place a case is opened from, if the user may see it; the service then
    checks that it is their organisation's own record."""
    reader = _reader(request)
    try:
        if request.GET.get("person", "").isdigit():
            record, access, _ = person_record_visible_to(
                reader=reader, record_id=int(request.GET["person"])
            )
            about = (
                f"{record.given_name} {record.family_name}"
                if access.level == Level.PERSONAL
                else "a person"
            )
            return {"subject": "person", "person_record": record.pk, "about": about}
        if request.GET.get("place", "").isdigit():
            record, access, _ = place_record_visible_to(
                reader=reader, record_id=int(request.GET["place"])
            )
            about = record.address_line_1 if access.level == Level.PERSONAL else "a place"
            return {
                "subject": "place",
                "place_record": record.pk,
                "data_zone": record.data_zone,
                "about": about,
            }
    except (PersonRecord.DoesNotExist, PlaceRecord.DoesNotExist):
        raise Http404("No such record") from None
    return {}


def _case_or_404(request: HttpRequest, reader: Reader, case_id: int):
    try:
        case, access = case_visible_to(reader=reader, case_id=case_id)
    except Case.DoesNotExist:
        raise Http404("No such case") from None
    if case.partnership_id != request.partnership.pk:
        raise Http404("No such case")
    return case, access


def _detail(request: HttpRequest, case_id: int, forms: dict | None = None) -> HttpResponse:
    """The case page; `forms` holds a refused form to show with its errors (422)."""
    reader = _reader(request)
    case, access = _case_or_404(request, reader, case_id)
    personal = access.level == Level.PERSONAL
    incidents = case_incidents(reader=reader, case=case)
    actions = case_actions(reader=reader, case=case)
    history = case_risk_history(case=case)
    case_reads_record(reader=reader, cases=[case])
    incident_reads_record(reader=reader, incidents=[i for i, _ in incidents])
    action_reads_record(reader=reader, actions=[a for a, _ in actions])
    may_change = case_may_change(request.user, case)
    forms = forms or {}
    partnership = request.partnership
    context = {
        "case": case_page(case, access),
        "why": why_shown(access),
        "steps": stage_steps(case, personal),
        "matrix": risk_matrix(history),
        "risk_history": risk_history_rows(history, personal),
        "reviews": review_rows(case_reviews(case=case), personal),
        "incidents": incident_rows(incidents),
        "actions": action_rows(actions),
        "may_change": may_change and case.is_open,
        "may_reopen": may_change and not case.is_open,
    }
    if may_change:
        next_stage = _next_stage(case)
        context.update(
            link_form=forms.get("link") or LinkIncidentForm(prefix="link"),
            risk_form=forms.get("risk") or RiskForm(prefix="risk"),
            stage_form=forms.get("stage")
            or StageForm(prefix="stage", initial={"stage": next_stage}),
            action_form=forms.get("action") or ActionForm(prefix="action", partnership=partnership),
            review_form=forms.get("review") or ReviewForm(prefix="review"),
            close_form=forms.get("close") or CloseForm(prefix="close"),
            reopen_form=forms.get("reopen") or ReopenForm(prefix="reopen"),
        )
    context["form"] = next(iter(forms.values()), None)
    return render(request, "cases/detail.html", context, status=422 if forms else 200)


def _next_stage(case: Case) -> str:
    if not case.is_open:
        return Stage.ASSESSMENT
    index = OPEN_STAGES.index(case.stage)
    return OPEN_STAGES[min(index + 1, len(OPEN_STAGES) - 1)]


@partnership_member_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _detail(request, case_id)


def _change(request: HttpRequest, case_id: int, name: str, form, apply, done: str):
    """Run one change from a form on the case page: back to the case when it is made, or
    the page again with the form's errors when it is refused."""
    reader = _reader(request)
    case, _ = _case_or_404(request, reader, case_id)
    saved = saved_through(
        request,
        form,
        lambda data: apply(case, data),
        refused=(CaseInvalid, ActionInvalid),
        success=done,
        then=lambda _: redirect(
            "cases:detail", partnership_code=request.partnership.code, case_id=case.pk
        ),
    )
    return saved or _detail(request, case_id, {name: form})


@require_POST
@partnership_member_required
def case_link(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "link",
        LinkIncidentForm(request.POST, prefix="link"),
        lambda case, data: case_link_incident(
            user=request.user, case=case, incident_id=data["incident"]
        ),
        "The incident is linked to the case.",
    )


@require_POST
@partnership_member_required
def case_unlink(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "link",
        LinkIncidentForm(request.POST, prefix="link"),
        lambda case, data: case_unlink_incident(
            user=request.user, case=case, incident_id=data["incident"]
        ),
        "The incident is no longer linked to the case.",
    )


@require_POST
@partnership_member_required
def case_risk(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "risk",
        RiskForm(request.POST, prefix="risk"),
        lambda case, data: risk_assess(user=request.user, case=case, **data),
        "The risk assessment is saved.",
    )


@require_POST
@partnership_member_required
def case_stage(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "stage",
        StageForm(request.POST, prefix="stage"),
        lambda case, data: case_move_stage(user=request.user, case=case, **data),
        "The case's stage is saved.",
    )


@require_POST
@partnership_member_required
def case_action(request: HttpRequest, case_id: int) -> HttpResponse:
    def add(case: Case, data: dict) -> None:
        case_action_add(
            user=request.user,
            case=case,
            data=ActionInput(
                title=data["title"],
                assignee_organisation=data["assignee_organisation"],
                assignee_username=data["assignee_username"].strip(),
                due_on=data["due_on"],
                detail=data["detail"],
                themes=[],
                restricted=case.restricted,
                relevant_partners=[o.code for o in case.relevant_partners.all()],
            ),
        )

    return _change(
        request,
        case_id,
        "action",
        ActionForm(request.POST, prefix="action", partnership=request.partnership),
        add,
        "The action is set, and the organisation given it has been told.",
    )


@require_POST
@partnership_member_required
def case_review_add(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "review",
        ReviewForm(request.POST, prefix="review"),
        lambda case, data: case_review(user=request.user, case=case, **data),
        "The review is recorded.",
    )


@require_POST
@partnership_member_required
def case_close_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "close",
        CloseForm(request.POST, prefix="close"),
        lambda case, data: case_close(user=request.user, case=case, **data),
        "The case is closed.",
    )


@require_POST
@partnership_member_required
def case_reopen_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _change(
        request,
        case_id,
        "reopen",
        ReopenForm(request.POST, prefix="reopen"),
        lambda case, data: case_reopen(user=request.user, case=case, **data),
        "The case is open again, at the assessment stage.",
    )
