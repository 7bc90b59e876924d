"""The compliance report as CSV and PDF (fpdf2; core fonts are Latin-1, other characters
print as "?" in the PDF and stay exact in the CSV)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from syllabus.compliance.evidence import Evidence, Period
from syllabus.learning.exports import csv_safe

if TYPE_CHECKING:
    from fpdf import FPDF

HEADER = ["control", "status", "summary", "as_of", "source"]
STATUS_LABELS = {
    "ok": pgettext_lazy("control status", "OK"),
    "attention": pgettext_lazy("control status", "Attention"),
    "failed": pgettext_lazy("control status", "Failed"),
    "missing": pgettext_lazy("control status", "Missing"),
    "info": pgettext_lazy("control status", "Info"),
}


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""  # type: ignore[arg-type]


def report_csv(items: list[Evidence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for item in items:
        writer.writerow(
            [
                csv_safe(item.control),
                item.status,
                csv_safe(item.summary),
                item.as_of.isoformat() if item.as_of else "",
                csv_safe(item.source),
            ]
        )
    return out.getvalue().encode("utf-8")


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _lines(pdf: FPDF, width: float, text: str) -> list[str]:
    lines = pdf.multi_cell(width, 5, _latin1(text), dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return lines


def report_pdf(items: list[Evidence], period: Period, site: str) -> bytes:
    # Imported here: fpdf2 takes 0.45 s to import, which every process paid at start-up
    # (the URLconf imports this module); the report is drawn when someone asks for it.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    title = _("Compliance evidence report")
    pdf.set_title(title)
    pdf.set_author("Syllabus")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0,
        5,
        _latin1(
            _(
                "%(site)s: period %(since)s to %(until)s; generated %(now)s. Each line is read"
                " from the live records named in 'Source'."
            )
            % {
                "site": site,
                "since": _when(period.since),
                "until": _when(period.until),
                "now": _when(timezone.now()),
            }
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    widths = (62, 22, 110, 32, 51)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(230, 230, 230)
    for title, width in zip(
        (_("Control"), _("Status"), _("Evidence"), _("As of"), _("Source")), widths, strict=True
    ):
        pdf.cell(width, 6, _latin1(title), border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for item in items:
        cells = (
            item.control,
            str(STATUS_LABELS.get(item.status, item.status)),
            item.summary,
            _when(item.as_of) or _("never"),
            item.source,
        )
        # Rows grow with the longest cell; multi_cell per column at a fixed top.
        top = pdf.get_y()
        lines = max(len(_lines(pdf, w - 1, text)) for w, text in zip(widths, cells, strict=True))
        height = 5 * lines + 1
        if top + height > pdf.h - 15:
            pdf.add_page()
            top = pdf.get_y()
        x = pdf.l_margin
        for width, text in zip(widths, cells, strict=True):
            pdf.rect(x, top, width, height)
            pdf.set_xy(x + 0.5, top + 0.5)
            pdf.multi_cell(width - 1, 5, _latin1(text))
            x += width
        pdf.set_xy(pdf.l_margin, top + height)
    return bytes(pdf.output())
