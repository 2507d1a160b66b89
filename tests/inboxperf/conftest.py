"""The inbox's fixtures (one sent referral with both sides), shared with tests/inbox."""

from tests.inbox.conftest import Sides, sides

__all__ = ["Sides", "sides"]
