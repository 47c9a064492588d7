"""A Fife partnership with a practitioner in each organisation (see tests/incidents)."""

from tests.incidents.conftest import staff  # noqa: F401
