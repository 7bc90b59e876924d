"""Files of the demo set: the committed video and captions, and the PDFs and cover images
generated at load time (fpdf2 and Pillow are dependencies; ffmpeg is not, which is why the
video is committed, see ``assets/make_assets.sh``)."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

ASSETS = Path(__file__).resolve().parent / "assets"
VIDEO_NAME = "welcome.mp4"
CAPTIONS_NAME = "captions.vtt"
VIDEO_SECONDS = 19.6  # the length of welcome.mp4; its last caption cue ends there


@cache
def asset(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def video_duration_seconds() -> int:
    return math.ceil(VIDEO_SECONDS)


def transcript() -> str:
    """The words of the welcome video, one caption cue per paragraph."""
    return "\n\n".join(asset("transcript.txt").decode().strip().splitlines()) + "\n"


def _latin1(text: str) -> str:
    # The PDF's core fonts cover Latin-1; demo text stays within it apart from Markdown.
    return text.replace("`", "").encode("latin-1", "replace").decode("latin-1")


@cache
def summary_pdf(
    course: str, module: str, sections: tuple[tuple[str, tuple[str, ...]], ...]
) -> bytes:
    """A one-page module summary: each lesson's title and key points."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"{course}: {module}"))
    pdf.set_author("Syllabus demo")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # the same bytes every time
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, _latin1(course), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    pdf.multi_cell(0, 8, _latin1(f"Module summary: {module}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for title, points in sections:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for point in points:
            pdf.multi_cell(0, 6, _latin1(f"-  {point}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_y(-20)
    pdf.set_font("Helvetica", "I", 9)
    pdf.cell(0, 6, "Syllabus demo course material", align="C")
    return bytes(pdf.output())


_COLOURS = {
    "data-and-analytics": (31, 58, 95),
    "teaching-and-learning": (74, 44, 99),
    "safety-and-compliance": (22, 84, 66),
}


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


@cache
def cover_png(title: str, category: str, category_name: str) -> bytes:
    """A plain 800x450 cover: the category's colour, the category and the title."""
    image = Image.new("RGB", (800, 450), _COLOURS.get(category, (40, 40, 40)))
    draw = ImageDraw.Draw(image)
    draw.text((48, 48), category_name.upper(), font=_font(22), fill=(215, 225, 240))
    words, lines, line = title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) > 22 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    for i, text in enumerate(lines):
        draw.text((48, 140 + i * 64), text, font=_font(52, bold=True), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
