"""Signing in: the password, the second factor, lockout, recovery codes, the session's limits.

Every password check goes through ``django.contrib.auth.authenticate``. Every wrong
password or code is counted against the account name and the address it came from
(``SignInThrottle``); the PARLEY_LOCKOUT_THRESHOLD-th within PARLEY_LOCKOUT_MINUTES locks
both for PARLEY_LOCKOUT_MINUTES. Only a completed sign-in (password and second factor)
clears an account's count, so knowing the password does not buy more guesses at codes.
"""

from __future__ import annotations

import enum
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import django_otp
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parley.accounts.models import SignInFailure, SignInThrottle
from parley.audit.services import audit_record, client_ip

SIGNED_IN_AT_SESSION_KEY = "parley_signed_in_at"
SEEN_AT_SESSION_KEY = "parley_seen_at"
NEW_RECOVERY_CODES_SESSION_KEY = "parley_new_recovery_codes"
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# No 0/o, 1/l/i: codes are copied by hand from paper.
RECOVERY_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


# --- The session ------------------------------------------------------------------------


def session_mark_signed_in(session: SessionBase) -> None:
    """Start the session's absolute limit (PARLEY_SESSION_MAX_AGE) from now."""
    session[SIGNED_IN_AT_SESSION_KEY] = timezone.now().timestamp()


def session_touch(session: SessionBase) -> None:
    """A signed-in request: move the idle limit on, if the last move was a minute ago or
    more (PARLEY_SESSION_TOUCH_SECONDS). Changing the session makes Django save it with
    a new expiry; in between, a request reads the session and writes nothing."""
    now = timezone.now().timestamp()
    seen = session.get(SEEN_AT_SESSION_KEY)
    if not isinstance(seen, int | float) or now - seen >= settings.PARLEY_SESSION_TOUCH_SECONDS:
        session[SEEN_AT_SESSION_KEY] = now


def session_is_past_limit(session: SessionBase) -> bool:
    """True when the session began longer ago than PARLEY_SESSION_MAX_AGE, or never said when."""
    started = session.get(SIGNED_IN_AT_SESSION_KEY)
    if not isinstance(started, int | float):
        return True
    return timezone.now().timestamp() - started > settings.PARLEY_SESSION_MAX_AGE


def client_address(request: HttpRequest) -> str:
    """The address the request came from, seen through PARLEY_TRUSTED_PROXY_COUNT proxies.

    The same address the audit trail records (``parley.audit.services.client_ip``).
    """
    return client_ip(request.META) or "unknown"


# --- Who is signing in ---------------------------------------------------------------------


def user_for_identifier(identifier: str) -> Any | None:
    """The user whose username or email address this is (any case), or None.

    An email address shared by two accounts names neither: they sign in by username.
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    users = get_user_model()
    exact = users.objects.filter(username=identifier).first()
    if exact is not None:
        return exact
    matches = list(
        users.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[:2]
    )
    return matches[0] if len(matches) == 1 else None


def account_key(identifier: str) -> str:
    """What failures are counted against: the account's username, else what was typed.

    Lower-cased, so ``Nia.Nurse`` and ``nia.nurse`` share one count, and signing in by
    email address shares the username's count.
    """
    user = user_for_identifier(identifier)
    name = user.get_username() if user is not None else identifier.strip()
    return name.lower()[:255]


# --- Lockout ----------------------------------------------------------------------------------


def lockout_until(*, account: str, address: str) -> datetime | None:
    """When the lock on this account or address ends, if either is locked now."""
    until: datetime | None = SignInThrottle.objects.filter(
        Q(scope=SignInThrottle.Scope.ACCOUNT, key=account)
        | Q(scope=SignInThrottle.Scope.ADDRESS, key=address),
        locked_until__gt=timezone.now(),
    ).aggregate(until=Max("locked_until"))["until"]
    return until


def account_locked_until(*, username: str) -> datetime | None:
    """When the lock on this account ends, if it is locked now (whatever the address)."""
    until: datetime | None = (
        SignInThrottle.objects.filter(
            scope=SignInThrottle.Scope.ACCOUNT,
            key=username.lower()[:255],
            locked_until__gt=timezone.now(),
        )
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


@transaction.atomic
def sign_in_failure_record(*, account: str, address: str) -> datetime | None:
    """Count one wrong password or code; return when the lock ends if this one locks."""
    now = timezone.now()
    window = timedelta(minutes=settings.PARLEY_LOCKOUT_MINUTES)
    locks: list[datetime] = []
    # Always account before address, so concurrent failures take row locks in one order.
    keys = ((SignInThrottle.Scope.ACCOUNT, account), (SignInThrottle.Scope.ADDRESS, address))
    for scope, key in keys:
        throttle, _ = SignInThrottle.objects.get_or_create(scope=scope, key=key[:255])
        # Serialise failures against one key, so two web processes cannot both count 9.
        throttle = SignInThrottle.objects.select_for_update().get(pk=throttle.pk)
        SignInFailure.objects.create(throttle=throttle, at=now)
        recent = throttle.failures.filter(at__gt=now - window).count()
        if recent >= settings.PARLEY_LOCKOUT_THRESHOLD:
            throttle.locked_until = now + window
            throttle.save(update_fields=["locked_until"])
            # After the lock, counting starts again from nothing.
            throttle.failures.all().delete()
            locks.append(now + window)
    # Forget what no longer counts, so guesses at made-up usernames do not pile up.
    SignInFailure.objects.filter(at__lte=now - window).delete()
    SignInThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now), failures__isnull=True
    ).delete()
    return max(locks) if locks else None


def sign_in_failures_clear(*, account: str) -> None:
    """A completed sign-in: the account's count starts again (its address's does not)."""
    SignInThrottle.objects.filter(scope=SignInThrottle.Scope.ACCOUNT, key=account).delete()


def lockout_message(until: datetime) -> str:
    """The refusal. It never says whether the account exists."""
    return (
        f"Too many attempts. Try again after {clock_time(until)}, "
        "or contact your partnership administrator."
    )


def wait_message(until: datetime | None) -> str:
    """After several wrong codes django-otp waits 1, 2, 4, 8 ... seconds before the next."""
    seconds = 1 if until is None else max(1, math.ceil((until - timezone.now()).total_seconds()))
    if seconds < 90:
        wait = "1 second" if seconds == 1 else f"{seconds} seconds"
    else:
        wait = f"{math.ceil(seconds / 60)} minutes"
    return f"Several wrong codes were entered. Wait {wait}, then enter the code your app shows"


def clock_time(moment: datetime) -> str:
    """GOV.UK style: 10:45am, midday, midnight; rounded up to the next minute."""
    local = timezone.localtime(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


# --- Step 1: the password --------------------------------------------------------------


@dataclass(frozen=True)
class PasswordCheck:
    """The password step's outcome: a user (password right), or a lock, or neither."""

    user: Any | None = None
    locked_until: datetime | None = None


def sign_in_password_check(
    *, request: HttpRequest, identifier: str, password: str
) -> PasswordCheck:
    """Check a username or email address and password; on success the session is half signed in.

    The user is then signed in to Django (``login``) but not verified: every page but the
    second-factor pages still refuses them (``RequireSecondFactorMiddleware``).
    """
    account = account_key(identifier)
    address = client_address(request)
    detail = {"username": identifier.strip()[:255]}
    until = lockout_until(account=account, address=address)
    if until is not None:
        audit_record(action="signin.locked", request=request, detail=detail)
        return PasswordCheck(locked_until=until)
    user = authenticate(request, username=identifier.strip(), password=password)
    if user is None:
        audit_record(action="signin.failed", request=request, detail=detail)
        until = sign_in_failure_record(account=account, address=address)
        if until is not None:
            audit_record(action="signin.locked", request=request, detail=detail)
        return PasswordCheck(locked_until=until)
    login(request, user)  # cycles the session key
    session_mark_signed_in(request.session)
    return PasswordCheck(user=user)


# --- Step 2: the second factor ---------------------------------------------------------


class CodeResult(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_SOON = "too-soon"  # django-otp's back-off after a wrong code: 1s, 2s, 4s ...
    LOCKED = "locked"


@dataclass(frozen=True)
class CodeCheck:
    result: CodeResult
    locked_until: datetime | None = None  # LOCKED: Parley's lock; TOO_SOON: django-otp's
    recovery_codes: tuple[str, ...] = ()


def authenticator_of(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_of(user: AbstractBaseUser) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(*, user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(text: str) -> str:
    """What the person typed, without spaces or hyphens, lower-cased."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").lower()


def _code_check(*, request: HttpRequest, user: Any, device: Any, code: str, step: str) -> CodeCheck:
    """Check a code against one device, counting a wrong one towards the lockout."""
    account = user.get_username().lower()
    address = client_address(request)
    detail = {"username": user.get_username(), "step": step}
    until = lockout_until(account=account, address=address)
    if until is not None:
        audit_record(action="signin.locked", request=request, detail=detail)
        return CodeCheck(CodeResult.LOCKED, locked_until=until)
    allowed, refusal = device.verify_is_allowed()
    accepted = None
    if allowed:
        accepted = django_otp.verify_token(user, device.persistent_id, normalise_code(code))
    if accepted is not None:
        return CodeCheck(CodeResult.ACCEPTED)
    audit_record(action="signin.failed", request=request, detail=detail)
    until = sign_in_failure_record(account=account, address=address)
    if until is not None:
        audit_record(action="signin.locked", request=request, detail=detail)
        return CodeCheck(CodeResult.LOCKED, locked_until=until)
    if allowed:
        return CodeCheck(CodeResult.WRONG)
    return CodeCheck(CodeResult.TOO_SOON, locked_until=(refusal or {}).get("locked_until"))


def _second_factor_passed(*, request: HttpRequest, user: Any, device: Any) -> None:
    django_otp.login(request, device)
    # A new session key now the session is worth more (session fixation).
    request.session.cycle_key()
    sign_in_failures_clear(account=user.get_username().lower())
    audit_record(action="signin", request=request, detail={"username": user.get_username()})


def _end_if_locked(request: HttpRequest, check: CodeCheck) -> CodeCheck:
    if check.result is CodeResult.LOCKED:
        logout(request)
    return check


def sign_in_code_check(*, request: HttpRequest, code: str) -> CodeCheck:
    """Step 2 with a code from the authenticator app; a lock ends the half-signed-in session."""
    user = request.user
    device = authenticator_of(user)
    if device is None:
        return CodeCheck(CodeResult.WRONG)
    check = _code_check(request=request, user=user, device=device, code=code, step="code")
    if check.result is CodeResult.ACCEPTED:
        _second_factor_passed(request=request, user=user, device=device)
    return _end_if_locked(request, check)


def sign_in_recovery_code_check(*, request: HttpRequest, code: str) -> CodeCheck:
    """Step 2 with a recovery code, which then cannot be used again."""
    user = request.user
    device = recovery_codes_of(user)
    if device is None:
        device = StaticDevice(user=user, name=RECOVERY_CODES_NAME)  # holds no code: all wrong
    check = _code_check(request=request, user=user, device=device, code=code, step="recovery")
    if check.result is CodeResult.ACCEPTED:
        _second_factor_passed(request=request, user=user, device=device)
    return _end_if_locked(request, check)


# --- Setting up an authenticator app -----------------------------------------------------


@transaction.atomic
def authenticator_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator being set up: a new random secret, kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def authenticator_confirm(*, request: HttpRequest, code: str) -> CodeCheck:
    """Confirm the app with its first code: the person is signed in and gets recovery codes.

    Only for someone with no confirmed authenticator: knowing a password must never let
    anyone add a second one.
    """
    user = request.user
    if authenticator_of(user) is not None:
        return CodeCheck(CodeResult.WRONG)
    device = authenticator_start(user=user)
    check = _code_check(request=request, user=user, device=device, code=code, step="set-up")
    if check.result is not CodeResult.ACCEPTED:
        return _end_if_locked(request, check)
    device.refresh_from_db()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    _second_factor_passed(request=request, user=user, device=device)
    codes = recovery_codes_issue(user=user)
    return CodeCheck(CodeResult.ACCEPTED, recovery_codes=codes)


# --- Recovery codes ----------------------------------------------------------------------


def recovery_code_new() -> str:
    return "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def recovery_code_display(code: str) -> str:
    """``abcde-fghij``: easier to copy down than ten letters in a row."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@transaction.atomic
def recovery_codes_issue(
    *, user: AbstractBaseUser, codes: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """Replace the person's recovery codes with ten new ones (each works once)."""
    device = recovery_codes_of(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    device.token_set.all().delete()
    if codes is None:
        codes = tuple(recovery_code_new() for _ in range(RECOVERY_CODE_COUNT))
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_regenerate(*, request: HttpRequest, code: str) -> CodeCheck:
    """New recovery codes, for someone signed in who proves it with a current app code."""
    user = request.user
    device = authenticator_of(user)
    if device is None:
        return CodeCheck(CodeResult.WRONG)
    check = _code_check(request=request, user=user, device=device, code=code, step="account")
    if check.result is not CodeResult.ACCEPTED:
        return _end_if_locked(request, check)
    codes = recovery_codes_issue(user=user)
    return CodeCheck(CodeResult.ACCEPTED, recovery_codes=codes)


# --- For administrators ------------------------------------------------------------------


@transaction.atomic
def authenticator_reset(*, user: AbstractBaseUser) -> None:
    """Remove the person's authenticator app and recovery codes (a lost or new phone).

    Their sessions stop being verified at once; at their next sign-in, after the password,
    they set up an app again.
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def sign_in_locks_lift(*, key: str | None = None) -> int:
    """Lift the lock and count on an account name or address, or on all; returns how many."""
    throttles = SignInThrottle.objects.all()
    if key is not None:
        throttles = throttles.filter(key=key.strip().lower())
    deleted, per_model = throttles.delete()
    return per_model.get(SignInThrottle._meta.label, 0)


# --- Signing out -------------------------------------------------------------------------


def sign_out(*, request: HttpRequest) -> None:
    if request.user.is_authenticated:
        audit_record(
            action="signout", request=request, detail={"username": request.user.get_username()}
        )
    logout(request)
