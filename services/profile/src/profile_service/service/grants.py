"""Contact grants: who may see whose contact details.

Grants follow the matching service's events (``match.accepted`` grants,
``match.ended`` / ``match.withdrawn`` revoke; :mod:`profile_service.consumers`), and
the contact-reveal decision itself is :func:`profile_service.domain.grants.contact_for`."""

from __future__ import annotations

from datetime import datetime

import structlog

from profile_service.domain import commands
from profile_service.domain.contact import Contact
from profile_service.domain.grants import ContactGrant, contact_for
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.service.profiles import listed_profile

log = structlog.get_logger(__name__)


async def get_contact(profile_id: str, viewer_id: str, uow: ProfileUnitOfWork) -> Contact:
    """Contact details, only for the owner and the other person of an active match.

    Raises:
        ProfileNotFound: No such profile, or not confirmed yet.
        ContactNotShared: No active accepted match between the two.
    """
    async with uow:
        profile = await listed_profile(uow, profile_id, viewer_id)
        grants = await uow.grants.for_person(profile_id)
    return contact_for(profile, viewer_id, grants)


async def _names_an_erased_person(
    uow: ProfileUnitOfWork, cmd: commands.GrantContact | commands.RevokeContact
) -> bool:
    return await uow.erased.contains(cmd.mentee_id) or await uow.erased.contains(cmd.mentor_id)


async def grant_contact(cmd: commands.GrantContact, uow: ProfileUnitOfWork, at: datetime) -> None:
    """Record the grant of an accepted match; an ended grant is never reopened.

    Nothing is recorded when either person was erased: an acceptance that arrives
    after an erasure (late, or replayed) must not name them again.
    """
    if await _names_an_erased_person(uow, cmd):
        log.info("grant_for_erased_person_ignored", match_id=cmd.match_id)
        return
    if await uow.grants.get(cmd.match_id) is not None:
        return
    await uow.grants.save(ContactGrant.from_accepted(cmd, at=at))
    log.info("contact_granted", match_id=cmd.match_id)


async def revoke_contact(cmd: commands.RevokeContact, uow: ProfileUnitOfWork, at: datetime) -> None:
    """End the grant of a match (an ended record is kept if none existed yet).

    For an erased person there is nothing left to end, and no record is made.
    """
    if await _names_an_erased_person(uow, cmd):
        log.info("revocation_for_erased_person_ignored", match_id=cmd.match_id)
        return
    grant = await uow.grants.get(cmd.match_id) or ContactGrant.from_accepted(cmd, at=at)
    await uow.grants.save(grant.end(at=at))
    log.info("contact_revoked", match_id=cmd.match_id)
