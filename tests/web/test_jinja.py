"""The Jinja2 environment: what it refuses in development and tests, what stays blank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jinja2
import pytest
from django.template import engines
from django.urls import set_script_prefix

from parley.web.jinja import CheckingEnvironment, StrictUndefined, environment


@dataclass
class Person:
    name: str
    manager: Person | None = None

    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split())


def strict(source: str, **context: object) -> str:
    return environment(strict=True).from_string(source).render(**context)


def lenient(source: str, **context: object) -> str:
    return environment().from_string(source).render(**context)


def test_the_templates_are_strict_in_development_and_tests() -> None:
    env = engines["jinja2"].env
    assert isinstance(env, CheckingEnvironment)
    assert env.undefined is StrictUndefined


def test_a_method_must_be_called() -> None:
    nia = Person("Nia Evans")
    assert strict("{{ nia.initials() }}", nia=nia) == "NE"
    with pytest.raises(jinja2.TemplateRuntimeError, match=r"initials\(\)"):
        strict("{{ nia.initials }}", nia=nia)
    with pytest.raises(jinja2.TemplateRuntimeError, match=r"items\(\)"):
        strict("{% for k, v in d.items %}{% endfor %}", d={"a": 1})
    with pytest.raises(jinja2.TemplateRuntimeError):
        strict("{% if nia.initials %}yes{% endif %}", nia=nia)


def test_an_unknown_name_or_attribute_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        strict("{{ naem }}", name="Nia")
    with pytest.raises(jinja2.UndefinedError):
        strict("{% if naem %}{% endif %}", name="Nia")
    with pytest.raises(jinja2.UndefinedError):
        strict("{{ nia.nmae }}", nia=Person("Nia Evans"))
    # Asked for by name, an optional one is fine.
    assert strict("{% if sso is defined and sso %}x{% endif %}{{ problems|default([]) }}") == "[]"


def test_a_lookup_on_none_or_a_missing_key_stays_blank_as_it_did() -> None:
    nia = Person("Nia Evans")
    assert strict("[{{ nia.manager.name }}]", nia=nia) == "[]"
    assert strict("[{{ nia.manager.manager.name }}]", nia=nia) == "[]"
    assert strict("[{{ errors.code }}]{% if errors.code %}x{% endif %}", errors={}) == "[]"


def test_in_production_anything_unknown_is_blank() -> None:
    assert lenient("[{{ naem }}{{ naem.first }}{% for x in naem %}x{% endfor %}]") == "[]"


def test_the_date_filter_is_in_local_time_as_djangos_was() -> None:
    summer_midnight = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert strict('{{ when|date("j F Y, g:i a") }}', when=summer_midnight) == (
        "2 July 2026, 12:30 a.m."
    )


def test_addresses_follow_the_script_prefix() -> None:
    assert strict("{{ url('home') }}") == "/"
    set_script_prefix("/parley/")
    try:
        assert strict("{{ url('home') }}") == "/parley/"
        assert strict("{{ url('case_detail', reference='TWSP-000001') }}") == (
            "/parley/cases/TWSP-000001/"
        )
    finally:
        set_script_prefix("/")
    assert strict("{{ url('home') }}") == "/"
    assert strict("[{{ url_or_blank('no-such-page') }}]") == "[]"
    with pytest.raises(Exception, match="no-such-page"):
        strict("{{ url('no-such-page') }}")


def test_text_is_escaped_and_safe_html_is_not() -> None:
    from django.utils.safestring import mark_safe

    assert strict("{{ a }}{{ b }}", a="<b>", b=mark_safe("<i>")) == "&lt;b&gt;<i>"
