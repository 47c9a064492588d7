"""Partnerships, their member organisations, funded posts, themes, users and roles."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Region(models.TextChoices):
    NORTH = "north", "North"
    EAST = "east", "East"
    WEST = "west", "West"


class Setting(models.TextChoices):
    URBAN = "urban", "Urban"
    RURAL = "rural", "Rural or small town"


class OrganisationKind(models.TextChoices):
    POLICE = "police", "Police"
    FIRE = "fire", "Fire and rescue"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    NHS = "nhs", "NHS"
    THIRD_SECTOR = "third_sector", "Third sector"
    HOUSING = "housing", "Housing"
    PRIVATE = "private", "Private sector"
    PRISON = "prison", "Prison service"
    PROSECUTION = "prosecution", "Prosecution service"
    CHILDREN_REPORTER = "children_reporter", "Children's reporter"
    OTHER = "other", "Other"


class Involvement(models.TextChoices):
    # The four answers of the national survey of partnerships, most involved first.
    VERY = "very", "Very involved"
    FAIRLY = "fairly", "Fairly involved"
    A_LITTLE = "a_little", "A little involved"
    NOT = "not", "Not involved"


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    COORDINATOR = "coordinator", "Coordinator"
    ANALYST = "analyst", "Analyst"
    MANAGER = "manager", "Manager"
    DATA_PROTECTION_LEAD = "data_protection_lead", "Data protection lead"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


# Roles whose work shows personal data; holding any of them means a second factor at login.
# A manager sets up the partnership and signs protocols but works with figures, not people.
ROLES_THAT_SEE_PERSONAL_DATA = frozenset(
    {
        Role.PRACTITIONER,
        Role.COORDINATOR,
        Role.ANALYST,
        Role.DATA_PROTECTION_LEAD,
        Role.AUDITOR,
        Role.ADMIN,
    }
)

STANDARD_THEMES = {
    "asb": "Antisocial behaviour",
    "domestic_abuse": "Domestic abuse",
    "home_safety": "Home safety",
    "fire_safety": "Fire safety",
    "road_safety": "Road safety",
    "substance_misuse": "Substance misuse",
    "violence": "Violence",
    "child_protection": "Child protection",
    "adult_protection": "Adult protection",
    "serious_organised_crime": "Serious organised crime",
    "sexual_crime": "Sexual crime",
    "hate_crime": "Hate crime",
    "acquisitive_crime": "Acquisitive crime",
    "mental_health": "Mental health",
}


class Partnership(models.Model):
    """A Community Safety Partnership: one local authority area."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    local_authority = models.CharField(max_length=100)
    region = models.CharField(max_length=10, choices=Region.choices)
    setting = models.CharField(max_length=10, choices=Setting.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A partner organisation; one organisation may sit in several partnerships."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    partnerships = models.ManyToManyField(
        Partnership, through="Membership", related_name="organisations"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    involvement = models.CharField(max_length=10, choices=Involvement.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation"], name="one_membership_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.partnership}"


class FundedPost(models.Model):
    """A post one partner pays for and another hosts (a campus officer, a LALO, ...)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="funded_posts"
    )
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    post = models.CharField(max_length=200)
    annual_cost_gbp = models.PositiveIntegerField()

    class Meta:
        ordering = ["post", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "funder", "host", "post"], name="one_post_per_name"
            )
        ]

    def __str__(self) -> str:
        return self.post


class Theme(models.Model):
    """A theme of community safety work; the standard list plus a partnership's extras."""

    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    # The theme's bit in a record's theme mask (saferhub.partnerships.themes): the standard
    # themes take the first bits, a partnership's extra themes the next ones.
    bit = models.PositiveSmallIntegerField()
    # Empty for the standard themes every partnership has.
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.CASCADE, related_name="extra_themes"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(partnership__isnull=True),
                name="standard_theme_code_unique",
            ),
            models.UniqueConstraint(fields=["partnership", "code"], name="extra_theme_code_unique"),
            models.UniqueConstraint(
                fields=["bit"],
                condition=Q(partnership__isnull=True),
                name="standard_theme_bit_unique",
            ),
            models.UniqueConstraint(fields=["partnership", "bit"], name="extra_theme_bit_unique"),
            models.CheckConstraint(condition=Q(bit__lte=62), name="theme_bit_fits_a_mask"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works in the hub; belongs to one organisation."""

    first_name = None
    last_name = None
    name = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    REQUIRED_FIELDS = ["email"]

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.username

    def __str__(self) -> str:
        return self.get_full_name()


class RoleAssignment(models.Model):
    """What a user may do in one partnership; a user with no role there cannot enter it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partnership", "role"], name="one_assignment_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} in {self.partnership}"
