"""Changing partnerships: applying a partnership file, and the user's account settings."""

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from saferhub.partnerships.models import (
    STANDARD_THEMES,
    FundedPost,
    Membership,
    Organisation,
    Partnership,
    Role,
    RoleAssignment,
    Theme,
    User,
)
from saferhub.partnerships.partnership_file import PartnershipFile, PartnershipFileError
from saferhub.partnerships.themes import LAST_BIT
from saferhub.sharing.services import protocols_apply_from_file


@dataclass
class Changes:
    """What applying a file did (or, in a dry run, would do), one line per change."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def __bool__(self) -> bool:
        return bool(self.lines)


def sync_fields(obj: models.Model, desired: dict[str, Any], label: str, changes: Changes) -> None:
    """Set the fields of `obj` that differ from `desired`, save, and note each difference."""
    changed = []
    for name, value in desired.items():
        current = getattr(obj, name)
        if current != value:
            changes.add(f"~ {label}: {name} {_show(current)} → {_show(value)}")
            setattr(obj, name, value)
            changed.append(name)
    if changed:
        obj.save(update_fields=changed)


def _show(value: Any) -> str:
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or str(value)
    return repr(value) if isinstance(value, str) else str(value)


def partnership_apply(*, document: PartnershipFile, dry_run: bool = False) -> Changes:
    """Create or update a partnership and everything in its file, all or nothing.

    A dry run makes the same changes inside a transaction and rolls it back, so what it
    prints is exactly what a real run would do.
    """
    changes = Changes()
    with transaction.atomic():
        standard_themes_ensure()
        partnership = _apply_partnership(document, changes)
        _apply_themes(partnership, document, changes)
        organisations = _apply_organisations(partnership, document, changes)
        _apply_funded_posts(partnership, document, organisations, changes)
        _apply_users(partnership, document, organisations, changes)
        problems = protocols_apply_from_file(
            partnership=partnership,
            protocols=document.protocols,
            organisations=organisations,
            changes=changes,
        )
        if problems:
            raise PartnershipFileError(problems)
        if dry_run:
            transaction.set_rollback(True)
    return changes


def _apply_partnership(document: PartnershipFile, changes: Changes) -> Partnership:
    spec = document.partnership
    desired = spec.model_dump(exclude={"code"})
    partnership = Partnership.objects.filter(code=spec.code).first()
    if partnership is None:
        changes.add(f"+ partnership {spec.code}: {spec.name}")
        return Partnership.objects.create(code=spec.code, **desired)
    sync_fields(partnership, desired, f"partnership {spec.code}", changes)
    return partnership


def standard_themes_ensure() -> None:
    """The standard themes, with their fixed bits. A migration creates them; this puts them
    back if a database was emptied by other means (a test flush, a partial restore)."""
    for bit, (code, name) in enumerate(STANDARD_THEMES.items()):
        Theme.objects.get_or_create(
            partnership=None, code=code, defaults={"name": name, "bit": bit}
        )


def _apply_themes(partnership: Partnership, document: PartnershipFile, changes: Changes) -> None:
    # Extra themes are only ever added or renamed: records and older protocol versions may
    # carry a theme long after it leaves the file.
    taken = set(
        Theme.objects.filter(Q(partnership__isnull=True) | Q(partnership=partnership)).values_list(
            "bit", flat=True
        )
    )
    for code, name in document.extra_themes().items():
        theme = Theme.objects.filter(partnership=partnership, code=code).first()
        if theme is None:
            free = [bit for bit in range(LAST_BIT + 1) if bit not in taken]
            if not free:
                raise PartnershipFileError(
                    [
                        f"themes: no room for theme {code!r}: a partnership has at most "
                        f"{LAST_BIT + 1 - len(STANDARD_THEMES)} extra themes"
                    ]
                )
            changes.add(f"+ theme {code}: {name}")
            Theme.objects.create(partnership=partnership, code=code, name=name, bit=free[0])
            taken.add(free[0])
        else:
            sync_fields(theme, {"name": name}, f"theme {code}", changes)


def _apply_organisations(
    partnership: Partnership, document: PartnershipFile, changes: Changes
) -> dict[str, Organisation]:
    organisations = {}
    for spec in document.organisations:
        organisation = Organisation.objects.filter(code=spec.code).first()
        if organisation is None:
            changes.add(f"+ organisation {spec.code}: {spec.name} ({spec.kind})")
            organisation = Organisation.objects.create(
                code=spec.code, name=spec.name, kind=spec.kind
            )
        else:
            sync_fields(
                organisation,
                {"name": spec.name, "kind": spec.kind},
                f"organisation {spec.code}",
                changes,
            )
        organisations[spec.code] = organisation

        membership = Membership.objects.filter(
            partnership=partnership, organisation=organisation
        ).first()
        if membership is None:
            changes.add(f"+ membership {spec.code}: {spec.involvement}")
            Membership.objects.create(
                partnership=partnership, organisation=organisation, involvement=spec.involvement
            )
        else:
            sync_fields(
                membership,
                {"involvement": spec.involvement},
                f"membership {spec.code}",
                changes,
            )

    leaving = Membership.objects.filter(partnership=partnership).exclude(
        organisation__code__in=organisations
    )
    for membership in leaving.select_related("organisation"):
        changes.add(f"- membership {membership.organisation.code} (left the partnership)")
        membership.delete()
    return organisations


def _apply_funded_posts(
    partnership: Partnership,
    document: PartnershipFile,
    organisations: dict[str, Organisation],
    changes: Changes,
) -> None:
    kept = set()
    for spec in document.funded_posts:
        label = f"funded post {spec.post!r} ({spec.funder} → {spec.host})"
        post, created = FundedPost.objects.get_or_create(
            partnership=partnership,
            funder=organisations[spec.funder],
            host=organisations[spec.host],
            post=spec.post,
            defaults={"annual_cost_gbp": spec.annual_cost_gbp},
        )
        if created:
            changes.add(f"+ {label}: £{spec.annual_cost_gbp:,} a year")
        else:
            sync_fields(post, {"annual_cost_gbp": spec.annual_cost_gbp}, label, changes)
        kept.add(post.pk)
    for post in (
        FundedPost.objects.filter(partnership=partnership)
        .exclude(pk__in=kept)
        .select_related("funder", "host")
    ):
        changes.add(f"- funded post {post.post!r} ({post.funder.code} → {post.host.code})")
        post.delete()


def _apply_users(
    partnership: Partnership,
    document: PartnershipFile,
    organisations: dict[str, Organisation],
    changes: Changes,
) -> None:
    listed = set()
    for spec in document.users:
        listed.add(spec.username)
        desired = {
            "name": spec.name,
            "email": spec.email,
            "organisation": organisations[spec.organisation],
            "is_active": True,
        }
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            changes.add(f"+ user {spec.username}: {spec.name}, {spec.organisation}")
            user = User(username=spec.username, **desired)
            # No password from a file: the user gets one by set-password or a reset email.
            user.set_unusable_password()
            user.save()
        else:
            sync_fields(user, desired, f"user {spec.username}", changes)

        current = set(
            RoleAssignment.objects.filter(user=user, partnership=partnership).values_list(
                "role", flat=True
            )
        )
        wanted = set(spec.roles)
        for role in sorted(wanted - current):
            changes.add(f"+ role {spec.username}: {role}")
            RoleAssignment.objects.create(user=user, partnership=partnership, role=role)
        for role in sorted(current - wanted):
            changes.add(f"- role {spec.username}: {role}")
            RoleAssignment.objects.filter(user=user, partnership=partnership, role=role).delete()

    # Users left out of the file lose their roles here, not their accounts: they may work
    # in another partnership.
    for assignment in (
        RoleAssignment.objects.filter(partnership=partnership)
        .exclude(user__username__in=listed)
        .select_related("user")
        .order_by("user__username", "role")
    ):
        changes.add(f"- role {assignment.user.username}: {assignment.role} (not in the file)")
        assignment.delete()

    _sync_admin_site_access(changes)


def _sync_admin_site_access(changes: Changes) -> None:
    """Django's admin site is open to holders of the admin role only."""
    admins = RoleAssignment.objects.filter(role=Role.ADMIN).values("user")
    for user in User.objects.filter(pk__in=admins, is_staff=False):
        changes.add(f"~ user {user.username}: may use the admin site")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    for user in User.objects.filter(is_staff=True, is_superuser=False).exclude(pk__in=admins):
        changes.add(f"~ user {user.username}: may no longer use the admin site")
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def user_set_password(*, user: User, password: str) -> None:
    """Set a password after Django's password validators accept it (ValidationError if not)."""
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
