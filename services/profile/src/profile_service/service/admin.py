"""Administration: the allow-list, usage figures, and the coach import with its
claim invitations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from mentor_shared.events.schemas import AccountRegistered
from profile_service.domain import commands
from profile_service.domain.accounts import Account, new_id
from profile_service.domain.allowlist import (
    AllowedDomains,
    DomainRule,
    default_allowed_domains,
    parse_email,
)
from profile_service.domain.coach_import import CoachImportResult
from profile_service.domain.coach_workbook import parse_coach_file
from profile_service.domain.directory import ProfileStats
from profile_service.domain.errors import (
    ImportFileInvalid,
    ImportNotFound,
    InvalidAllowedDomain,
    InvalidInput,
)
from profile_service.domain.invitations import CoachImportRecord, ImportProgress
from profile_service.domain.profiles import Profile, to_profile_upserted
from profile_service.service.account_emails import send_token
from profile_service.service.deps import ProfileDeps, profile_event, save_registration
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.service.profiles import display_name_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CoachImportReport:
    """What an import found and did."""

    check: CoachImportResult
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    import_id: str | None = None
    """The import's id (real runs): its invitations are sent from it."""
    invitations: int = 0
    """Claim invitations made (one per new coach), waiting to be sent."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            **self.check.to_dict(),
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "import_id": self.import_id,
            "invitations": self.invitations,
        }


async def stored_allowed_domains(uow: ProfileUnitOfWork) -> AllowedDomains:
    """The allow-list (inside an open unit of work); the default before it is seeded."""
    return await uow.domains.get() or default_allowed_domains()


async def get_allowed_domains(uow: ProfileUnitOfWork) -> AllowedDomains:
    """The allow-list as stored."""
    async with uow:
        return await stored_allowed_domains(uow)


async def replace_allowed_domains(
    cmd: commands.ReplaceAllowedDomains, uow: ProfileUnitOfWork
) -> AllowedDomains:
    """Replace the allow-list, refusing it whole if any entry is bad.

    Raises:
        InvalidAllowedDomain: Listing every bad entry in ``details``.
        InvalidInput: The list is empty (nobody could register).
    """
    rules: list[DomainRule] = []
    problems: list[dict[str, Any]] = []
    for entry in cmd.entries:
        try:
            rules.append(DomainRule.parse(entry))
        except InvalidAllowedDomain as error:
            problems.append({"entry": entry, "message": error.message})
    if problems:
        raise InvalidAllowedDomain(
            f"{len(problems)} entr{'y is' if len(problems) == 1 else 'ies are'} not valid.",
            details=problems,
        )
    if not rules:
        raise InvalidInput("The allow-list cannot be empty: nobody could register.")
    domains = AllowedDomains(rules)
    async with uow:
        await uow.domains.replace(domains)
        await uow.commit()
    log.info("allowed_domains_replaced", entries=len(domains))
    return domains


async def get_stats(uow: ProfileUnitOfWork) -> ProfileStats:
    """Usage figures."""
    async with uow:
        return await uow.profiles.stats()


async def import_coaches(
    cmd: commands.ImportCoaches, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> CoachImportReport:
    """Check (dry run) or apply the coach spreadsheet; idempotent by email.

    A real run with any bad row writes nothing and reports every problem. New
    addresses get an unclaimed account, a coach profile and a pending claim
    invitation (sent once an administrator asks: :func:`send_import_invitations`);
    existing people get the coach role and the spreadsheet's fields. Profile events
    go in the outbox's bulk lane, so they never hold up anyone's transactional email.

    Raises:
        ImportFileInvalid: The file is unusable, or (real run) some rows are bad.
    """
    async with uow:
        allowed = await stored_allowed_domains(uow)
    check = await asyncio.to_thread(
        parse_coach_file,
        cmd.content,
        filename=cmd.filename,
        reference=deps.reference,
        allowed=allowed,
    )
    if cmd.dry_run:
        return CoachImportReport(check=check, dry_run=True)
    if not check.ok:
        raise ImportFileInvalid(
            f"{len(check.invalid_lines())} row(s) have problems, so nothing was imported. "
            "Fix them (a dry run lists them) and upload again.",
            details=check.to_dict(),
        )
    created = updated = unchanged = 0
    invited: list[str] = []
    import_id = new_id()
    async with uow:
        now = deps.clock()
        for row in check.rows:
            account = await uow.accounts.get_by_email(row.email)
            if account is None:
                registration = Account.import_(
                    new_id(),
                    parse_email(row.email),
                    row.name,
                    row.to_update(None),
                    deps.reference,
                    now=now,
                )
                await save_registration(uow, registration, bulk=True)
                # No email yet: the claim invitation waits for the administrator
                # (domain.invitations); the address travels with it.
                invited.append(registration.account.id)
                created += 1
                continue
            current = await uow.profiles.get(account.id) or Profile.new(account.id, row.name)
            changed = current.apply_update(row.to_update(current), deps.reference)
            if changed.version == current.version:
                unchanged += 1
                continue
            await uow.profiles.save(changed)
            uow.add_event(profile_event(to_profile_upserted(changed), changed.id), bulk=True)
            updated += 1
        await uow.invitations.add_import(
            CoachImportRecord(
                id=import_id, created_at=now, created=created, updated=updated, unchanged=unchanged
            ),
            invited,
        )
        await uow.commit()
    log.info(
        "coaches_imported",
        import_id=import_id,
        created=created,
        updated=updated,
        unchanged=unchanged,
    )
    return CoachImportReport(
        check=check,
        dry_run=False,
        created=created,
        updated=updated,
        unchanged=unchanged,
        import_id=import_id,
        invitations=len(invited),
    )


async def import_progress(import_id: str, uow: ProfileUnitOfWork) -> ImportProgress:
    """An import and where its claim invitations stand.

    Raises:
        ImportNotFound: No import has that id.
    """
    async with uow:
        progress = await uow.invitations.progress(import_id)
    if progress is None:
        raise ImportNotFound("No import has that id.")
    return progress


async def recent_imports(uow: ProfileUnitOfWork, limit: int = 20) -> list[ImportProgress]:
    """The latest imports with their invitation progress, newest first."""
    async with uow:
        return await uow.invitations.recent(limit)


async def send_import_invitations(
    import_id: str, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> ImportProgress:
    """An administrator sends an import's claim invitations: they are queued for the
    invitation sender, which releases them at its bounded rate. Asking again queues
    nothing more.

    Raises:
        ImportNotFound: No import has that id.
    """
    async with uow:
        if await uow.invitations.progress(import_id) is None:
            raise ImportNotFound("No import has that id.")
        queued = await uow.invitations.queue(import_id, deps.clock())
        progress = await uow.invitations.progress(import_id)
        await uow.commit()
    assert progress is not None
    log.info("import_invitations_queued", import_id=import_id, queued=queued)
    return progress


async def release_invitations(uow: ProfileUnitOfWork, deps: ProfileDeps, limit: int) -> int:
    """Release up to ``limit`` queued invitations; returns how many were handled.

    Each invitation's ``account.registered`` and ``account.claim_requested`` events
    are written in the transaction that marks it sent (bulk lane), so a crash or a
    restart never loses one and never sends one twice. A coach who has claimed the
    account or confirmed the address meanwhile is skipped.
    """
    if limit <= 0:
        return 0
    async with uow:
        account_ids = await uow.invitations.next_queued(limit)
        if not account_ids:
            return 0
        sent: list[str] = []
        skipped: list[str] = []
        for account_id in account_ids:
            account = await uow.accounts.get(account_id)
            if account is None or account.claimed or account.email_verified:
                skipped.append(account_id)
                continue
            name = await display_name_of(uow, account.id)
            uow.add_event(
                profile_event(
                    AccountRegistered(
                        account_id=account.id, email=account.email, display_name=name
                    ),
                    account.id,
                ),
                bulk=True,
            )
            await send_token(uow, deps, account, name, "claim", bulk=True)
            sent.append(account_id)
        await uow.invitations.settle(sent, "sent")
        await uow.invitations.settle(skipped, "skipped")
        await uow.commit()
    log.info("claim_invitations_released", sent=len(sent), skipped=len(skipped))
    return len(account_ids)
