"""Mapping profiles from the YAML file: applied all or nothing, every mistake named by its key."""

import pytest
import yaml

from saferhub.imports.models import MappingProfile
from saferhub.imports.profiles import ProfileFileInvalid, profiles_apply, profiles_export
from saferhub.places.models import PlaceRecord
from tests.imports.conftest import PROFILES, organisation, run_import

pytestmark = pytest.mark.django_db


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProfileFileInvalid) as caught:
        profiles_apply(text=text, source="profiles.yaml")
    return caught.value.problems


def with_change(change) -> str:
    document = yaml.safe_load(PROFILES.read_text())
    change(document["profiles"])
    return yaml.safe_dump(document, sort_keys=False)


def test_it_applies_every_profile_of_the_file(profiles):
    assert set(profiles) == {"police-occurrences", "nhs-people", "council-places"}
    police = profiles["police-occurrences"]
    assert police.kind == "incidents"
    assert police.organisation.code == "police-fife"
    assert police.spec["codes"]["risk"] == {"H": "red", "M": "amber", "L": "green"}


def test_applying_it_again_updates_in_place(profiles):
    profiles_apply(text=PROFILES.read_text(), source="again")
    assert MappingProfile.objects.count() == 3


def test_export_gives_a_file_that_applies_to_the_same_profiles(profiles):
    text = profiles_export(organisation("police-fife"))
    before = MappingProfile.objects.get(name="police-occurrences").spec
    assert "police-occurrences" in text and "nhs-people" not in text
    profiles_apply(text=text, source="exported")
    assert MappingProfile.objects.get(name="police-occurrences").spec == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: p[0]["codes"]["category"].update({"NOISY": "nois"}),
            "profiles[0].codes.category.NOISY: 'nois' is not a hub code for category",
        ),
        (
            lambda p: p[1]["columns"].update({"shoe_size": "Shoes"}),
            "profiles[1].columns.shoe_size: is not a field of people",
        ),
        (
            lambda p: p[2].update({"kind": "vehicles"}),
            "profiles[2].kind: 'vehicles' is not allowed here",
        ),
        (
            lambda p: p[0].update({"date_formats": ["%d/%m/%Y %Q"]}),
            "profiles[0].date_formats[0]: '%d/%m/%Y %Q' is not a date format the hub reads",
        ),
        (
            lambda p: p[0]["columns"].pop("source_ref"),
            "profiles[0].columns.source_ref: is required",
        ),
        (
            lambda p: p[2].update({"colums": {}}),
            "profiles[2].colums: is not a key a mapping profile knows",
        ),
        (
            lambda p: p[1].update({"default_themes": ["asb"]}),
            "profiles[1].default_themes: only a profile of incidents has default_themes",
        ),
        (
            lambda p: p[0]["people"][0].update({"role": "bystander"}),
            "profiles[0].people[0].role: 'bystander' is not allowed here",
        ),
        (
            lambda p: p[0]["defaults"].update({"risk": "purple"}),
            "profiles[0].defaults.risk: 'purple' is not a hub code for risk",
        ),
        (
            lambda p: p.append(dict(p[2])),
            "profiles[3].name: 'council-places' is also profiles[2] of fife-council-asb",
        ),
    ],
)
def test_a_mistake_is_named_by_its_key_path(fife, change, expected):
    problems = problems_of(with_change(change))
    assert any(problem.startswith(expected) for problem in problems), problems
    assert MappingProfile.objects.count() == 0


def test_unknown_organisations_and_themes_are_named(fife):
    def change(profiles):
        profiles[0]["default_themes"] = ["asb", "juggling"]
        profiles[2]["organisation"] = "nobody"

    problems = problems_of(with_change(change))
    assert "profiles[0].default_themes[1]: unknown theme 'juggling'" in problems
    assert "profiles[2].organisation: unknown organisation 'nobody'" in problems
    assert MappingProfile.objects.count() == 0


def test_yaml_that_does_not_parse_says_where(fife):
    problems = problems_of("profiles:\n  - name: [unclosed\n")
    assert problems[0].startswith("profiles.yaml: line")


def test_all_problems_are_listed_at_once(fife):
    def change(profiles):
        profiles[0]["codes"]["risk"]["X"] = "black"
        profiles[1]["columns"]["height"] = "Height"

    problems = problems_of(with_change(change))
    assert len(problems) == 2


def test_a_tab_delimited_file_can_be_described_and_imported(fife, tmp_path):
    text = with_change(lambda profiles: profiles[2].update(file={"delimiter": "\t"}))
    council = {p.name: p for p in profiles_apply(text=text, source="profiles.yaml")}
    assert council["council-places"].spec["file"]["delimiter"] == "\t"
    headings = list(council["council-places"].spec["columns"].values())
    rows = ["\t".join(headings), "\t".join(["H1" if h == headings[0] else "" for h in headings])]
    path = tmp_path / "places.tsv"
    path.write_text("\n".join(rows) + "\n")
    run = run_import(path, council["council-places"])
    assert (run.status, run.rows_inserted) == ("finished", 1), run.message
    assert PlaceRecord.objects.get().source_ref == "H1"
