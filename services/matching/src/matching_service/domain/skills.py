"""The skills vocabulary and lexical tagging of profile text.

The vocabulary is a versioned data file (``matching_service/data/skills.v1.json``):
each skill has a stable id, a display name, a group and a few paraphrases in the
words people write. A profile is tagged with the skills whose name or a paraphrase
appears in its text, compared after normalising both sides the same way (lower
case, British and American spellings folded, "&" read as "and", articles and
possessives dropped, simple suffix stemming). A tag needs the whole phrase, in order, inside one sentence:
precision comes first, a wrong tag is worse than a missing one.

Embedding similarity to the paraphrases (which finds wordings not listed) lives in
the service layer (:mod:`matching_service.service.skills`); this module is pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

SkillSide = Literal["offered", "sought"]
"""Which side of a profile a text describes: what the person can help with, or wants."""

VOCABULARY_FILE = "skills.v1.json"
"""The data file in ``matching_service/data`` the service loads."""

OVERLAP_SATURATION = 2
"""Shared skills at which the overlap is complete: a mentor covering two of a mentee's
sought skills fits as well as one covering all of them (people list many goals and
one mentor seldom covers all)."""

_TOKEN = re.compile(r"[a-z0-9]+|[.;:!?()\n]")
_BOUNDARY = "|"
_STOPWORDS = frozenset({"a", "an", "the", "of", "my", "our", "your", "their", "s"})
# "-ment" stays: "first time managing" must not read as "time management".
_SUFFIXES = ("ings", "ing", "ers", "er", "ed", "es", "s", "e")


@dataclass(frozen=True, slots=True)
class Skill:
    """One entry of the vocabulary.

    Attributes:
        id: Stable id (kebab case); never reused or renamed.
        name: Display name, sentence case.
        group: Id of the group it belongs to (profession or area).
        paraphrases: Short phrases people write for it.
    """

    id: str
    name: str
    group: str
    paraphrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """A group of skills (a profession or an area)."""

    id: str
    name: str


class SkillVocabulary:
    """The skills, their groups, and the stemmed phrases that find them in text."""

    def __init__(self, version: int, groups: Sequence[SkillGroup], skills: Sequence[Skill]):
        """Build the vocabulary and its phrase table.

        Raises:
            ValueError: On a duplicate id, an unknown group or a skill without phrases.
        """
        self.version = version
        self.groups = tuple(groups)
        self.skills = tuple(skills)
        group_ids = {group.id for group in self.groups}
        self._by_id: dict[str, Skill] = {}
        for skill in self.skills:
            if skill.id in self._by_id:
                raise ValueError(f"duplicate skill id {skill.id!r}")
            if skill.group not in group_ids:
                raise ValueError(f"skill {skill.id!r} names an unknown group {skill.group!r}")
            self._by_id[skill.id] = skill
        # First token of a phrase -> (phrase tokens, skill id): a text is scanned once.
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for skill in self.skills:
            seen: set[tuple[str, ...]] = set()
            for phrase in (skill.name, *skill.paraphrases):
                tokens = tuple(normalise(phrase))
                if not tokens or tokens in seen or _BOUNDARY in tokens:
                    continue
                seen.add(tokens)
                self._phrases.setdefault(tokens[0], []).append((tokens, skill.id))
            if not seen:
                raise ValueError(f"skill {skill.id!r} has no usable phrase")

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._by_id

    def get(self, skill_id: str) -> Skill | None:
        """The skill with this id, or None."""
        return self._by_id.get(skill_id)

    def name_of(self, skill_id: str) -> str:
        """A skill's display name (the id itself when unknown)."""
        skill = self._by_id.get(skill_id)
        return skill.name if skill is not None else skill_id

    def known(self, skill_ids: Iterable[str]) -> tuple[str, ...]:
        """The ids that are in the vocabulary, once each, in the given order."""
        return tuple(dict.fromkeys(skill_id for skill_id in skill_ids if skill_id in self))

    def tag(self, text: str) -> tuple[str, ...]:
        """Skills whose name or a paraphrase appears in ``text``, in vocabulary order.

        A phrase matches when its normalised tokens appear contiguously in the text's
        normalised tokens within one sentence.
        """
        tokens = normalise(text)
        found: set[str] = set()
        for start, token in enumerate(tokens):
            for phrase, skill_id in self._phrases.get(token, ()):
                if tuple(tokens[start : start + len(phrase)]) == phrase:
                    found.add(skill_id)
        return tuple(skill.id for skill in self.skills if skill.id in found)

    def tag_all(self, texts: Iterable[str]) -> tuple[str, ...]:
        """:meth:`tag` over several texts (each its own sentences), in vocabulary order."""
        found = {skill_id for text in texts for skill_id in self.tag(text)}
        return tuple(skill.id for skill in self.skills if skill.id in found)


_ISE_ENDING = re.compile(r"is(e|es|ed|ing)$")


def _stem(word: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    # British and American spellings tag alike (organisation / organization).
    word = _ISE_ENDING.sub(r"iz\1", word.replace("isation", "ization"))
    if word.endswith("ies"):
        word = word[:-3] + "y"
    # Twice, so "managers" and "managing" meet at "manag".
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word


def normalise(text: str) -> list[str]:
    """Lower-cased, stemmed tokens without stop words; sentence ends become ``|``.

    The same function normalises the vocabulary's phrases and the text being tagged,
    so "managing stakeholders" finds "Stakeholder management"'s paraphrase
    "managing stakeholders" and "Managing Stakeholders." alike.
    """
    tokens: list[str] = []
    for raw in _TOKEN.findall(text.casefold().replace("'", "").replace("&", " and ")):
        if not raw[0].isalnum():
            if tokens and tokens[-1] != _BOUNDARY:
                tokens.append(_BOUNDARY)
        elif raw not in _STOPWORDS:
            tokens.append(_stem(raw))
    return tokens


def skill_overlap(sought: Iterable[str], offered: Iterable[str]) -> tuple[float, list[str]]:
    """How far what one person offers covers what the other seeks.

    Args:
        sought: Skill ids the mentee wants to develop.
        offered: Skill ids the mentor or coach can help with.

    Returns:
        The overlap, 0..1 (shared skills over the smaller of the sought count and
        :data:`OVERLAP_SATURATION`), and the shared ids, sorted. 0 and no ids when
        either side has no skills: missing tags are neutral.
    """
    wanted = set(sought)
    shared = sorted(wanted & set(offered))
    if not shared:
        return 0.0, []
    return min(1.0, len(shared) / min(len(wanted), OVERLAP_SATURATION)), shared


def vocabulary_from_document(document: Mapping[str, Any]) -> SkillVocabulary:
    """Build a vocabulary from the data file's JSON document."""
    groups = [SkillGroup(str(group["id"]), str(group["name"])) for group in document["groups"]]
    skills = [
        Skill(
            id=str(entry["id"]),
            name=str(entry["name"]),
            group=str(entry["group"]),
            paraphrases=tuple(str(phrase) for phrase in entry["paraphrases"]),
        )
        for entry in document["skills"]
    ]
    return SkillVocabulary(int(document["version"]), groups, skills)


@cache
def load_vocabulary(file_name: str = VOCABULARY_FILE) -> SkillVocabulary:
    """The vocabulary shipped with the package (read once, on first use)."""
    text = resources.files("matching_service").joinpath("data", file_name).read_text("utf-8")
    return vocabulary_from_document(json.loads(text))
