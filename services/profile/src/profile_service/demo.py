"""Demo people for demonstrations and local runs (``DEMO_DATA``), stored once at start.

The people themselves are not part of this service: the operators' runner builds them
(``mentor_match_ops.demo``) and hands them over as a JSON Lines file,
``DEMO_PEOPLE_FILE``, written with :func:`write_demo_people`. :func:`seed_demo_people`
stores them once, as verified accounts, with the same events a person who registered
and confirmed their address would have published.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import AllowedDomains
from profile_service.domain.errors import DomainError
from profile_service.domain.profiles import Profile
from profile_service.service.admin import get_allowed_domains
from profile_service.service.deps import ProfileDeps, save_registration
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)

__all__ = [
    "DEMO_BATCH_SIZE",
    "DemoPerson",
    "DemoSeedResult",
    "read_demo_people",
    "seed_demo_people",
    "write_demo_people",
]

# People written per transaction: large enough that 300 people take a few commits,
# small enough that the single SQLite writer is never held for long.
DEMO_BATCH_SIZE = 50


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """One synthetic person: their sign-in address and their complete profile."""

    email: str
    profile: Profile

    @property
    def account_id(self) -> str:
        """The account id (the same as the profile id)."""
        return self.profile.id


@dataclass(frozen=True, slots=True)
class DemoSeedResult:
    """What :func:`seed_demo_people` found and did.

    Attributes:
        created: Demo people created by this call.
        existing: Demo people already stored before this call.
        refused: Demo addresses the stored allow-list refuses (not created).
    """

    created: int
    existing: int
    refused: int = 0


def write_demo_people(path: Path, people: Iterable[DemoPerson]) -> None:
    """Write ``people`` as JSON Lines (``{"email", "profile"}`` each), replacing the file whole."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as file:
        for person in people:
            record = {"email": person.email, "profile": person.profile.model_dump(mode="json")}
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)


def read_demo_people(path: Path) -> list[DemoPerson]:
    """The people :func:`write_demo_people` wrote, in order.

    Raises:
        ValueError: The file is missing, or a line is not a demo person (says which).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as problem:
        raise ValueError(f"DEMO_PEOPLE_FILE unreadable: {problem}") from problem
    people = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            profile = Profile.model_validate(record["profile"])
            people.append(DemoPerson(email=str(record["email"]), profile=profile))
        except (ValueError, KeyError, TypeError) as problem:
            raise ValueError(f"DEMO_PEOPLE_FILE line {number}: {problem}") from problem
    return people


async def _stored_addresses(uow: ProfileUnitOfWork, people: Sequence[DemoPerson]) -> set[str]:
    async with uow:
        return {
            person.email
            for person in people
            if await uow.accounts.get_by_email(person.email) is not None
        }


async def seed_demo_people(
    uow_factory: Callable[[], ProfileUnitOfWork],
    deps: ProfileDeps,
    people: Sequence[DemoPerson],
    *,
    password: str,
    batch_size: int = DEMO_BATCH_SIZE,
) -> DemoSeedResult:
    """Store the demo people once, as verified accounts with complete profiles.

    Each person publishes what a self-registered, verified person would have:
    ``account.registered``, ``account.email_verified`` and ``profile.upserted``
    (version 1), in the transaction that stores them. No verification email is
    queued: nobody reads these inboxes. People are written ``batch_size`` per
    transaction, in order, so the last demo person being stored means an earlier run
    finished; then nothing is done (people erased since stay erased). A run that
    stopped part-way is completed. Addresses the stored allow-list refuses (an
    administrator narrowed it) are left out.

    Args:
        uow_factory: Makes a unit of work on the service's store.
        deps: Handler collaborators (hasher, reference lists, clock).
        people: The demo people who should exist, in the order they are stored.
        password: The password every demo account signs in with.
        batch_size: People per transaction.
    """
    allowed: AllowedDomains = await get_allowed_domains(uow_factory())
    admitted = [person for person in people if _is_allowed(allowed, person.email)]
    refused = len(people) - len(admitted)
    stored = await _stored_addresses(uow_factory(), admitted)
    if not admitted or admitted[-1].email in stored:
        log.info("demo_people_present", existing=len(stored), refused=refused)
        return DemoSeedResult(created=0, existing=len(stored), refused=refused)
    # Demo data only: one hash shared by every demo account keeps 300 accounts to one
    # argon2 computation. Real accounts always get their own salt.
    password_hash = await asyncio.to_thread(deps.hasher.hash, password)
    missing = [person for person in admitted if person.email not in stored]
    created = 0
    for start in range(0, len(missing), batch_size):
        uow = uow_factory()
        async with uow:
            now = deps.clock()
            for person in missing[start : start + batch_size]:
                if await uow.accounts.get_by_email(person.email) is not None:
                    continue  # registered for real since we looked
                registration = Account.register(
                    person.account_id,
                    allowed.check(person.email),
                    now=now,
                    profile=person.profile,
                    password_hash=password_hash,
                    verified=True,
                )
                await save_registration(uow, registration)
                created += 1
            await uow.commit()
    log.info("demo_people_seeded", created=created, existing=len(stored), refused=refused)
    return DemoSeedResult(created=created, existing=len(stored), refused=refused)


def _is_allowed(allowed: AllowedDomains, email: str) -> bool:
    try:
        allowed.check(email)
    except DomainError:
        return False
    return True
