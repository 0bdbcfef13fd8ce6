"""Signing up, confirming the address, signing in and out, passwords, claiming an import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from web_service.backend import ApiError, attempt, token_claims
from web_service.dates import wait_text
from web_service.deps import BackendDep, CheckedForm, MemberSession, SessionDep
from web_service.forms import FormErrors, errors_from_api, new_password, raw_text, text
from web_service.redirects import next_path, redirect, sign_in_redirect
from web_service.rendering import FormPage, render

router = APIRouter()

Token = Annotated[str, Query(max_length=512)]
PASSWORD_HINT = "At least 12 characters. A few unrelated words make a strong, memorable password."  # noqa: S105 - hint text, not a password
SIGN_UP = FormPage("sign_up.html", "Create an account")
SIGN_IN = FormPage("sign_in.html", "Sign in")
FORGOTTEN_PASSWORD = FormPage("forgotten_password.html", "Reset your password")
CHANGE_PASSWORD = FormPage("change_password.html", "Change your password", {"hint": PASSWORD_HINT})


@router.get("/")
async def home(request: Request, session: SessionDep) -> Response:
    """Start page, or the signed-in person's dashboard."""
    return render(request, "home.html", title="Mentor Match")


# --- sign up and verify -------------------------------------------------------------


@router.get("/sign-up")
async def sign_up_form(request: Request) -> Response:
    """The sign-up form."""
    return SIGN_UP.show(request, values={})


@router.post("/sign-up")
async def sign_up(request: Request, form: CheckedForm, backend: BackendDep) -> Response:
    """Create the account; the service emails a confirmation link."""
    values = {"display_name": text(form, "display_name"), "email": text(form, "email")}
    password = raw_text(form, "password")
    errors = FormErrors()
    if not values["display_name"]:
        errors.add("display_name", "Enter your name")
    if not values["email"]:
        errors.add("email", "Enter your work email address")
    if not password:
        errors.add("password", "Enter a password")
    domain_refused = False
    if not errors:
        created = await attempt(
            backend.call("profile", "POST", "/v1/accounts", json={**values, "password": password}),
            422,
        )
        if isinstance(created, ApiError):
            domain_refused = created.code == "domain_not_allowed"
            field = {"domain_not_allowed": "email", "invalid_email": "email"}.get(
                created.code, "password" if created.code == "weak_password" else ""
            )
            if field:
                errors.add(field, _sign_up_message(created))
            else:
                errors = errors_from_api(
                    created,
                    {"display_name": "display_name", "email": "email", "password": "password"},
                    "email",
                )
    if errors:
        return SIGN_UP.show(request, errors, values=values, domain_refused=domain_refused)
    return redirect("/sign-up/check-email")


def _sign_up_message(error: ApiError) -> str:
    if error.code == "domain_not_allowed":
        return (
            "Mentor Match is not open to this email domain yet. Use your work email "
            "address, or ask for your domain to be added"
        )
    return error.message or "Check what you entered"


@router.get("/sign-up/check-email")
async def check_email(request: Request) -> Response:
    """What happens next after signing up."""
    return render(request, "check_email.html", title="Check your email")


@router.get("/verify")
async def verify_form(request: Request, token: Token = "") -> Response:
    """The link in the confirmation email: a button, so mail scanners do not spend it."""
    return render(request, "verify.html", title="Confirm your email address", token=token)


@router.post("/verify")
async def verify(
    request: Request, form: CheckedForm, backend: BackendDep, session: SessionDep
) -> Response:
    """Confirm the address with the emailed token."""
    token = text(form, "token")
    verified = await attempt(
        backend.call("profile", "POST", "/v1/accounts/verify", json={"token": token}), 422
    )
    if isinstance(verified, ApiError):
        return _link_expired(request, "/sign-up", "sign up again to get a new link")
    session.add_flash("Your email address is confirmed", "You can now sign in.")
    return redirect("/sign-in")


def _link_expired(request: Request, retry_href: str, retry_text: str) -> Response:
    """An emailed link's token was refused: say so, and how to get a new one."""
    return render(
        request,
        "link_expired.html",
        status_code=422,
        title="This link has expired or was already used",
        retry_href=retry_href,
        retry_text=retry_text,
    )


# --- sign in and out ---------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """The sign-in form."""
    return SIGN_IN.show(request, values={}, next=next_path(next))


@router.post("/sign-in")
async def sign_in(
    request: Request, form: CheckedForm, backend: BackendDep, session: SessionDep
) -> Response:
    """Exchange email and password for tokens kept in the server-side session."""
    email = text(form, "email")
    password = raw_text(form, "password")
    destination = next_path(text(form, "next"))
    errors = FormErrors()
    if not email:
        errors.add("email", "Enter your email address")
    if not password:
        errors.add("password", "Enter your password")
    if not errors:
        response = await attempt(
            backend.call(
                "profile", "POST", "/v1/auth/token", data={"username": email, "password": password}
            ),
            401,
            403,
            422,
            429,
        )
        if isinstance(response, ApiError):
            errors.add("email", _sign_in_problem(response))
        else:
            body = response.json()
            claims = token_claims(body["access_token"])
            session.sign_in(
                str(claims["sub"]),
                list(claims.get("roles", [])),
                body["access_token"],
                body["refresh_token"],
                int(body["expires_in"]),
            )
            return redirect(destination)
    return SIGN_IN.show(request, errors, values={"email": email}, next=destination)


def _sign_in_problem(error: ApiError) -> str:
    if error.status == 403:
        return "Confirm your email address first: follow the link in the email we sent"
    if error.status == 429:
        wait = wait_text(error.retry_after_s or 15 * 60)
        return f"Too many attempts to sign in. Wait {wait} and try again"
    return "Enter a correct email address and password"


@router.post("/sign-out")
async def sign_out(
    request: Request, form: CheckedForm, backend: BackendDep, session: SessionDep
) -> Response:
    """Revoke the refresh token family and forget the tokens."""
    refresh = session.data.refresh_token
    if refresh:
        await backend.call("profile", "POST", "/v1/auth/logout", json={"refresh_token": refresh})
    session.sign_out()
    session.add_flash("You have signed out", "", "info")
    return redirect("/")


# --- passwords -------------------------------------------------------------------------


@router.get("/forgotten-password")
async def forgotten_password_form(request: Request) -> Response:
    """Ask for a reset link."""
    return FORGOTTEN_PASSWORD.show(request, values={})


@router.post("/forgotten-password")
async def forgotten_password(request: Request, form: CheckedForm, backend: BackendDep) -> Response:
    """The service answers the same whether or not the address has an account."""
    email = text(form, "email")
    errors = FormErrors()
    if not email:
        errors.add("email", "Enter your email address")
    else:
        asked = await attempt(
            backend.call("profile", "POST", "/v1/accounts/password-reset", json={"email": email}),
            422,
        )
        if not isinstance(asked, ApiError):
            return render(request, "check_email.html", title="Check your email", reset=True)
        errors.add(
            "email", "Enter an email address in the correct format, like name@example.gov.uk"
        )
    return FORGOTTEN_PASSWORD.show(request, errors, values={"email": email} if email else {})


@router.get("/account/password")
async def change_password_form(request: Request, session: MemberSession) -> Response:
    """Change the password while signed in."""
    return CHANGE_PASSWORD.show(request)


@router.post("/account/password")
async def change_password(
    request: Request, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Check the current password and set the new one; every session then ends."""
    current = raw_text(form, "current_password")
    errors = FormErrors()
    if not current:
        errors.add("current_password", "Enter your current password")
    new = new_password(form, "new_password", errors, mismatch="The new passwords do not match")
    if not errors:
        changed = await attempt(
            backend.call(
                "profile",
                "POST",
                "/v1/accounts/me/password",
                session=session,
                json={"current_password": current, "new_password": new},
            ),
            422,
        )
        if isinstance(changed, ApiError):
            if changed.code == "wrong_current_password":
                errors.add("current_password", "Your current password is not right")
            elif changed.code == "weak_password":
                errors.add("new_password", changed.message.rstrip("."))
            else:
                errors = errors_from_api(
                    changed,
                    {"current_password": "current_password", "new_password": "new_password"},
                    "new_password",
                )
        else:
            # The service ended every session of the account, this one's refresh token
            # included: say so, and sign in again with the new password.
            session.sign_out()
            session.add_flash(
                "Your password has been changed",
                "You have been signed out on every device. Sign in with your new password.",
            )
            return sign_in_redirect("/account")
    return CHANGE_PASSWORD.show(request, errors)


@dataclass(frozen=True)
class PasswordLink:
    """An emailed link that sets a password: a reset, or an imported coach's claim.

    Attributes:
        action: This app's page the link opens.
        path: The profile service's endpoint that takes the token and password.
        title: The page's title.
        done: The banner's title once the password is set.
        retry_text: How to get a new link when this one has expired.
        claim: Whether it is a claim (the page then says where the account came from).
    """

    action: str
    path: str
    title: str
    done: str
    retry_text: str
    claim: bool = False

    @property
    def page(self) -> FormPage:
        """The page the link opens: a new password, twice."""
        return FormPage(
            "set_password.html",
            self.title,
            {"form_action": self.action, "hint": PASSWORD_HINT, "claim": self.claim},
        )


RESET = PasswordLink(
    "/reset-password",
    "/v1/accounts/password-reset/confirm",
    "Choose a new password",
    "Your password has been changed",
    "ask for a new reset link",
)
CLAIM = PasswordLink(
    "/claim",
    "/v1/accounts/claim",
    "Set up your Mentor Match account",
    "Your account is ready",
    "ask for a new link",
    claim=True,
)


@router.get("/reset-password")
async def reset_password_form(request: Request, token: Token = "") -> Response:
    """The link in the reset email: choose a new password."""
    return RESET.page.show(request, token=token)


@router.post("/reset-password")
async def reset_password(
    request: Request, form: CheckedForm, backend: BackendDep, session: SessionDep
) -> Response:
    """Set the new password with the emailed token."""
    return await _set_password(request, form, backend, session, RESET)


@router.get("/claim")
async def claim_form(request: Request, token: Token = "") -> Response:
    """The link in the claim email an imported coach receives."""
    return CLAIM.page.show(request, token=token)


@router.post("/claim")
async def claim(
    request: Request, form: CheckedForm, backend: BackendDep, session: SessionDep
) -> Response:
    """An imported coach sets their password."""
    return await _set_password(request, form, backend, session, CLAIM)


async def _set_password(
    request: Request,
    form: CheckedForm,
    backend: BackendDep,
    session: SessionDep,
    link: PasswordLink,
) -> Response:
    token = text(form, "token")
    errors = FormErrors()
    password = new_password(form, "password", errors, mismatch="The passwords do not match")
    if not errors:
        saved = await attempt(
            backend.call("profile", "POST", link.path, json={"token": token, "password": password}),
            422,
        )
        if not isinstance(saved, ApiError):
            session.add_flash(link.done, "Sign in with your new password.")
            return redirect("/sign-in")
        if saved.code != "weak_password":
            return _link_expired(request, "/forgotten-password", link.retry_text)
        errors.add("password", saved.message)
    return link.page.show(request, errors, token=token)
