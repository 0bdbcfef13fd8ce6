"""Finding people: the directory, someone's profile, suggestions, and asking for an introduction."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mentor_shared.clock import utc_now
from mentor_shared.errors import NotFound
from web_service.backend import ApiError, Backend, ServiceUnavailable, attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, text
from web_service.redirects import redirect
from web_service.reference import names_of, reference_lists
from web_service.rendering import render
from web_service.sessions import WebSession

router = APIRouter()

MAX_OPEN_REQUESTS = 3
MESSAGE_MAX = 2000
Filter = Annotated[str | None, Query(max_length=100)]
PAGE_SIZE = 20
NOT_LISTED = "This person is not in the directory. They may have deleted their account."


@router.get("/directory")
async def directory(
    request: Request,
    session: MemberSession,
    backend: BackendDep,
    q: Filter = None,
    department: Filter = None,
    profession: Filter = None,
    grade: Filter = None,
    region: Filter = None,
    role: Annotated[str | None, Query(pattern="^(mentor|mentee|coach)?$")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    """Search by name and filters; a page at a time ("Next" carries the cursor)."""
    filters = {
        "q": q or "",
        "department": department or "",
        "profession": profession or "",
        "grade": grade or "",
        "region": region or "",
        "role": role or "",
    }
    params = {key: value for key, value in filters.items() if value}
    if cursor:
        params["cursor"] = cursor
    page = await backend.json(
        "profile", "GET", "/v1/profiles", session=session, params={**params, "limit": PAGE_SIZE}
    )
    lists = await reference_lists(request)
    next_href = None
    if page.get("next_cursor"):
        query = {key: value for key, value in filters.items() if value}
        next_href = "/directory?" + urlencode({**query, "cursor": page["next_cursor"]})
    first_href = "/directory?" + urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "directory.html",
        title="Directory",
        filters=filters,
        items=page.get("items", []),
        lists=lists,
        names=names_of(lists),
        next_href=next_href,
        first_href=first_href if cursor else None,
    )


@router.get("/people/{profile_id}")
async def person(
    request: Request, profile_id: str, session: MemberSession, backend: BackendDep
) -> Response:
    """Someone's profile (no contact details unless an accepted match shares them)."""
    profile = await _profile(backend, session, profile_id)
    contact = await attempt(
        backend.json("profile", "GET", f"/v1/profiles/{profile_id}/contact", session=session),
        403,
        404,
    )
    card = await _card(backend, session, profile_id)
    lists = await reference_lists(request)
    return render(
        request,
        "person.html",
        title=profile.get("display_name") or profile.get("initials") or "Profile",
        profile=profile,
        contact=None if isinstance(contact, ApiError) else contact,
        names=names_of(lists),
        is_me=profile_id == session.data.account_id,
        paused_until=running_pause(profile.get("paused_until")),
        card=card,
    )


async def _profile(backend: Backend, session: WebSession, profile_id: str) -> dict[str, Any]:
    """Someone's profile as the session may see it.

    Raises:
        NotFound: There is no such profile (any more).
    """
    found: dict[str, Any] | ApiError = await attempt(
        backend.json("profile", "GET", f"/v1/profiles/{profile_id}", session=session), 404
    )
    if isinstance(found, ApiError):
        raise NotFound(NOT_LISTED)
    return found


async def _card(backend: Backend, session: WebSession, profile_id: str) -> dict[str, Any] | None:
    """Matching's card of the person (their responsiveness), or None when it has none.

    Matching follows profile events, so it may not hold someone the profile service
    already shows (404), and the page still works while it is down.
    """
    try:
        card = await attempt(
            backend.json("matching", "GET", f"/v1/cards/{profile_id}", session=session), 404
        )
    except ServiceUnavailable:
        return None
    return None if isinstance(card, ApiError) else card


def running_pause(paused_until: str | None) -> str | None:
    """The pause's end date while it runs (it ends by itself on the date), else None."""
    if paused_until and paused_until > utc_now().date().isoformat():
        return paused_until
    return None


@router.get("/suggestions")
async def suggestions(
    request: Request,
    session: MemberSession,
    backend: BackendDep,
    role: Annotated[str, Query(pattern="^(mentor|coach|mentee)$")] = "mentor",
    region: Filter = None,
    exclude_own_department: bool = False,
    min_grade: Filter = None,
    accept_remote: bool = True,
) -> Response:
    """Ranked suggestions from the matching service, each with its reasons.

    Filters the person's own goals ask for ("ideally someone outside my department")
    are offered as links that apply them; none is applied until they follow one.
    """
    filters: dict[str, Any] = {"role": role}
    if region:
        filters["region"] = region
    if exclude_own_department:
        filters["exclude_own_department"] = "true"
    if min_grade:
        filters["min_grade"] = min_grade
    if not accept_remote:
        filters["accept_remote"] = "false"
    params: dict[str, Any] = {**filters, "limit": 10}
    items: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    unavailable = not_ready = False
    try:
        found = await backend.json(
            "matching", "GET", "/v1/suggestions", session=session, params=params
        )
        items = found if isinstance(found, list) else list(found.get("items", []))
        offers = await _offered_filters(backend, session, filters)
    except ServiceUnavailable:
        unavailable = True
    except ApiError as error:
        # 409: matching has not yet received the profile (it follows profile events).
        if error.status != 409:
            raise
        not_ready = True
    lists = await reference_lists(request)
    return render(
        request,
        "suggestions.html",
        title="Suggested mentors and coaches",
        items=items,
        role=role,
        region=region or "",
        exclude_own_department=exclude_own_department,
        min_grade=min_grade or "",
        accept_remote=accept_remote,
        offers=offers,
        lists=lists,
        names=names_of(lists),
        unavailable=unavailable,
        not_ready=not_ready,
    )


async def _offered_filters(
    backend: Backend, session: WebSession, filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """Filters the person's goals ask for and the page does not apply yet, each with
    the link that applies it (on top of the filters already chosen)."""
    found = await backend.json(
        "matching", "GET", "/v1/suggestions/filters", session=session, params=filters
    )
    offers: list[dict[str, Any]] = []
    for item in (found or {}).get("suggested_filters", []):
        if item.get("applied"):
            continue
        value = item["value"]
        written = ("true" if value else "false") if isinstance(value, bool) else str(value)
        offers.append(
            {
                "label": item["label"],
                "evidence": item.get("evidence", ""),
                "href": "/suggestions?" + urlencode({**filters, item["filter"]: written}),
            }
        )
    return offers


async def open_requests(backend: Backend, session: WebSession) -> list[dict[str, Any]]:
    """The person's requests still waiting for an answer."""
    me = session.data.account_id
    return [
        m
        for m in await backend.matches(session)
        if m.get("status") == "requested" and m.get("mentee_id") == me
    ]


@router.get("/people/{profile_id}/request")
async def request_form(
    request: Request, profile_id: str, session: MemberSession, backend: BackendDep
) -> Response:
    """Ask for an introduction: how many of the three open requests are left."""
    return await _render_request(request, profile_id, session, backend, message="")


async def _render_request(
    request: Request,
    profile_id: str,
    session: WebSession,
    backend: Backend,
    *,
    message: str,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    profile = await _profile(backend, session, profile_id)
    pending = await open_requests(backend, session)
    return render(
        request,
        "request.html",
        status_code=status_code,
        title=f"Ask {profile.get('display_name', 'them')} for an introduction",
        profile=profile,
        left=max(0, MAX_OPEN_REQUESTS - len(pending)),
        message=message,
        errors=errors,
        message_max=MESSAGE_MAX,
    )


@router.post("/people/{profile_id}/request")
async def send_request(
    request: Request,
    profile_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send the request; the service refuses a fourth open one or a full mentor."""
    message = text(form, "message")
    errors = FormErrors()
    errors.check_text(
        "message",
        message,
        limit=MESSAGE_MAX,
        what="Your message",
        missing="Write a short message to introduce yourself",
    )
    if not errors:
        sent = await attempt(
            backend.call(
                "matching",
                "POST",
                "/v1/matches",
                session=session,
                json={"mentor_id": profile_id, "message": message},
            ),
            404,
            409,
            422,
        )
        if not isinstance(sent, ApiError):
            session.add_flash(
                "Your request has been sent",
                "We will tell you when they answer. You can message them in the meantime.",
            )
            return redirect("/requests")
        if sent.status == 404:
            # Matching learns of new or changed profiles from events, a moment later.
            errors.add("message", "This person cannot receive requests yet. Try again in a minute")
        else:
            errors.add("message", sent.message or "This request cannot be sent")
    return await _render_request(
        request, profile_id, session, backend, message=message, errors=errors, status_code=422
    )
