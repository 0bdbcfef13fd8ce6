"""Old home of the domain's aggregates, now split by concept.

Kept only for ``profile_service.demo``, which another branch is rewriting: import
from :mod:`~profile_service.domain.accounts`, :mod:`~profile_service.domain.profiles`,
:mod:`~profile_service.domain.contact` or :mod:`~profile_service.domain.grants`
instead. Delete this module once ``demo.py`` does.
"""

from profile_service.domain.accounts import Account
from profile_service.domain.contact import Contact
from profile_service.domain.profiles import Profile, ProfileUpdate

__all__ = ["Account", "Contact", "Profile", "ProfileUpdate"]
