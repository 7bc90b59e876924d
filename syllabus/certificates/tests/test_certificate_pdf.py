"""The PDF drawing itself: text as typed, and long names and titles kept off the footer."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from syllabus.certificates.pdf import certificate_pdf

WHEN = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _draw(name: str, title: str) -> PdfReader:
    data = certificate_pdf(
        site_name="Syllabus",
        learner_name=name,
        course_title=title,
        completed_at=WHEN,
        issued_at=WHEN,
        expires_at=None,
        code="7KQ2-M9XD-4HTR-0BWE",
        verify_url="https://learn.example.edu/certificates/verify/7KQ2-M9XD-4HTR-0BWE/",
    )
    return PdfReader(io.BytesIO(data))


def _lines(reader: PdfReader) -> list[tuple[float, str]]:
    found: list[tuple[float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            found.append((tm[5], text.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    return found


def test_names_in_many_scripts_print_as_typed():
    name = "Zoë Łukasiewicz-Ørsted Αλέξανδρος Пётр"
    text = _draw(name, "Introduction").pages[0].extract_text()
    assert name in text
    assert "on 4 May 2026" in text


@pytest.mark.parametrize(
    ("name", "title"),
    [("W" * 200, "M" * 200), ("Jean-Baptiste Emmanuel Zorg " * 7, "History of science " * 10)],
)
def test_the_longest_names_and_titles_stay_above_the_footer(name, title):
    lines = _lines(_draw(name[:200], title[:200]))
    completion = next(y for y, text in lines if text.startswith("on 4 May 2026"))
    footer_top = max(y for y, text in lines if text.startswith(("Issued", "Certificate code")))
    assert completion > footer_top + 20  # points: clear space between body and footer
