"""Password sign-in by username or email address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from parley.dbprepared import Prepared


class UsernameOrEmailBackend(ModelBackend):
    """Django's model backend, also accepting an email address where the username goes."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any | None:
        from parley.accounts.services import user_for_identifier

        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = user_for_identifier(username)
        if user is None:
            # Hash anyway, so a missing account takes as long as a wrong password.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> Any | None:
        """The signed-in user of a request, read with their person in the same query
        (every page asks who the person is), with SQL compiled once per process."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER_WITH_PERSON(pk=pk)
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


_USER_WITH_PERSON = Prepared(
    lambda pk: get_user_model()._default_manager.filter(pk=pk), related=("person",)
)
