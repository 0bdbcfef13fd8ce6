"""Suggested filters: what a person's own words ask of the people suggested to them.

"Ideally someone outside my department" suggests ``exclude_own_department``; "at
least a Grade 7" a minimum grade; "someone in Leeds" a region; "happy to meet online"
remote meetings. Only preference clauses count (:class:`~matching_service.domain.roles.Role`):
"I'm based in Leeds" describes the asker. Suggestions are offered to the person and
never applied silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from matching_service.domain.clause_splitting import aligned_text, normalise
from matching_service.domain.model import SuggestionQuery, grade_rank
from matching_service.domain.reference_terms import ReferenceTerms, reference_terms
from matching_service.domain.role_patterns import (
    AT_LEAST,
    IN_PERSON,
    NEGATED,
    OWN_DEPARTMENT,
    REMOTE,
)
from matching_service.domain.roles import Role, Side, clauses

_NOT_NEEDED = re.compile(r"\b(?:not|n't)\s+(?:need|mind|matter)")


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
    aligned = aligned_text(text)
    found = terms.find(aligned)
    result: list[SuggestedFilter] = []
    own = OWN_DEPARTMENT.search(low)
    if own and not _NOT_NEEDED.search(low[: own.start()]):
        result.append(
            SuggestedFilter(
                "exclude_own_department", True, "Only show people from other departments", text
            )
        )
    grades = [t for t in found if t.kind == "grades"]
    if grades and AT_LEAST.search(low):
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
        if NEGATED.search(before[-30:]):
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
    if REMOTE.search(low) and not NEGATED.search(low):
        result.append(
            SuggestedFilter(
                "accept_remote",
                True,
                "Include people who meet online, wherever they are based",
                text,
            )
        )
    elif IN_PERSON.search(low) and not REMOTE.search(low):
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
