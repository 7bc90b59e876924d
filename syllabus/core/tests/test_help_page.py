"""The help page (WCAG 3.2.6 consistent help): public, linked first in every footer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_help_page_is_public_and_covers_access_and_barriers(client):
    response = client.get("/help/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Help</h1>" in html
    for anchor in ("getting-around", "signing-in", "accessibility", "report-a-barrier"):
        assert f'id="{anchor}"' in html
    assert "WCAG) 2.2 at level AA" in html
    assert "docs/accessibility.md" in html
    assert 'href="/help/" aria-current="page"' in html


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/courses/"])
def test_every_page_has_the_help_link_first_in_its_footer(client, path):
    html = client.get(path).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert footer.index('href="/help/"') < footer.index('href="/help/#accessibility"')


def test_error_pages_have_the_same_help_link(client):
    html = client.get("/no-such-page/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert '<ul class="footer-links">' in footer
    assert '<li><a href="/help/">Help</a></li>' in footer
