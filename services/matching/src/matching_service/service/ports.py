"""Ports of the matching service: what the application needs from the outside."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from matching_service.domain.matches import Match
from matching_service.domain.model import CandidateLoad, TargetRole
from matching_service.domain.phrase_vectors import PhraseVectors
from matching_service.domain.replies import ReplyTimes
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from mentor_shared.bus.records import UnitOfWork
from mentor_shared.events.schemas import ProfileUpserted


class Embedder(Protocol):
    """Turns texts into unit vectors (inner product = cosine).

    Implementations are synchronous and CPU-bound: the service calls ``embed`` from a
    worker thread, never on the event loop.
    """

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts.

        Args:
            texts: The texts, possibly empty.

        Returns:
            A float32 array of shape (len(texts), dimension), each row L2-normalised.
        """
        ...


class VectorSearchHit(Protocol):
    """One hit of a vector search."""

    @property
    def profile_id(self) -> str: ...
    @property
    def score(self) -> float: ...


class ProfileVectorIndex(Protocol):
    """One vector per profile, searchable with an allowed-id filter applied in the search.

    One writer at a time (callers serialise upserts and removals); searches from any
    thread.
    """

    def __len__(self) -> int: ...

    def contains(self, profile_id: str) -> bool:
        """True when the profile has a vector."""
        ...

    def key_of(self, profile_id: str) -> int | None:
        """Internal int64 key of the profile's current vector, or None."""
        ...

    def upsert(self, profile_ids: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Add or replace vectors (row i for profile_ids[i])."""
        ...

    def remove(self, profile_ids: Iterable[str]) -> int:
        """Remove vectors; returns how many existed."""
        ...

    def search(
        self,
        query_vectors: npt.NDArray[np.float32],
        k: int,
        allowed_ids: set[str] | frozenset[str] | None = None,
        *,
        allowed_keys: npt.NDArray[np.int64] | None = None,
    ) -> Sequence[Sequence[VectorSearchHit]]:
        """Top-k per query among the allowed profiles (ids or keys), best first."""
        ...

    def found_ids(
        self,
        query_vectors: npt.NDArray[np.float32],
        k: int,
        *,
        allowed_keys: npt.NDArray[np.int64] | None = None,
    ) -> list[str]:
        """The distinct profiles among any query's top k (as ``search``), sorted."""
        ...

    def vectors_for(self, profile_ids: Iterable[str]) -> Mapping[str, npt.NDArray[np.float32]]:
        """Stored vectors of these profiles (unknown ids left out)."""
        ...


class PhraseVectorStore(Protocol):
    """Each profile's phrases with their vectors, for re-ranking."""

    def __len__(self) -> int: ...

    def stored_form(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The vectors as :meth:`get` gives them back after :meth:`put` (its precision)."""
        ...

    def put(self, profile_id: str, phrases: PhraseVectors) -> None:
        """Store or replace a profile's phrases (empty removes them)."""
        ...

    def get(self, profile_id: str) -> PhraseVectors | None:
        """A profile's phrases, or None."""
        ...

    def get_many(self, profile_ids: Iterable[str]) -> dict[str, PhraseVectors]:
        """The phrases of these profiles (unknown ids left out), read at once."""
        ...

    def remove(self, profile_ids: Iterable[str]) -> None:
        """Forget these profiles' phrases."""
        ...


# --- storage ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """The last profile event the service applied."""

    id: str
    type: str
    occurred_at: datetime


class ProfileRepository(Protocol):
    """The latest ``profile.upserted`` of every person: the index is rebuilt from it."""

    async def get(self, profile_id: str) -> ProfileUpserted | None:
        """The stored profile, or None."""
        ...

    async def save(self, profile: ProfileUpserted) -> bool:
        """Store the profile if its version is newer than the stored one; True if stored."""
        ...

    async def delete(self, profile_id: str) -> bool:
        """Forget the profile; True if it was there."""
        ...


class MatchRepository(Protocol):
    """Match requests and their lifecycle."""

    async def get(self, match_id: str) -> Match | None:
        """The match, or None."""
        ...

    async def add(self, match: Match) -> None:
        """Store a new match."""
        ...

    async def update(self, match: Match) -> None:
        """Store a changed match."""
        ...

    async def open_for_mentee(self, mentee_id: str) -> list[Match]:
        """The mentee's requests still waiting for an answer."""
        ...

    async def open_for_mentor(self, mentor_id: str) -> list[Match]:
        """Requests waiting for this mentor's or coach's answer, oldest first."""
        ...

    async def live_between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Requested or accepted matches of this pair."""
        ...

    async def between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Every match of this pair, whatever became of it (for the re-request rule)."""
        ...

    async def active_count(self, mentor_id: str) -> int:
        """Accepted matches of a mentor or coach (they count against capacity)."""
        ...

    async def involving(self, person_id: str) -> list[Match]:
        """Every match the person is in."""
        ...

    async def open_requests(self) -> list[Match]:
        """Every request still waiting for an answer (for expiry and reminders)."""
        ...

    async def delete_involving(self, person_id: str) -> int:
        """Erasure: delete every match the person is in, with its request message and
        feedback, and the retained outbox events of those matches (they carry the
        message and the person's id, and must not be re-published).

        Returns:
            How many matches were deleted.
        """
        ...


class ErasedSubjectsRepository(Protocol):
    """Ids of people who deleted their account (``erased_subjects``), in the transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the erasure (idempotent)."""
        ...

    async def contains(self, subject_id: str) -> bool:
        """True when the person was erased."""
        ...

    async def drop_counters(self, subject_id: str) -> None:
        """Delete the abuse-limit counters keyed by the person's id (``rate_limits``)."""
        ...


class ReplyTimesRepository(Protocol):
    """Each mentor's or coach's recent reply times, updated in the transaction that
    answers or expires a request (so suggestions never scan the match history)."""

    async def get(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's reply times, or None before their first answer."""
        ...

    async def save(self, replies: ReplyTimes) -> None:
        """Store the reply times and their median, replacing what was held."""
        ...

    async def delete(self, mentor_id: str) -> bool:
        """Forget the mentor's reply times (erasure); True if there were any."""
        ...


class ShortlistRepository(Protocol):
    """Members' saved people (``shortlist``)."""

    async def get(self, owner_id: str, profile_id: str) -> SavedPerson | None:
        """The entry, or None when the owner has not saved this person."""
        ...

    async def add(self, saved: SavedPerson) -> None:
        """Store a new entry."""
        ...

    async def remove(self, owner_id: str, profile_id: str) -> bool:
        """Take a person off the owner's list; True if they were on it."""
        ...

    async def count(self, owner_id: str) -> int:
        """How many people the owner saved."""
        ...

    async def delete_involving(self, person_id: str) -> int:
        """Erasure: delete the person's own list and every entry that saved them.

        Returns:
            How many entries were deleted.
        """
        ...


class ActivityRepository(Protocol):
    """The month each person was last active (``person_activity``).

    Only the month is ever stored (``YYYY-MM``), so nothing finer can leak.
    """

    async def touch(self, person_id: str, month: str) -> None:
        """Record activity in ``month`` (a later month replaces an earlier one)."""
        ...

    async def delete(self, person_id: str) -> bool:
        """Forget the person's activity (erasure); True if there was any."""
        ...


class IndexStateRepository(Protocol):
    """Which profile event the service applied last."""

    async def record(self, event: AppliedEvent) -> None:
        """Remember the event as the last applied."""
        ...

    async def last(self) -> AppliedEvent | None:
        """The last applied event, or None."""
        ...


class MatchingUnitOfWork(UnitOfWork, Protocol):
    """The matching service's transaction with its repositories.

    Each store's unit of work subclasses this port and sets every repository in
    ``open_repositories``, so the repositories are declared here only.
    """

    profiles: ProfileRepository
    matches: MatchRepository
    replies: ReplyTimesRepository
    index_state: IndexStateRepository
    erased: ErasedSubjectsRepository
    shortlist: ShortlistRepository
    activity: ActivityRepository


@dataclass(frozen=True, slots=True)
class WeeklyFigure:
    """Requests and acceptances of one week, by the mentee's department."""

    week: str
    department: str | None
    requests: int
    accepted: int


@dataclass(frozen=True, slots=True)
class FeedbackFigure:
    """Aggregated end-of-match feedback."""

    count: int
    mean_rating: float | None


class MatchingReadModel(Protocol):
    """Read-only queries outside any write transaction."""

    async def all_profiles(self) -> list[ProfileUpserted]:
        """Every stored profile (to rebuild or reconcile the index)."""
        ...

    async def profiles_by_id(self, profile_ids: Sequence[str]) -> dict[str, ProfileUpserted]:
        """Stored profiles of these ids (unknown ids left out), for cards."""
        ...

    async def partners(
        self, person_id: str, role: TargetRole, *, refused_since: datetime | None = None
    ) -> frozenset[str]:
        """Whom the person has asked, or been asked by, in a way that excludes them.

        Args:
            person_id: The person asking.
            role: The role their candidates play.
            refused_since: Also exclude pairs whose request was withdrawn by the mentee
                or expired at or after this time (the re-request wait; a decline
                excludes for good). None leaves them in.
        """
        ...

    async def mentor_loads(
        self, *, now: datetime, reply_ok_hours: float = 0.0
    ) -> dict[str, CandidateLoad]:
        """Every mentor's load: live matches and the slow repliers' medians.

        Reads only live matches (counts and the oldest waiting request per mentor)
        and the stored reply medians above ``reply_ok_hours``: a median at or below
        it carries no penalty, and leaving it out keeps the read small however many
        mentors have answered before.

        Args:
            now: The current time (ages of waiting requests are taken from it).
            reply_ok_hours: Reply medians up to this are left out (the ranking's
                penalty-free reply time; 0 reads them all).
        """
        ...

    async def matches_of(self, person_id: str) -> list[Match]:
        """The person's matches, newest first."""
        ...

    async def last_event(self) -> AppliedEvent | None:
        """The last profile event applied to the store."""
        ...

    async def erased_among(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these people were erased."""
        ...

    async def reply_times_of(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's recent reply times (for their data export), or None."""
        ...

    async def shortlist_of(self, owner_id: str) -> list[SavedPerson]:
        """The owner's saved people, most recently saved first."""
        ...

    async def reply_times_among(self, mentor_ids: Sequence[str]) -> dict[str, ReplyTimes]:
        """Reply times of these mentors (those without any left out), for cards."""
        ...

    async def active_months(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The month (``YYYY-MM``) each of these people was last active, where known."""
        ...

    async def weekly(self) -> list[WeeklyFigure]:
        """Requests and acceptances per ISO week and mentee department."""
        ...

    async def feedback(self) -> FeedbackFigure:
        """Feedback aggregates of ended matches."""
        ...

    async def request_facts(self) -> list[RequestFact]:
        """Every match request with the mentee's department, profession and grade (for
        the administrators' report; aggregated and suppressed before anyone sees it)."""
        ...
