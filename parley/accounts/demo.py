"""Second factors for the demo partnership, so a newcomer can sign in as anyone in it.

Every demo person gets the same authenticator secret and the same ten recovery codes,
printed in docs/demo.md. That is safe only because the demo partnership never exists in
production: ``demo_refuse_in_production`` stops ``demo_load`` there.
"""

from __future__ import annotations

from base64 import b32encode

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parley.accounts.services import AUTHENTICATOR_NAME, RECOVERY_CODES_NAME
from parley.cases.demo import DEMO_SLUG, PEOPLE, demo_refuse_in_production
from parley.cases.models import Person

# DEMO ONLY. 20 bytes spelling what they are; base32: OBQXE3DFPEWWIZLNN4WW63TMPEWTEZTB.
DEMO_TOTP_KEY = b"parley-demo-only-2fa"
DEMO_TOTP_SECRET = b32encode(DEMO_TOTP_KEY).decode("ascii")
# DEMO ONLY: 22222-22222 ... 99999-99999, aaaaa-aaaaa, bbbbb-bbbbb. Each works once per
# person until the demo is loaded again.
DEMO_RECOVERY_CODES = tuple(c * 10 for c in "23456789ab")


@transaction.atomic
def demo_second_factors() -> int:
    """Give every demo person the demo authenticator secret and recovery codes.

    Running it again puts back anything changed or used up. Returns how many people.
    A few queries in all, not a few per person: tests load the demo often.
    """
    demo_refuse_in_production()
    users = [
        person.user
        for person in Person.objects.filter(
            partnership__slug=DEMO_SLUG,
            user__username__in=[demo.username for demo in PEOPLE],
        ).select_related("user")
    ]
    key = DEMO_TOTP_KEY.hex()
    TOTPDevice.objects.filter(user__in=users).exclude(
        name=AUTHENTICATOR_NAME, key=key, confirmed=True
    ).delete()
    with_app = set(TOTPDevice.objects.filter(user__in=users).values_list("user_id", flat=True))
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True)
        for user in users
        if user.pk not in with_app
    )

    StaticDevice.objects.filter(user__in=users).exclude(
        name=RECOVERY_CODES_NAME, confirmed=True
    ).delete()
    devices = {d.user_id: d for d in StaticDevice.objects.filter(user__in=users)}
    StaticDevice.objects.bulk_create(
        StaticDevice(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
        for user in users
        if user.pk not in devices
    )
    devices = {d.user_id: d for d in StaticDevice.objects.filter(user__in=users)}
    held: dict[int, set[str]] = {}
    for device_id, token in StaticToken.objects.filter(device__in=devices.values()).values_list(
        "device_id", "token"
    ):
        held.setdefault(device_id, set()).add(token)
    stale = [d for d in devices.values() if held.get(d.pk, set()) != set(DEMO_RECOVERY_CODES)]
    StaticToken.objects.filter(device__in=stale).delete()
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for device in stale for code in DEMO_RECOVERY_CODES
    )
    return len(users)


def demo_code_now() -> str:
    """The code an authenticator app with the demo secret shows now."""
    from django_otp.oath import totp

    return f"{totp(DEMO_TOTP_KEY):06d}"


def demo_code_seconds_left() -> int:
    import time

    return 30 - int(time.time()) % 30
