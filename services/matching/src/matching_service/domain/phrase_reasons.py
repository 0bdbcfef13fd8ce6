"""Reasons that quote phrases: which goal met which offered phrase, and how strongly.

Every reason is computed from the match it describes: the phrases quoted are the pair
that matched, the strength word comes from their own similarity. An anonymous
candidate's own words are never quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from matching_service.domain.phrase_vectors import FloatMatrix, PhraseVectors
from matching_service.domain.ranking_weights import RankingWeights

MAX_QUOTED_CHARS = 90
"""Phrases quoted in reasons are shortened to about this many characters."""


class ReasonVoice(StrEnum):
    """Whose phrases are whose in the reasons' wording."""

    MENTEE = "mentee"
    """A mentee reads: their goals against the candidate's expertise."""
    MENTOR = "mentor"
    """A mentor reads: the candidate mentee's goals against their own expertise."""
    SEARCH = "search"
    """Free-text search: the search phrases against the candidate's expertise."""


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A goal phrase and the phrase on the other side that matched it best."""

    goal: str
    match: str
    similarity: float
    strength: str


def strength_word(similarity: float, weights: RankingWeights) -> str | None:
    """ "strong", "good" or "some" for a phrase cosine; None when too weak to quote."""
    if similarity >= weights.strong_match:
        return "strong"
    if similarity >= weights.good_match:
        return "good"
    if similarity >= weights.some_match:
        return "some"
    return None


def quote(phrase: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Shorten a phrase for a reason, at a word boundary."""
    if len(phrase) <= limit:
        return phrase
    cut = phrase[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def phrase_reason(voice: ReasonVoice, match: PhraseMatch, *, anonymous: bool = False) -> str:
    goal, other = quote(match.goal), quote(match.match)
    if anonymous:
        # An anonymous candidate's own words are not quoted: others see their
        # initials, department and grade only.
        if voice is ReasonVoice.MENTOR:
            return f"Their goals match your '{other}' ({match.strength})"
        if voice is ReasonVoice.SEARCH:
            return f"Your search '{goal}' matches their profile ({match.strength})"
        return f"Your goal '{goal}' matches their profile ({match.strength})"
    if voice is ReasonVoice.MENTOR:
        return f"Their goal '{goal}' matches your '{other}' ({match.strength})"
    if voice is ReasonVoice.SEARCH:
        return f"Your search '{goal}' matches their '{other}' ({match.strength})"
    return f"Your goal '{goal}' matches their '{other}' ({match.strength})"


def goal_matches(
    similarities: FloatMatrix,
    goals: PhraseVectors,
    others: PhraseVectors,
    weights: RankingWeights,
) -> list[PhraseMatch]:
    """Quotable matches from a (goals x others) similarity matrix.

    Each goal is paired with the offered phrase that matched it best (the pair its
    part of the score came from), strongest goals first; pairs too weak to quote end
    the list.
    """
    best_other = similarities.argmax(axis=1)
    per_goal = similarities[np.arange(len(goals)), best_other]
    matches: list[PhraseMatch] = []
    used_goals: set[str] = set()
    used_others: set[str] = set()
    for goal_index in np.argsort(-per_goal, kind="stable"):
        other_index = int(best_other[goal_index])
        similarity = float(per_goal[goal_index])
        strength = strength_word(similarity, weights)
        if strength is None or len(matches) == weights.max_phrase_reasons:
            break
        goal, other = goals.phrases[goal_index], others.phrases[other_index]
        # Quote each phrase once: the same expertise matching three goals reads as
        # one reason, the next goal's best distinct match is more informative.
        if goal.casefold() in used_goals or other.casefold() in used_others:
            continue
        used_goals.add(goal.casefold())
        used_others.add(other.casefold())
        matches.append(PhraseMatch(goal, other, round(similarity, 3), strength))
    return matches
