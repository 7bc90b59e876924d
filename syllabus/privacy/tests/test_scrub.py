"""Pseudonymising free text (audit labels and details): no identifier survives, in any
case or position, and text without one is left alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syllabus.privacy.defaults import _map_strings, scrub_text

PSEUDONYM = "erased usr_0000000000000000"
IDENTIFIERS = ["sigrid.subject@example.org", "Sigrid Quenby", "Quenby"]


def _cased(value: str, flips: list[bool]) -> str:
    return "".join(
        c.swapcase() if f else c for c, f in zip(value, flips + [False] * len(value), strict=False)
    )


@given(
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    which=st.sampled_from(IDENTIFIERS),
    flips=st.lists(st.booleans(), max_size=30),
)
def test_no_identifier_survives_in_any_case(before, after, which, flips):
    text = before + _cased(which, flips) + after
    result = scrub_text(text, IDENTIFIERS, PSEUDONYM)
    for value in IDENTIFIERS:
        assert value.lower() not in result.lower().replace(PSEUDONYM.lower(), "\0")


@given(st.text(alphabet="abcdefghij 0123456789-_", max_size=60))
def test_text_without_identifiers_is_unchanged(text):
    assert scrub_text(text, IDENTIFIERS, PSEUDONYM) == text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.sampled_from(["x", *IDENTIFIERS]),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
        ),
        max_leaves=10,
    )
)
def test_nested_details_keep_their_shape(value):
    result = _map_strings(value, lambda text: scrub_text(text, IDENTIFIERS, PSEUDONYM))
    assert type(result) is type(value)
    assert "sigrid" not in repr(result).lower().replace(PSEUDONYM.lower(), "")
