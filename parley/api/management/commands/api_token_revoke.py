from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.api.models import ApiToken
from parley.api.tokens import api_token_revoke


class Command(BaseCommand):
    help = "Revoke a personal access token, by its prefix (the part after parley_)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"There is no token with the prefix {options['prefix']!r}")
        api_token_revoke(token=token)
        self.stdout.write(f"Revoked {token.prefix} ({token.name}).")
