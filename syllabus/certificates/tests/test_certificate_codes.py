"""Verification codes: random, readable, and read back the way people type them."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from syllabus.certificates.codes import ALPHABET, LENGTH, new_code, normalize_code

CANONICAL = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
raw_codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)


def test_new_codes_are_canonical_and_differ():
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(CANONICAL.match(code) for code in codes)
    assert all(normalize_code(code) == code for code in codes)


def test_the_alphabet_has_no_look_alikes():
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


@given(raw_codes)
def test_typed_forms_read_back_to_the_canonical_code(raw):
    canonical = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    assert normalize_code(raw) == canonical
    assert normalize_code(raw.lower()) == canonical
    assert normalize_code(" ".join(raw[i : i + 4] for i in range(0, 16, 4))) == canonical
    assert normalize_code(f"  {canonical.lower()}\t") == canonical


@given(raw_codes)
def test_o_i_and_l_are_read_as_digits(raw):
    typed = raw.replace("0", "O").replace("1", "l")
    assert normalize_code(typed) == normalize_code(raw)


@given(st.text(max_size=80))
def test_any_input_is_either_refused_or_canonical(value):
    result = normalize_code(value)
    assert result is None or CANONICAL.match(result)


def test_refused_inputs():
    for value in [
        "",
        "ABCD",
        "ABCD-EFGH-JKMN-PQR",
        "ABCD-EFGH-JKMN-PQRST",
        "ABCD-EFGH-JKMN-PQR!",
        "ÄBCD-EFGH-JKMN-PQRS",
        "U" * 16,
        "A" * 65,
        "ABCD/EFGH/JKMN/PQRS",
    ]:
        assert normalize_code(value) is None, value
