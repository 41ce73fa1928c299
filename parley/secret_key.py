"""Is a secret key strong enough to sign Parley's sessions and tokens in production?

Django signs session cookies, password reset and invitation links and CSRF tokens with
``SECRET_KEY``. Anyone who can guess it can forge them, so production refuses to start
with a key that is short, repetitive, or the development key published in the code.
The rules are Django's own deployment check (``security.W009``), made fatal: at least
50 characters, at least 5 different ones, not beginning ``django-insecure-``.
"""

from __future__ import annotations

MIN_LENGTH = 50
MIN_DIFFERENT = 5
INSECURE_PREFIX = "django-insecure-"
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(60))'"


def secret_key_problem(key: str, *, development_key: str) -> str | None:
    """Why ``key`` must not be used in production, in plain English; None if it may.

    The message never repeats the key.
    """
    if key == development_key:
        problem = "it is the development key, which is published in Parley's code"
    elif key.startswith(INSECURE_PREFIX):
        problem = f"it begins {INSECURE_PREFIX!r}, as Django's throwaway keys do"
    elif len(key) < MIN_LENGTH:
        problem = f"it is {len(key)} characters long; it must be at least {MIN_LENGTH}"
    elif len(set(key)) < MIN_DIFFERENT:
        different = len(set(key))
        problem = (
            f"it has only {different} different character{'s' if different != 1 else ''}; "
            f"it must have at least {MIN_DIFFERENT}"
        )
    else:
        return None
    return (
        f"PARLEY_SECRET_KEY is too weak for production: {problem}. "
        f"Make a random one with: {MAKE_ONE}"
    )
