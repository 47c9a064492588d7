"""Records about people reach pages and the API only through selectors that apply the sharing
rules: this fails if a view or API module reads a sensitive model directly."""

import ast
from pathlib import Path

import saferhub

SENSITIVE = {
    "Incident",
    "IncidentPerson",
    "RelevantPartner",
    "EmergencyDisclosure",
    "Referral",
    "ReferralEvent",
    "Case",
    "CaseIncident",
    "RiskAssessment",
    "CaseReview",
    "Action",
    "ActionUpdate",
    "AgendaItem",
}
SOURCE = Path(saferhub.__file__).parent


def _surface_modules() -> list[Path]:
    names = ("views.py", "api.py")
    return sorted(p for p in SOURCE.rglob("*.py") if p.name in names or "views" in p.parts)


def _direct_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("objects", "_default_manager", "_base_manager")
            and isinstance(node.value, ast.Name)
            and node.value.id in SENSITIVE
        ):
            found.append(f"{path.relative_to(SOURCE)}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_the_scan_finds_pages_and_api_modules():
    modules = {p.relative_to(SOURCE).as_posix() for p in _surface_modules()}
    assert {"incidents/views.py", "incidents/api.py", "sharing/views.py"} <= modules


def test_no_page_or_api_reads_a_sensitive_model_directly():
    offenders = [line for path in _surface_modules() for line in _direct_reads(path)]
    assert offenders == []


def test_the_scan_would_catch_a_direct_read(tmp_path):
    leaky = tmp_path / "views.py"
    leaky.write_text("def page(request):\n    return Incident.objects.all()\n")
    global SOURCE
    saved, SOURCE = SOURCE, tmp_path
    try:
        assert _direct_reads(leaky) == ["views.py:2 Incident.objects"]
    finally:
        SOURCE = saved
