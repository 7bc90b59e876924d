"""Every URL pattern of the site is either visited by the accessibility suite or excluded
with a reason (tests/e2e/routes.py): a page added without a visit fails here."""

from __future__ import annotations

from tests.e2e.routes import ERROR_PAGES, EXCLUDED, PAGES, excluded_reason, url_patterns


def test_every_url_pattern_is_visited_or_excluded():
    patterns = url_patterns()
    missing = sorted(
        f"{key}  ({pattern})"
        for key, pattern in patterns.items()
        if key not in PAGES and excluded_reason(key) is None
    )
    assert not missing, (
        "These routes are not in the accessibility suite's registry. Add each to PAGES in "
        "tests/e2e/routes.py (who sees it, the path, its states) so "
        "tests/e2e/test_route_accessibility.py checks it with axe, or to EXCLUDED with the "
        "reason it is not a page:\n  " + "\n  ".join(missing)
    )


def test_the_registry_names_only_routes_that_exist():
    # A renamed or removed route must leave the registry too, or it visits nothing.
    patterns = url_patterns()
    stale = sorted(key for key in [*PAGES, *EXCLUDED] if key not in patterns)
    assert not stale, f"not URL patterns any more: {stale}"
    assert not set(PAGES) & set(EXCLUDED), "a route is both visited and excluded"


def test_every_page_has_at_least_one_visit_and_each_excluded_route_a_reason():
    assert all(PAGES.values()) and all(ERROR_PAGES.values())
    assert all(reason.strip() for reason in EXCLUDED.values())
    states = {
        visit.state for visits in (*PAGES.values(), *ERROR_PAGES.values()) for visit in visits
    }
    # The issue asks for forms with their errors and empty states, not just the happy path.
    assert {"normal", "empty", "invalid"} <= states
