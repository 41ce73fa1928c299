"""Parley's one stylesheet: built from GOV.UK Frontend's and MoJ Frontend's Sass sources at
install, with only what the templates use, in a system font rather than GDS Transport
(which is licensed for GOV.UK services only)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
# Where Parley's pages take class names from: the templates, and the views that choose a
# tag's colour (views_cases.STATUS_TAGS and the like).
SOURCES = [*ROOT.glob("parley/**/jinja2/**/*.html"), *ROOT.glob("parley/web/*.py")]
PACKAGES = [
    ROOT / "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css",
    ROOT / "node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.css",
]
CLASS = re.compile(r"(?<![\w-])((?:govuk|moj)-[a-z0-9!_-]*[a-z0-9])(?![\w{-])")


def stylesheet() -> str:
    found = finders.find("parley/parley.css")
    assert found, "build/assets/parley/parley.css is missing: run `make install`"
    return Path(found).read_text(encoding="utf-8")


def classes_used() -> set[str]:
    """Every govuk- and moj- class name written in full in a template or a view."""
    names: set[str] = set()
    for source in SOURCES:
        names.update(CLASS.findall(source.read_text(encoding="utf-8")))
    return names


def classes_styled(css: str) -> set[str]:
    return {name.replace("\\!", "!") for name in re.findall(r"\.((?:govuk|moj)-[\w\\!-]+)", css)}


def test_pages_link_one_stylesheet_and_no_moj_script(signed_in: Any, partnership: Any) -> None:
    html = signed_in("nia.nurse").get("/").content.decode()
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert links == ["/assets/parley/parley.css"]
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert scripts == ["/assets/parley/js-enabled.js", "/assets/parley/init.js"]
    init = Path(finders.find("parley/init.js")).read_text(encoding="utf-8")
    assert "moj-frontend" not in init


def test_the_stylesheet_uses_a_system_font_and_no_gds_transport() -> None:
    css = stylesheet()
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert ".woff" not in css
    families = set(re.findall(r"font-family:([^;}]+)", css))
    assert families == {"system-ui,sans-serif", "sans-serif"}  # sans-serif: in print


def test_no_font_file_is_served() -> None:
    served = [
        path
        for finder in finders.get_finders()
        for path, _storage in finder.list(ignore_patterns=[])
    ]
    assert served
    assert [p for p in served if p.endswith((".woff", ".woff2", ".ttf", ".otf"))] == []
    assert not [p for p in served if "moj-frontend" in p or p.endswith("all.bundle.js")]


def test_the_stylesheet_styles_every_class_the_pages_use_that_the_packages_style() -> None:
    whole = set().union(*(classes_styled(p.read_text(encoding="utf-8")) for p in PACKAGES))
    used = classes_used() & whole
    assert {"govuk-button", "govuk-!-margin-bottom-0", "moj-timeline__title"} <= used
    assert sorted(used - classes_styled(stylesheet())) == []


def test_the_stylesheet_leaves_out_components_parley_does_not_use() -> None:
    css = stylesheet()
    for unused in (
        ".govuk-accordion",
        ".govuk-header",
        ".govuk-tabs",
        ".govuk-cookie-banner",
        ".govuk-task-list",
        ".moj-header",
        ".moj-multi-select",
        ".moj-date-picker",
        ".moj-rich-text-editor",
    ):
        assert unused not in css, unused


def test_the_stylesheet_is_smaller_than_the_two_packages_stylesheets() -> None:
    css = stylesheet().encode()
    # GOV.UK Frontend's and MoJ Frontend's whole stylesheets were 27 kB compressed
    # (gzip -6); what Parley uses is about half of that.
    assert len(gzip.compress(css, 6)) < 16_000


def test_every_table_scrolls_in_its_own_region_rather_than_widening_the_page() -> None:
    # WCAG 2.2, 1.4.10 Reflow: at 320 pixels only a table itself may scroll sideways.
    unwrapped = []
    for template in sorted(ROOT.glob("parley/**/jinja2/**/*.html")):
        lines = template.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if '<table class="govuk-table' in line:
                before = lines[number - 1] if number else ""
                if 'class="parley-table-scroll" role="region"' not in before:
                    unwrapped.append(f"{template.relative_to(ROOT)}:{number + 1}")
                elif 'tabindex="0"' not in before or "aria-label" not in before:
                    unwrapped.append(f"{template.relative_to(ROOT)}:{number + 1} (unnamed)")
    assert unwrapped == []
