from ninja import Schema


class OrganisationOut(Schema):
    code: str
    name: str
    kind: str


class MemberOut(OrganisationOut):
    involvement: str


class PartnershipSummaryOut(Schema):
    code: str
    name: str
    local_authority: str
    region: str
    setting: str
    roles: list[str]


class FundedPostOut(Schema):
    post: str
    funder: str
    host: str
    annual_cost_gbp: int


class ProtocolSummaryOut(Schema):
    code: str
    version: int
    title: str
    level: str
    audience: str
    purposes: list[str]
    themes: list[str]
    signatories: list[str]
    effective_from: str
    expires_on: str | None
    review_by: str


class PartnershipOut(PartnershipSummaryOut):
    organisations: list[MemberOut]
    funded_posts: list[FundedPostOut]
    funded_posts_annual_total_gbp: int
    protocols_in_force: list[ProtocolSummaryOut]


class MeOut(Schema):
    username: str
    name: str
    email: str
    organisation: OrganisationOut | None
    partnerships: list[PartnershipSummaryOut]


class ErrorOut(Schema):
    message: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut]
