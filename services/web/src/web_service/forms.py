"""Posted forms: the CSRF check, reading fields, and errors for the GOV.UK error summary."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import FormData

from web_service.backend import ApiError
from web_service.sessions import session_of


class CsrfRefused(Exception):
    """A POST arrived without the session's CSRF token."""


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's.

    Raises:
        CsrfRefused: The token is missing or wrong.
    """
    form = await request.form()
    sent = form.get("csrf_token")
    expected = session_of(request).data.csrf_token
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused
    return form


def raw_text(form: FormData, name: str) -> str:
    """A text field exactly as typed, as for a password ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def text(form: FormData, name: str) -> str:
    """A text field, stripped ("" when absent or a file)."""
    return raw_text(form, name).strip()


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), non-empty ones only."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


@dataclass
class FormErrors:
    """Errors for the GOV.UK error summary and the inline messages, in field order."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        """One error for a field (the first one given wins)."""
        self.by_field.setdefault(name, message)

    def check_text(
        self, name: str, value: str, *, limit: int, what: str, missing: str = ""
    ) -> None:
        """Errors for a text field: empty when ``missing`` says what to enter, or too long.

        Args:
            name: The field.
            value: What was typed.
            limit: The most characters allowed.
            what: The field in words, to start "... must be N characters or fewer".
            missing: The error for an empty field; "" when it may be left empty.
        """
        if missing and not value:
            self.add(name, missing)
        elif len(value) > limit:
            self.add(name, f"{what} must be {limit} characters or fewer")

    def __bool__(self) -> bool:
        return bool(self.by_field)

    @property
    def summary(self) -> list[dict[str, str]]:
        """Items for ``govukErrorSummary``: link to each field."""
        return [{"text": message, "href": f"#{name}"} for name, message in self.by_field.items()]

    def message(self, name: str) -> dict[str, str] | None:
        """``errorMessage`` parameter of a component, or None."""
        found = self.by_field.get(name)
        return {"text": found} if found else None


def new_password(form: FormData, name: str, errors: FormErrors, *, mismatch: str) -> str:
    """The new password from the fields of the ``new_password_fields`` macro.

    Args:
        form: The posted form.
        name: The new password's field; its confirmation is ``confirm_password``.
        errors: Where an empty password, or a confirmation that differs, is reported.
        mismatch: The error when the two differ.
    """
    password = raw_text(form, name)
    if not password:
        errors.add(name, "Enter a new password")
    elif password != raw_text(form, "confirm_password"):
        errors.add("confirm_password", mismatch)
    return password


def errors_from_api(error: ApiError, fields: dict[str, str], default_field: str) -> FormErrors:
    """Turn a service's 422 into form errors: details naming a field go to that field.

    Args:
        error: The service's error.
        fields: Service field name -> form field id.
        default_field: Where a message that names no field goes.
    """
    errors = FormErrors()
    details = error.details if isinstance(error.details, list) else []
    for detail in details:
        if not isinstance(detail, dict):
            continue
        name = str(detail.get("field") or "")
        loc = detail.get("loc")
        if not name and isinstance(loc, list) and loc:
            name = ".".join(str(part) for part in loc if part != "body")
        root = name.split(".")[0]
        target = fields.get(name) or fields.get(root)
        message = str(detail.get("message") or detail.get("msg") or "")
        message = message.removeprefix("Value error, ")
        if "code" in detail and not message and target:
            message = "Select an entry from the list"
        if target and message:
            errors.add(target, message)
    if not errors:
        errors.add(default_field, error.message or "Check what you entered")
    return errors
