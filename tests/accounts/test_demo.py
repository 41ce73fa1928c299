"""The demo partnership's people can all sign in with the documented second factor."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parley.accounts.demo import (
    DEMO_RECOVERY_CODES,
    DEMO_TOTP_SECRET,
    demo_code_now,
    demo_second_factors,
)
from parley.cases.demo import DEMO_PASSWORD, PEOPLE, DemoRefused, demo_load
from parley.cli import main
from tests.accounts.pages import password_step, sign_in_fully

DEMO_DOC = Path(__file__).resolve().parents[2] / "docs" / "demo.md"


@pytest.mark.django_db
def test_every_demo_person_signs_in_with_the_documented_password_and_code(
    demo: Any, clock: Any
) -> None:
    for demo_person in PEOPLE:
        response = sign_in_fully(Client(), demo_person.username)
        assert response["Location"] == "/", demo_person.username


@pytest.mark.django_db
def test_demo_second_factors_can_run_again_and_restore_used_codes(demo: Any, clock: Any) -> None:
    client = Client()
    password_step(client, "sam.social")
    client.post("/sign-in/recovery-code/", {"code": "22222-22222"})
    assert demo_second_factors() == len(PEOPLE)
    assert demo_second_factors() == len(PEOPLE)
    assert TOTPDevice.objects.count() == len(PEOPLE)
    held = StaticToken.objects.filter(device__user__username="sam.social")
    assert sorted(held.values_list("token", flat=True)) == sorted(DEMO_RECOVERY_CODES)


@pytest.mark.django_db
def test_demo_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(DemoRefused, match="cannot be loaded when PARLEY_ENV=production"):
        demo_load(with_cases=False)


def test_demo_code_command_prints_the_current_code(
    capsys: pytest.CaptureFixture[str], clock: Any
) -> None:
    assert main(["demo-code"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == demo_code_now()
    assert DEMO_TOTP_SECRET in err
    clock.shift(timedelta(seconds=30))
    main(["demo-code"])
    assert capsys.readouterr()[0].strip() != out.strip()


def test_docs_list_every_demo_person_and_the_second_factor() -> None:
    text = DEMO_DOC.read_text(encoding="utf-8")
    for demo_person in PEOPLE:
        assert f"`{demo_person.username}`" in text, demo_person.username
        assert demo_person.name in text
    assert DEMO_PASSWORD in text
    assert DEMO_TOTP_SECRET in text
    assert "parley demo-code" in text
    assert "22222-22222" in text
