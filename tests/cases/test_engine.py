"""The case list's database filter and the one-case decision never disagree: whatever the
themes, restriction and relevant partners of a case, and whoever reads it."""

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from saferhub.cases.models import Case
from saferhub.cases.selectors import case_access, cases_at_least
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.partnerships.partnership_file import read_partnership_file
from saferhub.partnerships.services import partnership_apply
from saferhub.partnerships.themes import ThemeBook
from saferhub.sharing.engine import RANK, reader_for
from saferhub.sharing.models import Level
from tests.conftest import EXAMPLE_FILE, add_user

CODES = ["police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"]
THEMES = ["asb", "cuckooing", "fire_safety", "home_safety", "domestic_abuse"]


class TestCaseVisibility(TestCase):
    @classmethod
    def setUpTestData(cls):
        partnership_apply(document=read_partnership_file(EXAMPLE_FILE))
        cls.fife = Partnership.objects.get(code="fife")
        cls.organisations = {o.code: o for o in Organisation.objects.filter(code__in=CODES)}
        cls.users = {
            code: add_user(
                f"reader.{code}",
                partnership=cls.fife,
                organisation=cls.organisations[code],
                roles=["practitioner"],
            )
            for code in CODES
        }
        cls.book = ThemeBook.of(cls.fife)

    @settings(max_examples=60, deadline=None)
    @given(
        owner=st.sampled_from(CODES),
        themes=st.sets(st.sampled_from(THEMES), min_size=1),
        restricted=st.booleans(),
        partners=st.sets(st.sampled_from(CODES)),
        purpose=st.sampled_from(["tasking", "referral", "analysis"]),
    )
    def test_the_filter_and_the_decision_agree(self, owner, themes, restricted, partners, purpose):
        case = Case.objects.create(
            partnership=self.fife,
            owner=self.organisations[owner],
            title="A case",
            subject="problem",
            theme_mask=self.book.mask_of(themes),
            restricted=restricted,
            opened_at="2026-11-01T10:00Z",
        )
        case.relevant_partners.set([self.organisations[c] for c in partners])
        case = Case.objects.prefetch_related("relevant_partners").get(pk=case.pk)
        for code, user in self.users.items():
            reader = reader_for(user, purpose)
            access = case_access(reader, case)
            for level in (Level.AGGREGATE, Level.DEPERSONALISED, Level.PERSONAL):
                listed = cases_at_least(reader, level).filter(pk=case.pk).exists()
                assert listed is (access.rank >= RANK[level]), (code, level, access)
            if code == owner:
                assert access.level == Level.PERSONAL
        case.delete()
