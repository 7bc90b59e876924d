"""Error pages in a real browser: a 404 tells the user the request id to quote."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_404_page_shows_the_request_id_from_the_response_header(page, browser_problems):
    response = page.goto("/no-such-page/")

    assert response is not None
    assert response.status == 404
    request_id = response.headers.get("x-request-id", "")
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", request_id), f"bad X-Request-ID {request_id!r}"
    expect(page).to_have_title(re.compile(r"Page not found \(404\)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator(".request-id")).to_contain_text("quote this reference")
    expect(page.locator(".request-id code")).to_have_text(request_id)
    expect(page.get_by_role("link", name="Go to the home page")).to_have_attribute("href", "/")
    # The only console error allowed is the browser noting the 404 status itself.
    assert browser_problems.unexpected(allow=("status of 404",)) == []


def test_404_page_shows_a_well_formed_id_from_a_proxy_and_replaces_a_bad_one(page):
    page.set_extra_http_headers({"X-Request-ID": "proxy-req-0123456789"})
    response = page.goto("/missing/")
    assert response is not None
    assert response.headers.get("x-request-id") == "proxy-req-0123456789"
    expect(page.locator(".request-id code")).to_have_text("proxy-req-0123456789")

    page.set_extra_http_headers({"X-Request-ID": "<script>alert(1)</script>"})
    response = page.goto("/missing/")
    assert response is not None
    replaced = response.headers.get("x-request-id", "")
    assert replaced
    assert "<" not in replaced
    expect(page.locator(".request-id code")).to_have_text(replaced)
