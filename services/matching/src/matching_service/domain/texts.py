"""Turn a profile's free text into short phrases for phrase-level matching.

A whole biography embedded as one vector blends every topic it mentions (and the
small talk) into one point, so a strong match on one expertise is diluted. Matching
works on phrases instead: what a person offers (their expertise items, the offer
clauses of their expertise and experience texts, their job title) and what they seek
(their goal items and the goal clauses of their goals text). Which clause is a goal
or an offer is decided by :mod:`matching_service.domain.roles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from matching_service.domain.roles import Side

MAX_PHRASE_WORDS = 24
"""Longer sentences are cut into chunks of about this many words (the model reads
256 tokens, but a long sentence again mixes several topics)."""

MAX_PHRASES = 40
"""Phrases kept per side of a profile; bounds embedding cost and vector memory."""

MIN_FREE_TEXT_WORDS = 2
"""Sentences shorter than this ("Yes.", "Thanks!") carry no topic; list items
("- Finance", "policy; HR") are kept even when one word long."""

_FILLER = frozenset({"yes", "no", "thanks", "thank you", "hello", "hi", "n/a", "na", "none", "tbc"})

# A line starting with a bullet or a list number: "- ", "* ", "• ", "1. ", "2) ", "a) ".
_BULLET = re.compile(
    r"^\s*(?:[-*\u2022\u00b7\u2023\u25aa\u25cf\u2013\u2014>]+|\(?\d{1,2}[.)]|\(?[a-zA-Z][)])\s+"
)
# Inline bullets ("skills: • policy • finance") and list separators.
_INLINE_SEPARATORS = re.compile(r"\s[\u2022\u00b7\u2023\u25aa\u25cf|]\s|;|\n|\r|\t")
# A sentence ends at . ! ? followed by whitespace and then a capital, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "etc.",
    "Dr.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Prof.",
    "St.",
    "approx.",
    "incl.",
    "vs.",
    "No.",
)
_PLACEHOLDER = "\u0000"
# One pass over the text for every abbreviation (one substitution per abbreviation
# was a sixth of parsing a coach's profile). A run written without spaces
# ("e.g.Dr. Smith") is protected whole.
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + ")+"
)
_SPACES = re.compile(r"\s+")
_COMMA_BREAK = re.compile(r"(?<=,)\s+")
_CONJUNCTIONS = ("and", "but", "while", "whilst")
_CONJUNCTION_BREAK = re.compile(r"\s+(?=(?:" + "|".join(_CONJUNCTIONS) + r")\s)")
_TRIM = " \t-\u2013\u2014*\u2022\u00b7:,.;!?\"'()[]"


class PhraseSource(Protocol):
    """The text fields of a profile (``ProfileUpserted`` and ``PersonProfile`` fit)."""

    @property
    def job_title(self) -> str | None: ...
    @property
    def expertise(self) -> Sequence[str]: ...
    @property
    def expertise_text(self) -> str: ...
    @property
    def experience_text(self) -> str: ...
    @property
    def goals(self) -> Sequence[str]: ...
    @property
    def goals_text(self) -> str: ...
    @property
    def anonymous(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ProfilePhrases:
    """A profile's phrases, in the order they were written.

    Attributes:
        offers: What the person can help with.
        seeks: What the person wants to develop.
    """

    offers: tuple[str, ...]
    seeks: tuple[str, ...]


def _protect_abbreviations(text: str) -> str:
    return _ABBREVIATION.sub(lambda match: match.group(0).replace(".", _PLACEHOLDER), text)


def _clean(fragment: str) -> str:
    fragment = fragment.replace(_PLACEHOLDER, ".")
    fragment = _SPACES.sub(" ", fragment)
    # Keep a closing full stop of an abbreviation ("etc.") but drop list and
    # sentence punctuation around the phrase.
    stripped = fragment.strip(_TRIM)
    if fragment.rstrip().endswith(("etc.", "e.g.", "i.e.")):
        stripped = fragment.strip(_TRIM.replace(".", "")).rstrip(",;:")
    return stripped


def _pieces(text: str, pattern: re.Pattern[str], max_words: int) -> list[str]:
    """Greedily group the pieces between ``pattern`` matches into chunks of few words."""
    chunks: list[str] = []
    current: list[str] = []
    for piece in pattern.split(text):
        piece_words = piece.split()
        if not piece_words:
            continue
        if current and len(current) + len(piece_words) > max_words:
            chunks.append(" ".join(current))
            current = []
        current.extend(piece_words)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _chunk(sentence: str, max_words: int) -> list[str]:
    """Cut a long sentence at commas, then before conjunctions, then by word count.

    The separators stay in the text, so a chunk reads as the person wrote it.
    """
    if len(sentence.split()) <= max_words:
        return [sentence]
    # Group clauses well below the limit: a chunk at the limit would again mix topics.
    target = max(4, max_words * 2 // 3)
    chunks: list[str] = []
    for clause in _pieces(sentence, _COMMA_BREAK, target):
        for part in _pieces(clause, _CONJUNCTION_BREAK, target):
            words = part.split()
            if len(words) > 1 and words[0].casefold() in _CONJUNCTIONS:
                words = words[1:]
            chunks.extend(
                " ".join(words[start : start + max_words])
                for start in range(0, len(words), max_words)
            )
    return chunks


def split_phrases(
    text: str,
    *,
    max_words: int = MAX_PHRASE_WORDS,
    min_words: int = MIN_FREE_TEXT_WORDS,
) -> list[str]:
    """Split free text into phrases: sentences, bullet items and clauses.

    Bullets, numbered items, semicolons, pipes and newlines separate phrases; so do
    sentence ends (not the full stop of "e.g." or "Dr."). Sentences longer than
    ``max_words`` are cut at commas and conjunctions, then by word count.

    Args:
        text: Free text as a person typed it.
        max_words: Longest phrase kept whole.
        min_words: Shorter fragments are dropped.

    Returns:
        The phrases in reading order, without surrounding punctuation.
    """
    if not text or not text.strip():
        return []
    text = _protect_abbreviations(text.replace("\r\n", "\n"))
    phrases: list[str] = []
    for raw_line in text.split("\n"):
        line = _BULLET.sub("", raw_line)
        pieces = _INLINE_SEPARATORS.split(line)
        is_list = line != raw_line or len(pieces) > 1
        for piece in pieces:
            sentences = _SENTENCE_END.split(piece)
            for sentence in sentences:
                cleaned = _clean(sentence)
                if not cleaned or cleaned.casefold() in _FILLER:
                    continue
                # A bare item of a list is a topic ("Finance"); a one-word sentence is not.
                needed = 1 if is_list and len(sentences) == 1 else min_words
                for chunk in _chunk(cleaned, max_words):
                    chunk = chunk.strip(_TRIM)
                    if len(chunk.split()) >= needed:
                        phrases.append(chunk)
    return phrases


def _unique(phrases: Iterable[str], limit: int) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for phrase in phrases:
        key = phrase.casefold()
        if key in seen:
            continue
        seen.add(key)
        kept.append(phrase)
        if len(kept) == limit:
            break
    return tuple(kept)


def _side_phrases(
    items: Sequence[str], texts: Sequence[str], side: Side, limit: int
) -> tuple[str, ...]:
    """Goal (or offer) clauses of a profile side, request frames stripped.

    List items stay topics unless the rules read them as self-description, a
    preference or small talk. When neither the items nor the texts hold a goal or
    offer, the self-description clauses stand in with department, grade and place
    names taken out ("I work on pensions policy in DWP" keeps "I work on pensions
    policy in"): they still say what field the person is in, without matching
    everyone who mentions the same department. Preferences and small talk never
    count.
    """
    from matching_service.domain.roles import (  # roles imports this module
        MEANING_ROLES,
        Role,
        classify,
        clauses,
        without_terms,
    )

    meaning: list[str] = []
    fallback: list[str] = []
    pieces = [classify(piece, side) for item in items for piece in _item_pieces(item)]
    for text in texts:
        pieces.extend(clauses(text, side))
    for clause in pieces:
        if clause.role in MEANING_ROLES:
            meaning.extend(_chunk(clause.meaning, MAX_PHRASE_WORDS))
        elif clause.role is Role.SELF_DESCRIPTION:
            rest = without_terms(clause.text)
            if rest:
                fallback.append(rest)
    return _unique(meaning or fallback, limit)


def _item_pieces(item: str) -> list[str]:
    """Items of a list field: each kept even when one word long ("Finance")."""
    return split_phrases(item, max_words=MAX_PHRASE_WORDS, min_words=1)


def offer_phrases(profile: PhraseSource, *, limit: int = MAX_PHRASES) -> tuple[str, ...]:
    """What a person offers: the offer clauses of their expertise items and texts, and
    their job title.

    Self-description (department, grade, tenure, career moves), meeting preferences and
    small talk are left out; frames such as "I can help with" are stripped. An
    anonymous person's job title is left out: it names their post (and often their
    profession), which the anonymity rule keeps from matching any query.
    """
    texts = [profile.expertise_text, profile.experience_text]
    phrases = list(_side_phrases(profile.expertise, texts, "offer", limit))
    if profile.job_title and not profile.anonymous:
        phrases += _item_pieces(profile.job_title)
    return _unique(phrases, limit)


def seek_phrases(profile: PhraseSource, *, limit: int = MAX_PHRASES) -> tuple[str, ...]:
    """What a person seeks: the goal clauses of their goal items and goals text.

    Self-description and restated preferences are left out, and frames such as "I'd
    like support with" are stripped (see :mod:`matching_service.domain.roles`).
    """
    return _side_phrases(profile.goals, [profile.goals_text], "seek", limit)


def text_phrases(text: str, side: Side) -> tuple[str, ...]:
    """The goal (``seek``) or offer (``offer``) clauses of one text, as
    :func:`seek_phrases` and :func:`offer_phrases` read a profile's."""
    return _side_phrases([], [text], side, MAX_PHRASES)


def query_phrases(text: str) -> tuple[str, ...]:
    """The goal clauses of a free-text search, or the whole text when it states none.

    "Someone in Scotland who knows workforce planning" searches for "workforce
    planning"; the place is offered as a suggested filter instead.
    """
    phrases = text_phrases(text, "seek")
    if phrases:
        return phrases
    return tuple(split_phrases(text, min_words=1)) or ((text.strip(),) if text.strip() else ())


def profile_phrases(profile: PhraseSource) -> ProfilePhrases:
    """Both sides of a profile's phrases."""
    return ProfilePhrases(offers=offer_phrases(profile), seeks=seek_phrases(profile))
