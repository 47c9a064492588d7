"""Reading partnerships: which a user may enter, what their home page shows, the file form.

Partnership set-up is not personal data: every member of a partnership may read it.
"""

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum

from saferhub.partnerships.models import (
    FundedPost,
    Membership,
    Organisation,
    Partnership,
    RoleAssignment,
    User,
)
from saferhub.sharing.models import Protocol, ProtocolStatus


def partnerships_of_user(*, user: User) -> QuerySet[Partnership]:
    """The partnerships a user holds a role in, by name."""
    return Partnership.objects.filter(role_assignments__user=user).distinct().order_by("name")


def organisations_of_user_partnerships(
    *, user: User, kind: str | None = None, partnership_code: str | None = None
) -> QuerySet[Organisation]:
    """Organisations that are members of any partnership the user holds a role in."""
    partnerships = partnerships_of_user(user=user)
    if partnership_code is not None:
        partnerships = partnerships.filter(code=partnership_code)
    organisations = Organisation.objects.filter(memberships__partnership__in=partnerships)
    if kind is not None:
        organisations = organisations.filter(kind=kind)
    return organisations.distinct().order_by("name")


def roles_of_user(*, user: User, partnership: Partnership) -> set[str]:
    return set(
        RoleAssignment.objects.filter(user=user, partnership=partnership).values_list(
            "role", flat=True
        )
    )


def memberships_of_partnership(*, partnership: Partnership) -> QuerySet[Membership]:
    """Member organisations, most involved first."""
    involvement_order = {"very": 0, "fairly": 1, "a_little": 2, "not": 3}
    memberships = list(
        Membership.objects.filter(partnership=partnership).select_related("organisation")
    )
    memberships.sort(key=lambda m: (involvement_order[m.involvement], m.organisation.name))
    return memberships


def funded_posts_of_partnership(*, partnership: Partnership) -> tuple[list[FundedPost], int]:
    """The funded posts and their annual total in pounds."""
    posts = FundedPost.objects.filter(partnership=partnership).select_related("funder", "host")
    total = posts.aggregate(total=Sum("annual_cost_gbp"))["total"] or 0
    return list(posts.order_by("post", "funder__name")), total


def protocols_in_force(*, partnership: Partnership, day: datetime.date) -> list[Protocol]:
    """Protocol versions sharing data on `day`, soonest review first."""
    return list(
        Protocol.objects.filter(partnership=partnership)
        .active_on(day)
        .prefetch_related("themes", Prefetch("signings__organisation"))
        .order_by("review_by", "code")
    )


def protocols_of_partnership(*, partnership: Partnership) -> list[Protocol]:
    """Every protocol version, newest version of each code first."""
    return list(
        Protocol.objects.filter(partnership=partnership)
        .prefetch_related("themes", "signings__organisation", "signings__signed_by")
        .order_by("code", "-version")
    )


def partnership_file_export(*, partnership: Partnership) -> dict[str, Any]:
    """The partnership as a partnership file: applying it back changes nothing."""
    memberships = Membership.objects.filter(partnership=partnership).select_related("organisation")
    users = (
        User.objects.filter(role_assignments__partnership=partnership)
        .distinct()
        .select_related("organisation")
        .order_by("username")
    )
    roles_by_user: dict[int, list[str]] = {}
    for assignment in RoleAssignment.objects.filter(partnership=partnership).order_by("role"):
        roles_by_user.setdefault(assignment.user_id, []).append(assignment.role)
    latest_protocols = {}
    for protocol in protocols_of_partnership(partnership=partnership):
        latest_protocols.setdefault(protocol.code, protocol)

    return {
        "partnership": {
            "code": partnership.code,
            "name": partnership.name,
            "local_authority": partnership.local_authority,
            "region": partnership.region,
            "setting": partnership.setting,
        },
        "organisations": [
            {
                "code": m.organisation.code,
                "name": m.organisation.name,
                "kind": m.organisation.kind,
                "involvement": m.involvement,
            }
            for m in sorted(memberships, key=lambda m: m.organisation.code)
        ],
        "funded_posts": [
            {
                "funder": post.funder.code,
                "host": post.host.code,
                "post": post.post,
                "annual_cost_gbp": post.annual_cost_gbp,
            }
            for post in FundedPost.objects.filter(partnership=partnership)
            .select_related("funder", "host")
            .order_by("funder__code", "host__code", "post")
        ],
        "users": [
            {
                "username": user.username,
                "name": user.name,
                "email": user.email,
                "organisation": user.organisation.code if user.organisation else None,
                "roles": roles_by_user[user.pk],
            }
            for user in users
        ],
        "themes": [
            {"code": theme.code, "name": theme.name}
            for theme in partnership.extra_themes.order_by("code")
        ],
        "protocols": [
            {
                "code": p.code,
                "title": p.title,
                "version": p.version,
                "status": p.status,
                "effective_from": p.effective_from,
                **({"expires_on": p.expires_on} if p.expires_on else {}),
                "review_by": p.review_by,
                "signatories": sorted(s.organisation.code for s in p.signings.all()),
                "themes": sorted(t.code for t in p.themes.all()),
                "level": p.level,
                "audience": p.audience,
                "purposes": p.purposes,
                "legal_basis": p.legal_basis,
                "retention_months": p.retention_months,
            }
            for p in latest_protocols.values()
            # A superseded version cannot be re-applied as the newest; export what is current.
            if p.status != ProtocolStatus.SUPERSEDED
        ],
    }
