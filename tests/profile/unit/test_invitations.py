"""Claim invitations of an import: held, released at the set rate, each exactly once
(real SQLite store; the outbox is read, no broker)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.domain import commands
from profile_service.domain.errors import ImportNotFound
from profile_service.service import admin, erasure
from profile_service.service.deps import ProfileDeps
from profile_service.service.invitation_sender import InvitationSender
from tests.profile.unit.test_handlers import (  # the store and collaborators of the handler tests
    clock,
    db,
    deps,
    hasher,
    uow,
)

__all__ = ["clock", "db", "deps", "hasher"]


def coach_csv(count: int, tag: str = "c") -> bytes:
    rows = ["name,email,department,profession,grade,region,expertise,approach,capacity"]
    rows += [
        f"Coach {n},coach.{tag}.{n}@cabinetoffice.gov.uk,co,policy,G6,london,"
        "Leadership,Solution focused,3"
        for n in range(count)
    ]
    return "\n".join(rows).encode()


async def imported(db: SqliteDatabase, deps: ProfileDeps, count: int, tag: str = "c") -> str:
    report = await admin.import_coaches(
        commands.ImportCoaches(content=coach_csv(count, tag), dry_run=False), uow(db), deps
    )
    assert report.import_id is not None
    return report.import_id


async def outbox_rows(db: SqliteDatabase) -> list[tuple[str, str, int]]:
    """(event type, key, lane) of every outbox row in write order."""
    rows = await db.fetchall("SELECT headers, key, lane FROM outbox ORDER BY seq")
    return [
        (json.loads(r["headers"]).get("event_type", "tombstone"), r["key"], r["lane"]) for r in rows
    ]


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_an_import_emails_nobody_and_writes_its_profiles_in_the_bulk_lane(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    import_id = await imported(db, deps, 5)
    rows = await outbox_rows(db)
    assert [(kind, lane) for kind, _, lane in rows] == [("profile.upserted", 1)] * 5
    progress = await admin.import_progress(import_id, uow(db))
    assert (progress.invitations, progress.pending, progress.done) == (5, 5, False)
    # Nothing goes out until an administrator sends them.
    assert await admin.release_invitations(uow(db), deps, 100) == 0


async def test_invitations_go_at_the_set_rate_each_once_across_a_restart(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    import_id = await imported(db, deps, 50)
    progress = await admin.send_import_invitations(import_id, uow(db), deps)
    assert (progress.queued, progress.send_requested_at) == (50, deps.clock())
    ticks = Ticks()
    sender = InvitationSender(lambda: uow(db), deps, per_minute=600, monotonic=ticks)
    assert await sender.run_once() == 0  # the bucket starts empty
    ticks.now += 0.5
    assert await sender.run_once() == 5  # ten a second
    ticks.now += 10.0  # idle time does not pile up beyond one second's worth
    assert await sender.run_once() == 10
    assert await sender.run_once() == 0
    # A new process (a restart) carries on from the store.
    restarted = InvitationSender(lambda: uow(db), deps, per_minute=600, monotonic=ticks)
    restarted.allowance()
    for _ in range(10):
        ticks.now += 1.0
        await restarted.run_once()
    progress = await admin.import_progress(import_id, uow(db))
    assert (progress.sent, progress.queued, progress.done) == (50, 0, True)
    claims = Counter(
        key for kind, key, _ in await outbox_rows(db) if kind == "account.claim_requested"
    )
    registrations = Counter(
        key for kind, key, _ in await outbox_rows(db) if kind == "account.registered"
    )
    assert len(claims) == 50
    assert set(claims.values()) == {1}
    assert registrations == claims
    assert {lane for kind, _, lane in await outbox_rows(db)} == {1}
    # Sending again sends nothing more.
    again = await admin.send_import_invitations(import_id, uow(db), deps)
    assert (again.sent, again.queued) == (50, 0)
    assert await admin.release_invitations(uow(db), deps, 100) == 0


async def test_a_release_that_fails_to_commit_leaves_its_invitations_queued(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    import_id = await imported(db, deps, 3)
    await admin.send_import_invitations(import_id, uow(db), deps)

    class Crashing(type(uow(db))):  # type: ignore[misc]
        async def commit(self) -> None:
            raise RuntimeError("the process died here")

    with pytest.raises(RuntimeError):
        await admin.release_invitations(Crashing(db), deps, 3)
    assert [kind for kind, _, _ in await outbox_rows(db)].count("account.claim_requested") == 0
    assert await admin.release_invitations(uow(db), deps, 3) == 3
    assert [kind for kind, _, _ in await outbox_rows(db)].count("account.claim_requested") == 3


async def test_a_coach_who_claimed_meanwhile_is_skipped_and_an_erased_one_forgotten(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    import_id = await imported(db, deps, 3)
    # The first coach asked for a link themselves (registration of an unclaimed
    # address sends a claim link) and claimed; the second was erased.
    async with uow(db) as work:
        first = await work.accounts.get_by_email("coach.c.0@cabinetoffice.gov.uk")
        second = await work.accounts.get_by_email("coach.c.1@cabinetoffice.gov.uk")
    assert first is not None
    assert second is not None
    async with uow(db) as work:
        await work.accounts.save(first.model_copy(update={"claimed": True}))
        await work.commit()
    await erasure.delete_account(commands.DeleteAccount(second.id), uow(db), deps)
    await admin.send_import_invitations(import_id, uow(db), deps)
    assert await admin.release_invitations(uow(db), deps, 10) == 2
    progress = await admin.import_progress(import_id, uow(db))
    assert (progress.invitations, progress.sent, progress.skipped) == (2, 1, 1)
    claimed_for = [
        key for kind, key, _ in await outbox_rows(db) if kind == "account.claim_requested"
    ]
    assert first.id not in claimed_for
    assert second.id not in claimed_for
    assert len(claimed_for) == 1


async def test_an_unknown_import_is_not_found(db: SqliteDatabase, deps: ProfileDeps) -> None:
    with pytest.raises(ImportNotFound):
        await admin.send_import_invitations("no-such-import", uow(db), deps)
    with pytest.raises(ImportNotFound):
        await admin.import_progress("no-such-import", uow(db))
