"""Where a document is silent and the procedure file chooses, every place that shows the
rule says "Parley's choice: the document does not say", with the reason, instead of
citing the document (docs/procedure-format.md, "Where the document is silent")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from parley.commands import ladder_text, plan_text
from parley.core.loader import load_file, load_text
from parley.core.planner import calendar_for, plan
from parley.web.documents.services import document_build
from parley.web.flowchart import flowchart_of, flowchart_sentences
from tests.web.conftest import main_html, raise_case
from tests.web.test_procedures_pages import text_of

CHOICE = "Parley's choice: the document does not say"
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
LONDON = ZoneInfo("Europe/London")


def shipped(name: str):
    return load_file(LIBRARY / f"{name}.yaml")


# --- the procedure page ----------------------------------------------------------------


@pytest.mark.django_db
def test_torbay_channel_page_shows_its_immediate_risk_timing_and_report_as_choices(
    as_person: Callable[[str], Client],
) -> None:
    words = text_of(main_html(as_person("nia.nurse").get("/procedures/torbay-channel/")))

    assert f"The time limit: {CHOICE}. Para 6 gives no timescale." in words
    # The route itself is the document's, cited as before.
    assert 'Source: Para 6 ("escalated straight to the senior managers' in words
    assert "Devon and Torbay Prevent Partnership Board: disagreements raised" in words
    assert f"{CHOICE}. The document asks for no report" in words
    assert "Source: Para 14 (policy issues to the Board)" not in words
    # Every choice is listed in one place, borrowed categories included.
    assert "Where the document is silent" in words
    assert f"Category “Levels of need” {CHOICE}. Para 3's list is missing" in words


@pytest.mark.django_db
def test_wirral_page_shows_its_outcome_and_immediate_risk_start_as_choices(
    as_person: Callable[[str], Client],
) -> None:
    words = text_of(main_html(as_person("nia.nurse").get("/procedures/wirral-children/")))

    assert f"The starting stage: {CHOICE}. Section 2 names no stage." in words
    assert (
        "Written confirmation, outstanding issues, feedback to the person who raised it "
        f"and debrief: {CHOICE}." in words
    )
    # The written confirmation form Parley offers says so too, not "Sections 1, 2 and 3".
    assert f"Written confirmation of outcome When a disagreement is resolved. {CHOICE}." in words


@pytest.mark.django_db
def test_the_dates_page_says_the_immediate_risk_limit_is_a_choice(
    as_person: Callable[[str], Client],
) -> None:
    response = as_person("nia.nurse").get(
        "/procedures/torbay-children/dates/",
        {
            "raised_day": "21", "raised_month": "12", "raised_year": "2026",
            "immediate_risk": "yes", "start_stage": "stage-3",
        },
    )  # fmt: skip
    words = text_of(main_html(response))

    assert f"{CHOICE}. The leaflet states no time." in words


# --- the case page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_how_a_date_was_worked_out_says_when_the_limit_is_a_choice(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case(
        "torbay-children", category="levels-of-need", immediate_risk=True, start_stage="stage-2"
    )
    page = text_of(main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/")))

    assert "How this date was worked out" in page
    assert "The procedure allows the same working day." in page
    assert f"{CHOICE}. The leaflet states no time." in page
    assert "Source: Introduction" not in page


@pytest.mark.django_db
def test_how_a_date_was_worked_out_still_cites_a_limit_the_document_gives(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case("twsp", category="thresholds")
    page = text_of(main_html(as_person("nia.nurse").get(f"/cases/{case.reference}/")))

    assert "Source: Appendix 1, stage 1" in page
    assert CHOICE not in page.split("How this date was worked out", 1)[1].split("Record")[0]


# --- forms -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_wirrals_written_confirmation_says_it_is_parleys_choice(partnership: object) -> None:
    from parley.core.engine import EventKind
    from tests.web.conftest import act

    case = raise_case("wirral-children", category="assessment")
    act(case, "nia.nurse", EventKind.RESOLVED, outcome="Agreed.", outstanding="None.")
    case.refresh_from_db()
    form = document_build(disagreement=case, form_id="outcome-confirmation")
    required_by = next(field for field in form.fields() if field.label == "Required by")

    assert required_by.value.startswith(f"{CHOICE}. The document asks for no feedback")


# --- the flowchart and the command line ------------------------------------------------


def test_the_flowchart_says_which_immediate_risk_rule_is_a_choice() -> None:
    channel = " ".join(flowchart_sentences(flowchart_of(shipped("torbay-channel"))))
    twsp = " ".join(flowchart_sentences(flowchart_of(shipped("twsp"))))

    assert f"escalate the same working day ({CHOICE}), starting at Stage 3" in channel
    assert "escalate the same working day, starting at Stage 3" in twsp
    assert f"Senior managers and designated safeguarding leads ({CHOICE})" in twsp


def test_procedures_show_lists_every_choice_with_its_reason() -> None:
    text = ladder_text(shipped("bedfordshire-channel"))

    assert f"Where the document is silent ({CHOICE}):" in text
    assert "Immediate risk: the time limit. Section 2 gives no timescale." in text
    assert "Signpost (whistleblowing). The document has no signposting" in text
    assert "Bypass: a reason asked for." in text


def test_timeline_says_when_a_limit_is_a_choice() -> None:
    procedure = shipped("bedfordshire-channel")
    raised = datetime(2026, 12, 21, 9, tzinfo=LONDON)
    text = plan_text(plan(procedure, calendar_for(procedure), raised, immediate_risk=True))

    assert f"{CHOICE}. Section 2 gives no timescale." in text


def test_a_choice_switched_off_is_shown_nowhere() -> None:
    text = (LIBRARY / "torbay-channel.yaml").read_text(encoding="utf-8")
    off = text.replace(
        "    about: within\n    reason: >-\n      Para 6 gives no timescale.",
        "    about: within\n    use: false\n    reason: >-\n      Para 6 gives no timescale.",
    )
    assert off != text
    procedure = load_text(off)
    risk = procedure.immediate_risk
    assert risk is not None

    assert not risk.within.is_limited
    assert "Immediate risk: the time limit" not in ladder_text(procedure)
    assert CHOICE not in " ".join(flowchart_sentences(flowchart_of(procedure)))
