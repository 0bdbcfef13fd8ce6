"""What page handlers depend on: the session (signed in, or an administrator's), the
service client, and the CSRF-checked form, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from web_service.backend import Backend
from web_service.forms import checked_form
from web_service.sessions import WebSession, session_of


class NotSignedIn(Exception):
    """A page for signed-in people was asked for without a session."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class NotAdmin(Exception):
    """An administrator page was asked for by someone else."""


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
CheckedForm = Annotated[FormData, Depends(checked_form)]
