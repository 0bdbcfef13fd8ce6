"""The one anonymity rule, used by every service that shows a person.

A person who chose to appear anonymised is shown by their initials, department and
grade only, everywhere (directory, suggestions, search, cards, exports of other
people), and is never found by a query on their name, profession or region: a
search that could only have matched on hidden fields would reveal them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

VISIBLE_WHEN_ANONYMOUS = frozenset({"department", "grade"})
"""The card fields an anonymous person shows, besides their initials."""

HIDDEN_WHEN_ANONYMOUS = frozenset({"display_name", "profession", "region"})
"""Fields a query or filter may never match an anonymous person on."""


def initials(display_name: str) -> str:
    """``"Jane Q. Smith"`` -> ``"J. Q. S."``; a name without letters gives ``"?"``."""
    letters = [part[0].upper() for part in display_name.split() if part[:1].isalpha()]
    return " ".join(f"{letter}." for letter in letters) or "?"


def anonymised(card: Mapping[str, Any], *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """The card an anonymous person shows: initials, department, grade and ``keep``.

    Every other key is present with the value None, so the shape of a card never
    depends on who it is about.
    """
    kept = VISIBLE_WHEN_ANONYMOUS | set(keep)
    shown: dict[str, Any] = {key: (value if key in kept else None) for key, value in card.items()}
    shown["display_name"] = initials(str(card.get("display_name") or ""))
    return shown


def may_match_on(field: str, *, anonymous: bool) -> bool:
    """Whether a query or filter on ``field`` may select this person."""
    return not (anonymous and field in HIDDEN_WHEN_ANONYMOUS)
