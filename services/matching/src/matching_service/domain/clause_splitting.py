"""Cutting free text into clauses, and the normal forms the role patterns read.

A clause is the unit that gets a role (:mod:`matching_service.domain.roles`): a
sentence or list item, cut again where a new subject starts.
"""

from __future__ import annotations

import re

from matching_service.domain.texts import split_phrases

_SUBJECT = (
    r"(?:i|i'm|im|i've|ive|i'd|id|i'll|my|ideally|preferably|someone|somebody|they|"
    r"it'd|it would|currently|based|also|before that|previously|happy|outside)"
)
# A comma or a conjunction starts a new clause only when a new subject follows:
# "I'm a G7 in DWP, based in Leeds, and I'd like help with budgets" is three clauses,
# "budgets, forecasting and business cases" stays one.
_CLAUSE_BREAK = re.compile(
    r"\s*(?:,\s*(?:and|but|so|although|though|while|whilst)?|;|\s[-\u2013\u2014]\s|"
    r"\s(?:and|but|so|although|though|while|whilst|because)\s)\s*"
    r"(?=" + _SUBJECT + r"\b)",
    re.IGNORECASE,
)
_NO_CHUNKING = 10_000
_ANY_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+", re.IGNORECASE)
_STARTER_BREAK = re.compile(
    r"\s+(?=(?:i|i'm|im|i've|ive|i'd|before that|now at|now in|ideally|preferably|"
    r"previously|outside work|currently|hoping to|looking for|happy to|also|apologies|"
    r"thanks|thank you|sorry|ask me about|online (?:is|would|or|works))\b)",
    re.IGNORECASE,
)
# A starter after these words continues the clause ("what I need", "so I can").
_JOINERS = frozenset(
    [
        "and",
        "but",
        "so",
        "or",
        "as",
        "which",
        "that",
        "what",
        "where",
        "when",
        "how",
        "who",
        "if",
        "because",
        "than",
        "me",
        "to",
        "the",
        "a",
        "until",
        "once",
        "while",
        "whilst",
    ]
)
_GREETINGS = frozenset({"hello", "hi", "hey", "hell", "hiya", "dear all", "morning"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case with straight apostrophes and single spaces (for the patterns)."""
    return " ".join(text.translate(_APOSTROPHES).casefold().split())


def aligned_text(text: str) -> str:
    """``text`` with straight apostrophes and single spaces, its case kept.

    Reference terms are found in this form, whose positions line up with those of
    :func:`normalise` (as far as case folding keeps lengths).
    """
    return " ".join(text.translate(_APOSTROPHES).split())


def _starter_pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in _STARTER_BREAK.split(text):
        words = pieces[-1].split() if pieces else []
        single = len(words) == 1 and words[0].casefold().strip("!,.") not in _GREETINGS
        if words and (words[-1].casefold() in _JOINERS or single):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


def split_clauses(text: str) -> list[str]:
    """Sentences and list items (:func:`~matching_service.domain.texts.split_phrases`),
    each cut further where a new clause with its own subject starts.

    Text typed without capitals or full stops ("hello! a grade 7 at hmrc i moved here
    in 2010 hoping to learn more about ...") is also cut before the words that start
    a clause ("i", "before that", "ideally", "hoping to" ...).
    """
    clauses: list[str] = []
    for phrase in split_phrases(text, max_words=_NO_CHUNKING, min_words=1):
        phrase = phrase.translate(_APOSTROPHES)
        for sentence in _ANY_SENTENCE_END.split(phrase):
            for part in _CLAUSE_BREAK.split(sentence):
                for piece in _starter_pieces(part):
                    piece = piece.strip(" ,;:.-!?")
                    if piece and piece.casefold() not in _GREETINGS:
                        clauses.append(piece)
    return clauses
