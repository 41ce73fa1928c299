"""The procedure's pages show each way up the raiser's answers choose, and a notification's
condition, in words."""

from __future__ import annotations

from pathlib import Path

from parley.core.loader import load_file
from parley.web.flowchart import flowchart_of, flowchart_sentences, flowchart_svg
from parley.web.views_procedures import procedure_context

ROOT = Path(__file__).resolve().parents[1]
SOUTH_TYNESIDE = ROOT / "procedures" / "south-tyneside-joint.yaml"
RIVERSIDE = ROOT / "core" / "fixtures" / "procedures" / "riverside-joint.yaml"
ADULT = "if the answer to “Who is the disagreement about?” is “An adult”"


def test_the_flowchart_says_where_each_answer_takes_the_case() -> None:
    chart = flowchart_of(load_file(SOUTH_TYNESIDE))
    words = " ".join(flowchart_sentences(chart))

    assert f"Stage 3: South Tyneside Safeguarding Adults Board {ADULT};" in words
    assert "otherwise, Stage 3: The STSCP and the STSAB together." in words
    # Every board is drawn, not only the one a case with no answer reaches.
    assert [s.title for s in chart.tracks[0].stages][2:] == [
        "Stage 3: South Tyneside Safeguarding Children Partnership",
        "Stage 3: South Tyneside Safeguarding Adults Board",
        "Stage 3: The STSCP and the STSAB together",
    ]
    picture = flowchart_svg(chart)
    assert picture.count(">Then Stage 3:") == 2
    assert ">Otherwise, Stage 3:" in picture


def test_the_procedure_page_gives_each_way_up_and_a_notifications_condition() -> None:
    context = procedure_context(load_file(RIVERSIDE))
    (track,) = context["tracks"]
    by_id = {stage.id: stage for stage in track.stages}

    assert by_id["stage-3"].next_title == (
        "Stage 4: Chair of the Safeguarding Adults Board if the answer to “Is the "
        "disagreement about a child or an adult?” is “An adult”; otherwise, Stage 4: Chair "
        "of the Safeguarding Children Partnership"
    )
    assert by_id["stage-2"].notify == (
        "Independent reviewing officer, when a disagreement reaches this stage, if the answer to "
        "“Is an independent reviewing officer involved?” is yes: Tell the reviewing officer "
        "in writing, where one is involved.",
    )
