"""The ballots tests share the meetings tests' fixtures: a voting community and logged-in clients."""

from tests.integration.meetings.conftest import login, world  # noqa: F401 - fixtures re-exported
