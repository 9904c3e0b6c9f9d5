"""Names kept for the modules that import them from here (``core.participants.pages``,
``core.forloeb.access``): the code lives in :mod:`core.mine.commands` and
:mod:`core.mine.queries`."""

from core.mine.commands import AccountError, check_account, set_account
from core.mine.queries import MyOverview, overview, person_for_account

__all__ = [
    "AccountError",
    "MyOverview",
    "check_account",
    "overview",
    "person_for_account",
    "set_account",
]
