"""Failed sign-in attempts and the locks they cause.

Kept in the database, not in memory, so every web process sees the same counts.
"""

from __future__ import annotations

from django.db import models
from django_otp.models import Device


class SignInThrottle(models.Model):
    """The failures counted against one account name or one address, and its lock."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account"
        ADDRESS = "address", "Address"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    # An account: the username, lower-cased (what was typed, when it names no one).
    # An address: the client's IP address.
    key = models.CharField(max_length=255)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="one_throttle_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class SignInFailure(models.Model):
    """One wrong password or code, counted against an account name and an address."""

    throttle = models.ForeignKey(SignInThrottle, on_delete=models.CASCADE, related_name="failures")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.throttle} at {self.at:%Y-%m-%d %H:%M:%S}"


class SingleSignOnDevice(Device):
    """A person's account with their organisation's identity provider (Microsoft Entra ID).

    Signing in through it is the second factor: the provider has checked the person's
    own multi-factor authentication (the ``amr`` claim says ``mfa``). As a django-otp
    device it marks the session verified, like an authenticator app. It also links the
    Parley account to the provider's stable identifier, so a changed email address does
    not change who someone is.
    """

    issuer = models.CharField(max_length=255)  # the tenant's issuer URL
    subject = models.CharField(max_length=255)  # Entra's object id (``oid``) in that tenant

    class Meta(Device.Meta):
        verbose_name = "single sign-on account"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_parley_account_per_sso")
        ]

    def verify_token(self, token: str) -> bool:
        return False  # nothing to type: the provider did the checking


class AccountLink(models.Model):
    """A link sent by email to set a password: an invitation to a new account, or a reset.

    The secret in the link is 32 random bytes, kept only as its SHA-256, so a copy of the
    database opens no account. A link works once, until it expires; sending another of
    the same kind to the same person cancels the earlier one.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        RESET = "reset", "Password reset"

    person = models.ForeignKey(
        "cases.Person", on_delete=models.CASCADE, related_name="account_links"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    secret_sha256 = models.CharField(max_length=64, unique=True)
    # A reset the person asked for themselves also needs a code from their authenticator
    # app; one an administrator sent does not (they may have lost their phone too).
    needs_code = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        "cases.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person_id}, {self.created_at:%Y-%m-%d %H:%M}"
