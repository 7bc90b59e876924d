"""The main pages of the layout and WCAG 2.2 browser tests (test_responsive.py,
test_wcag22.py): one small world (a published course with a text lesson, a captioned video
lesson and a quiz; a learner enrolled with some progress and grades; its instructor) and
the pages each person looks at most, with the paths built from that world.

Measurements that run in the page (target sizes, horizontal overflow) are here too, so
both test files measure the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from syllabus.accounts.models import User
from syllabus.assessments.models import Quiz
from syllabus.assessments.tests.attempt_factories import make_quiz
from syllabus.courses.models import Course, CourseMembership, Lesson
from syllabus.courses.services_enrolment import enrol_self
from syllabus.grades import services as grades
from syllabus.learning import services as learning
from tests.e2e.course_helpers import published_course_with_video
from tests.factories import UserFactory

LEARNER_EMAIL = "rosa@example.org"


@dataclass
class World:
    course: Course
    text: Lesson
    video: Lesson
    quiz: Quiz
    learner: User
    teacher: User

    def learner_pages(self) -> dict[str, str]:
        return {
            "dashboard": "/dashboard/",
            "catalog": "/courses/",
            "course": f"/courses/{self.course.public_id}/",
            "course-home": f"/learn/course/{self.course.public_id}/",
            "lesson": f"/learn/{self.text.public_id}/",
            "video-lesson": f"/learn/{self.video.public_id}/",
            "quiz-lesson": f"/learn/{self.quiz.lesson.public_id}/",
            "my-grades": "/grades/",
            "notifications": "/notifications/",
            "profile": "/account/profile/",
            "security": "/account/security/",
            "help": "/help/",
        }

    def instructor_pages(self) -> dict[str, str]:
        return {
            "teach": "/courses/teach/",
            "outline": f"/courses/{self.course.public_id}/outline/",
            "course-settings": f"/courses/{self.course.public_id}/edit/",
            "gradebook": f"/grades/course/{self.course.public_id}/gradebook/",
            "roster": f"/learn/course/{self.course.public_id}/roster/",
        }


PUBLIC_PAGES = {
    "home": "/",
    "sign-in": "/accounts/login/",
    "catalog-visitor": "/courses/",
    "help-visitor": "/help/",
    "not-found": "/no-such-page/",
}


def build_world() -> World:
    """The course through the authoring services, the quiz and grades as their apps make
    them; the learner has finished the text lesson and has a grade released to them."""
    built = published_course_with_video(
        title="Tides and the shore",
        description="How the Moon moves the sea, and how to read a tide table.",
    )
    course = built.course
    teacher = CourseMembership.objects.get(course=course, role__slug="instructor").user
    quiz = make_quiz(
        course=course,
        kinds=("single", "multiple", "numeric", "ordering", "true_false"),
        pass_percent=Decimal("50"),
    )
    learner = UserFactory(email=LEARNER_EMAIL, full_name="Rosa Learner")
    enrol_self(user=learner, course=course)
    # Fresh from the database: the helper's lesson still holds the course as a draft.
    text = Lesson.objects.select_related("course", "module").get(pk=built.text.pk)
    learning.lesson_opened(user=learner, lesson=text)
    learning.lesson_complete(user=learner, lesson=text)
    report = grades.manual_item_create(
        actor=teacher, course=course, title="Field report", max_points="20"
    )
    grades.grade_enter(actor=teacher, item=report, learner=learner, points="15")
    return World(
        course=course,
        text=built.text,
        video=built.video,
        quiz=quiz,
        learner=learner,
        teacher=teacher,
    )


def start_quiz_attempt(page: Any, world: World) -> str:
    """Start (or resume) the quiz from its lesson page as the signed-in learner; the
    attempt page's path."""
    page.goto(f"/learn/{world.quiz.lesson.public_id}/")
    panel = page.get_by_role("region", name="Quiz")
    resume = panel.get_by_role("link", name=re.compile(r"^Resume attempt"))
    if resume.count():
        resume.click()
    else:
        panel.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("attempt 1")
    return str(re.sub(r"^https?://[^/]+", "", page.url))


# Every visible thing a pointer can hit, with its box and whether it sits in a line of text
# (WCAG 2.5.8's "inline" exception: a link in a sentence or a list item's text).
TARGETS_JS = """
() => {
  const selector = [
    'a[href]', 'button', 'input:not([type=hidden])', 'select', 'textarea', 'summary',
    '[role=button]', '[role=link]', '[tabindex]:not([tabindex="-1"])',
  ].join(', ');
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    // Off-screen until focused (the skip link) or visually hidden: not a pointer target.
    if (rect.bottom <= 0 || rect.right <= 0) continue;
    if (el.closest('.visually-hidden')) continue;
    // The browser's own controls (a video's player) are the user agent's, exempt in 2.5.8.
    if (el.tagName === 'VIDEO' || el.tagName === 'AUDIO') continue;
    let inline = false;
    if (el.tagName === 'A' && style.display === 'inline') {
      // In running text: its block holds text other than this link's.
      const block = el.parentElement.closest(
        'p, li, td, th, dd, dt, label, span, div, legend, figcaption, small');
      if (block) {
        const own = (el.textContent || '').trim();
        const all = (block.textContent || '').replace(/\\s+/g, ' ').trim();
        inline = all.length > own.length + 1;
      }
    }
    const label = el.getAttribute('aria-label') || el.textContent || el.getAttribute('name')
      || el.id || el.tagName;
    const name = label.replace(/\\s+/g, ' ').trim().slice(0, 60);
    out.push({tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '', name,
      x: rect.x, y: rect.y, width: rect.width, height: rect.height, inline});
  }
  return out;
}
"""


def small_targets(page: Any, *, minimum: float = 24) -> list[str]:
    """Targets under minimum x minimum CSS px that are neither inline nor spaced out.

    WCAG 2.5.8 spacing exception: a smaller target passes if a 24 px circle centred on
    it does not intersect another target (nor the circle of another small target). We
    check the stricter and simpler form: no other target's box within 12 px of its
    centre in either direction beyond its own box (i.e. its 24 x 24 square centred on it
    overlaps no other target)."""
    targets = page.evaluate(TARGETS_JS)
    problems = []
    for i, t in enumerate(targets):
        if t["inline"] or (t["width"] >= minimum - 0.5 and t["height"] >= minimum - 0.5):
            continue
        cx, cy = t["x"] + t["width"] / 2, t["y"] + t["height"] / 2
        half = minimum / 2
        square = (cx - half, cy - half, cx + half, cy + half)
        crowded = False
        for j, other in enumerate(targets):
            if i == j:
                continue
            box = (
                other["x"],
                other["y"],
                other["x"] + other["width"],
                other["y"] + other["height"],
            )
            # The two may be the same control (a label wrapping its input): skip nested ones.
            if (
                box[0] <= t["x"]
                and box[1] <= t["y"]
                and box[2] >= t["x"] + t["width"]
                and box[3] >= t["y"] + t["height"]
            ):
                continue
            if (
                box[0] < square[2]
                and box[2] > square[0]
                and box[1] < square[3]
                and box[3] > square[1]
            ):
                crowded = True
                break
        if crowded:
            problems.append(
                f"<{t['tag']}{' type=' + t['type'] if t['type'] else ''}> {t['name']!r} is "
                f"{t['width']:.0f}x{t['height']:.0f}px with another target within 12px"
            )
    return problems


OVERFLOW_JS = """
() => {
  const root = document.scrollingElement;
  const width = root.clientWidth;
  // The widest elements that stick out past the right edge, to say what to fix.
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const rect = el.getBoundingClientRect();
    if (rect.right > width + 1 && rect.width > 0) {
      // Inside a scroll container (a wide table's .table-scroll) is allowed by 1.4.10.
      let scroller = el.parentElement, contained = false;
      while (scroller && scroller !== document.body) {
        const o = getComputedStyle(scroller).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') { contained = true; break; }
        scroller = scroller.parentElement;
      }
      if (contained) continue;
      const id = el.id ? '#' + el.id : '';
      const classes = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      culprits.push(`${el.tagName.toLowerCase()}${id}${classes} right=${Math.round(rect.right)}`);
    }
  }
  // Text wider than its box (a long word) sticks out without its element doing so.
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
        && el.getBoundingClientRect().left + el.scrollWidth > width + 1) {
      const text = (el.textContent || '').trim().slice(0, 30);
      culprits.push(`text of ${el.tagName.toLowerCase()} "${text}"`);
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, culprits: culprits.slice(0, 8)};
}
"""


def horizontal_overflow(page: Any) -> str | None:
    """None when the page does not scroll sideways; else what sticks out."""
    result = page.evaluate(OVERFLOW_JS)
    if result["scrollWidth"] <= result["clientWidth"]:
        return None
    return (
        f"scrollWidth {result['scrollWidth']} > clientWidth {result['clientWidth']}; "
        f"sticking out: {', '.join(result['culprits']) or 'unknown'}"
    )
