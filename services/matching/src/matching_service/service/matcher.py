"""The matcher: indexes profiles and answers suggestion and search queries.

Everything here is synchronous and CPU-bound (embedding, FAISS, numpy); the service
runs it in a worker thread with a single writer (``index_profiles`` and
``remove_profiles`` are not called concurrently with each other).

Query flow: hard filters (vectorised over a column table, the same rules as
:func:`matching_service.domain.filters.allowed_candidate_ids`) give the allowed
candidates' index keys; the vector index retrieves candidates with that filter
inside the search, in one call whose queries are the asker's profile vector and each
goal phrase (a candidate whose one strong match is diluted in their profile vector is
still found); the union is re-ranked at phrase level, meaning first, with structured
fit as a tie-breaker and load (:mod:`matching_service.domain.ranking`).

Reads (``suggest``, ``search_text``) may run in other threads while the writer
indexes: they see each profile either before or after its update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import structlog

from matching_service.domain.errors import ProfileNotIndexed
from matching_service.domain.filters import CandidateTable
from matching_service.domain.model import (
    OFFERING_ROLES,
    PairHistory,
    PersonProfile,
    SuggestionQuery,
    TargetRole,
)
from matching_service.domain.phrase_reasons import ReasonVoice
from matching_service.domain.phrase_vectors import PhraseVectors, profile_vector
from matching_service.domain.ranking import RankingCandidate, Suggestion, rank_candidates
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.domain.texts import profile_phrases, query_phrases
from matching_service.service.ports import Embedder, PhraseVectorStore, ProfileVectorIndex

log = structlog.get_logger(__name__)

MAX_PHRASE_QUERIES = 12
"""Goal phrases searched one by one at most (the profile vector covers the rest)."""


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """Totals for ``GET /v1/index/status``."""

    profiles: int
    offers: int
    seeks: int


@dataclass(frozen=True, slots=True)
class Side:
    """One vector space: an index of profile vectors and the phrases behind them."""

    index: ProfileVectorIndex
    phrases: PhraseVectorStore


class Matcher:
    """Profiles, their vectors in two spaces (offers, seeks), and ranked suggestions."""

    def __init__(
        self,
        embedder: Embedder,
        offers: Side,
        seeks: Side,
        *,
        weights: RankingWeights | None = None,
        profiles: Mapping[str, PersonProfile] | None = None,
    ) -> None:
        """Wire the matcher.

        Args:
            embedder: Turns phrases into unit vectors.
            offers: What people offer (mentors' and coaches' expertise).
            seeks: What people seek (mentees' goals).
            weights: Ranking weights; the defaults when None.
            profiles: Profiles already indexed (from a snapshot).
        """
        self.embedder = embedder
        self.offers = offers
        self.seeks = seeks
        self.weights = weights or RankingWeights()
        self._profiles: dict[str, PersonProfile] = {}
        # Hard filters run on columns; each row also knows its vectors' index keys, so a
        # query hands FAISS an int64 selector without mapping strings.
        self._table = CandidateTable()
        self._keys: dict[str, npt.NDArray[np.int64]] = {
            "offers": np.full(0, -1, dtype=np.int64),
            "seeks": np.full(0, -1, dtype=np.int64),
        }
        for profile in (profiles or {}).values():
            self._remember(profile)

    def _remember(self, profile: PersonProfile) -> None:
        """Record a profile and its index keys for the hard filters."""
        self._profiles[profile.profile_id] = profile
        row = self._table.upsert(profile)
        for name, side in (("offers", self.offers), ("seeks", self.seeks)):
            keys = self._keys[name]
            if keys.size <= row:
                grown = np.full(max(2 * keys.size, row + 1, 1024), -1, dtype=np.int64)
                grown[: keys.size] = keys
                self._keys[name] = keys = grown
            key = side.index.key_of(profile.profile_id)
            keys[row] = -1 if key is None else key

    def _phrase_vectors(self, phrases: Sequence[str]) -> PhraseVectors:
        """Embed phrases."""
        texts = tuple(phrases)
        return PhraseVectors(texts, self.embedder.embed(texts))

    # --- reading ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._profiles)

    def profile(self, profile_id: str) -> PersonProfile | None:
        """The profile as last indexed, or None."""
        return self._profiles.get(profile_id)

    def profiles(self) -> list[PersonProfile]:
        """Every known profile."""
        return list(self._profiles.values())

    def status(self) -> IndexStatus:
        """How many profiles are known and how many have vectors in each space."""
        return IndexStatus(
            profiles=len(self._profiles),
            offers=len(self.offers.index),
            seeks=len(self.seeks.index),
        )

    # --- writing ------------------------------------------------------------------

    def index_profiles(self, profiles: Sequence[PersonProfile]) -> list[str]:
        """Embed and index profiles; older or equal versions than those held are skipped.

        The model is the cost, so it sees each distinct phrase of the batch once, in
        one call (batching is where the throughput is), and only the phrases a side
        keeps: offers of people who offer help, seeks of mentees. A phrase the
        profile already had keeps its vector (an edit re-embeds what changed). A side
        with no confirmed skills is tagged from the same phrases
        (:meth:`PersonProfile.tagged`), here in the writer's thread rather than where
        the event is read.

        Returns:
            The ids actually (re)indexed.
        """
        latest: dict[str, PersonProfile] = {}
        for profile in profiles:
            held = latest.get(profile.profile_id) or self._profiles.get(profile.profile_id)
            if held is None or profile.version > held.version:
                latest[profile.profile_id] = profile
        fresh = list(latest.values())
        if not fresh:
            return []
        wanted: list[tuple[PersonProfile, tuple[str, ...], tuple[str, ...]]] = []
        for profile in fresh:
            phrases = profile_phrases(profile)
            wanted.append(
                (
                    profile.tagged(phrases),
                    phrases.offers if profile.offers_help else (),
                    phrases.seeks if "mentee" in profile.roles else (),
                )
            )
        fresh = [profile for profile, _, _ in wanted]
        known = self._held_phrase_vectors(fresh)
        new_texts = list(
            dict.fromkeys(
                text
                for _, offers, seeks in wanted
                for text in (*offers, *seeks)
                if text not in known
            )
        )
        # Rounded as the phrase store keeps them, so a reused vector equals a fresh one
        # and the index does not depend on the order updates came in.
        embedded = self.offers.phrases.stored_form(self.embedder.embed(new_texts))
        known.update(zip(new_texts, embedded, strict=True))
        offer_updates: list[tuple[str, PhraseVectors]] = []
        seek_updates: list[tuple[str, PhraseVectors]] = []
        for profile, offers, seeks in wanted:
            if offers:
                offer_updates.append((profile.profile_id, self._stack(offers, known)))
            if seeks:
                seek_updates.append((profile.profile_id, self._stack(seeks, known)))
        ids = [profile.profile_id for profile in fresh]
        self._apply(self.offers, ids, offer_updates)
        self._apply(self.seeks, ids, seek_updates)
        for profile in fresh:
            self._remember(profile)
        log.info("profiles_indexed", profiles=len(fresh), phrases_embedded=len(new_texts))
        return ids

    def _held_phrase_vectors(
        self, profiles: Iterable[PersonProfile]
    ) -> dict[str, npt.NDArray[np.float32]]:
        """The vectors these profiles' phrases have in the index now, by phrase."""
        held: dict[str, npt.NDArray[np.float32]] = {}
        for profile in profiles:
            for side in (self.offers, self.seeks):
                stored = side.phrases.get(profile.profile_id)
                if stored is not None:
                    held.update(zip(stored.phrases, stored.vectors, strict=True))
        return held

    def _stack(
        self, phrases: tuple[str, ...], vectors: Mapping[str, npt.NDArray[np.float32]]
    ) -> PhraseVectors:
        return PhraseVectors(phrases, np.vstack([vectors[text] for text in phrases]))

    @staticmethod
    def _apply(side: Side, ids: list[str], updates: list[tuple[str, PhraseVectors]]) -> None:
        """Replace the side's vectors of ``ids``: updated ones in, the rest out."""
        kept_ids: list[str] = []
        kept_vectors: list[npt.NDArray[np.float32]] = []
        for profile_id, phrases in updates:
            vector = profile_vector(phrases.vectors)
            if vector is None:
                continue
            side.phrases.put(profile_id, phrases)
            kept_ids.append(profile_id)
            kept_vectors.append(vector)
        dropped = set(ids) - set(kept_ids)
        side.index.remove(dropped)
        side.phrases.remove(dropped)
        if kept_ids:
            side.index.upsert(kept_ids, np.vstack(kept_vectors))

    def remove_profiles(self, profile_ids: Iterable[str]) -> int:
        """Forget profiles entirely (erasure): vectors, phrases and the profile copy.

        Returns:
            How many profiles were known.
        """
        ids = list(profile_ids)
        for side in (self.offers, self.seeks):
            side.index.remove(ids)
            side.phrases.remove(ids)
        removed = 0
        for profile_id in ids:
            row = self._table.row_of(profile_id)
            if row is not None:
                for keys in self._keys.values():
                    if row < keys.size:
                        keys[row] = -1
            self._table.remove(profile_id)
            removed += self._profiles.pop(profile_id, None) is not None
        log.info("profiles_removed", profiles=removed)
        return removed

    # --- queries ------------------------------------------------------------------

    def _sides(self, role: TargetRole) -> tuple[Side, Side]:
        """(asker's side, candidates' side) for candidates playing ``role``."""
        if role in OFFERING_ROLES:
            return self.seeks, self.offers
        return self.offers, self.seeks

    def _asker_phrases(self, asker: PersonProfile, side: Side) -> PhraseVectors | None:
        stored = side.phrases.get(asker.profile_id)
        if stored is not None:
            return stored
        # A mentor asking for mentees may not have a seeks entry, nor a mentee an
        # offers entry: embed their phrases for this query only.
        phrases = profile_phrases(asker)
        texts = phrases.seeks if side is self.seeks else phrases.offers
        if not texts:
            return None
        return self._phrase_vectors(texts)

    def suggest(
        self,
        asker_id: str,
        query: SuggestionQuery,
        history: PairHistory | None = None,
        *,
        labels: Mapping[str, str] | None = None,
    ) -> list[Suggestion]:
        """Ranked, explained suggestions for a person.

        Args:
            asker_id: The person asking (must be indexed).
            query: Role wanted, filters and limit.
            history: Their requests and declines, and candidates' load.
            labels: Display names of reference codes, for reasons.

        Returns:
            Up to ``query.limit`` suggestions, best first; empty when the asker has
            written nothing to match on.

        Raises:
            ProfileNotIndexed: The asker is not indexed.
        """
        asker = self._profiles.get(asker_id)
        if asker is None:
            raise ProfileNotIndexed(asker_id)
        asker_side, _ = self._sides(query.role)
        phrases = self._asker_phrases(asker, asker_side)
        if phrases is None:
            return []
        voice = ReasonVoice.MENTEE if query.role in OFFERING_ROLES else ReasonVoice.MENTOR
        return self._rank(asker, phrases, query, history or PairHistory(), voice, labels)

    def search_text(
        self,
        text: str,
        query: SuggestionQuery,
        history: PairHistory | None = None,
        *,
        asker_id: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Suggestion]:
        """Free-text semantic search among candidates playing ``query.role``.

        Args:
            text: What the person typed; its goal clauses are searched for
                (:func:`~matching_service.domain.texts.query_phrases`).
            query: Role wanted, filters and limit.
            history: Their requests and declines, and candidates' load.
            asker_id: The person searching, when known (filters such as "not self"
                and structured fit use their profile).
            labels: Display names of reference codes, for reasons.
        """
        texts = query_phrases(text)
        if not texts:
            return []
        asker = self._profiles.get(asker_id) if asker_id else None
        phrases = PhraseVectors(texts, self.embedder.embed(texts))
        return self._rank(
            asker,
            phrases,
            query,
            history or PairHistory(),
            ReasonVoice.SEARCH,
            labels,
        )

    def _rank(
        self,
        asker: PersonProfile | None,
        phrases: PhraseVectors,
        query: SuggestionQuery,
        history: PairHistory,
        voice: ReasonVoice,
        labels: Mapping[str, str] | None,
    ) -> list[Suggestion]:
        _, candidate_side = self._sides(query.role)
        side_name = "offers" if candidate_side is self.offers else "seeks"
        centroid = profile_vector(phrases.vectors)
        if centroid is None:
            return []
        allowed = self._table.allowed_mask(asker or PersonProfile(profile_id=""), query, history)
        keys = self._keys[side_name][: allowed.size][allowed]
        keys = keys[keys >= 0]
        if keys.size == 0:
            return []
        # One search for the profile vector and every goal phrase together: a batch
        # reads the allowed vectors once.
        queries = np.vstack([centroid, phrases.vectors[:MAX_PHRASE_QUERIES]])
        retrieved = candidate_side.index.found_ids(
            queries, self.weights.candidate_pool, allowed_keys=keys
        )
        profile_vectors = candidate_side.index.vectors_for(retrieved)
        candidate_phrases = candidate_side.phrases.get_many(retrieved)
        found = [
            profile_id
            for profile_id in retrieved
            if profile_id in profile_vectors
            and profile_id in candidate_phrases
            and profile_id in self._profiles
        ]
        if not found:
            return []
        similarities = np.vstack([profile_vectors[profile_id] for profile_id in found]) @ centroid
        candidates = [
            RankingCandidate(
                profile=self._profiles[profile_id],
                phrases=candidate_phrases[profile_id],
                load=history.load_of(profile_id),
                profile_similarity=float(similarity),
            )
            for profile_id, similarity in zip(found, similarities, strict=True)
        ]
        return rank_candidates(
            asker,
            phrases,
            candidates,
            role=query.role,
            weights=self.weights,
            voice=voice,
            limit=query.limit,
            labels=labels,
            profession=query.profession,
        )
