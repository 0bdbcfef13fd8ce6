"""Pages from Jinja templates: the GOV.UK Frontend environment and :func:`render`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
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

from web_service.dates import activity_text, date_parts, format_date, format_datetime, reply_text
from web_service.forms import FormErrors
from web_service.sessions import session_of

TEMPLATES_DIR = Path(__file__).parent / "templates"


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
    # For the cards' facts and the date inputs.
    env.globals["activity_text"] = activity_text
    env.globals["reply_text"] = reply_text
    env.globals["date_parts"] = date_parts
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


templates = Jinja2Templates(env=_environment())


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


@dataclass(frozen=True)
class FormPage:
    """A page with a form, shown as asked for or again with the errors of what was sent.

    Attributes:
        template: The page's template.
        title: The page's title.
        fixed: What every showing of the page needs besides (limits, choices).
    """

    template: str
    title: str
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def show(
        self,
        request: Request,
        errors: FormErrors | None = None,
        *,
        status_code: int | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """The page; with errors it answers 422 unless ``status_code`` says otherwise."""
        if status_code is None:
            status_code = 422 if errors else 200
        return render(
            request,
            self.template,
            status_code=status_code,
            title=self.title,
            errors=errors,
            **self.fixed,
            **context,
        )


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    """The error page: what went wrong and what to do."""
    return render(request, "error.html", status_code=status_code, title=title, message=message)


def not_found(
    request: Request, message: str = "If you typed the web address, check it is correct."
) -> HTMLResponse:
    """The 404 page, saying what was not found."""
    return error_page(request, 404, "Page not found", message)
