"""The Jinja2 environment every Parley template is rendered in (docs/adr/0004).

``TEMPLATES`` in settings names :func:`environment`. It gives the templates:

- ``url(name, *args, **kwargs)``: ``django.urls.reverse``, each answer remembered;
  ``url_or_blank`` is the same but gives "" where there is no such page.
- ``static(path)``: the address of a static file, remembered too.
- the GOV.UK components, each a function that renders its small template:
  ``govuk_field(form.summary, heading=True)``, ``govuk_error_summary(form, problems=...)``,
  ``service_navigation()``, ``report_cell(cell, threshold, cases_url)``,
  ``learning_overdue_panel()``;
- filters for dates and times in GOV.UK style (``govuk_date``, ``govuk_datetime`` ...),
  ``in_sentence`` (a title inside a sentence, its capitals kept: parley.core.words) and
  the few Django filters the templates use (``date``, ``pluralize``, ``capfirst``,
  ``linebreaks``, ``slugify``, ``urlencode``).

With ``strict=True`` (development and tests) a name the template does not have, an
attribute a real object lacks, or a method printed or tested without being called is an
error rather than an empty string. A lookup on ``None`` or a missing key of a dict stays
empty, as Django's templates made it.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

import jinja2
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from markupsafe import Markup

from parley.audit.templatetags import audit_format
from parley.core.words import in_sentence
from parley.reports.templatetags import parley_reports
from parley.web.templatetags import govuk, parley_nav


@lru_cache(maxsize=8192)
def _reverse(
    name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    prefix: str,
    urlconf: str | None,
) -> str:
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse()``, remembered: a page asks for the same few addresses again and again.

    The script prefix and the URL configuration in force are part of what is remembered."""
    try:
        return _reverse(name, args, tuple(kwargs.items()), get_script_prefix(), get_urlconf())
    except TypeError:  # an argument that cannot be a dictionary key
        return reverse(name, args=args or None, kwargs=kwargs or None)


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """The address of a static file, remembered: it cannot change while Parley runs."""
    return static(path)


@receiver(setting_changed)
def _forget_addresses(*, setting: str, **kwargs: Any) -> None:
    # Tests may change the settings addresses are made from.
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "STATIC_URL", "STORAGES"}:
        _reverse.cache_clear()
        static_url.cache_clear()


def url_or_blank(name: str, *args: Any, **kwargs: Any) -> str:
    """Like ``{% url ... as name %}`` in Django's templates: "" where there is no such page."""
    try:
        return url(name, *args, **kwargs)
    except NoReverseMatch:
        return ""


def date_filter(value: date | datetime | None, arg: str | None = None) -> str:
    """Django's ``date`` filter, in the local time zone as Django's templates gave it."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return defaultfilters.date(value, arg)


def linebreaks(value: Any) -> SafeString:
    """Django's ``linebreaks``: paragraphs and <br>, the text escaped."""
    return defaultfilters.linebreaks_filter(value, autoescape=True)


# --- undefined names --------------------------------------------------------------------


class BlankUndefined(jinja2.ChainableUndefined):
    """Prints as "", is false, iterates as nothing; any attribute of it is blank too."""

    __slots__ = ()


class StrictUndefined(jinja2.StrictUndefined):
    """Fails when used, except where Django's templates were relied on to stay blank: an
    attribute of ``None`` (``case.other_professional.name``), a key a dict does not have
    (``errors.code``) or anything looked up on such a blank."""

    __slots__ = ()

    def __new__(
        cls,
        hint: str | None = None,
        obj: Any = jinja2.utils.missing,
        name: str | None = None,
        exc: type[jinja2.exceptions.TemplateRuntimeError] = jinja2.exceptions.UndefinedError,
    ) -> Any:
        if obj is None or isinstance(obj, Mapping | jinja2.Undefined):
            return BlankUndefined(hint, obj, name, exc)
        return super().__new__(cls)


_METHODS = (
    types.MethodType,
    types.BuiltinMethodType,
    types.MethodWrapperType,
    types.FunctionType,
    partial,
)


class UncalledMethod:
    """A method a template looked up: calling it calls the method; printing it, testing it
    or iterating over it is an error naming the call that was meant."""

    __slots__ = ("_method", "_name", "_owner", "jinja_pass_arg")

    def __init__(self, method: Any, name: str, owner: str) -> None:
        self._method = method
        self._name = name
        self._owner = owner
        passed = getattr(method, "jinja_pass_arg", None)
        if passed is not None:
            self.jinja_pass_arg = passed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method(*args, **kwargs)

    def _refuse(self, *args: Any) -> Any:
        raise jinja2.exceptions.TemplateRuntimeError(
            f"{self._name} of {self._owner} is a method: call it, {self._name}()"
        )

    __str__ = __html__ = __bool__ = __iter__ = __len__ = _refuse


class CheckingEnvironment(jinja2.Environment):
    """Refuses to print or test a method it was not asked to call: Django's templates called
    ``{{ user.get_username }}`` by themselves, Jinja2 prints ``<bound method ...>``.

    Through ``Environment.getattr``, the public hook Jinja's own sandbox overrides: every
    ``obj.attribute`` in a template asks it."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        value = super().getattr(obj, attribute)
        if isinstance(value, _METHODS):
            return UncalledMethod(value, attribute, type(obj).__name__)
        return value


# --- the GOV.UK components --------------------------------------------------------------


def _component(
    env: jinja2.Environment, template_name: str, build: Callable[..., dict[str, Any]]
) -> Callable[..., Markup]:
    """A function that renders ``template_name`` with the context ``build`` makes."""

    def render(*args: Any, **kwargs: Any) -> Markup:
        return Markup(env.get_template(template_name).render(build(*args, **kwargs)))

    return render


def _with_context(render: Callable[..., Markup]) -> Callable[..., Markup]:
    @jinja2.pass_context
    def call(context: jinja2.runtime.Context) -> Markup:
        return render(context)

    return call


def development_mail_url() -> str:
    """The development mail page's address, or "" in production (where it does not exist)."""
    from parley.notifications.development import development_mail_shown

    return url("notifications:development_mail") if development_mail_shown() else ""


def environment(*, strict: bool = False, **options: Any) -> jinja2.Environment:
    options.setdefault("autoescape", True)
    if strict:
        options["undefined"] = StrictUndefined
        env: jinja2.Environment = CheckingEnvironment(**options)
    else:
        options["undefined"] = BlankUndefined
        env = jinja2.Environment(**options)
    env.globals.update(
        development_mail_url=development_mail_url,
        url=url,
        url_or_blank=url_or_blank,
        static=static_url,
        govuk_field=_component(env, "parley/web/govuk/field.html", govuk.govuk_field),
        govuk_error_summary=_component(
            env, "parley/web/govuk/error_summary.html", govuk.govuk_error_summary
        ),
        service_navigation=_with_context(
            _component(
                env, "parley/web/govuk/service_navigation.html", parley_nav.service_navigation
            )
        ),
        learning_overdue_panel=_with_context(
            _component(
                env,
                "parley/reports/_learning_overdue_panel.html",
                parley_reports.learning_overdue_panel,
            )
        ),
        report_cell=parley_reports.report_cell,
    )
    env.filters.update(
        govuk_date=govuk.govuk_date,
        govuk_day=govuk.govuk_day,
        govuk_datetime=govuk.govuk_datetime,
        govuk_time_date=govuk.govuk_time_date,
        iso=govuk.iso,
        when=audit_format.when,
        action_label=audit_format.action_label,
        date=date_filter,
        pluralize=defaultfilters.pluralize,
        capfirst=defaultfilters.capfirst,
        in_sentence=in_sentence,
        slugify=defaultfilters.slugify,
        urlencode=defaultfilters.urlencode,
        linebreaks=linebreaks,
    )
    return env
