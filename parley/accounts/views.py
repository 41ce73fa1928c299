"""The sign-in pages: one question each, GOV.UK error summary, no JavaScript needed."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from parley.accounts import lifecycle, services
from parley.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ForgottenPasswordForm,
    NewPasswordForm,
    RecoveryCodeForm,
    SignInForm,
)
from parley.accounts.services import CodeCheck, CodeResult, lockout_message, wait_message
from parley.accounts.sso import sso_enabled, sso_logout_url

# --- helpers ----------------------------------------------------------------------------


def safe_next(request: HttpRequest) -> str:
    """Where to go after signing in: a page of this site only, never another site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def with_next(url: str, request: HttpRequest) -> str:
    target = safe_next(request)
    if target == settings.LOGIN_REDIRECT_URL:
        return url
    return f"{url}?{urlencode({'next': target})}"


def errors_of(form: Any) -> dict[str, str]:
    """Each field's first error, in field order, for the error summary and the fields."""
    return {name: errors[0] for name, errors in form.errors.items()}


def page(
    request: HttpRequest, template: str, status_code: int | None = None, **context: Any
) -> HttpResponse:
    context.setdefault("errors", {})
    context.setdefault("next", safe_next(request))
    if sso_enabled():
        context.setdefault("sso_label", settings.PARLEY_OIDC_BUTTON_LABEL)
    return render(request, f"parley/accounts/{template}", context, status=status_code or 200)


def code_refused(check: CodeCheck) -> str:
    if check.result is CodeResult.LOCKED and check.locked_until is not None:
        return lockout_message(check.locked_until)
    if check.result is CodeResult.TOO_SOON:
        return wait_message(check.locked_until)
    return ""


def signed_out_because_locked(request: HttpRequest, check: CodeCheck) -> HttpResponse:
    """The lock ended the half-signed-in session: back to the first page, saying why."""
    assert check.locked_until is not None
    return page(
        request,
        "sign_in.html",
        form=SignInForm(),
        errors={"username": lockout_message(check.locked_until)},
    )


# --- Step 1: username and password ----------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return HttpResponseRedirect(safe_next(request))
    if request.method != "POST":
        return page(request, "sign_in.html", form=SignInForm())
    form = SignInForm(request.POST)
    if not form.is_valid():
        return page(request, "sign_in.html", form=form, errors=errors_of(form))
    check = services.sign_in_password_check(
        request=request,
        identifier=form.cleaned_data["username"],
        password=form.cleaned_data["password"],
    )
    if check.user is None:
        message = (
            lockout_message(check.locked_until)
            if check.locked_until is not None
            else "Enter a correct username (or email address) and password"
        )
        return page(request, "sign_in.html", form=SignInForm(), errors={"username": message})
    if services.authenticator_of(check.user) is None:
        return HttpResponseRedirect(with_next(reverse("accounts:set-up-authenticator"), request))
    return HttpResponseRedirect(with_next(reverse("accounts:sign-in-code"), request))


def _second_step_redirect(request: HttpRequest) -> HttpResponse | None:
    """Where someone should be instead of a second-factor page, if anywhere."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(with_next(reverse("accounts:sign-in"), request))
    if request.user.is_verified():
        return HttpResponseRedirect(safe_next(request))
    if services.authenticator_of(request.user) is None:
        return HttpResponseRedirect(with_next(reverse("accounts:set-up-authenticator"), request))
    return None


# --- Step 2: a code ---------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    elsewhere = _second_step_redirect(request)
    if elsewhere is not None:
        return elsewhere
    if request.method != "POST":
        return page(request, "code.html", form=CodeForm())
    form = CodeForm(request.POST)
    if not form.is_valid():
        return page(request, "code.html", form=form, errors=errors_of(form))
    check = services.sign_in_code_check(request=request, code=form.cleaned_data["code"])
    if check.result is CodeResult.ACCEPTED:
        return HttpResponseRedirect(safe_next(request))
    if check.result is CodeResult.LOCKED:
        return signed_out_because_locked(request, check)
    message = code_refused(check) or "The code is not right. Enter the code your app shows now"
    return page(request, "code.html", form=CodeForm(), errors={"code": message})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_recovery_code(request: HttpRequest) -> HttpResponse:
    elsewhere = _second_step_redirect(request)
    if elsewhere is not None:
        return elsewhere
    if request.method != "POST":
        return page(request, "recovery_code.html", form=RecoveryCodeForm())
    form = RecoveryCodeForm(request.POST)
    if not form.is_valid():
        return page(request, "recovery_code.html", form=form, errors=errors_of(form))
    check = services.sign_in_recovery_code_check(request=request, code=form.cleaned_data["code"])
    if check.result is CodeResult.ACCEPTED:
        return HttpResponseRedirect(safe_next(request))
    if check.result is CodeResult.LOCKED:
        return signed_out_because_locked(request, check)
    message = code_refused(check) or (
        "That recovery code is not right, or has been used. Each code works once"
    )
    return page(request, "recovery_code.html", form=RecoveryCodeForm(), errors={"code": message})


# --- Signing out ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return page(request, "sign_out.html")
    # Read before signing out empties the session.
    organisation_logout = sso_logout_url(request)
    services.sign_out(request=request)
    if organisation_logout:
        return HttpResponseRedirect(organisation_logout)
    return page(request, "signed_out.html")


# --- Setting up an authenticator app ---------------------------------------------------


def qr_code_svg(url: str) -> SafeString:
    """The otpauth:// address as an inline SVG QR code, drawn here: no request elsewhere."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", svgclass="parley-qr-code"
    )
    # segno's output is our own address drawn as paths: nothing a person typed.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))


def secret_in_groups(device: Any) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def set_up_authenticator(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(with_next(reverse("accounts:sign-in"), request))
    if services.authenticator_of(request.user) is not None:
        # One app per person; replacing it is the administrator's job (docs/sign-in.md).
        if request.user.is_verified():
            return HttpResponseRedirect(reverse("accounts:account"))
        return HttpResponseRedirect(with_next(reverse("accounts:sign-in-code"), request))
    device = services.authenticator_start(user=request.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if form.is_bound and form.is_valid():
        check = services.authenticator_confirm(request=request, code=form.cleaned_data["code"])
        if check.result is CodeResult.ACCEPTED:
            request.session[services.NEW_RECOVERY_CODES_SESSION_KEY] = list(check.recovery_codes)
            return HttpResponseRedirect(with_next(reverse("accounts:recovery-codes"), request))
        if check.result is CodeResult.LOCKED:
            return signed_out_because_locked(request, check)
        errors["code"] = code_refused(check) or (
            "The code is not right. Check the app shows Parley, and enter the code it shows now"
        )
        form = CodeForm()
    elif form.is_bound:
        errors = errors_of(form)
    return page(
        request,
        "set_up_authenticator.html",
        form=form,
        errors=errors,
        secret=secret_in_groups(device),
        qr_code=qr_code_svg(device.config_url),
    )


@never_cache
@require_safe
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: they are not kept where they can be shown again."""
    codes = request.session.pop(services.NEW_RECOVERY_CODES_SESSION_KEY, None)
    return page(
        request,
        "recovery_codes.html",
        codes=[services.recovery_code_display(code) for code in codes or []],
    )


# --- Your account -----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = CodeForm(request.POST if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if form.is_bound and form.is_valid():
        check = services.recovery_codes_regenerate(request=request, code=form.cleaned_data["code"])
        if check.result is CodeResult.ACCEPTED:
            request.session[services.NEW_RECOVERY_CODES_SESSION_KEY] = list(check.recovery_codes)
            return HttpResponseRedirect(reverse("accounts:recovery-codes"))
        if check.result is CodeResult.LOCKED:
            return signed_out_because_locked(request, check)
        errors["code"] = code_refused(check) or (
            "The code is not right. Enter the code your app shows now"
        )
        form = CodeForm()
    elif form.is_bound:
        errors = errors_of(form)
    return page(
        request,
        "account.html",
        form=form,
        errors=errors,
        person=getattr(user, "person", None),
        authenticator=services.authenticator_of(user),
        recovery_codes_left=services.recovery_codes_left(user=user),
    )


# --- Invitations, new passwords and resets (parley.accounts.lifecycle) ---------------------

PASSWORD_HINT = (
    "At least 12 characters. A few unrelated words together are easy to remember and hard to guess."
)


def _locked_page(request: HttpRequest, until: Any) -> HttpResponse:
    return page(
        request, "sign_in.html", form=SignInForm(), errors={"username": lockout_message(until)}
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def forgotten_password(request: HttpRequest) -> HttpResponse:
    """Ask for a link to choose a new password. The answer never says whether the
    username or address typed has an account."""
    if request.method != "POST":
        return page(request, "forgotten_password.html", form=ForgottenPasswordForm())
    form = ForgottenPasswordForm(request.POST)
    if not form.is_valid():
        return page(request, "forgotten_password.html", form=form, errors=errors_of(form))
    lifecycle.password_reset_request(identifier=form.cleaned_data["username"], request=request)
    return page(request, "reset_sent.html", minutes=settings.PARLEY_RESET_LINK_MINUTES)


@never_cache
@require_safe
def account_link(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in an invitation or reset email: checked, kept in the session, and
    swapped for an address without the secret in it."""
    until = lifecycle.address_locked_until(services.client_address(request))
    if until is not None:
        return _locked_page(request, until)
    link = lifecycle.link_open(request=request, secret=secret)
    if link is None:
        return page(request, "link_expired.html", status_code=404)
    return HttpResponseRedirect(reverse("accounts:set-password"))


def _with_password_problem(form: NewPasswordForm, user: Any) -> dict[str, str]:
    """The form's errors, and what is wrong with the new password too if anything is,
    so that one round shows every problem."""
    errors = errors_of(form)
    password = form.cleaned_data.get("password") if "password" not in errors else None
    problem = lifecycle.password_problem(password, user) if password else None
    if problem:
        fields = list(form.fields)
        errors["password"] = problem
        errors = dict(
            sorted(errors.items(), key=lambda i: fields.index(i[0]) if i[0] in fields else 99)
        )
    return errors


def _set_password_page(request: HttpRequest, link: Any, **context: Any) -> HttpResponse:
    return page(
        request,
        "set_password.html",
        link=link,
        invitation=link.kind == "invitation",
        username=link.person.user.get_username(),
        password_hint=PASSWORD_HINT,
        **context,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def set_password(request: HttpRequest) -> HttpResponse:
    link = lifecycle.link_in_session(request)
    if link is None:
        return page(request, "link_expired.html", status_code=404)
    form = NewPasswordForm(
        request.POST if request.method == "POST" else None, needs_code=link.needs_code
    )
    if not form.is_bound:
        return _set_password_page(request, link, form=form)
    if not form.is_valid():
        errors = _with_password_problem(form, link.person.user)
        return _set_password_page(request, link, form=form, errors=errors)
    outcome = lifecycle.link_password_set(
        request=request,
        link=link,
        password=form.cleaned_data["password"],
        code=form.cleaned_data["code"],
    )
    if outcome.locked_until is not None:
        return _locked_page(request, outcome.locked_until)
    if not outcome.done:
        return _set_password_page(request, link, form=form, errors=outcome.errors or {})
    if link.kind == "invitation":
        if services.authenticator_of(outcome.user) is None:
            return HttpResponseRedirect(reverse("accounts:set-up-authenticator"))
        return HttpResponseRedirect(reverse("accounts:sign-in-code"))
    return page(request, "password_set.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "password_hint": PASSWORD_HINT}
    if not form.is_bound:
        return page(request, "change_password.html", **context)
    if not form.is_valid():
        errors = _with_password_problem(form, request.user)
        return page(request, "change_password.html", errors=errors, **context)
    outcome = lifecycle.password_change(
        request=request, current=form.cleaned_data["current"], new=form.cleaned_data["password"]
    )
    if outcome.locked_until is not None:
        logout(request)
        return _locked_page(request, outcome.locked_until)
    if not outcome.done:
        return page(request, "change_password.html", errors=outcome.errors or {}, **context)
    messages.success(request, "Your password has been changed")
    return HttpResponseRedirect(reverse("accounts:account"))
