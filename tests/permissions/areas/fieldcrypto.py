"""Matrix rows: a person's own personal details through the API (everyone signed in reads
and corrects their own; nobody reaches anyone else's there). The pages are the profile
(accounts:profile) and the person page (accounts:person), whose rows are the accounts
area's."""

from __future__ import annotations

from tests.permissions.matrix import SIGNED_IN, Row

UI: dict[str, Row] = {}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/auth/me/personal-details"): Row(SIGNED_IN),
    # A date of birth in the future: 422 for everyone signed in, nothing written.
    ("PUT", "/api/v1/auth/me/personal-details"): Row(
        SIGNED_IN, data={"date_of_birth": "2999-01-01"}
    ),
}
