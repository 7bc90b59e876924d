"""The certificate journey in a real browser: a learner completes a course, finds the
certificate under "My certificates" and downloads the PDF; an anonymous visitor types its
code on the verification page; the instructor revokes it (the page then says so), sets a
validity in the course's certificate settings and reissues it. Each page is checked with
axe."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from syllabus.accounts.models import Role
from syllabus.certificates.models import Certificate
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from tests.e2e.course_helpers import sign_in, sign_out
from tests.e2e.test_accessibility import assert_no_serious_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Reading the night sky"


def _course_with_one_lesson() -> tuple[Course, Lesson]:
    course = Course.objects.create(
        title=TITLE, slug="night-sky", status=Course.Status.PUBLISHED, summary="Stars."
    )
    module = Module.objects.create(course=course, title="Basics", is_published=True)
    lesson = Lesson.objects.create(
        course=course,
        module=module,
        title="Finding the Pole Star",
        body="Follow the pointers of the Plough.",
        body_html="<p>Follow the pointers of the Plough.</p>",
        is_published=True,
    )
    return course, lesson


def test_learner_gets_a_certificate_and_a_visitor_verifies_it(
    page, context, live_server, screenshot, axe_audit, browser_problems
):
    def accessible(name: str) -> None:
        assert_no_serious_violations(axe_audit(page, f"certificate-journey-{name}"))

    course, lesson = _course_with_one_lesson()
    learner = UserFactory(email="nora@example.org", full_name="Nora Nyström")
    instructor = UserFactory(email="ivan@example.org", full_name="Ivan Instructor")
    for person, role in ((learner, "learner"), (instructor, "instructor")):
        CourseMembership.objects.create(
            course=course, user=person, role=Role.objects.get(slug=role)
        )

    # The learner completes the course's only lesson.
    sign_in(page, "nora@example.org")
    page.goto(f"/learn/{lesson.public_id}/")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()

    # The certificate is listed under My certificates (the job ran on completion).
    page.goto("/certificates/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My certificates")
    row = page.get_by_role("row", name=re.compile(TITLE))
    expect(row).to_contain_text("Valid")
    certificate = Certificate.objects.get(user=learner, course=course)
    expect(row).to_contain_text(certificate.code)
    screenshot("certificate-journey-1-my-certificates")
    accessible("my-certificates")

    # Downloads the PDF: A4 landscape with the name, the course and the code.
    with page.expect_download() as download_info:
        row.get_by_role("link", name=re.compile("^Download PDF")).click()
    download = download_info.value
    assert (
        download.suggested_filename == f"certificate-reading-the-night-sky-{certificate.code}.pdf"
    )
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Nora Nyström" in text and TITLE in text and certificate.code in text
    sign_out(page)

    # An anonymous visitor types the code as people do: lower case, no hyphens.
    page.goto("/certificates/verify/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a certificate")
    accessible("verify-form")
    page.get_by_label("Certificate code").fill(certificate.code.replace("-", "").lower())
    page.get_by_role("button", name="Check the certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Certificate {certificate.code}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("This certificate is valid.")
    expect(main).to_contain_text("Nora Nyström")
    expect(main).to_contain_text(TITLE)
    expect(main).not_to_contain_text("nora@example.org")
    screenshot("certificate-journey-2-verified")
    accessible("verified")

    # A code that was never issued: a clear 404 page with the form to try again.
    page.get_by_role("link", name="Check another certificate").click()
    page.get_by_label("Certificate code").fill("ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    page.get_by_role("button", name="Check the certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("No certificate has this code")
    accessible("unknown-code")
    # A malformed code stays on the form, with the error tied to the field.
    page.get_by_label("Certificate code").fill("hello")
    page.get_by_role("button", name="Check the certificate").click()
    field = page.get_by_label("Certificate code")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_code_error")).to_contain_text("That is not a certificate code")
    accessible("malformed-code")

    # The instructor revokes it, after a confirmation page asking why.
    sign_in(page, "ivan@example.org")
    page.goto(f"/certificates/course/{course.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificates")
    accessible("course-certificates")
    page.get_by_role("row", name=re.compile("Nora Nyström")).get_by_role(
        "link", name=re.compile("^Revoke")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke Nora Nyström's certificate?")
    accessible("revoke-confirm")
    page.get_by_role("button", name="Revoke the certificate").click()
    expect(page.locator("#id_reason_error")).to_be_visible()  # a reason is required
    page.get_by_label("Reason").fill("Completed under another person's account.")
    page.get_by_role("button", name="Revoke the certificate").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("row", name=re.compile("Nora Nyström"))).to_contain_text("Revoked")

    # Certificates of this course now last a year; the revoked one is reissued under it.
    page.get_by_role("link", name="Change the certificate settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate settings")
    accessible("settings")
    page.get_by_label("Valid for (days after completion)").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_label("Valid for (days after completion)")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_label("Valid for (days after completion)").fill("365")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("main")).to_contain_text("valid for 365 days after completion")
    page.get_by_role("row", name=re.compile("Nora Nyström")).get_by_role(
        "link", name=re.compile("^Reissue")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reissue Nora Nyström's certificate?")
    accessible("reissue-confirm")
    page.get_by_role("button", name="Reissue the certificate").click()
    new = Certificate.objects.get(user=learner, course=course, replaced_at__isnull=True)
    assert new.code != certificate.code and new.expires_at is not None
    expect(page.get_by_role("status")).to_contain_text(f"Certificate {new.code} issued")
    expect(page.get_by_role("row", name=re.compile("Nora Nyström"))).to_contain_text("Valid")
    sign_out(page)

    # The public page now says revoked, and nothing about why.
    page.goto(f"/certificates/verify/{certificate.code}/")
    expect(page.get_by_role("main")).to_contain_text("This certificate was revoked.")
    expect(page.get_by_role("main")).not_to_contain_text("another person's account")
    screenshot("certificate-journey-3-revoked")
    accessible("revoked")
    assert browser_problems.unexpected() == []
