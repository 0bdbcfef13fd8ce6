"""Check-ins: "How is it going?" after the 3rd and 6th confirmed session.

A plain form (radios 1 to 5 and an optional comment), so it works with JavaScript off.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mentor_shared.errors import NotFound
from web_service.backend import ApiError, attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, text
from web_service.redirects import redirect
from web_service.rendering import FormPage

router = APIRouter()

COMMENT_MAX = 1000
RATINGS = {
    "5": "Very well",
    "4": "Well",
    "3": "Neither well nor badly",
    "2": "Badly",
    "1": "Very badly",
}


NOT_YOURS = "This check-in does not exist or was not sent to you."
CHECKIN = FormPage(
    "checkin.html",
    "How is your mentoring going?",
    {"ratings": RATINGS, "comment_max": COMMENT_MAX},
)


async def _checkin(backend: BackendDep, session: MemberSession, checkin_id: str) -> dict[str, Any]:
    """The check-in, when it was sent to the person.

    Raises:
        NotFound: It does not exist or was sent to someone else.
    """
    found: dict[str, Any] | ApiError = await attempt(
        backend.json("notifications", "GET", f"/v1/checkins/{checkin_id}", session=session), 404
    )
    if isinstance(found, ApiError):
        raise NotFound(NOT_YOURS)
    return found


@router.get("/checkins/{checkin_id}")
async def checkin_page(
    request: Request, checkin_id: str, session: MemberSession, backend: BackendDep
) -> Response:
    """The check-in form, or the answer already given."""
    checkin = await _checkin(backend, session, checkin_id)
    return CHECKIN.show(request, checkin=checkin, rating="", comment="")


@router.post("/checkins/{checkin_id}")
async def answer_checkin(
    request: Request,
    checkin_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send the answer; errors are shown on the form."""
    checkin = await _checkin(backend, session, checkin_id)
    rating, comment = text(form, "rating"), text(form, "comment").strip()
    errors = FormErrors()
    if rating not in RATINGS:
        errors.add("rating", "Select how your mentoring is going")
    errors.check_text("comment", comment, limit=COMMENT_MAX, what="Your comment")
    if errors:
        return CHECKIN.show(
            request, errors, status_code=400, checkin=checkin, rating=rating, comment=comment
        )
    answered = await attempt(
        backend.call(
            "notifications",
            "POST",
            f"/v1/checkins/{checkin_id}",
            session=session,
            json={"rating": int(rating), "comment": comment or None},
        ),
        409,
    )
    if isinstance(answered, ApiError):
        session.add_flash("You have already answered this check-in", "")
        return redirect(f"/checkins/{checkin_id}")
    session.add_flash("Thank you for your answer", "Only totals are shared, never your answer.")
    return redirect(f"/conversations/{checkin['conversation_id']}")
