"""Old home of the use cases, now one module per use case.

Kept only for ``profile_service.demo``, which another branch is rewriting: use
:mod:`~profile_service.service.accounts`, :mod:`~profile_service.service.sign_in`,
:mod:`~profile_service.service.profiles`, :mod:`~profile_service.service.grants`,
:mod:`~profile_service.service.admin`, :mod:`~profile_service.service.erasure` and
:mod:`~profile_service.service.startup` instead. Delete this module once ``demo.py``
does (with ``Account.register``'s positional form).
"""

from profile_service.service.accounts import mark_email_verified
from profile_service.service.admin import get_allowed_domains
from profile_service.service.deps import SOURCE, ProfileDeps

__all__ = ["SOURCE", "ProfileDeps", "get_allowed_domains", "mark_email_verified"]
