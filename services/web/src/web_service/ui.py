"""What every page handler uses: the session, CSRF checks, rendering, form errors."""

from __future__ import annotations

import hmac
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    Template,
)
from markupsafe import Markup
from starlette.datastructures import FormData

from web_service.backend import ApiError, Backend
from web_service.sessions import WebSession

TEMPLATES_DIR = Path(__file__).parent / "templates"
REFERENCE_TTL_S = 600.0


class CsrfRefused(Exception):
    """A POST arrived without the session's CSRF token."""


class NotSignedIn(Exception):
    """A page for signed-in people was asked for without a session."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class NotAdmin(Exception):
    """An administrator page was asked for by someone else."""


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    env.globals["select_items"] = select_items
    env.globals["markup"] = markup
    # Every GOV.UK Frontend macro (govukButton, govukInput, ...) in every template,
    # instead of a dozen import lines at the top of each page.
    components = Path(str(resources.files("govuk_frontend_jinja"))) / "templates" / "components"
    for folder in sorted(components.iterdir()):
        module = env.get_template(
            f"govuk_frontend_jinja/components/{folder.name}/macro.html"
        ).module
        for name in dir(module):
            if name.startswith("govuk"):
                env.globals[name] = getattr(module, name)
    return env


def format_date(value: str | None) -> str:
    """``2026-03-04T...`` -> ``4 March 2026`` (GOV.UK date style)."""
    if not value:
        return ""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return f"{moment.day} {moment:%B %Y}"


def format_datetime(value: str | None) -> str:
    """``2026-03-04T14:05...`` -> ``4 March 2026 at 2:05pm`` (GOV.UK style, UTC)."""
    if not value:
        return ""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%B %Y} at {hour}:{moment:%M}{suffix}"


def markup(template: str, *values: Any) -> Markup:
    """Trusted HTML from a template, with every value escaped (for components' ``html``)."""
    return Markup(template).format(*values)  # noqa: S704 - the template is ours; values are escaped


def select_items(
    entries: list[dict[str, str]], selected: str | None, blank: str
) -> list[dict[str, Any]]:
    """``govukSelect`` items from a reference list, with a first empty choice."""
    items: list[dict[str, Any]] = [{"value": "", "text": blank}]
    items += [
        {"value": e["code"], "text": e["name"], "selected": e["code"] == selected} for e in entries
    ]
    return items


templates = Jinja2Templates(env=_environment())


def session_of(request: Request) -> WebSession:
    """The request's session, put there by the session middleware.

    Requests the middleware skips (static files) get a throwaway session so an
    error page can still be rendered for them.
    """
    session: WebSession | None = getattr(request.state, "session", None)
    if session is None:
        session = request.app.state.store.new_session()
        request.state.session = session
    return session


def backend_of(request: Request) -> Backend:
    """The app's service client."""
    backend: Backend = request.app.state.backend
    return backend


def signed_in_session(request: Request) -> WebSession:
    """The session, which must be signed in (else: to the sign-in page)."""
    session = session_of(request)
    if not session.data.signed_in:
        raise NotSignedIn(str(request.url.path))
    return session


def admin_session(request: Request) -> WebSession:
    """The session, which must belong to an administrator."""
    session = signed_in_session(request)
    if not session.data.is_admin:
        raise NotAdmin
    return session


SessionDep = Annotated[WebSession, Depends(session_of)]
MemberSession = Annotated[WebSession, Depends(signed_in_session)]
AdminSession = Annotated[WebSession, Depends(admin_session)]
BackendDep = Annotated[Backend, Depends(backend_of)]


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


CheckedForm = Annotated[FormData, Depends(checked_form)]


def text(form: FormData, name: str) -> str:
    """A text field, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


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


def next_path(value: str | None, default: str = "/") -> str:
    """A local path to go back to after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def date_parts(value: str | None) -> dict[str, str]:
    """``2027-03-31`` -> the day, month and year fields of ``govukDateInput``."""
    if not value:
        return {"day": "", "month": "", "year": ""}
    year, month, day = str(value)[:10].split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def date_from_form(form: FormData, prefix: str) -> tuple[str | None, str | None]:
    """A date from the ``prefix-day``, ``prefix-month`` and ``prefix-year`` fields.

    Returns:
        (ISO date or None when all three are blank, an error message or None).
    """
    return parse_date_parts(
        {part: text(form, f"{prefix}-{part}") for part in ("day", "month", "year")}
    )


def parse_date_parts(fields: dict[str, str]) -> tuple[str | None, str | None]:
    """A date from ``{"day", "month", "year"}`` as typed.

    Returns:
        (ISO date or None when all three are blank, an error message or None).
    """
    parts = [fields.get(part, "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None, None
    if not all(parts):
        return None, "Enter a full date, for example 31 3 2027"
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day).isoformat(), None
    except ValueError:
        return None, "Enter a real date, for example 31 3 2027"


def activity_text(last_active: str | None, today: date | None = None) -> str | None:
    """ "Active this month" / "Active last month" from a ``YYYY-MM`` month, or None.

    Matching keeps only the month of someone's last activity, so nothing finer (such
    as "in the last week") can be said truthfully.
    """
    if not last_active:
        return None
    today = today or datetime.now(UTC).date()
    this_month = f"{today.year:04d}-{today.month:02d}"
    previous = today.replace(day=1) - timedelta(days=1)
    if last_active == this_month:
        return "Active this month"
    if last_active == f"{previous.year:04d}-{previous.month:02d}":
        return "Active last month"
    return None


def reply_text(days: int | None) -> str | None:
    """ "Usually replies within N days", or None when not known."""
    if not days:
        return None
    return "Usually replies within 1 day" if days == 1 else f"Usually replies within {days} days"


def wait_text(seconds: float | None) -> str:
    """``Retry-After`` in words: "1 minute", "15 minutes", "2 hours"."""
    if seconds is None:
        return "a few minutes"
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: 303 See Other."""
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(next_url: str) -> RedirectResponse:
    """To the sign-in page, coming back to ``next_url`` afterwards."""
    return redirect("/sign-in?" + urlencode({"next": next_path(next_url)}))


async def reference_lists(request: Request) -> dict[str, list[dict[str, str]]]:
    """Departments, professions, grades and regions (cached for ten minutes)."""
    state = request.app.state
    cached: tuple[float, dict[str, list[dict[str, str]]]] | None = getattr(
        state, "reference_cache", None
    )
    if cached and cached[0] > time.monotonic():
        return cached[1]
    lists: dict[str, list[dict[str, str]]] = await backend_of(request).json(
        "profile", "GET", "/v1/reference"
    )
    state.reference_cache = (time.monotonic() + REFERENCE_TTL_S, lists)
    return lists


def names_of(lists: dict[str, list[dict[str, str]]]) -> dict[str, dict[str, str]]:
    """``{"departments": {code: name}, ...}`` to show names for stored codes."""
    return {
        kind: {entry["code"]: entry["name"] for entry in entries} for kind, entries in lists.items()
    }


def render(
    request: Request, template: str | Template, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page: the template (a name, or one already loaded) with the session's CSRF
    token, banners and navigation."""
    session = session_of(request)
    if "csrf_token" not in context:
        # A form needs the token in a session that is saved.
        if session.new:
            session.changed()
        context["csrf_token"] = session.data.csrf_token
    response = templates.TemplateResponse(
        request,
        template,  # type: ignore[arg-type]  # jinja returns a loaded Template unchanged
        {
            "session": session.data,
            "flash": session.pop_flash(),
            "current_path": request.url.path,
            "support_email": request.app.state.settings.support_email,
            "feedback_url": request.app.state.settings.feedback_link,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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


# Helpers defined below the environment's creation, for the cards' facts and date inputs.
templates.env.globals["activity_text"] = activity_text
templates.env.globals["reply_text"] = reply_text
templates.env.globals["date_parts"] = date_parts
