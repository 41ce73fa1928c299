"""Accounts from invitation to deactivation: the services an administration page calls.

A person in the directory has no account until an administrator invites them:

- :func:`invitation_send` makes the account (if there is none yet) and emails a link that
  works once, for PARLEY_INVITATION_DAYS. Following it, the person sets a password
  (:func:`link_password_set`) and then sets up their authenticator app, as at any first
  sign-in.
- :func:`password_change`: someone signed in changes their password, giving the old one.
- A forgotten password needs the second factor or an administrator. The person asks
  (:func:`password_reset_request`) and gets a link that also wants a current code from
  their authenticator app; or an administrator sends a link that does not
  (:func:`password_reset_send`), for someone who has lost their phone too (the
  administrator resets the app with ``authenticator_reset``).
- :func:`account_deactivate` stops an account at once: its sessions end, its API tokens
  are revoked, and a token still held is refused (:mod:`parley.api.tokens`).
  :func:`account_reactivate` lets the person sign in again, with new tokens.

Every change is audited. Wrong passwords and codes count towards the lockout as at sign-in
(docs/sign-in.md), and a locked account or address can use none of these pages.
Each function takes the acting administrator as ``by`` (a Person) and, from a page, the
``request`` (the audit trail's "from where").
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, login, update_session_auth_hash
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from parley.accounts.models import AccountLink, SignInThrottle
from parley.accounts.services import (
    CodeResult,
    _code_check,
    authenticator_of,
    client_address,
    clock_time,
    lockout_until,
    session_mark_signed_in,
    sign_in_failure_record,
    user_for_identifier,
    wait_message,
)
from parley.audit.services import audit_record
from parley.cases.models import Person

# Counted against this name, which no username can be (usernames hold no "~"), when a
# link is wrong: a guess at a link locks the address it came from, never an account.
LINK_GUESS_ACCOUNT = "~link"
# A person asking again and again for reset emails gets one every few minutes at most.
RESET_REQUEST_GAP = timedelta(minutes=5)
LINK_SESSION_KEY = "parley_account_link"


class AccountError(ValueError):
    """A change that cannot be made as asked, with the reason in plain English."""


@dataclass(frozen=True)
class Outcome:
    """What a page needs to know after a password step: done, or why not."""

    done: bool = False
    errors: dict[str, str] | None = None  # field name: message, for the error summary
    locked_until: datetime | None = None
    user: Any | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _username_for(person: Person) -> str:
    """A new account's username: the work email address, lower-cased. People sign in
    with it (or their email, which is the same); it is unique among accounts."""
    base = person.email.strip().lower()[:150]
    users = get_user_model().objects
    if not users.filter(username=base).exists():
        return base
    for number in range(2, 1000):
        candidate = f"{base[:145]}-{number}"
        if not users.filter(username=candidate).exists():
            return candidate
    raise AccountError("Could not choose a username for this person")


def account_state(person: Person) -> str:
    """For an administration page: "none", "invited", "active" or "deactivated"."""
    user = person.user
    if user is None:
        return "none"
    if not user.is_active:
        return "deactivated"
    if not user.has_usable_password():
        return "invited"
    return "active"


# --- sending links -------------------------------------------------------------------------


def _link_make(
    *, person: Person, kind: str, by: Person | None, needs_code: bool, lifetime: timedelta
) -> tuple[AccountLink, str]:
    now = timezone.now()
    AccountLink.objects.filter(
        person=person, kind=kind, used_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    secret = secrets.token_urlsafe(32)
    link = AccountLink.objects.create(
        person=person,
        kind=kind,
        secret_sha256=_digest(secret),
        needs_code=needs_code,
        sent_by=by,
        created_at=now,
        expires_at=now + lifetime,
    )
    return link, secret


def _link_url(secret: str) -> str:
    return f"{settings.PARLEY_BASE_URL}{reverse('accounts:link', args=[secret])}"


def _send(*, person: Person, subject: str, body: str) -> None:
    """One email to the person's work address. It names no case and carries nothing
    but the link, which is worth little once used or expired."""
    EmailMessage(subject=subject, body=body, to=[person.email]).send(fail_silently=False)


def _expiry_words(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{clock_time(moment)} on {local.day} {local:%B %Y}"


@transaction.atomic
def invitation_send(
    *, person: Person, by: Person | None, request: HttpRequest | None = None
) -> AccountLink:
    """Invite a person in the directory to set up their account, by email.

    Makes their account if they have none (username: their email address, no password
    yet), cancels any earlier invitation and sends a link that works once, for
    PARLEY_INVITATION_DAYS. Refused for a deactivated account: reactivate it first.
    The email is sent inside the transaction, so if it cannot be sent nothing changes.
    """
    user = person.user
    if user is not None and not user.is_active:
        raise AccountError(f"{person.name}'s account is deactivated: reactivate it first")
    if not person.email.strip():
        raise AccountError(f"{person.name} has no email address in the directory")
    if user is None:
        user = get_user_model().objects.create_user(
            username=_username_for(person), email=person.email.strip().lower()
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        person.user = user
        person.save(update_fields=["user"])
    days = settings.PARLEY_INVITATION_DAYS
    link, secret = _link_make(
        person=person,
        kind=AccountLink.Kind.INVITATION,
        by=by,
        needs_code=False,
        lifetime=timedelta(days=days),
    )
    audit_record(
        action="account.invite",
        request=request,
        person=by,
        detail={"account": user.get_username()},
    )
    _send(
        person=person,
        subject="Set up your Parley account",
        body=(
            f"{by.name if by else 'Your partnership administrator'} has invited you to use "
            f"Parley, {person.partnership.name}'s service for disagreements between "
            "agencies about safeguarding.\n\n"
            f"Your username is {user.get_username()}.\n\n"
            "To set your password, follow this link. It works once, until "
            f"{_expiry_words(link.expires_at)}:\n\n{_link_url(secret)}\n\n"
            "You will then set up an authenticator app on your phone.\n\n"
            "If you did not expect this email, tell your partnership administrator."
        ),
    )
    return link


@transaction.atomic
def password_reset_send(
    *, person: Person, by: Person | None, request: HttpRequest | None = None
) -> AccountLink:
    """Email a link to choose a new password.

    ``by`` an administrator: the link needs nothing more (the administrator has checked
    who is asking, by a separate channel). ``by`` None, the person themselves: the link
    also wants a current code from their authenticator app.
    """
    user = person.user
    if user is None or not user.is_active:
        raise AccountError(f"{person.name} has no active account: send an invitation instead")
    link, secret = _link_make(
        person=person,
        kind=AccountLink.Kind.RESET,
        by=by,
        needs_code=by is None,
        lifetime=timedelta(minutes=settings.PARLEY_RESET_LINK_MINUTES),
    )
    audit_record(
        action="account.reset",
        request=request,
        person=by or person,
        detail={"account": user.get_username(), "by_administrator": by is not None},
    )
    needs = "You will need the code from your authenticator app too.\n\n" if link.needs_code else ""
    _send(
        person=person,
        subject="Reset your Parley password",
        body=(
            "To choose a new password for Parley, follow this link. It works once, until "
            f"{_expiry_words(link.expires_at)}:\n\n{_link_url(secret)}\n\n{needs}"
            f"Your username is {user.get_username()}.\n\n"
            "If you did not ask for this, you can ignore this email: your password has not "
            "changed. Tell your partnership administrator if it keeps happening."
        ),
    )
    return link


def password_reset_request(*, identifier: str, request: HttpRequest) -> None:
    """Someone has forgotten their password and typed their username or email address.

    If it names an active account with an authenticator app, a reset link that needs a
    code from the app is emailed (at most once every few minutes). Whatever it names,
    nothing is said about it: the page answers the same for every address typed.
    Without an app, only an administrator can help, and the page says so to everyone.
    """
    user = user_for_identifier(identifier)
    person = getattr(user, "person", None) if user is not None else None
    if person is None or not user.is_active or authenticator_of(user) is None:
        return
    if lockout_until(account=user.get_username().lower(), address=client_address(request)):
        return
    recent = AccountLink.objects.filter(
        person=person,
        kind=AccountLink.Kind.RESET,
        created_at__gt=timezone.now() - RESET_REQUEST_GAP,
    )
    if recent.exists():
        return
    password_reset_send(person=person, by=None, request=request)


# --- following a link ---------------------------------------------------------------------


def address_locked_until(address: str) -> datetime | None:
    """When the lock on this address ends, if it is locked now."""
    lock = (
        SignInThrottle.objects.filter(
            scope=SignInThrottle.Scope.ADDRESS, key=address, locked_until__gt=timezone.now()
        )
        .values_list("locked_until", flat=True)
        .first()
    )
    return lock


def link_open(*, request: HttpRequest, secret: str) -> AccountLink | None:
    """The live link for this secret, kept in the session so the secret leaves the
    address bar; None (counted as a wrong guess from this address) otherwise."""
    address = client_address(request)
    now = timezone.now()
    link = None
    if 20 <= len(secret) <= 100 and secret.isascii():
        link = (
            AccountLink.objects.select_related("person__user", "person__partnership")
            .filter(secret_sha256=_digest(secret))
            .first()
        )
    live = (
        link is not None
        and link.used_at is None
        and link.cancelled_at is None
        and link.expires_at > now
        and link.person.user is not None
        and link.person.user.is_active
    )
    if not live:
        audit_record(action="signin.failed", request=request, detail={"step": "account link"})
        sign_in_failure_record(account=LINK_GUESS_ACCOUNT, address=address)
        return None
    assert link is not None
    request.session[LINK_SESSION_KEY] = link.pk
    return link


def link_in_session(request: HttpRequest) -> AccountLink | None:
    """The link this browser opened, if it still works."""
    pk = request.session.get(LINK_SESSION_KEY)
    if not isinstance(pk, int):
        return None
    link = (
        AccountLink.objects.select_related("person__user", "person__partnership")
        .filter(
            pk=pk,
            used_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
            person__user__is_active=True,
        )
        .first()
    )
    return link


PASSWORD_WORDS = {
    "password_too_short": "Password must be {min_length} characters or more",
    "password_too_common": "Choose a password that is harder to guess: this one is too common",
    "password_entirely_numeric": "Password must not be only numbers",
    "password_too_similar": "Password must not be like your name, username or email address",
}


def password_problem(password: str, user: AbstractBaseUser) -> str | None:
    """The first thing wrong with a new password, in GOV.UK words; None if it will do."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        first = error.error_list[0]
        template = PASSWORD_WORDS.get(first.code or "")
        if template is None:
            return " ".join(first.messages)
        return template.format(**(first.params or {}))
    return None


def _locked(request: HttpRequest, user: AbstractBaseUser) -> datetime | None:
    return lockout_until(account=user.get_username().lower(), address=client_address(request))


def link_password_set(
    *, request: HttpRequest, link: AccountLink, password: str, code: str = ""
) -> Outcome:
    """Set the password a link was sent for. A reset the person asked for needs a right
    code from their authenticator app, counted towards the lockout when wrong.

    An invitation then signs the person in with the password step done, so that they go
    on to set up their authenticator app; a reset ends every session of the account and
    sends them to sign in with the new password.
    """
    user = link.person.user
    assert user is not None
    until = _locked(request, user)
    if until is not None:
        audit_record(action="signin.locked", request=request, detail={"step": "account link"})
        return Outcome(locked_until=until)
    problem = password_problem(password, user)
    if problem:
        return Outcome(errors={"password": problem})
    if link.needs_code:
        device = authenticator_of(user)
        if device is None:
            return Outcome(errors={"code": "Ask your partnership administrator to reset it"})
        check = _code_check(request=request, user=user, device=device, code=code, step="reset")
        if check.result is CodeResult.LOCKED:
            return Outcome(locked_until=check.locked_until)
        if check.result is CodeResult.TOO_SOON:
            return Outcome(errors={"code": wait_message(check.locked_until)})
        if check.result is not CodeResult.ACCEPTED:
            return Outcome(
                errors={"code": "The code is not right. Enter the code your app shows now"}
            )
    with transaction.atomic():
        claimed = AccountLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not claimed:
            return Outcome(errors={"password": "This link has already been used"})
        user.set_password(password)
        user.save(update_fields=["password"])
        ended = sessions_end(user=user)
        how = "invitation" if link.kind == AccountLink.Kind.INVITATION else "reset"
        audit_record(
            action="account.password",
            request=request,
            person=link.person,
            detail={"account": user.get_username(), "how": how, "sessions_ended": ended},
        )
    request.session.pop(LINK_SESSION_KEY, None)
    if link.kind == AccountLink.Kind.INVITATION:
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        session_mark_signed_in(request.session)
    return Outcome(done=True, user=user)


# --- changing a password ------------------------------------------------------------------


def password_change(*, request: HttpRequest, current: str, new: str) -> Outcome:
    """Someone signed in changes their password, giving the one they have now.

    A wrong current password counts towards the lockout as at sign-in, and a lock signs
    them out. Their other sessions end; this one carries on.
    """
    user: Any = request.user
    account = user.get_username().lower()
    address = client_address(request)
    until = lockout_until(account=account, address=address)
    if until is not None:
        return Outcome(locked_until=until)
    if not user.check_password(current):
        detail = {"username": user.get_username(), "step": "password change"}
        audit_record(action="signin.failed", request=request, detail=detail)
        until = sign_in_failure_record(account=account, address=address)
        if until is not None:
            audit_record(action="signin.locked", request=request, detail=detail)
            return Outcome(locked_until=until)
        return Outcome(errors={"current": "Your current password is not right"})
    if new == current:
        return Outcome(errors={"password": "Choose a password different from your current one"})
    problem = password_problem(new, user)
    if problem:
        return Outcome(errors={"password": problem})
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        ended = sessions_end(user=user, keep=request.session.session_key)
        update_session_auth_hash(request, user)
        audit_record(
            action="account.password",
            request=request,
            detail={"account": user.get_username(), "how": "change", "sessions_ended": ended},
        )
    return Outcome(done=True, user=user)


# --- sessions, deactivation ---------------------------------------------------------------


def sessions_end(*, user: AbstractBaseUser, keep: str | None = None) -> int:
    """End every session signed in as this user (but ``keep``); how many ended.

    Sessions hold their user inside their signed data, so each live one is read: an
    administrator's action, not a page's. Expired sessions are left to clearsessions.
    """
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    if ended:
        Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@dataclass(frozen=True)
class Deactivated:
    sessions_ended: int
    tokens_revoked: int


@transaction.atomic
def account_deactivate(
    *, person: Person, by: Person | None, request: HttpRequest | None = None
) -> Deactivated:
    """Stop a person's account at once: no sign-in, every session ended, every API token
    revoked, every unused link cancelled. Their record and the trail are untouched."""
    user = person.user
    if user is None:
        raise AccountError(f"{person.name} has no account to deactivate")
    now = timezone.now()
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = sessions_end(user=user)
    revoked = person.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    AccountLink.objects.filter(
        person=person, used_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    audit_record(
        action="account.deactivate",
        request=request,
        person=by,
        detail={
            "account": user.get_username(),
            "sessions_ended": ended,
            "tokens_revoked": revoked,
        },
    )
    return Deactivated(sessions_ended=ended, tokens_revoked=revoked)


@transaction.atomic
def account_reactivate(
    *, person: Person, by: Person | None, request: HttpRequest | None = None
) -> None:
    """Let a deactivated person sign in again. Their old API tokens stay revoked."""
    user = person.user
    if user is None:
        raise AccountError(f"{person.name} has no account: send an invitation instead")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        action="account.reactivate",
        request=request,
        person=by,
        detail={"account": user.get_username()},
    )
