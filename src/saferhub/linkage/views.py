"""The linkage pages: the single view of a linked person or place, the review queue, merging
and unmerging, and the thresholds. Every page reads through saferhub.linkage.selectors."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from saferhub.geography.models import DataZone
from saferhub.incidents.selectors import access_of
from saferhub.linkage.forms import MergeForm, ThresholdsForm
from saferhub.linkage.models import CandidatePair, Entity, EntityKind
from saferhub.linkage.presenters import choice_rows, entity_page, pair_page, run_progress
from saferhub.linkage.selectors import (
    EntityView,
    entities_visible_to,
    entity_single_view,
    event_record_ids,
    last_merge,
    linkage_run_of,
    linkage_runs_of,
    pair_for_review,
    pairs_for_review,
    threshold_choices,
    thresholds_of,
)
from saferhub.linkage.services import (
    LinkageChangeInvalid,
    ThresholdsInvalid,
    entities_merge,
    entity_unmerge,
    linkage_run_queue,
    pair_decide,
    record_unlink,
    thresholds_update,
)
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role
from saferhub.people.services import person_record_reads_record
from saferhub.places.services import place_record_reads_record
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose

REVIEW_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST})
ENTITY_EDIT_ROLES = frozenset({Role.COORDINATOR})
THRESHOLD_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
LINK_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.ADMIN})
RUNS_SHOWN = 20
PAIRS_SHOWN = 20
KIND_OF_PATH = {"people": EntityKind.PERSON, "places": EntityKind.PLACE}
PATH_OF_KIND = {kind: path for path, kind in KIND_OF_PATH.items()}


def _reader(request: HttpRequest) -> Reader:
    # The pages of a partnership show what reaches the reader through that partnership.
    return reader_in_partnership(reader_for(request.user, Purpose.TASKING), request.partnership.pk)


def _roles_required(roles: frozenset[str], who: str) -> Callable:
    """Let in members holding one of `roles`; other members get 403 and a page saying who
    can (the partnership is no secret from them)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @never_cache
        @partnership_member_required
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.roles & roles:
                return render(request, "linkage/not_for_you.html", {"who": who}, status=403)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


reviewers_only = _roles_required(REVIEW_ROLES, "coordinators and analysts")
coordinators_only = _roles_required(ENTITY_EDIT_ROLES, "coordinators")
threshold_editors_only = _roles_required(THRESHOLD_ROLES, "coordinators and administrators")
link_runners_only = _roles_required(LINK_ROLES, "coordinators, analysts and administrators")


def _entity_url(request: HttpRequest, kind: str, entity_id: int) -> str:
    return reverse(
        f"linkage:{PATH_OF_KIND[kind]}_entity",
        kwargs={"partnership_code": request.partnership.code, "entity_id": entity_id},
    )


def _view_or_404(
    request: HttpRequest, reader: Reader, kind: str, entity_id: int, **kw
) -> EntityView:
    try:
        view = entity_single_view(
            reader=reader, entity_id=entity_id, partnership=request.partnership, **kw
        )
    except Entity.DoesNotExist:
        raise Http404("No such entity") from None
    if view.kind != kind:
        raise Http404("No such entity")
    return view


def _can_unmerge(view: EntityView, user) -> bool:
    """Offer to undo the last merge when the reader made it, or it moved a record they see
    (the history shows it) or none: a merge of only records they may not see is not theirs
    to know of, and the button would tell of it."""
    merge = last_merge(view.entity)
    if merge is None:
        return False
    moved = event_record_ids(merge)
    return merge.by_id == user.pk or not moved or bool(moved & {s.record.pk for s in view.records})


@never_cache
@partnership_member_required
def entity_detail(request: HttpRequest, kind: str, entity_id: int) -> HttpResponse:
    reader = _reader(request)
    view = _view_or_404(request, reader, kind, entity_id)
    if view.entity.pk != entity_id:
        return redirect(_entity_url(request, kind, view.entity.pk))
    seen = [(shown.record, shown.access, shown.incident) for shown in view.records]
    incidents = [incident for shown in view.records for incident in shown.incidents]
    if kind == EntityKind.PERSON:
        person_record_reads_record(reader=reader, seen=seen, incidents=incidents)
    else:
        place_record_reads_record(reader=reader, seen=seen, incidents=incidents)
    codes = {getattr(shown.record, "data_zone", "") for shown in view.records} - {""}
    zones = {zone.code: zone for zone in DataZone.objects.filter(code__in=codes)}
    editor = bool(request.roles & ENTITY_EDIT_ROLES)
    return render(
        request,
        "linkage/entity.html",
        {
            "entity": entity_page(
                view,
                partnership_code=request.partnership.code,
                today=timezone.localdate(),
                access_of=lambda incident: access_of(reader, incident),
                zones=zones,
                with_history=editor,
            ),
            "editor": editor,
            "can_unmerge": editor and _can_unmerge(view, request.user),
            "merge_form": MergeForm(),
            "path": PATH_OF_KIND[kind],
        },
    )


@require_POST
@coordinators_only
def entity_merge(request: HttpRequest, kind: str, entity_id: int) -> HttpResponse:
    reader = _reader(request)
    view = _view_or_404(request, reader, kind, entity_id, with_incidents=False)
    form = MergeForm(request.POST)
    if form.is_valid():
        # The other entity must be one the coordinator may see, or the merge would reveal it.
        other = (
            entities_visible_to(reader=reader, kind=kind)
            .filter(partnership=request.partnership, pk=form.cleaned_data["other"])
            .first()
        )
        if other is None:
            form.add_error("other", "There is no linked record with that number that you may see")
        else:
            try:
                entities_merge(survivor=view.entity, merged=other, user=request.user)
            except LinkageChangeInvalid as exc:
                form.add_error("other", str(exc))
            else:
                messages.success(request, f"Merged {other.pk} into this one.")
                return redirect(_entity_url(request, kind, view.entity.pk))
    for error in form.errors.get("other", []):
        messages.error(request, error)
    return redirect(_entity_url(request, kind, view.entity.pk))


@require_POST
@coordinators_only
def entity_unmerge_action(request: HttpRequest, kind: str, entity_id: int) -> HttpResponse:
    reader = _reader(request)
    view = _view_or_404(request, reader, kind, entity_id, with_incidents=False)
    if not _can_unmerge(view, request.user):
        raise Http404("Nothing to undo")
    try:
        entity_unmerge(entity=view.entity, user=request.user)
    except LinkageChangeInvalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The last merge has been undone.")
    return redirect(_entity_url(request, kind, view.entity.pk))


@require_POST
@coordinators_only
def record_take_out(request: HttpRequest, kind: str, entity_id: int, link_id: int) -> HttpResponse:
    reader = _reader(request)
    view = _view_or_404(request, reader, kind, entity_id, with_incidents=False)
    shown = next((s for s in view.records if s.link.pk == link_id), None)
    # With one record on the page, the answer (taken out, or "the only one") would tell
    # whether the entity holds records the reader may not see.
    if shown is None or shown.access.level != "personal" or len(view.records) < 2:
        raise Http404("No such record in this entity")
    try:
        own = record_unlink(link=shown.link, user=request.user)
    except LinkageChangeInvalid as exc:
        messages.error(request, str(exc))
        return redirect(_entity_url(request, kind, view.entity.pk))
    messages.success(request, "The record has been taken out into one of its own.")
    return redirect(_entity_url(request, kind, own.pk))


@never_cache
@reviewers_only
def review_queue(request: HttpRequest, kind: str) -> HttpResponse:
    reader = _reader(request)
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            pair_id = int(request.POST.get("pair", ""))
            found = pair_for_review(
                reader=reader, partnership=request.partnership, kind=kind, pair_id=pair_id
            )
        except (ValueError, CandidatePair.DoesNotExist):
            raise Http404("No such pair") from None
        if decision not in ("same", "different"):
            messages.error(request, "Choose whether the two records are the same or not")
        else:
            try:
                pair_decide(pair=found.pair, same=decision == "same", user=request.user)
            except LinkageChangeInvalid as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    "Recorded: the same."
                    if decision == "same"
                    else "Recorded: not the same. The pair will not be proposed again.",
                )
        return redirect(
            f"linkage:review_{PATH_OF_KIND[kind]}", partnership_code=request.partnership.code
        )
    views, count = pairs_for_review(
        reader=reader, partnership=request.partnership, kind=kind, limit=PAIRS_SHOWN
    )
    seen = [
        side
        for view in views
        for side in ((view.left, *view.left_access), (view.right, *view.right_access))
    ]
    if kind == EntityKind.PERSON:
        person_record_reads_record(reader=reader, seen=seen)
    else:
        place_record_reads_record(reader=reader, seen=seen)
    return render(
        request,
        "linkage/review.html",
        {
            "pairs": [pair_page(view) for view in views],
            "count": count,
            "kind_label": "people" if kind == EntityKind.PERSON else "places",
            "path": PATH_OF_KIND[kind],
            "other_path": "places" if kind == EntityKind.PERSON else "people",
        },
    )


@never_cache
@threshold_editors_only
def thresholds(request: HttpRequest) -> HttpResponse:
    partnership = request.partnership
    posted = request.POST.get("kind") if request.method == "POST" else None
    if posted is not None and posted not in EntityKind.values:
        raise Http404("No such kind")
    sections, status = [], 200
    for kind in (EntityKind.PERSON, EntityKind.PLACE):
        current = thresholds_of(partnership=partnership, kind=kind)
        initial = {"auto_link": current.auto_link, "review": current.review}
        form = ThresholdsForm(
            request.POST if posted == kind else None, initial=initial, prefix=kind
        )
        if posted == kind and form.is_valid():
            try:
                thresholds_update(
                    partnership=partnership, kind=kind, user=request.user, **form.cleaned_data
                )
            except ThresholdsInvalid as exc:
                for name, text in exc.errors.items():
                    form.add_error(name, text)
            else:
                messages.success(request, f"The thresholds for {PATH_OF_KIND[kind]} are saved.")
                return redirect("linkage:thresholds", partnership_code=partnership.code)
        if form.errors:
            status = 422
        choices, decided = threshold_choices(partnership=partnership, kind=kind)
        sections.append(
            {
                "kind": kind,
                "title": "People" if kind == EntityKind.PERSON else "Places",
                "form": form,
                "choices": choice_rows(choices),
                "decided": decided,
                "estimated": any(c.precision is not None for c in choices),
            }
        )
    return render(request, "linkage/thresholds.html", {"sections": sections}, status=status)


@require_POST
@link_runners_only
def link_now(request: HttpRequest) -> HttpResponse:
    """Start a linking run for people or places in the background (a worker runs it), and
    follow it on its page."""
    kind = request.POST.get("kind")
    if kind not in EntityKind.values:
        raise Http404("No such kind")
    run = linkage_run_queue(partnership=request.partnership, kind=kind, user=request.user)
    return redirect("linkage:run", partnership_code=request.partnership.code, run_id=run.pk)


@link_runners_only
def runs(request: HttpRequest) -> HttpResponse:
    """The partnership's recent linking runs, and the buttons that start one."""
    return render(
        request,
        "linkage/runs.html",
        {"runs": linkage_runs_of(partnership=request.partnership)[:RUNS_SHOWN]},
    )


def _run_context(request: HttpRequest, run_id: int) -> dict:
    run = linkage_run_of(partnership=request.partnership, run_id=run_id)
    if run is None:
        raise Http404("No such linking run")
    return {"run": run, "progress": run_progress(run, timezone.now())}


@link_runners_only
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    return render(request, "linkage/run.html", _run_context(request, run_id))


@link_runners_only
def run_progress_fragment(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run page's progress, polled by htmx; without the polling trigger once it ends."""
    return render(request, "linkage/_run_progress.html", _run_context(request, run_id))
