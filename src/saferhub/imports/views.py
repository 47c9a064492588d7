"""The import pages: upload a partner system's export, follow its run, download its report,
and manage the organisation's mapping profiles."""

import io
import tempfile
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from saferhub.audit.services import audit_record
from saferhub.imports.forms import ProfilesForm, UploadForm
from saferhub.imports.models import ImportRun, RecordKind
from saferhub.imports.presenters import (
    profile_rows,
    run_can_be_run_again,
    run_progress,
    run_rows,
)
from saferhub.imports.profiles import ProfileFileInvalid, profiles_apply, profiles_export
from saferhub.imports.selectors import (
    profiles_of_organisation,
    rejections_of_run,
    rejections_write_csv,
    run_of_organisation,
    runs_of_organisation,
)
from saferhub.imports.services import ImportInvalid
from saferhub.imports.tasks import import_run_again, import_upload_start, upload_kept
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role

IMPORT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.ADMIN})
PROFILE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
RUNS_SHOWN = 50
REJECTIONS_SHOWN = 50
REPORT_IN_MEMORY_BYTES = 1_000_000


def _roles_required(roles: frozenset[str], template: str) -> Callable:
    """Let in members holding one of `roles` who belong to an organisation. Other members get
    403 and a page saying who can: the partnership is no secret from them."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @never_cache
        @partnership_member_required
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.roles & roles or request.user.organisation is None:
                return render(request, template, status=403)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


importer_required = _roles_required(IMPORT_ROLES, "imports/importers_only.html")
profile_editor_required = _roles_required(PROFILE_ROLES, "imports/profile_editors_only.html")


def _run_or_404(request: HttpRequest, run_id: int) -> ImportRun:
    """A run of the user's own organisation; any other run does not exist for them."""
    run = run_of_organisation(request.user.organisation, run_id)
    if run is None:
        raise Http404("No such import")
    return run


@importer_required
def runs(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    form = UploadForm(request.POST or None, request.FILES or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = import_upload_start(
                organisation=organisation,
                user=request.user,
                partnership=request.partnership if data["kind"] == RecordKind.INCIDENTS else None,
                upload=data["file"],
                kind=data["kind"],
                profile=data["profile"],
                dry_run=data["dry_run"],
                strict=data["strict"],
            )
        except ImportInvalid as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("imports:run", partnership_code=request.partnership.code, run_id=run.pk)
    return render(
        request,
        "imports/runs.html",
        {
            "form": form,
            "has_profiles": form.fields["profile"].queryset.exists(),
            "can_edit_profiles": bool(request.roles & PROFILE_ROLES),
            "rows": run_rows(
                list(runs_of_organisation(organisation, limit=RUNS_SHOWN)), timezone.now()
            ),
        },
        status=422 if form.errors else 200,
    )


def _run_context(run: ImportRun) -> dict:
    progress = run_progress(run, timezone.now(), file_kept=upload_kept(run))
    rejections = []
    if progress["ended"]:
        rejections = list(rejections_of_run(run)[: REJECTIONS_SHOWN + 1])
    return {
        "run": run,
        "progress": progress,
        "rejections": rejections[:REJECTIONS_SHOWN],
        "more_rejections": len(rejections) > REJECTIONS_SHOWN,
    }


@importer_required
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    found = _run_or_404(request, run_id)
    return render(request, "imports/run.html", _run_context(found))


@importer_required
def progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run page's progress, polled by htmx; without the polling trigger once it ends."""
    found = _run_or_404(request, run_id)
    return render(request, "imports/_progress.html", _run_context(found))


@importer_required
def report(request: HttpRequest, run_id: int) -> HttpResponse:
    """Every rejected row of the run, with its row number, field, reason and value, as CSV."""
    found = _run_or_404(request, run_id)
    # The values are the organisation's own data, but a download leaves the hub: audited as
    # every export is.
    audit_record(
        actor=request.user,
        action="export",
        purpose="",
        partnership_code=request.partnership.code,
        detail={"export": "import_report", "import_run": found.pk, "rows": found.rows_rejected},
    )
    # A report can run to millions of rows: written to a temporary file (in memory while it
    # is small) and streamed from there.
    spool = tempfile.SpooledTemporaryFile(max_size=REPORT_IN_MEMORY_BYTES)  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    rejections_write_csv(found, text)
    text.flush()
    text.detach()
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"import-{found.pk}-rejections.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_POST
@importer_required
def again(request: HttpRequest, run_id: int) -> HttpResponse:
    """Start a stalled or failed run's import again, as a new run of the same file."""
    found = _run_or_404(request, run_id)
    if not run_can_be_run_again(found, timezone.now(), file_kept=upload_kept(found)):
        messages.error(request, "This import cannot be run again from here.")
        return redirect("imports:run", partnership_code=request.partnership.code, run_id=found.pk)
    new_run = import_run_again(run=found, user=request.user)
    messages.success(
        request,
        f"The import is starting again as import {new_run.pk}. Rows it already imported are "
        "left as they are.",
    )
    return redirect("imports:run", partnership_code=request.partnership.code, run_id=new_run.pk)


@profile_editor_required
def profiles(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    form = ProfilesForm(request.POST or None, request.FILES or None)
    posted_file = bool(request.FILES.get("file"))
    if request.method == "POST" and form.is_valid():
        try:
            applied = profiles_apply(
                text=form.cleaned_data["yaml"],
                source=form.cleaned_data["source"],
                user=request.user,
            )
        except ProfileFileInvalid as exc:
            field = "file" if posted_file else "text"
            for problem in exc.problems:
                form.add_error(field, problem)
        else:
            messages.success(
                request,
                f"The mapping profiles are saved: {len(applied)} profile"
                f"{'s' if len(applied) != 1 else ''} in the file.",
            )
            return redirect("imports:profiles", partnership_code=request.partnership.code)
    current = profiles_export(organisation)
    return render(
        request,
        "imports/profiles.html",
        {
            "form": form,
            "rows": profile_rows(profiles_of_organisation(organisation)),
            "current_yaml": current,
            # After a file was refused, the text box still shows the profiles as they are.
            "text": current if posted_file or not form.is_bound else form["text"].value(),
        },
        status=422 if form.errors else 200,
    )


@profile_editor_required
def profiles_download(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    response = HttpResponse(profiles_export(organisation), content_type="application/yaml")
    response["Content-Disposition"] = (
        f'attachment; filename="mapping-profiles-{organisation.code}.yaml"'
    )
    return response
