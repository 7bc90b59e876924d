"""The certificate as a PDF: A4 landscape, drawn with fpdf2 (pure Python, no system fonts).

The fonts are DejaVu Sans, shipped in ``assets/`` (Bitstream Vera licence, see
LICENSE-DejaVu.txt) and embedded as subsets, so names in Latin, Greek, Cyrillic and many
other scripts print as typed, on any machine. Characters DejaVu lacks (Chinese, Japanese
and Korean, for instance) cannot be drawn; the verification page shows the name as
stored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from fpdf import FPDF

ASSETS = Path(__file__).resolve().parent / "assets"
FONT = "DejaVu"
PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, millimetres
MARGIN = 14.0
INK = (33, 37, 41)
ACCENT = (26, 82, 118)
MUTED = (90, 96, 102)

# fontTools logs every step of subsetting a font at INFO: dozens of lines per certificate.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _day(value: datetime) -> str:
    # The certificate's own date format (a full month name), per language.
    return date_format(timezone.localtime(value), pgettext("certificate date", "j F Y"))


class _CertificatePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font(FONT, "", str(ASSETS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(ASSETS / "DejaVuSans-Bold.ttf"))

    def centred(
        self, text: str, *, size: float, style: str = "", colour: tuple[int, int, int] = INK
    ) -> None:
        """One centred block: long text is set smaller (to 70 %) before it wraps, and
        smaller again (to 45 %) while it takes more than two lines, so the longest names
        and titles stay clear of the footer."""
        width = PAGE_W - 2 * (MARGIN + 12)
        start = size
        self.set_font(FONT, style, size)
        while size - 1 >= 0.7 * start and self.get_string_width(text) > width:
            size -= 1
            self.set_font(FONT, style, size)
        while size - 1 >= 0.45 * start and len(self._lines(text, width, size)) > 2:
            size -= 1
            self.set_font(FONT, style, size)
        self.set_text_color(*colour)
        self.set_x(MARGIN + 12)
        self.multi_cell(width, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")

    def _lines(self, text: str, width: float, size: float) -> list[str]:
        lines = self.multi_cell(width, size * 0.5, text, align="C", dry_run=True, output="LINES")
        assert isinstance(lines, list)  # output="LINES" returns the lines alone
        return lines


def certificate_pdf(
    *,
    site_name: str,
    learner_name: str,
    course_title: str,
    completed_at: datetime,
    issued_at: datetime,
    expires_at: datetime | None,
    code: str,
    verify_url: str,
) -> bytes:
    """The PDF's bytes. Pure: everything it prints is passed in, in the active language."""
    pdf = _CertificatePDF()
    pdf.set_title(_("Certificate of completion: %(course)s") % {"course": course_title})
    pdf.set_subject(_("Certificate %(code)s") % {"code": code})
    pdf.set_author(site_name)
    pdf.set_creator(site_name)
    pdf.set_keywords(f"certificate {code}")
    pdf.set_lang(get_language() or "en")
    pdf.set_creation_date(issued_at)
    pdf.add_page()

    # Frame: a thick accent rule inside a thin one.
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.6)
    pdf.rect(MARGIN / 2, MARGIN / 2, PAGE_W - MARGIN, PAGE_H - MARGIN)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN / 2 + 3, MARGIN / 2 + 3, PAGE_W - MARGIN - 6, PAGE_H - MARGIN - 6)

    pdf.set_y(30)
    pdf.centred(site_name.upper(), size=13, style="B", colour=ACCENT)
    pdf.ln(8)
    pdf.centred(_("Certificate of completion"), size=34, style="B")
    pdf.ln(10)
    pdf.centred(_("This certifies that"), size=14, colour=MUTED)
    pdf.ln(4)
    pdf.centred(learner_name, size=30, style="B", colour=ACCENT)
    pdf.ln(4)
    pdf.centred(_("has completed the course"), size=14, colour=MUTED)
    pdf.ln(4)
    pdf.centred(course_title, size=22, style="B")
    pdf.ln(4)
    pdf.centred(_("on %(day)s") % {"day": _day(completed_at)}, size=14, colour=MUTED)

    # Footer: dates on the left, the code and where to check it on the right.
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, "", 10)
    left = MARGIN + 8
    pdf.set_xy(left, PAGE_H - 42)
    column = (PAGE_W - 2 * left) / 2
    dates = [_("Issued %(day)s") % {"day": _day(issued_at)}]
    dates.append(
        _("Valid until %(day)s") % {"day": _day(expires_at)} if expires_at else _("Does not expire")
    )
    pdf.multi_cell(column, 5.5, "\n".join(dates), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(left + column, PAGE_H - 42)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(
        column,
        6,
        _("Certificate code: %(code)s") % {"code": code},
        align="R",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(column, 5.5, _("Check that it is genuine at"), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*ACCENT)
    pdf.cell(column, 5.5, verify_url, align="R", link=verify_url, new_x="LEFT", new_y="NEXT")
    return bytes(pdf.output())
