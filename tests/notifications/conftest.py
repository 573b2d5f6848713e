"""The invitation fixtures (members ada, bob, … and signing in as one), shared with the invitation-answer tests."""

from ..invitations.conftest import as_member, people  # noqa: F401 - fixtures
