"""How to reach a person: contact details and the phone rule.

Contact details live only in the profile service and reach another person only
through an active contact grant (:mod:`profile_service.domain.grants`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from profile_service.domain.allowlist import parse_email
from profile_service.domain.errors import DomainError

__all__ = ["Contact", "normalise_phone"]

_PHONE_CHARS = re.compile(r"[0-9 +().\-]+")
_UK_TRUNK = re.compile(r"^\+44\s*\(0\)")


def normalise_phone(raw: str) -> str:
    """Validate a phone number and return it in international form (``+447700900123``).

    UK numbers may be written nationally (``07700 900123``, ``020 7946 0000``) or
    internationally (``+44 (0)20 7946 0000``, ``0044 ...``); other countries'
    numbers must start with ``+`` or ``00`` and have 8 to 15 digits.

    Raises:
        ValueError: With a sentence for the person.
    """
    text = raw.strip()
    if not _PHONE_CHARS.fullmatch(text):
        raise ValueError("A phone number may only contain digits, spaces, +, -, . and brackets.")
    text = _UK_TRUNK.sub("+44", text)
    international = text.startswith("+") or text.startswith("00")
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        digits = digits[2:]
    if "+" in text[1:]:
        raise ValueError("A + may only appear at the start of a phone number.")
    if international:
        if digits.startswith("44"):
            national = digits[2:]
            if national.startswith("0") or not 9 <= len(national) <= 10:
                raise ValueError("A UK number after +44 has 9 or 10 digits and no leading 0.")
            return "+44" + national
        if not 8 <= len(digits) <= 15 or digits.startswith("0"):
            raise ValueError("An international number has a country code and 8 to 15 digits.")
        return "+" + digits
    if not digits.startswith("0") or not 10 <= len(digits) <= 11:
        raise ValueError(
            "Enter a UK number starting with 0 (10 or 11 digits) or an international "
            "number starting with +."
        )
    return "+44" + digits[1:]


class Contact(BaseModel):
    """How to reach a person; shown only to the other person of an active match."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    email: str | None = Field(default=None, description="Work address to be contacted on")
    phone: str | None = Field(default=None, description="Stored as +44... (E.164)")

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return str(parse_email(value))
        except DomainError as error:
            raise ValueError(error.message) from error

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None
