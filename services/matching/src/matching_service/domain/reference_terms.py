"""Reference terms: departments, grades and regions with the names people write for them.

The lists (departments and agencies with their abbreviations and old names, grades
with their synonyms, regions with their main cities) ship as ``data/terms.json``.
:meth:`ReferenceTerms.find` finds them in free text: clause roles use them to tell a
self-description ("I'm a G7 in DWP") from a goal, and suggested filters read a grade
or region from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

TERMS_RESOURCE = "terms.json"
TermKind = Literal["departments", "grades", "regions"]
TERM_KINDS: tuple[TermKind, ...] = ("departments", "grades", "regions")


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A reference term found in text."""

    kind: TermKind
    code: str
    start: int
    end: int


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
