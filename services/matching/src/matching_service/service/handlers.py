"""Command handlers: profile projection and the match lifecycle.

Each handler opens the unit of work, applies the domain rules, saves, queues its
events (they reach Kafka only through the outbox) and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from matching_service.domain.availability import MentorAvailability
from matching_service.domain.commands import (
    AnswerMatch,
    DeclineOpenRequests,
    RequestMatch,
    SavePerson,
)
from matching_service.domain.errors import (
    ErasedPerson,
    InvalidMatchRequest,
    MatchConflict,
    MatchNotFound,
    NotAMentor,
    NotSaved,
    ProfileNotIndexed,
    UnknownProfile,
)
from matching_service.domain.matches import (
    Match,
    MatchPolicy,
    MatchRole,
    rerequest_allowed_from,
)
from matching_service.domain.replies import ReplyTimes, reply_hours
from matching_service.domain.shortlist import MAX_SAVED, SavedPerson, activity_month
from matching_service.service.ports import AppliedEvent, MatchingUnitOfWork
from mentor_shared.clock import utc_now
from mentor_shared.events import Envelope, EventData, new_event
from mentor_shared.events.schemas import (
    MatchAccepted,
    MatchDeclined,
    MatchEnded,
    MatchExpired,
    MatchReminderDue,
    MatchRequested,
    MatchWithdrawn,
    ProfileUpserted,
)

log = structlog.get_logger(__name__)

SOURCE = "matching"
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class MatchDeps:
    """Collaborators of the match handlers."""

    policy: MatchPolicy
    clock: Clock = utc_now


# --- profile projection (inside the consumer's unit of work) --------------------------


async def project_profile(
    profile: ProfileUpserted, uow: MatchingUnitOfWork, applied: AppliedEvent
) -> bool:
    """Store a newer profile version; older or equal versions are ignored, and so is
    any version of an erased person (a replayed event must not bring them back).

    Returns:
        True when the profile was stored.
    """
    await uow.index_state.record(applied)
    if await uow.erased.contains(profile.profile_id):
        log.info("erased_profile_ignored", profile_id=profile.profile_id)
        return False
    stored = await uow.profiles.save(profile)
    if not stored:
        log.info("stale_profile_ignored", profile_id=profile.profile_id, version=profile.version)
    else:
        # Saving one's profile counts as activity (the month of the change).
        await uow.activity.touch(profile.profile_id, activity_month(applied.occurred_at))
    return stored


async def erase_profile(profile_id: str, uow: MatchingUnitOfWork, applied: AppliedEvent) -> int:
    """Forget a deleted person and remember that they were erased, in one transaction.

    Deletes their profile row, their reply times, their activity month, their shortlist
    and every shortlist entry saving them (they disappear from others' lists), every
    match they were in (with its request message and feedback), the retained outbox
    events of those matches and their request counters (``rate_limits``, keyed by their
    id), and records the id in ``erased_subjects`` so that nothing is created for it
    again.
    No event is published on their behalf: every other service acts on
    ``profile.deleted`` itself (the profile service revokes the contact grants).
    Idempotent: a second delivery finds nothing left to delete.

    Returns:
        How many matches were deleted.
    """
    await uow.profiles.delete(profile_id)
    await uow.replies.delete(profile_id)
    await uow.activity.delete(profile_id)
    await uow.shortlist.delete_involving(profile_id)
    removed = await uow.matches.delete_involving(profile_id)
    await uow.erased.drop_counters(profile_id)
    await uow.erased.add(profile_id)
    await uow.index_state.record(applied)
    log.info("profile_erased", profile_id=profile_id, matches_removed=removed)
    return removed


async def _record_reply(uow: MatchingUnitOfWork, match: Match, policy: MatchPolicy) -> None:
    """Add what the match's latest change says about its mentor's reply time, if anything.

    Called in the transaction that answers or expires the request, so the statistic
    never disagrees with the matches it summarises.
    """
    hours = reply_hours(match, policy.request_expiry)
    if hours is None:
        return
    held = await uow.replies.get(match.mentor_id) or ReplyTimes(match.mentor_id)
    await uow.replies.save(held.with_reply(hours))


async def _save(uow: MatchingUnitOfWork, match: Match, event: Envelope) -> None:
    """Store a changed match and queue its event (sent through the outbox on commit)."""
    await uow.matches.update(match)
    uow.add_event(event)


async def _save_answer(
    uow: MatchingUnitOfWork, match: Match, event: Envelope, policy: MatchPolicy
) -> None:
    """Store an answered request (accepted, declined, expired) with its mentor's reply time."""
    await _save(uow, match, event)
    await _record_reply(uow, match, policy)


async def _withdraw(uow: MatchingUnitOfWork, match: Match, now: datetime, reason: str) -> None:
    match.withdraw(now, reason)
    await _save(uow, match, _event(MatchWithdrawn, match, reason=reason))


def _event(kind: Callable[..., EventData], match: Match, **fields: object) -> Envelope:
    """A match event keyed by the match id (one match's events stay in order)."""
    payload = kind(
        match_id=match.id,
        mentee_id=match.mentee_id,
        mentor_id=match.mentor_id,
        role=match.role,
        **fields,
    )
    return new_event(payload, subject=match.id, source=SOURCE)


# --- match lifecycle -----------------------------------------------------------------


async def request_match(cmd: RequestMatch, uow: MatchingUnitOfWork, deps: MatchDeps) -> Match:
    """Create a request from a mentee to a mentor or coach.

    Raises:
        InvalidMatchRequest: Asking oneself, or someone who neither mentors nor coaches.
        UnknownProfile: The mentor is unknown (or the mentee has no profile yet).
        MatchConflict: Too many open requests, an existing request to this person, a
            recent "no" from them, or the mentor cannot take a request
            (:meth:`MentorAvailability.ensure_can_take`).
    """
    if cmd.mentee_id == cmd.mentor_id:
        raise InvalidMatchRequest("You cannot ask yourself", code="cannot_request_self")
    now = deps.clock()
    async with uow:
        if await uow.erased.contains(cmd.mentee_id):
            raise ErasedPerson(cmd.mentee_id)
        mentor = await uow.profiles.get(cmd.mentor_id)
        if mentor is None:
            raise UnknownProfile(cmd.mentor_id)
        if await uow.profiles.get(cmd.mentee_id) is None:
            raise MatchConflict("Write your profile before asking", code="profile_not_indexed")
        role = _role_for(mentor, cmd.role)
        # A pause is told first: asking again later is the answer, whatever else holds.
        MentorAvailability.of(mentor).ensure_not_paused(now)
        pair = await uow.matches.between(cmd.mentee_id, cmd.mentor_id)
        if any(match.is_live for match in pair):
            raise MatchConflict("You already asked this person", code="already_requested")
        _check_rerequest(pair, deps.policy, now)
        open_requests = await uow.matches.open_for_mentee(cmd.mentee_id)
        if len(open_requests) >= deps.policy.max_open_requests:
            raise MatchConflict(
                f"You can have at most {deps.policy.max_open_requests} open requests",
                code="too_many_open_requests",
            )
        # Counted last, as in an accept: on MongoDB the count also writes the guard.
        (await _availability(uow, mentor)).ensure_can_take(now)
        match = Match(
            id=str(uuid.uuid4()),
            mentee_id=cmd.mentee_id,
            mentor_id=cmd.mentor_id,
            role=role,
            status="requested",
            message=cmd.message,
            created_at=now,
        )
        await uow.matches.add(match)
        await uow.activity.touch(match.mentee_id, activity_month(now))
        uow.add_event(
            new_event(
                MatchRequested(
                    match_id=match.id,
                    mentee_id=match.mentee_id,
                    mentor_id=match.mentor_id,
                    role=role,
                    message=match.message,
                    expires_at=now + deps.policy.request_expiry,
                ),
                subject=match.id,
                source=SOURCE,
            )
        )
        await uow.commit()
    log.info("match_requested", match_id=match.id, mentee_id=match.mentee_id)
    return match


def _check_rerequest(pair: list[Match], policy: MatchPolicy, now: datetime) -> None:
    """Refuse a new request while the pair's last "no" is recent (see ``MatchPolicy``)."""
    allowed_from = rerequest_allowed_from(pair, policy)
    if allowed_from is None or now >= allowed_from:
        return
    days = round(policy.rerequest_after.total_seconds() / 86_400)
    raise MatchConflict(
        f"Your last request to this person ended without a yes less than {days} days ago; "
        f"you can ask them again from {allowed_from.date().isoformat()}",
        code="rerequest_too_soon",
        details={"allowed_from": allowed_from.isoformat()},
    )


def _role_for(mentor: ProfileUpserted, wanted: MatchRole | None) -> MatchRole:
    offered: list[MatchRole] = []
    if mentor.roles.mentor:
        offered.append("mentor")
    if mentor.roles.coach:
        offered.append("coach")
    if not offered:
        raise InvalidMatchRequest("This person does not mentor or coach", code="not_a_mentor")
    if wanted is None:
        return offered[0]
    if wanted not in offered:
        raise InvalidMatchRequest(f"This person does not offer {wanted}", code="not_a_mentor")
    return wanted


async def _availability(
    uow: MatchingUnitOfWork, mentor: ProfileUpserted | None
) -> MentorAvailability:
    """The mentor's availability as of this transaction (no profile: takes nobody).

    Counting their active matches inside the write transaction serialises concurrent
    accepts of one mentor (see :mod:`matching_service.domain.availability`).
    """
    if mentor is None:
        return MentorAvailability.of(None)
    active = await uow.matches.active_count(mentor.profile_id)
    return MentorAvailability.of(mentor, active_matches=active)


async def _load(uow: MatchingUnitOfWork, match_id: str) -> Match:
    match = await uow.matches.get(match_id)
    if match is None:
        raise MatchNotFound(match_id)
    return match


async def accept_match(cmd: AnswerMatch, uow: MatchingUnitOfWork, deps: MatchDeps) -> Match:
    """The mentor accepts; capacity is re-checked inside the write transaction.

    The time from request to answer joins the mentor's reply times.

    Unless the policy keeps them, the mentee's other open requests are withdrawn
    (reason ``another_accepted``).
    """
    now = deps.clock()
    async with uow:
        match = await _load(uow, cmd.match_id)
        match.check_actor(cmd.actor_id, "mentor")
        # Inside the write transaction: concurrent accepts are serialised, so exactly
        # ``capacity`` of them pass.
        mentor = await _availability(uow, await uow.profiles.get(match.mentor_id))
        match.accept(now, mentor)
        await _save_answer(uow, match, _event(MatchAccepted, match), deps.policy)
        await uow.activity.touch(match.mentor_id, activity_month(now))
        if not deps.policy.keep_other_requests_on_accept:
            for other in await uow.matches.open_for_mentee(match.mentee_id):
                if other.id != match.id:
                    await _withdraw(uow, other, now, "another_accepted")
        await uow.commit()
    log.info("match_accepted", match_id=match.id)
    return match


async def decline_match(cmd: AnswerMatch, uow: MatchingUnitOfWork, deps: MatchDeps) -> Match:
    """The mentor declines (optionally with a reason); the answer time joins their reply times."""
    now = deps.clock()
    async with uow:
        match = await _load(uow, cmd.match_id)
        match.check_actor(cmd.actor_id, "mentor")
        match.decline(now, cmd.reason)
        await _save_answer(uow, match, _event(MatchDeclined, match, reason=cmd.reason), deps.policy)
        await uow.activity.touch(match.mentor_id, activity_month(now))
        await uow.commit()
    log.info("match_declined", match_id=match.id)
    return match


async def decline_open_requests(
    cmd: DeclineOpenRequests, uow: MatchingUnitOfWork, deps: MatchDeps
) -> list[Match]:
    """A mentor or coach declines every request still waiting for them, with one message.

    Used when they pause new requests; each decline is an ordinary one (its answer
    time joins their reply times, ``match.declined`` carries the message as reason).

    Raises:
        ProfileNotIndexed: Matching holds no profile for the caller yet.
        NotAMentor: The caller neither mentors nor coaches.

    Returns:
        The declined matches (none when nothing was waiting).
    """
    now = deps.clock()
    async with uow:
        mentor = await uow.profiles.get(cmd.mentor_id)
        if mentor is None:
            raise ProfileNotIndexed(cmd.mentor_id)
        if not (mentor.roles.mentor or mentor.roles.coach):
            raise NotAMentor()
        declined = await uow.matches.open_for_mentor(cmd.mentor_id)
        for match in declined:
            match.decline(now, cmd.reason)
            event = _event(MatchDeclined, match, reason=cmd.reason)
            await _save_answer(uow, match, event, deps.policy)
        if declined:
            await uow.activity.touch(cmd.mentor_id, activity_month(now))
        await uow.commit()
    log.info("open_requests_declined", mentor_id=cmd.mentor_id, declined=len(declined))
    return declined


async def withdraw_match(cmd: AnswerMatch, uow: MatchingUnitOfWork, deps: MatchDeps) -> Match:
    """The mentee takes a waiting request back."""
    async with uow:
        match = await _load(uow, cmd.match_id)
        match.check_actor(cmd.actor_id, "mentee")
        await _withdraw(uow, match, deps.clock(), "withdrawn")
        await uow.commit()
    log.info("match_withdrawn", match_id=match.id)
    return match


async def end_match(cmd: AnswerMatch, uow: MatchingUnitOfWork, deps: MatchDeps) -> Match:
    """Either person ends an accepted match, optionally rating it."""
    async with uow:
        match = await _load(uow, cmd.match_id)
        match.check_actor(cmd.actor_id, "either")
        match.end(deps.clock(), cmd.actor_id, cmd.rating, cmd.comment)
        await _save(uow, match, _event(MatchEnded, match, ended_by=cmd.actor_id))
        await uow.commit()
    log.info("match_ended", match_id=match.id)
    return match


async def expire_requests(uow: MatchingUnitOfWork, deps: MatchDeps) -> tuple[int, int]:
    """Expire unanswered requests and send each reminder once.

    An expired request counts as a reply time of the whole expiry period.

    Returns:
        (expired, reminded) counts.
    """
    now = deps.clock()
    expired = reminded = 0
    async with uow:
        for match in await uow.matches.open_requests():
            age = now - match.created_at
            if age >= deps.policy.request_expiry:
                match.expire(now)
                await _save_answer(uow, match, _event(MatchExpired, match), deps.policy)
                expired += 1
            elif age >= deps.policy.reminder_after and not match.reminder_sent:
                match.remind()
                await _save(uow, match, _event(MatchReminderDue, match))
                reminded += 1
        await uow.commit()
    if expired or reminded:
        log.info("requests_expired", expired=expired, reminded=reminded)
    return expired, reminded


# --- shortlist -----------------------------------------------------------------------


async def save_person(cmd: SavePerson, uow: MatchingUnitOfWork, deps: MatchDeps) -> SavedPerson:
    """Put someone on the owner's shortlist (saving them again changes nothing).

    Raises:
        InvalidMatchRequest: Saving oneself.
        ErasedPerson: The owner deleted their account.
        UnknownProfile: Matching holds no profile with this id.
        MatchConflict: ``shortlist_full`` past :data:`MAX_SAVED` people.
    """
    if cmd.owner_id == cmd.profile_id:
        raise InvalidMatchRequest("You cannot save yourself", code="cannot_save_self")
    async with uow:
        if await uow.erased.contains(cmd.owner_id):
            raise ErasedPerson(cmd.owner_id)
        if await uow.profiles.get(cmd.profile_id) is None:
            raise UnknownProfile(cmd.profile_id, "No such person")
        held = await uow.shortlist.get(cmd.owner_id, cmd.profile_id)
        if held is not None:
            return held
        if await uow.shortlist.count(cmd.owner_id) >= MAX_SAVED:
            raise MatchConflict(
                f"You can save at most {MAX_SAVED} people; remove someone first",
                code="shortlist_full",
                details={"max": MAX_SAVED},
            )
        saved = SavedPerson(cmd.owner_id, cmd.profile_id, deps.clock())
        await uow.shortlist.add(saved)
        await uow.commit()
    log.info("person_saved", owner_id=cmd.owner_id, profile_id=cmd.profile_id)
    return saved


async def unsave_person(cmd: SavePerson, uow: MatchingUnitOfWork) -> None:
    """Take someone off the owner's shortlist.

    Raises:
        NotSaved: They are not on the owner's list.
    """
    async with uow:
        removed = await uow.shortlist.remove(cmd.owner_id, cmd.profile_id)
        await uow.commit()
    if not removed:
        raise NotSaved(cmd.profile_id)
    log.info("person_unsaved", owner_id=cmd.owner_id, profile_id=cmd.profile_id)
