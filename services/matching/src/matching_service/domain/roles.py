"""What each clause of a profile's free text is for: sentence roles.

People write goals and expertise the way they talk: a request introduces the person
("I'm a Grade 7 in DWP, based in Leeds"), restates preferences ("ideally someone
outside my department"), wraps the goal in a frame ("I'd like support with workforce
planning") and adds small talk. Only the goal (or, for a mentor, the offer) says what
the match should be about; the rest finds strong but meaningless echoes in other
people's career history through department, grade and place names.

This module gives each clause (:func:`~matching_service.domain.clause_splitting.split_clauses`)
a :class:`Role` with the reference terms (:mod:`matching_service.domain.reference_terms`)
and simple grammar (:mod:`matching_service.domain.role_patterns`), never with
similarity to examples. Request frames are stripped: the clause keeps its goal
("workforce planning") as :attr:`Clause.meaning`. Preference clauses also become
suggested filters (:mod:`matching_service.domain.suggested_filters`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from matching_service.domain.clause_splitting import aligned_text, normalise, split_clauses
from matching_service.domain.reference_terms import TermMatch, reference_terms
from matching_service.domain.role_patterns import (
    AT_LEAST,
    EMPTY_WORDS,
    FIND_HARD,
    IN_PERSON,
    MEETING,
    NUMBER_WORDS,
    OFFER_DONE,
    OFFER_FRAMES,
    OTHER_PERSON,
    OWN_DEPARTMENT,
    PREFERENCE_WORDS,
    REMOTE,
    SEEK_FRAMES,
    SELF_MARKERS,
    SELF_WORDS,
    SENIORITY,
    SMALL_TALK,
    STOP_WORDS,
)

Side = Literal["seek", "offer"]
"""Which side of a profile a text is from: what the person seeks, or offers."""


class Role(StrEnum):
    """What a clause is for."""

    GOAL = "goal"
    """What the person wants to develop (seek side)."""
    OFFER = "offer"
    """What the person can help with, or has done that is a skill (offer side)."""
    SELF_DESCRIPTION = "self_description"
    """Their own department, grade, place, tenure, current job or career history."""
    PREFERENCE = "preference"
    """What they want of the other person or the meetings (a constraint)."""
    SMALL_TALK = "small_talk"
    """Greetings, private life, general intent with no topic."""


MEANING_ROLES = frozenset({Role.GOAL, Role.OFFER})
"""Roles whose clauses carry meaning for matching."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of free text with its role.

    Attributes:
        text: The clause as written (without surrounding punctuation).
        role: What it is for.
        meaning: For goals and offers, the clause without its request frame
            ("I'd like support with budgeting" -> "budgeting"); empty otherwise.
    """

    text: str
    role: Role
    meaning: str = ""


# Compiled once: parsing runs them for every clause of every profile indexed.
_TERM_WORDS = re.compile(r"[a-z][a-z'&-]*")
_PLAIN_WORDS = re.compile(r"[a-z][a-z']*")
_OWNER_START = re.compile(r"^(?:my|our|the way i)\s+", re.IGNORECASE)
_HAPPY_TO_MEET = re.compile(r"^(?:(?:i'm|im|i am|i'd be|i would be)\s+)?happy to meet\b")
_STARTS_WITH_ME = re.compile(r"^(?:(?:and|but|so|also)\s+)?(?:i|i'm|im|i've|ive|i'd|my|me)\b")
_SEEKER_ABOUT_SELF = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:i|i'm|im|i am)\s+(?:have|had|was|enjoy|love|like)\b"
)
_ALNUM = re.compile(r"[a-z0-9]")


def _content_words(text: str, terms: Sequence[TermMatch]) -> list[str]:
    """Words of ``text`` that are not stop words, numbers, tenure or reference terms."""
    for term in sorted(terms, key=lambda t: t.start, reverse=True):
        text = text[: term.start] + " " + text[term.end :]
    words = _TERM_WORDS.findall(text.casefold())
    return [
        word
        for word in words
        if word not in STOP_WORDS and word not in NUMBER_WORDS and word not in SELF_WORDS
    ]


def _strip_frame(low: str, frames: Sequence[re.Pattern[str]]) -> tuple[bool, int]:
    """Whether a frame starts the clause, and where the rest begins (longest frame wins)."""
    best = -1
    for frame in frames:
        match = frame.match(low)
        if match and match.end() > best:
            best = match.end()
    return best >= 0, max(best, 0)


def _meaning(text: str, start: int) -> str:
    rest = text[start:].strip(" ,;:.-")
    rest = _OWNER_START.sub("", rest)
    return rest


def _is_empty(rest: str) -> bool:
    words = _PLAIN_WORDS.findall(rest.casefold())
    return all(word in EMPTY_WORDS for word in words)


def _is_preference(low: str, terms: Sequence[TermMatch], *, about_other: bool) -> bool:
    """A constraint on the other person or on the meetings."""
    if PREFERENCE_WORDS.search(low) or OWN_DEPARTMENT.search(low) or SENIORITY.search(low):
        return True
    if any(t.kind == "grades" for t in terms) and AT_LEAST.search(low):
        return True
    if (REMOTE.search(low) or IN_PERSON.search(low)) and (
        MEETING.search(low) or len(low.split()) <= 6 or "happy" in low
    ):
        return True
    if _HAPPY_TO_MEET.match(low):
        return True
    mentions_other = about_other or bool(OTHER_PERSON.search(low))
    return mentions_other and bool(terms) and not _starts_with_me(low)


def _starts_with_me(low: str) -> bool:
    return bool(_STARTS_WITH_ME.match(low))


_CAREER = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:i'm|im|i am)\s+(?:a|an|the|currently|now|based|located)\b"
    r"|^(?:(?:and|but|so|also)\s+)?my\s+(?:current\s+)?(?:role|job|post|team|position|grade)\b"
    r"|\b(?:joined|moved|transferred|based|promoted|seconded|secondment|loan|spent)\b"
    r"|^(?:currently|now at|now in|prev|previously|before that|ex-|was)\b"
)
"""Career history even on the mentor side, where other self-description markers
("I've worked in procurement for ten years") may introduce an offer."""


def _is_self_description(low: str, text: str, terms: Sequence[TermMatch], side: Side) -> bool:
    """The person's own department, grade, place, tenure, current job or history."""
    content = _content_words(text, terms)
    if terms and not content:
        # Only names ("DWP, Leeds", "Grade 7 in HMRC"): nothing to match on.
        return True
    if terms and terms[0].kind == "grades" and terms[0].start <= 3:
        # "a grade 7 at HMRC, Coventry office", "G7 analyst, prisons and probation".
        return True
    if not SELF_MARKERS.search(low):
        return False
    if side == "offer" and content and not _CAREER.search(low):
        # A mentor's history that names a skill and no department, grade or place
        # ("I've worked in procurement for ten years") is what they can offer.
        return bool(terms)
    return True


def classify(text: str, side: Side) -> Clause:
    """Give one clause its role (and, for a goal or offer, its meaning).

    Args:
        text: One clause (see :func:`split_clauses`).
        side: ``seek`` for goals text and items, ``offer`` for expertise and experience.
    """
    low = normalise(text)
    aligned = aligned_text(text)
    if not _ALNUM.search(low):
        return Clause(text, Role.SMALL_TALK)
    if SMALL_TALK.search(low) and not _strip_frame(low, SEEK_FRAMES + OFFER_FRAMES)[0]:
        return Clause(text, Role.SMALL_TALK)
    terms = reference_terms().find(aligned)
    meaning_role = Role.GOAL if side == "seek" else Role.OFFER
    own_frames = SEEK_FRAMES if side == "seek" else OFFER_FRAMES
    framed, start = _strip_frame(low, own_frames)
    hard = FIND_HARD.match(low) if side == "seek" else None
    if hard:
        return Clause(text, Role.GOAL, _meaning(aligned[: hard.end(1)], hard.start(1)))
    if framed:
        rest_low = low[start:]
        rest_terms = [t for t in terms if t.start >= start]
        about_other = bool(OTHER_PERSON.search(low[:start]))
        if _is_empty(rest_low):
            return Clause(text, Role.SMALL_TALK)
        if _is_preference(rest_low, rest_terms, about_other=about_other):
            return Clause(text, Role.PREFERENCE)
        if rest_terms and not _content_words(
            aligned[start:],
            [TermMatch(t.kind, t.code, t.start - start, t.end - start) for t in rest_terms],
        ):
            return Clause(text, Role.PREFERENCE if about_other else Role.SELF_DESCRIPTION)
        return Clause(text, meaning_role, _meaning(aligned, start))
    if _is_preference(low, terms, about_other=False):
        return Clause(text, Role.PREFERENCE)
    if side == "offer":
        done = OFFER_DONE.match(low)
        if done and not (terms and len(_content_words(aligned, terms)) <= 1):
            return Clause(text, Role.OFFER, _meaning(aligned, done.end()))
    if _is_self_description(low, aligned, terms, side):
        return Clause(text, Role.SELF_DESCRIPTION)
    if side == "seek" and _SEEKER_ABOUT_SELF.match(low):
        return Clause(text, Role.SELF_DESCRIPTION)
    if _is_empty(low):
        return Clause(text, Role.SMALL_TALK)
    return Clause(text, meaning_role, _meaning(aligned, 0))


_CONTINUED = (Role.SELF_DESCRIPTION, Role.PREFERENCE)
_CONTINUATION = re.compile(
    r"^(?:working|based|located|living|currently|mainly|mostly|sitting|leading)\b"
)


def clauses(text: str, side: Side) -> list[Clause]:
    """Split free text into clauses and give each its role.

    A clause with no subject of its own that follows a self-description ("I'm a G7 in
    DWP, working on pensions") or a preference ("someone senior, based in Scotland")
    continues it.
    """
    result: list[Clause] = []
    for piece in split_clauses(text):
        clause = classify(piece, side)
        previous = result[-1].role if result else None
        if (
            previous in _CONTINUED
            and clause.role in MEANING_ROLES | {Role.SELF_DESCRIPTION}
            and _CONTINUATION.match(normalise(piece))
        ):
            clause = Clause(piece, previous)
        result.append(clause)
    return result


def without_terms(text: str) -> str:
    """``text`` with department, grade and region names taken out; empty when nothing
    but names, tenure and small words is left."""
    aligned = aligned_text(text)
    terms = reference_terms().find(aligned)
    if not _content_words(aligned, terms):
        return ""
    for term in reversed(terms):
        aligned = aligned[: term.start] + aligned[term.end :]
    return " ".join(aligned.split()).strip(" ,;:.-")
