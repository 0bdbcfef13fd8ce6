"""Reference lists (departments and agencies, professions, grades, regions), kept as data.

Profiles store codes; names are for display. The lists live in ``data/reference.json``
so the central team can change them without touching code. Grades are listed in
order, lowest first, which gives their rank; each grade also has a band used by the
anonymised public events, where a grade alone could identify someone senior.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, cast, get_args

from profile_service.domain.errors import InvalidReference

ReferenceKind = Literal["departments", "professions", "grades", "regions"]
GradeBand = Literal["junior", "middle", "senior", "scs"]

REFERENCE_KINDS: tuple[ReferenceKind, ...] = get_args(ReferenceKind)
GRADE_BANDS: tuple[GradeBand, ...] = get_args(GradeBand)
REFERENCE_RESOURCE = "reference.json"

REFERENCE_FIELDS: dict[str, ReferenceKind] = {
    "department": "departments",
    "profession": "professions",
    "grade": "grades",
    "region": "regions",
}
"""The profile fields that hold a code of a list, and which list; the coach
spreadsheet's columns have the same names."""
_SINGULAR: dict[ReferenceKind, str] = {kind: field for field, kind in REFERENCE_FIELDS.items()}


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    """One entry of a reference list."""

    code: str
    name: str

    def to_dict(self) -> dict[str, str]:
        """``{"code", "name"}`` as served by ``GET /v1/reference``."""
        return {"code": self.code, "name": self.name}


class ReferenceData:
    """The four reference lists with lookups by code (and, for imports, by name)."""

    def __init__(
        self,
        lists: Mapping[ReferenceKind, list[ReferenceEntry]],
        grade_bands: Mapping[str, GradeBand],
    ) -> None:
        """Build from entries in display order (grades lowest first).

        Raises:
            ValueError: A list is missing or empty, a code or name repeats within a
                list, or a grade has no band.
        """
        self._lists: dict[ReferenceKind, tuple[ReferenceEntry, ...]] = {}
        self._by_code: dict[ReferenceKind, dict[str, ReferenceEntry]] = {}
        self._by_name: dict[ReferenceKind, dict[str, ReferenceEntry]] = {}
        for kind in REFERENCE_KINDS:
            entries = tuple(lists.get(kind, ()))
            if not entries:
                raise ValueError(f"reference list {kind!r} is missing or empty")
            by_code = {entry.code.casefold(): entry for entry in entries}
            by_name = {_name_key(entry.name): entry for entry in entries}
            if len(by_code) != len(entries) or len(by_name) != len(entries):
                raise ValueError(f"reference list {kind!r} repeats a code or a name")
            self._lists[kind] = entries
            self._by_code[kind] = by_code
            self._by_name[kind] = by_name
        self._grade_rank = {entry.code: rank for rank, entry in enumerate(self._lists["grades"])}
        missing = [code for code in self._grade_rank if code not in grade_bands]
        if missing:
            raise ValueError(f"grades without a band: {missing}")
        self._grade_bands = {code: grade_bands[code] for code in self._grade_rank}

    @classmethod
    def from_json(cls, text: str) -> ReferenceData:
        """Parse the ``reference.json`` format.

        Raises:
            ValueError: The document does not have the expected shape.
        """
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("reference data must be a JSON object")
        lists: dict[ReferenceKind, list[ReferenceEntry]] = {}
        bands: dict[str, GradeBand] = {}
        for kind in REFERENCE_KINDS:
            items = raw.get(kind)
            if not isinstance(items, list):
                raise ValueError(f"reference list {kind!r} must be a JSON array")
            lists[kind] = [_parse_entry(kind, item) for item in items]
            if kind == "grades":
                for item in items:
                    band = item.get("band")
                    if band not in GRADE_BANDS:
                        raise ValueError(f"grade {item.get('code')!r} has no valid band")
                    bands[str(item["code"])] = cast(GradeBand, band)
        return cls(lists, bands)

    def entries(self, kind: ReferenceKind) -> tuple[ReferenceEntry, ...]:
        """Every entry of one list, in display order."""
        return self._lists[kind]

    def codes(self, kind: ReferenceKind) -> list[str]:
        """Every code of one list, in display order."""
        return [entry.code for entry in self._lists[kind]]

    def is_valid(self, kind: ReferenceKind, code: str) -> bool:
        """Whether ``code`` is in the list (case-insensitive)."""
        return code.strip().casefold() in self._by_code[kind]

    def validate(self, kind: ReferenceKind, code: str) -> str:
        """Return the canonical spelling of ``code``.

        Raises:
            InvalidReference: The code is not in the list.
        """
        entry = self._by_code[kind].get(code.strip().casefold())
        if entry is None:
            raise InvalidReference(
                f"{code!r} is not a known {_SINGULAR[kind]}; see GET /v1/reference.",
                details={"kind": kind, "code": code},
            )
        return entry.code

    def resolve(self, kind: ReferenceKind, code_or_name: str) -> str:
        """Return the code for a code or a full name (for imports).

        Names match ignoring case, spacing and punctuation, with "&" read as "and".

        Raises:
            InvalidReference: Neither a code nor a name in the list.
        """
        code = code_or_name.strip().casefold()
        entry = self._by_code[kind].get(code) or self._by_name[kind].get(_name_key(code_or_name))
        if entry is None:
            raise InvalidReference(
                f"{code_or_name!r} is not a known {_SINGULAR[kind]} code or name.",
                details={"kind": kind, "value": code_or_name},
            )
        return entry.code

    def name(self, kind: ReferenceKind, code: str) -> str:
        """The display name for a code.

        Raises:
            InvalidReference: The code is not in the list.
        """
        return self._by_code[kind][self.validate(kind, code).casefold()].name

    def grade_rank(self, code: str) -> int:
        """Position of a grade, 0 for the lowest (AA); higher is more senior.

        Raises:
            InvalidReference: Not a known grade.
        """
        return self._grade_rank[self.validate("grades", code)]

    def grade_band(self, code: str) -> GradeBand:
        """``junior`` (AA, AO), ``middle`` (EO-SEO), ``senior`` (G7, G6) or ``scs``.

        Raises:
            InvalidReference: Not a known grade.
        """
        return self._grade_bands[self.validate("grades", code)]

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        """The body of ``GET /v1/reference``: each list as ``[{code, name}]`` in order."""
        return {kind: [entry.to_dict() for entry in self._lists[kind]] for kind in REFERENCE_KINDS}


def _name_key(name: str) -> str:
    """Compare names ignoring case, spacing and punctuation; "&" reads as "and".

    Spreadsheets write "Digital Data and Technology" or "Digital, Data & Technology".
    """
    text = re.sub(r"['\u2019]", "", name.replace("&", " and "))
    words = re.sub(r"[^\w\s]", " ", text).casefold().split()
    return " ".join(words)


def _parse_entry(kind: str, item: Any) -> ReferenceEntry:
    if not isinstance(item, dict):
        raise ValueError(f"every {kind} entry must be an object")
    code, name = item.get("code"), item.get("name")
    if not isinstance(code, str) or not code.strip() or not isinstance(name, str) or not name:
        raise ValueError(f"every {kind} entry needs a non-empty code and name")
    return ReferenceEntry(code=code.strip(), name=name.strip())


@lru_cache(maxsize=1)
def default_reference_data() -> ReferenceData:
    """The reference lists shipped with the service (``data/reference.json``)."""
    resource = resources.files("profile_service.domain.data").joinpath(REFERENCE_RESOURCE)
    return ReferenceData.from_json(resource.read_text(encoding="utf-8"))


def rank(code: str) -> int:
    """Rank of a grade in the shipped list (0 = AA); see :meth:`ReferenceData.grade_rank`."""
    return default_reference_data().grade_rank(code)


def grade_band(code: str) -> GradeBand:
    """Band of a grade in the shipped list; see :meth:`ReferenceData.grade_band`."""
    return default_reference_data().grade_band(code)
