"""The action pages: "My actions", "My organisation's actions", and one action with its
update form. Overdue actions come first, tagged; an action the reader may not see answers
404, as if it did not exist."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from saferhub.actions.forms import ActionFilterForm, ActionUpdateForm
from saferhub.actions.models import Action
from saferhub.actions.presenters import action_page, action_rows, next_status_choices
from saferhub.actions.selectors import (
    action_access,
    action_history,
    action_visible_to,
    my_actions,
    organisation_actions,
)
from saferhub.actions.services import ActionInvalid, action_reads_record, action_update
from saferhub.incidents.presenters import why_shown
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose

LIST_LIMIT = 300


def _reader(request: HttpRequest) -> Reader:
    return reader_in_partnership(reader_for(request.user, Purpose.TASKING), request.partnership.pk)


def _queue_page(request: HttpRequest, select, template_title: str, mine: bool) -> HttpResponse:
    reader = _reader(request)
    form = ActionFilterForm(request.GET or None)
    show = form.cleaned_data.get("show") if form.is_bound and form.is_valid() else ""
    open_only = show != "all"
    actions = list(
        select(reader=reader, partnership=request.partnership, open_only=open_only)[
            : LIST_LIMIT + 1
        ]
    )
    more, actions = len(actions) > LIST_LIMIT, actions[:LIST_LIMIT]
    action_reads_record(reader=reader, actions=actions)
    rows = action_rows([(a, action_access(reader, a)) for a in actions], reader.today)
    return render(
        request,
        "actions/list.html",
        {
            "title": template_title,
            "mine": mine,
            "form": form,
            "rows": rows,
            "overdue": sum(row.overdue for row in rows),
            "more": more,
            "open_only": open_only,
        },
    )


@partnership_member_required
def my_action_list(request: HttpRequest) -> HttpResponse:
    return _queue_page(request, my_actions, "My actions", True)


@partnership_member_required
def organisation_action_list(request: HttpRequest) -> HttpResponse:
    return _queue_page(request, organisation_actions, "My organisation's actions", False)


@partnership_member_required
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    reader = _reader(request)
    try:
        action, access = action_visible_to(reader=reader, action_id=action_id)
    except Action.DoesNotExist:
        raise Http404("No such action") from None
    if action.partnership_id != request.partnership.pk:
        raise Http404("No such action")
    may_update = request.user.organisation_id in (action.owner_id, action.assignee_organisation_id)
    form = None
    if may_update:
        form = ActionUpdateForm(request.POST or None, choices=next_status_choices(action))
        if request.method == "POST" and form.is_valid():
            try:
                action_update(
                    user=request.user,
                    action=action,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ActionInvalid as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, "The action is updated.")
                return redirect(
                    "actions:detail",
                    partnership_code=request.partnership.code,
                    action_id=action.pk,
                )
    elif request.method == "POST":
        raise Http404("No such form")
    action_reads_record(reader=reader, actions=[action])
    return render(
        request,
        "actions/detail.html",
        {
            "action": action_page(action, access, action_history(action=action), reader.today),
            "why": why_shown(access),
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )
