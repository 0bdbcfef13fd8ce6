"""Profiles: the member's own, others' (public view), the directory, and changes."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from profile_service.domain import commands
from profile_service.domain.directory import DirectoryPosition, DirectoryQuery
from profile_service.domain.errors import ProfileNotFound
from profile_service.domain.grants import reveals_identity
from profile_service.domain.profiles import (
    AnonymisedCard,
    Profile,
    PublicProfile,
    public_view,
    to_profile_upserted,
)
from profile_service.service.deps import ProfileDeps, profile_event
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the directory."""

    items: list[PublicProfile | AnonymisedCard]
    next_cursor: str | None


async def display_name_of(uow: ProfileUnitOfWork, account_id: str) -> str:
    """The person's display name (inside an open unit of work); empty if they have none."""
    profile = await uow.profiles.get(account_id)
    return profile.display_name if profile else ""


async def listed_profile(uow: ProfileUnitOfWork, profile_id: str, viewer_id: str) -> Profile:
    """The profile if others may see it at all (its owner always may).

    Raises:
        ProfileNotFound: No such profile, or its address is not confirmed yet (the
            same answer, so an unconfirmed sign-up cannot be told from none).
    """
    profile = await uow.profiles.get(profile_id)
    if profile is not None and profile_id != viewer_id:
        account = await uow.accounts.get(profile_id)
        if account is None or not account.listed:
            profile = None
    if profile is None:
        raise ProfileNotFound("No profile has this id.")
    return profile


async def get_own_profile(account_id: str, uow: ProfileUnitOfWork) -> Profile:
    """The caller's profile with contact details.

    Raises:
        ProfileNotFound: The account was erased.
    """
    async with uow:
        profile = await uow.profiles.get(account_id)
    if profile is None:
        raise ProfileNotFound("This profile no longer exists.")
    return profile


async def update_profile(
    cmd: commands.UpdateProfile, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> Profile:
    """Apply a change; a real change bumps the version and publishes ``profile.upserted``.

    Raises:
        ProfileNotFound: The account was erased.
        InvalidProfile, InvalidReference: The change breaks a rule.
    """
    async with uow:
        profile = await uow.profiles.get(cmd.account_id)
        if profile is None:
            raise ProfileNotFound("This profile no longer exists.")
        updated = profile.apply_update(cmd.update, deps.reference)
        if updated.version == profile.version:
            return profile
        await uow.profiles.save(updated)
        account = await uow.accounts.get(cmd.account_id)
        # Unlisted (unconfirmed) people stay out of matching until they confirm.
        if account is not None and account.listed:
            uow.add_event(profile_event(to_profile_upserted(updated), updated.id))
        await uow.commit()
    log.info("profile_updated", profile_id=updated.id, version=updated.version)
    return updated


async def get_public_profile(
    profile_id: str, viewer_id: str, viewer_is_admin: bool, uow: ProfileUnitOfWork
) -> PublicProfile | AnonymisedCard:
    """Someone's profile without contact details (anonymised when they chose so).

    Raises:
        ProfileNotFound: No such profile, or not confirmed yet.
    """
    async with uow:
        profile = await listed_profile(uow, profile_id, viewer_id)
        grants = await uow.grants.for_person(profile_id)
    reveal = reveals_identity(viewer_id, viewer_is_admin, profile_id, grants)
    return public_view(profile, reveal_identity=reveal)


async def search_directory(
    query: DirectoryQuery,
    viewer_id: str,
    viewer_is_admin: bool,
    uow: ProfileUnitOfWork,
    deps: ProfileDeps,
) -> DirectoryPage:
    """One page of the directory (listed people only), in name order.

    The next page's cursor is sealed: it names where this page ended without
    showing anyone's name.
    """
    async with uow:
        found = await uow.profiles.search(query)
    page = found[: query.limit]
    next_cursor = (
        deps.cursors.seal(DirectoryPosition.after(page[-1]))
        if len(found) > query.limit and page
        else None
    )
    items = [
        public_view(profile, reveal_identity=viewer_is_admin or profile.id == viewer_id)
        for profile in page
    ]
    return DirectoryPage(items=items, next_cursor=next_cursor)
