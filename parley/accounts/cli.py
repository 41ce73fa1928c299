"""Sign-in on the command line.

``parley demo-code``
    The code the demo people's authenticator app shows now (docs/demo.md).
``parley authenticator-reset USERNAME``
    Remove someone's authenticator app and recovery codes: a lost or new phone. They set
    up a new app at their next sign-in.
``parley sign-in-unlock [USERNAME-OR-ADDRESS]``
    Lift a lockout (all of them, with no argument).
``parley account-deactivate USERNAME`` / ``parley account-reactivate USERNAME``
    Stop someone's account at once (sessions ended, API tokens revoked), or let them
    sign in again.
"""

from __future__ import annotations

import sys

from parley.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, register, setup_django


@register("demo-code")
def demo_code(argv: list[str]) -> int:
    if argv:
        print("usage: parley demo-code", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from parley.accounts.demo import DEMO_TOTP_SECRET, demo_code_now, demo_code_seconds_left

    print(demo_code_now())
    print(
        f"The code for every demo person (secret {DEMO_TOTP_SECRET}); "
        f"it changes in {demo_code_seconds_left()} seconds.",
        file=sys.stderr,
    )
    return EXIT_OK


@register("authenticator-reset")
def authenticator_reset(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: parley authenticator-reset USERNAME", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from django.contrib.auth import get_user_model

    from parley.accounts.services import authenticator_reset as reset

    user = get_user_model().objects.filter(username=argv[0]).first()
    if user is None:
        print(f'parley: there is no one with the username "{argv[0]}"', file=sys.stderr)
        return EXIT_FAILURE
    reset(user=user)
    print(
        f"{user.get_username()}'s authenticator app and recovery codes are removed. "
        "They will set up a new app the next time they sign in."
    )
    return EXIT_OK


@register("sign-in-unlock")
def sign_in_unlock(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: parley sign-in-unlock [USERNAME-OR-ADDRESS]", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from parley.accounts.services import sign_in_locks_lift

    lifted = sign_in_locks_lift(key=argv[0] if argv else None)
    print(f"Cleared the count and any lock on {lifted} account name(s) or address(es).")
    return EXIT_OK


def _person_of_username(username: str) -> object | None:
    from parley.cases.models import Person

    return Person.objects.select_related("user").filter(user__username=username).first()


@register("account-deactivate")
def account_deactivate_command(argv: list[str]) -> int:
    """Stop someone's account at once: sessions ended, API tokens revoked (audited)."""
    if len(argv) != 1:
        print("usage: parley account-deactivate USERNAME", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from parley.accounts.lifecycle import account_deactivate

    person = _person_of_username(argv[0])
    if person is None:
        print(f'parley: there is no one with the username "{argv[0]}"', file=sys.stderr)
        return EXIT_FAILURE
    done = account_deactivate(person=person, by=None)  # type: ignore[arg-type]
    print(
        f"{argv[0]}'s account is deactivated: {done.sessions_ended} session(s) ended, "
        f"{done.tokens_revoked} API token(s) revoked."
    )
    return EXIT_OK


@register("account-reactivate")
def account_reactivate_command(argv: list[str]) -> int:
    """Let a deactivated person sign in again (their old API tokens stay revoked)."""
    if len(argv) != 1:
        print("usage: parley account-reactivate USERNAME", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from parley.accounts.lifecycle import account_reactivate

    person = _person_of_username(argv[0])
    if person is None:
        print(f'parley: there is no one with the username "{argv[0]}"', file=sys.stderr)
        return EXIT_FAILURE
    account_reactivate(person=person, by=None)  # type: ignore[arg-type]
    print(f"{argv[0]} can sign in again.")
    return EXIT_OK
