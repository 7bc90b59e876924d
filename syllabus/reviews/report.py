"""The archived PDF report of a signed-off campaign (fpdf2: pure Python, no system
packages). Core PDF fonts cover Latin-1 only; characters outside it print as "?", and
the CSV archived beside the PDF keeps every name exactly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from syllabus.reviews.models import Campaign


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _day(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else "-"  # type: ignore[arg-type]


COLUMNS = (
    (gettext_lazy("Holder"), 52),
    (gettext_lazy("Role"), 38),
    (gettext_lazy("Course"), 50),
    (gettext_lazy("Flags"), 30),
    (gettext_lazy("Reviewer"), 46),
    (gettext_lazy("Decision"), 22),
    (gettext_lazy("Comment"), 39),
)


def campaign_pdf(campaign: Campaign) -> bytes:
    from syllabus.reviews.services import campaign_items, progress

    counts = progress(campaign)
    # Imported here: fpdf2 takes 0.45 s to import, which every process paid at start-up
    # (the URLconf imports this module); a report is drawn once a campaign closes.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_latin1(campaign.name))
    pdf.set_author("Syllabus")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0,
        9,
        _latin1(_("Access review: %(name)s") % {"name": campaign.name}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 10)
    signer = campaign.signed_off_by.email if campaign.signed_off_by else "-"
    for line in (
        _("Started %(started)s, due %(due)s, signed off %(signed)s by %(signer)s.")
        % {
            "started": _day(campaign.created_at),
            "due": _day(campaign.due_at),
            "signed": _day(campaign.signed_off_at),
            "signer": signer,
        },
        _(
            "%(total)s assignments reviewed: %(keep)s kept, %(revoke)s revoked (%(applied)s"
            " applied). %(privileged)s privileged, %(leavers)s held by leavers (inactive for"
            " %(days)s days or deactivated)."
        )
        % {**counts, "days": campaign.inactive_days},
        _("Sign-off comment: %(comment)s") % {"comment": campaign.sign_off_comment or "-"},
    ):
        pdf.multi_cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    def header() -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_fill_color(230, 230, 230)
        for title, width in COLUMNS:
            pdf.cell(width, 6, _latin1(str(title)), border=1, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", "", 8)

    header()
    for item in campaign_items(campaign):
        if pdf.will_page_break(6):
            pdf.add_page()
            header()
        flags = ", ".join(
            f for f in (_("privileged") if item.privileged else "", item.leaver_label) if f
        )
        row = (
            item.holder_email,
            item.role_name,
            item.course_title or _("(site)"),
            flags,
            item.reviewer.email if item.reviewer else "-",
            str(item.get_decision_display()),
            item.comment,
        )
        for (_title, width), value in zip(COLUMNS, row, strict=True):
            text = _latin1(value)
            if pdf.get_string_width(text) > width - 2:
                while text and pdf.get_string_width(text + "...") > width - 2:
                    text = text[:-1]
                text += "..."
            pdf.cell(width, 6, text, border=1)
        pdf.ln()
    return bytes(pdf.output())
