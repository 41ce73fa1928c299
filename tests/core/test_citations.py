"""Every passage a shipped procedure cites is in its document.

The five documents are kept, as the plain text Parley was written from, in
docs/procedures/documents/<procedure id>.txt. Each ``source`` of a procedure file is read
for what it names: a section or paragraph by number, a stage, an appendix, a heading, and
any words it quotes. A citation the document does not contain fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "parley" / "procedures"
DOCUMENTS = ROOT / "docs" / "procedures" / "documents"
SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def document(procedure_id: str) -> str:
    return (DOCUMENTS / f"{procedure_id}.txt").read_text(encoding="utf-8")


def _plain(text: str) -> str:
    """Lower case, one space between words, straight quotes: how quotes are compared."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


def sources(procedure_id: str) -> Iterator[str]:
    """Every ``source`` in the procedure file, wherever it stands."""

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(yaml.safe_load((LIBRARY / f"{procedure_id}.yaml").read_text("utf-8")))


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a document with no numbering: its lines after the title."""
    return [line for line in text.splitlines()[1:] if line.strip()]


def _numbers(words: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)*", words)


def missing(cite: str, text: str) -> list[str]:
    """What ``cite`` names that ``text`` does not contain."""
    problems = []
    plain = _plain(text)
    for quoted in re.findall(r'"([^"]+)"', cite):
        for piece in quoted.split("..."):
            if piece.strip() and _plain(piece) not in plain:
                problems.append(f'the words "{piece.strip()}"')
    unquoted = re.sub(r'"[^"]*"', "", cite)
    for match in re.finditer(
        r"\b[Ss]ections? (\d+(?:\.\d+)*(?:(?:, | and )\d+(?:\.\d+)*)*)", unquoted
    ):
        for number in _numbers(match[1]):
            # "1. Introduction", or a heading that names it: "[Section 1, paragraph 2]".
            numbered = rf"^\s*{re.escape(number)}\.?\s|^\[Section {re.escape(number)}\b"
            if not re.search(numbered, text, re.MULTILINE):
                problems.append(f"section {number}")
    for match in re.finditer(r"\b[Pp]aras? (\d+(?:(?:, | and )\d+)*)", unquoted):
        count = len(paragraphs(text))
        problems += [f"para {n} (of {count})" for n in _numbers(match[1]) if int(n) > count]
    for match in re.finditer(r"\bAppendix (\d+)", unquoted):
        if not re.search(rf"\bappendix {match[1]}\b", text, re.IGNORECASE):
            problems.append(f"Appendix {match[1]}")
    for match in re.finditer(r"\b[Ss]tages? (\d+(?:(?:, | and )\d+)*)", unquoted):
        for number in _numbers(match[1]):
            # "Stage 2: ...", "Stage Two", or a table's stage column (a number on its own).
            if not re.search(
                rf"\bstage (?:{number}|{_word(number)})\b|^\s*{number}\s*$",
                text,
                re.IGNORECASE | re.MULTILINE,
            ):
                problems.append(f"stage {number}")
    for match in re.finditer(r"\bStage (One|Two|Three|Four|Five|Six|Seven)\b", unquoted):
        if not re.search(rf"^Stage {match[1]}\s*$", text, re.MULTILINE):
            problems.append(f"the heading Stage {match[1]}")
    for heading in ("Introduction", "Timescales", "Contact us", "Exceptional Circumstances"):
        if heading in unquoted and not re.search(
            rf"^\s*(?:\d+\.\s*)?{heading}\s*$", text, re.MULTILINE
        ):
            problems.append(f"the heading {heading}")
    if "aim (c)" in unquoted and not re.search(r"^- c\) ", text, re.MULTILINE):
        problems.append("aim (c)")
    if "informal stage" in unquoted.lower() and "informal" not in plain:
        problems.append("an informal stage")
    return problems


def _word(number: str) -> str:
    return next((word for word, n in WORDS.items() if str(n) == number), number)


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_every_document_is_kept_as_readable_text(procedure_id: str) -> None:
    text = document(procedure_id)

    assert len(text) > 1000
    assert "\x00" not in text


@pytest.mark.parametrize("procedure_id", SHIPPED)
def test_every_passage_a_shipped_procedure_cites_is_in_its_document(procedure_id: str) -> None:
    text = document(procedure_id)
    wrong = {cite: missing(cite, text) for cite in sources(procedure_id)}

    assert {cite: problems for cite, problems in wrong.items() if problems} == {}


@pytest.mark.parametrize(
    ("procedure_id", "cite", "problem"),
    [
        ("torbay-channel", "Para 19", "para 19 (of 18)"),
        ("torbay-channel", "Paras 12, 13 and 21", "para 21 (of 18)"),
        ("wirral-children", "Section 8", "section 8"),
        ("wirral-children", "Appendix 3", "Appendix 3"),
        ("twsp", "Section 3.1.13", "section 3.1.13"),
        ("twsp", "Appendix 1, stage 8", "stage 8"),
        ("torbay-children", "Stage Six", "the heading Stage Six"),
        ("bedfordshire-channel", "Section 3, stage 4", "stage 4"),
        ("bedfordshire-channel", 'Section 3 ("within 10 working days")', 'the words "within 10'),
        ("torbay-channel", 'Para 8 ("could involve ... a panel")', 'the words "a panel"'),
    ],
)
def test_a_citation_the_document_does_not_contain_is_found(
    procedure_id: str, cite: str, problem: str
) -> None:
    found = missing(cite, document(procedure_id))

    assert any(p.startswith(problem) for p in found), found


def test_torbay_channel_is_cited_by_its_eighteen_paragraphs() -> None:
    numbered: Callable[[int], str] = paragraphs(document("torbay-channel")).__getitem__

    assert numbered(0).startswith("Effective working together")
    assert numbered(17).startswith("Where concerns are in relation to a system")
