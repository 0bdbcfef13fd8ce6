"""What each clause of a profile's free text is for: sentence roles.

People write goals and expertise the way they talk: a request introduces the person
("I'm a Grade 7 in DWP, based in Leeds"), restates preferences ("ideally someone
outside my department"), wraps the goal in a frame ("I'd like support with workforce
planning") and adds small talk. Only the goal (or, for a mentor, the offer) says what
the match should be about; the rest finds strong but meaningless echoes in other
people's career history through department, grade and place names.

This module splits text into clauses and gives each one a :class:`Role`, with the
reference lists (departments and agencies with their abbreviations and old names,
grades with their synonyms, regions with their main cities; ``data/terms.json``) and
simple grammar, never with similarity to examples. Request frames are stripped: the
clause keeps its goal ("workforce planning") as :attr:`Clause.meaning`.

Preferences also become :class:`SuggestedFilter` values (:func:`suggested_filters`):
"someone outside my department" suggests ``exclude_own_department``; they are offered
to the person and never applied silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Literal

from matching_service.domain.model import SuggestionQuery, grade_rank
from matching_service.domain.texts import split_phrases

Side = Literal["seek", "offer"]
"""Which side of a profile a text is from: what the person seeks, or offers."""

TERMS_RESOURCE = "terms.json"
TermKind = Literal["departments", "grades", "regions"]
TERM_KINDS: tuple[TermKind, ...] = ("departments", "grades", "regions")


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


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A reference term found in text."""

    kind: TermKind
    code: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SuggestedFilter:
    """A filter a person's own words suggest, offered to them and never applied silently.

    Attributes:
        filter: The query parameter it sets (``exclude_own_department``,
            ``min_grade``, ``region``, ``accept_remote``).
        value: The value to set.
        label: What the filter does, in words, for a button or link.
        evidence: The clause it was read from.
    """

    filter: Literal["exclude_own_department", "min_grade", "region", "accept_remote"]
    value: str | bool
    label: str
    evidence: str


class ReferenceTerms:
    """Departments, grades and regions with the names people write for them."""

    def __init__(self, raw: dict[str, object]) -> None:
        """Build from the ``terms.json`` document.

        Raises:
            ValueError: A list is missing or an entry has no code.
        """
        self.names: dict[TermKind, dict[str, str]] = {}
        self._lookup: dict[TermKind, dict[str, str]] = {}
        self._exact: dict[TermKind, dict[str, str]] = {}
        self._patterns: dict[TermKind, re.Pattern[str]] = {}
        self._anchors: dict[TermKind, frozenset[str] | None] = {}
        for kind in TERM_KINDS:
            entries = raw.get(kind)
            if not isinstance(entries, list) or not entries:
                raise ValueError(f"terms list {kind!r} is missing or empty")
            names: dict[str, str] = {}
            folded: dict[str, str] = {}
            exact: dict[str, str] = {}
            for entry in entries:
                code = str(entry["code"])
                names[code] = str(entry["name"])
                for alias in [entry["name"], *entry.get("aliases", [])]:
                    alias = str(alias)
                    # Abbreviations ("DWP", "MoJ", "G7") match as written, so "co" or
                    # "dd" in a sentence are not taken for the Cabinet Office or a grade.
                    if _is_abbreviation(alias):
                        exact.setdefault(alias, code)
                        if _lower_case_ok(alias):
                            folded.setdefault(_fold(alias), code)
                    else:
                        folded.setdefault(_fold(alias), code)
            self.names[kind] = names
            self._lookup[kind] = folded
            self._exact[kind] = exact
            alternatives = sorted(
                [re.escape(name).replace(r"\ ", r"\s+") for name in folded]
                + [re.escape(name) for name in exact],
                key=len,
                reverse=True,
            )
            self._patterns[kind] = re.compile(
                r"(?<![\w&])(" + "|".join(alternatives) + r")(?![\w&])", re.IGNORECASE
            )
            self._anchors[kind] = _anchors([*folded, *exact])

    def find(self, text: str, kinds: Iterable[TermKind] = TERM_KINDS) -> list[TermMatch]:
        """Every reference term in ``text``, longest names first, without overlaps."""
        found: list[TermMatch] = []
        taken: list[tuple[int, int]] = []
        # Words split from the text as written, then folded: the pattern's word
        # boundaries are those of the text as written (folding can join a word to the
        # next character, e.g. U+0345 folds to a letter).
        words = {word.casefold() for word in _WORD.findall(text)}
        for kind in kinds:
            anchors = self._anchors[kind]
            if anchors is not None and anchors.isdisjoint(words):
                continue
            for match in self._patterns[kind].finditer(text):
                written = match.group(1)
                code = self._exact[kind].get(written) or self._lookup[kind].get(_fold(written))
                if code is None:
                    continue
                span = match.span(1)
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                taken.append(span)
                found.append(TermMatch(kind, code, span[0], span[1]))
        return sorted(found, key=lambda term: term.start)

    def name(self, kind: TermKind, code: str) -> str:
        """The display name of a code."""
        return self.names[kind].get(code, code)


_WORD = re.compile(r"\w+")


def _anchors(names: Iterable[str]) -> frozenset[str] | None:
    """One word of each name that any text holding the name holds as a whole word.

    Each name matches only between non-word characters, and its words are separated
    by non-word characters, so a text without any of these words cannot hold a name:
    :meth:`ReferenceTerms.find` skips the (much slower) pattern then. Its longest word
    is taken, so that "the" in "The Treasury" does not send every sentence to the
    pattern. None when some name has no word characters (the pattern always runs).
    """
    anchors: set[str] = set()
    for name in names:
        words = [word.casefold() for word in _WORD.findall(name)]
        if not words:
            return None
        anchors.add(max(words, key=len))
    return frozenset(anchors)


def _is_abbreviation(alias: str) -> bool:
    letters = [char for char in alias if char.isalpha()]
    return " " not in alias and sum(char.isupper() for char in letters) >= 2


_WORDS_NOT_CODES = frozenset(
    {"ago", "sta", "des", "bis", "dit", "hca", "seo", "pins", "nda", "gpa"}
)


def _lower_case_ok(alias: str) -> bool:
    """People type "hmrc", "dwp" or "g7" in lower case; short or word-like codes
    ("co", "dd", "ago") are matched only as written."""
    folded = alias.casefold()
    if folded in _WORDS_NOT_CODES or not folded.isalnum():
        return False
    return len(folded) >= 3 or any(char.isdigit() for char in folded)


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("\u2019", "'").split())


@lru_cache(maxsize=1)
def reference_terms() -> ReferenceTerms:
    """The terms shipped with the service (``domain/data/terms.json``)."""
    resource = resources.files("matching_service.domain.data").joinpath(TERMS_RESOURCE)
    raw = json.loads(resource.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError("terms.json must hold a JSON object")
    return ReferenceTerms(raw)


# --- clauses ----------------------------------------------------------------------

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


# --- patterns ---------------------------------------------------------------------

_LEAD = (
    r"^(?:(?:and|but|so|also|really|mainly|mostly|primarily|ultimately|now|then|overall|"
    r"basically|honestly|in particular|particularly|specifically|above all|most of all|"
    r"in short|ideally|personally|right now|at the moment|this year|next)\s+)*"
)
_HELP_NOUN = (
    r"(?:(?:some|a|an|any|more|extra|practical|real|good|honest)\s+)*"
    r"(?:mentor(?:ing)?|coach(?:ing)?|someone|somebody|a person|person|support|help|"
    r"advice|guidance|input|pointers|tips|sounding board|steer)"
    r"(?:\s+(?:and|or)\s+(?:support|advice|guidance|help|challenge))?"
)
_WHO = (
    r"(?:\s+(?:who|that|to)(?:\s+(?:can|could|would|will|might|is able to))?"
    r"(?:\s+(?:help|support|guide|advise|coach|mentor|show|teach|work with))?(?:\s+me)?)?"
)
_GROW_VERB = (
    r"(?:get better at|get better with|improve(?: on)?|develop|build(?: up)?|strengthen|grow|"
    r"learn(?: more)?(?: about)?|work on|understand|gain|get into|become|move into|explore|"
    r"focus on|brush up(?: on)?|sharpen|master|expand|progress(?: in| into)?|know more about|"
    r"find out (?:more )?about|get to grips with|step up (?:in|into)|"
    r"be better at|be more|feel more|increase|boost|broaden)"
)
_PREP = (
    r"(?:\s+(?:with|on|in|around|about|for|through|regarding|developing|improving|building|"
    r"to\s+" + _GROW_VERB + r"|" + _GROW_VERB + r"))?(?:\s+(?:my|our|the way i))?"
)
_WANT = (
    r"(?:i'?m|i am|im)?\s*(?:really\s+|mainly\s+|currently\s+|also\s+)?"
    r"(?:looking for|seeking|searching for|hoping for|after)|"
    r"(?:i|i'd|id|i would|i'll)?\s*(?:really\s+)?"
    r"(?:want|need|like|love|welcome|appreciate|value|benefit from|could use|could do with|"
    r"would like|would love|would welcome|would appreciate|would value|would benefit from)"
)
_SEEK_FRAMES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_LEAD + pattern + r"\s*:?\s*")
    for pattern in (
        # "I'm looking for someone who can help me with", "I'd like support with".
        r"(?:" + _WANT + r")\s+" + _HELP_NOUN + _WHO + _PREP,
        # "I want to get better at", "I'm keen to develop my", "my goal is to improve".
        r"(?:(?:i|i'd|id|i would|i'm|im|i am|i really)\s+)?(?:want|would like|'d like|like|"
        r"need|hope|plan|aim|wish|keen|eager|hoping|looking|trying|aiming|planning|"
        r"would love|love)\s+(?:to\s+)?" + _GROW_VERB + r"(?:\s+(?:my|our|on))?",
        r"(?:my\s+)?(?:main\s+|key\s+|biggest\s+|big\s+)?(?:goals?|aims?|priorit(?:y|ies)|focus|"
        r"objectives?|development needs?|development areas?|areas? to develop)"
        r"(?:\s+(?:for|this)\s+(?:this\s+|the\s+)?(?:year|mentoring|period))?"
        r"(?:\s+(?:is|are|would be|include|includes))?(?:\s+to\s+" + _GROW_VERB + r")?"
        r"(?:\s+(?:my|on))?",
        r"(?:i'?m|i am|im)\s+(?:really\s+|very\s+|particularly\s+|most\s+)?"
        r"(?:interested in|keen on|curious about|passionate about|hoping to learn about)",
        r"(?:i|i'm|im|i am)\s+(?:really\s+|often\s+|sometimes\s+)?"
        r"(?:struggle|struggling|struggled|find it hard|need to get better)\s+(?:with|to|at)",
        r"(?:help|support|advice|guidance|mentoring|coaching)\s+(?:with|on|around|in|for)"
        r"(?:\s+my)?",
        r"(?:looking|hoping|keen|wanting)\s+to\s+" + _GROW_VERB + r"(?:\s+my)?",
    )
)
# "I find stakeholder management hard": the goal sits between the frame's two halves.
_FIND_HARD = re.compile(
    _LEAD + r"(?:i|i'm|im)\s+(?:find|finding|found)\s+(.+?)\s+(?:really\s+|quite\s+|very\s+)?"
    r"(?:hard|difficult|tricky|challenging|daunting)\b"
)
_OFFER_VERB = (
    r"(?:help|support|advise|mentor|coach|offer|share|talk|give advice|guide|chat|"
    r"provide|bring|teach|pass on|walk people through)"
)
_OFFER_FRAMES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_LEAD + pattern + r"\s*:?\s*")
    for pattern in (
        # "I can help with", "Happy to mentor on", "I'd be glad to share my experience of".
        r"(?:(?:i|i'd|id|i would|i'm|im|i am)\s+)?(?:can|could|(?:be\s+)?happy to|"
        r"(?:be\s+)?glad to|(?:be\s+)?able to|(?:be\s+)?willing to|love to|like to|enjoy|"
        r"offer to|keen to)\s+" + _OFFER_VERB + r"(?:ing)?"
        r"(?:\s+(?:advice|support|guidance|my experience|my knowledge|experience|knowledge|"
        r"insight|what i know|what i've learned|what i have learned|what i've learnt))?"
        r"(?:\s+(?:people|others|mentees|colleagues|anyone|you|someone|staff|new starters))?"
        r"(?:\s+(?:with|on|in|around|about|through|of|across|over))?(?:\s+(?:my|the))?",
        # "I have ten years' experience in", "I've got a lot of expertise with".
        r"(?:i have|i've got|i've|ive|i bring|i offer|i can offer|i can bring|bringing)\s+"
        r"(?:(?:a lot of|lots of|extensive|strong|deep|some|good|broad|solid|wide|"
        r"hands-on|practical|real|plenty of|\S+ years'?|\S+ years of|many years'?|"
        r"many years of)\s+)*(?:experience|expertise|knowledge|background|skills?)"
        r"(?:\s+(?:of|in|with|around|on|across|doing))?",
        r"(?:i'm|im|i am)\s+(?:very\s+|really\s+|quite\s+)?(?:experienced|skilled|an expert|expert|"
        r"knowledgeable|strong|good|confident|well versed)\s+(?:in|at|with|on)",
        r"(?:i\s+)?(?:specialise|specialize|specialising|specializing|specialised|"
        r"(?:i'm|im|i am)\s+(?:a\s+)?specialist)\s+in",
        r"(?:my\s+)?(?:main\s+|key\s+)?(?:areas? of expertise|expertise|strengths?|specialisms?|"
        r"skills|areas? i can help with)(?:\s+(?:are|is|include|includes|lie in|lies in))?",
        r"(?:ask me about|talk to me about|come to me for)",
        r"(?:most\s+of\s+)?(?:my\s+)?(?:mentees|people|colleagues|teams)\s+(?:often\s+|usually\s+)?"
        r"(?:come to me for|ask me about|ask me for help with)",
        r"(?:my\s+)?(?:strongest|main|best)\s+areas?\s+(?:is|are)",
        r"(?:i\s+)?(?:know|understand)\s+(?:a lot|lots|a fair bit|plenty)?\s*(?:about)?",
    )
)
# "I've led", "I have delivered": keep the skill ("led ...") without "I have".
_OFFER_DONE = re.compile(
    _LEAD + r"(?:i've|ive|i have|i)\s+(?=(?:led|run|ran|managed|delivered|built|designed|"
    r"written|wrote|developed|set up|launched|overseen|oversaw|chaired|coached|mentored|"
    r"trained|worked on|negotiated|drafted|created|introduced|implemented|transformed|"
    r"rolled out|redesigned|established|supported|advised)\b)"
)

_SMALL_TALK = re.compile(
    r"\b(?:outside (?:of )?work|spare time|free time|hobbies|hobby|weekends?|"
    r"my (?:wife|husband|partner|kids|children|family|dog|dogs|cat|cats|son|daughter)|"
    r"get in touch|look(?:ing)? forward|feel free|drop me a (?:line|message|note)|"
    r"reach out|give (?:something )?back|pay it forward|thanks?(?: you)? for reading|"
    r"many thanks|nice to meet|allotment|marathon|apologies|sorry for|cats?|dogs?|pets?|"
    r"food bank|volunteer|choir|coffee|bear with me|new to this scheme|makes? sense|"
    r"forward to hearing|"
    r"i (?:enjoy|love|like) (?:running|reading|walking|cooking|baking|gardening|football|"
    r"cycling|hiking|music|travel|travelling|swimming|the theatre|films|climbing|yoga))\b"
    r"|^(?:hi|hello|hey|thanks|thank you|cheers|regards|best wishes|kind regards)\b"
)
# Words that, left alone after a frame, say nothing ("I'm looking for a mentor").
_EMPTY_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "any",
        "me",
        "my",
        "i",
        "mentor",
        "mentors",
        "mentoring",
        "coach",
        "coaching",
        "someone",
        "somebody",
        "person",
        "people",
        "support",
        "help",
        "advice",
        "guidance",
        "please",
        "who",
        "that",
        "can",
        "could",
        "would",
        "to",
        "with",
        "on",
        "in",
        "for",
        "and",
        "or",
        "really",
        "just",
        "general",
        "generally",
        "others",
        "mentee",
        "mentees",
        "relationship",
        "new",
        "experienced",
        "good",
        "great",
        "supportive",
        "friendly",
        "talk",
        "chat",
        "it",
        "this",
        "that",
    ]
)
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "at",
        "for",
        "to",
        "on",
        "with",
        "by",
        "from",
        "as",
        "and",
        "or",
        "but",
        "so",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "i",
        "i'm",
        "im",
        "i've",
        "ive",
        "i'd",
        "id",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "which",
        "what",
        "when",
        "where",
        "how",
        "also",
        "just",
        "very",
        "really",
        "now",
        "currently",
        "since",
        "ago",
        "before",
        "after",
        "then",
        "still",
        "about",
        "over",
        "into",
        "out",
        "up",
        "down",
        "new",
        "old",
    ]
)
_NUMBER_WORDS = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "a",
        "few",
        "several",
        "many",
        "couple",
        "years",
        "year",
        "months",
        "month",
        "weeks",
        "week",
        "decade",
        "decades",
        "nearly",
        "almost",
        "around",
        "about",
        "over",
        "last",
        "past",
    ]
)
_SELF_WORDS = frozenset(
    [
        "work",
        "works",
        "working",
        "worked",
        "job",
        "role",
        "post",
        "position",
        "team",
        "based",
        "located",
        "live",
        "living",
        "joined",
        "join",
        "moved",
        "move",
        "transferred",
        "transfer",
        "started",
        "start",
        "came",
        "returned",
        "seconded",
        "secondment",
        "promoted",
        "promotion",
        "career",
        "grade",
        "department",
        "dept",
        "agency",
        "office",
        "civil",
        "servant",
        "service",
        "government",
        "here",
        "there",
        "time",
        "spent",
        "part",
        "member",
        "employed",
        "staff",
    ]
)
_SELF_MARKERS = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:i'm|im|i am)\s+(?:a|an|the|currently|now|based|located|"
    r"in|at|on|with|part of|working|employed|one of|from|originally|still|seconded|"
    r"new here|(?:\w+\s+)?(?:years?|months?) into)\b"
    r"|^(?:(?:and|but|so|also)\s+)?(?:i|i've|ive|i have|i had)\s+(?:recently\s+|just\s+|"
    r"originally\s+)?(?:work|worked|been|joined|moved|transferred|started|came|returned|"
    r"live|lived|was|spent|began|led|manage|lead|head|run|sit|am)\b"
    r"|^(?:(?:and|but|so|also)\s+)?(?:my\s+(?:current\s+|day\s+|substantive\s+)?"
    r"(?:role|job|post|team|position|grade|department|background|career|directorate|"
    r"office|manager|line manager))\b"
    r"|^(?:currently|previously|prev|before that|since|based|originally|after|now at|now in)\b"
    r"|\bbased\b|\s@\s*\w|\b(?:19|20)\d\d\b|\bband\s+[a-g1-9]\b|\b(?:on\s+)?loan\b|\bsecond(?:ed|ment)\b"
    r"|^(?:i\s+)?spent\s+(?:some\s+|a\s+few\s+|\w+\s+)?(?:time|years?|months?)\b|^ex-"
    r"|\b(?:part[- ]time|full[- ]time|job share|compressed hours|yrs)\b"
    r"|\b(?:since (?:19|20)\d\d|in (?:19|20)\d\d|for (?:the (?:last|past) )?"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|many|several|a few|a couple of|nearly|almost|over)\s*(?:\w+\s+)?"
    r"(?:years?|months?))\b"
)
_OTHER_PERSON = re.compile(
    r"\b(?:someone|somebody|a mentor|the mentor|my mentor|mentor who|mentors who|a coach|"
    r"coach who|a person|people|person who|them|they|who is|who's|whoever)\b"
)
_OWN_DEPARTMENT = re.compile(
    r"\b(?:outside|out of|beyond|away from)\s+(?:of\s+)?(?:my|our)\s+(?:own\s+|current\s+|home\s+)?"
    r"(?:department|dept|organisation|organization|org|agency|directorate)\b"
    r"|\bnot\s+(?:someone\s+)?(?:from|in|within|at)\s+(?:my|our)\s+(?:own\s+|current\s+)?"
    r"(?:department|dept|organisation|organization|agency)\b"
    r"|\bnot\s+(?:\w+\s+)?(?:my|our)\s+(?:own\s+)?(?:department|dept|organisation|agency)\b"
    r"|\b(?:another|a different|different|diff|other|a separate)\s+(?:government\s+)?"
    r"(?:department|dept|organisation|organization|agency)s?\b"
    r"|\bfresh (?:perspective|pair of eyes) from outside\b|\bcross-government\b"
)
_AT_LEAST = re.compile(
    r"\b(?:at least|minimum(?: of)?|no lower than|no more junior than|not below|at or above)\b"
    r"|\b(?:or|and)\s+(?:above|higher|more senior|up|upwards|over)\b|\+"
)
_SENIORITY = re.compile(r"\b(?:senior to me|more senior|above my grade|a grade above)\b")
_REMOTE = re.compile(
    r"\b(?:online|remote(?:ly)?|virtual(?:ly)?|on teams|over teams|via teams|teams calls?|"
    r"zoom|video(?: calls?)?|by phone|over the phone|phone calls?|hybrid)\b"
)
_IN_PERSON = re.compile(r"\b(?:in person|face to face|face-to-face|f2f|in the office)\b")
_MEETING = re.compile(
    r"\b(?:meet|meeting|meetings|meet up|catch up|catch-ups?|calls?|sessions?|chats?)\b"
    r"|\b(?:monthly|weekly|fortnightly|once a month|every (?:few |other )?(?:weeks?|months?))\b"
)
_PREFERENCE_WORDS = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:ideally|preferably|i'd prefer|i would prefer|i prefer|"
    r"i'd rather|i would rather|prefer|if possible|it would be (?:good|great|nice|helpful)|"
    r"it'd be (?:good|great|nice)|doesn't matter|does not matter|i don't mind|not fussy|"
    r"no preference)\b"
    r"|\b(?:ideally|preferably|would rather|if possible|i'd prefer|i would prefer|"
    r"i prefer|doesn't matter|does not matter|don't mind|do not mind|if poss|pref)\b"
)
_NEGATED = re.compile(r"\b(?:not|n't|never|avoid|except|rather than|instead of)\b")


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
_NOT_NEEDED = re.compile(r"\b(?:not|n't)\s+(?:need|mind|matter)")


def _content_words(text: str, terms: Sequence[TermMatch]) -> list[str]:
    """Words of ``text`` that are not stop words, numbers, tenure or reference terms."""
    for term in sorted(terms, key=lambda t: t.start, reverse=True):
        text = text[: term.start] + " " + text[term.end :]
    words = _TERM_WORDS.findall(text.casefold())
    return [
        word
        for word in words
        if word not in _STOP_WORDS and word not in _NUMBER_WORDS and word not in _SELF_WORDS
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
    return all(word in _EMPTY_WORDS for word in words)


def _is_preference(low: str, terms: Sequence[TermMatch], *, about_other: bool) -> bool:
    """A constraint on the other person or on the meetings."""
    if _PREFERENCE_WORDS.search(low) or _OWN_DEPARTMENT.search(low) or _SENIORITY.search(low):
        return True
    if any(t.kind == "grades" for t in terms) and _AT_LEAST.search(low):
        return True
    if (_REMOTE.search(low) or _IN_PERSON.search(low)) and (
        _MEETING.search(low) or len(low.split()) <= 6 or "happy" in low
    ):
        return True
    if _HAPPY_TO_MEET.match(low):
        return True
    mentions_other = about_other or bool(_OTHER_PERSON.search(low))
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
    if not _SELF_MARKERS.search(low):
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
    aligned = " ".join(text.translate(_APOSTROPHES).split())
    if not _ALNUM.search(low):
        return Clause(text, Role.SMALL_TALK)
    if _SMALL_TALK.search(low) and not _strip_frame(low, _SEEK_FRAMES + _OFFER_FRAMES)[0]:
        return Clause(text, Role.SMALL_TALK)
    terms = reference_terms().find(aligned)
    meaning_role = Role.GOAL if side == "seek" else Role.OFFER
    own_frames = _SEEK_FRAMES if side == "seek" else _OFFER_FRAMES
    framed, start = _strip_frame(low, own_frames)
    hard = _FIND_HARD.match(low) if side == "seek" else None
    if hard:
        return Clause(text, Role.GOAL, _meaning(aligned[: hard.end(1)], hard.start(1)))
    if framed:
        rest_low = low[start:]
        rest_terms = [t for t in terms if t.start >= start]
        about_other = bool(_OTHER_PERSON.search(low[:start]))
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
        done = _OFFER_DONE.match(low)
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
    aligned = " ".join(text.translate(_APOSTROPHES).split())
    terms = reference_terms().find(aligned)
    if not _content_words(aligned, terms):
        return ""
    for term in reversed(terms):
        aligned = aligned[: term.start] + aligned[term.end :]
    return " ".join(aligned.split()).strip(" ,;:.-")


# --- suggested filters ------------------------------------------------------------


def suggested_filters(texts: Iterable[str], side: Side = "seek") -> list[SuggestedFilter]:
    """Filters that a person's own words ask for, at most one per filter.

    Only preference clauses count: "I'm based in Leeds" describes the asker, while
    "ideally someone in Leeds" asks for a region.

    Args:
        texts: The asker's goals text, goal items, or a search text.
        side: The side the texts are from (requests are ``seek``).

    Returns:
        Suggestions in the order ``exclude_own_department``, ``min_grade``,
        ``region``, ``accept_remote``.
    """
    terms = reference_terms()
    found: dict[str, SuggestedFilter] = {}
    for text in texts:
        for clause in clauses(text, side):
            if clause.role is not Role.PREFERENCE:
                continue
            for suggestion in _filters_of(clause.text, terms):
                found.setdefault(suggestion.filter, suggestion)
    order = ("exclude_own_department", "min_grade", "region", "accept_remote")
    return [found[name] for name in order if name in found]


def _filters_of(text: str, terms: ReferenceTerms) -> list[SuggestedFilter]:
    low = normalise(text)
    aligned = " ".join(text.translate(_APOSTROPHES).split())
    found = terms.find(aligned)
    result: list[SuggestedFilter] = []
    own = _OWN_DEPARTMENT.search(low)
    if own and not _NOT_NEEDED.search(low[: own.start()]):
        result.append(
            SuggestedFilter(
                "exclude_own_department", True, "Only show people from other departments", text
            )
        )
    grades = [t for t in found if t.kind == "grades"]
    if grades and _AT_LEAST.search(low):
        code = grades[0].code
        result.append(
            SuggestedFilter(
                "min_grade",
                code,
                f"Only show people at {terms.name('grades', code)} or above",
                text,
            )
        )
    for term in found:
        if term.kind != "regions" or term.code == "overseas":
            continue
        before = low[: len(normalise(aligned[: term.start]))]
        if _NEGATED.search(before[-30:]):
            continue
        name = terms.name("regions", term.code)
        result.append(
            SuggestedFilter(
                "region",
                term.code,
                f"Only show people based in or willing to travel to {name}",
                text,
            )
        )
        break
    if _REMOTE.search(low) and not _NEGATED.search(low):
        result.append(
            SuggestedFilter(
                "accept_remote",
                True,
                "Include people who meet online, wherever they are based",
                text,
            )
        )
    elif _IN_PERSON.search(low) and not _REMOTE.search(low):
        result.append(
            SuggestedFilter("accept_remote", False, "Only show people who can meet in person", text)
        )
    return result


def is_applied(suggestion: SuggestedFilter, query: SuggestionQuery) -> bool:
    """Whether ``query`` already does what the suggestion offers.

    A stricter minimum grade than the one suggested counts as applied.
    """
    if suggestion.filter == "exclude_own_department":
        return query.exclude_own_department is suggestion.value
    if suggestion.filter == "min_grade":
        asked, suggested = grade_rank(query.min_grade), grade_rank(str(suggestion.value))
        return asked is not None and suggested is not None and asked >= suggested
    if suggestion.filter == "region":
        return query.region == suggestion.value
    return query.accept_remote is suggestion.value
