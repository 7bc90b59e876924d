"""The key ring and AES-256-GCM sealing of syllabus.core.crypto."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core.crypto import (
    KeyRing,
    MalformedValue,
    TamperedValue,
    UnknownKey,
    generate_key,
    key_id_of,
)

# Fixed keys: parametrised test ids must be the same in every xdist worker.
K1 = base64.b64encode(bytes(range(100, 132))).decode()
K2 = base64.b64encode(bytes(range(200, 232))).decode()
RING = KeyRing.parse(f"k2:{K2},k1:{K1}")


def test_the_first_key_is_current_and_new_values_name_it():
    token = RING.seal(b"+33612345678", "accounts_user.phone_number.usr_1")
    assert RING.current.key_id == "k2"
    assert token.startswith("fe1:k2:")
    assert key_id_of(token) == "k2"
    assert RING.open(token, "accounts_user.phone_number.usr_1") == b"+33612345678"


def test_each_value_gets_a_fresh_nonce():
    tokens = {RING.seal(b"same", "t.c.1") for _ in range(50)}
    assert len(tokens) == 50


def test_values_under_an_older_key_still_open():
    token = RING.seal(b"old", "t.c.1", key_id="k1")
    assert token.startswith("fe1:k1:")
    assert RING.open(token, "t.c.1") == b"old"


@pytest.mark.parametrize("context", ["t.c.2", "t.other.1", "other.c.1"])
def test_a_value_moved_to_another_row_column_or_table_is_refused(context):
    token = RING.seal(b"secret", "t.c.1")
    with pytest.raises(TamperedValue, match="failed its integrity check under key 'k2'"):
        RING.open(token, context)


def test_a_flipped_bit_is_refused_with_a_clear_error():
    token = RING.seal(b"secret", "t.c.1")
    prefix, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[14] ^= 0x01
    tampered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(TamperedValue) as caught:
        RING.open(tampered, "t.c.1")
    assert "t.c.1" in str(caught.value)


def test_relabelling_a_value_with_another_key_id_is_refused():
    token = RING.seal(b"secret", "t.c.1", key_id="k1")
    with pytest.raises(TamperedValue):
        RING.open(token.replace("fe1:k1:", "fe1:k2:"), "t.c.1")


def test_a_missing_key_is_named():
    old_only = KeyRing.parse(f"k0:{generate_key()}")
    token = old_only.seal(b"x", "t.c.1")
    with pytest.raises(UnknownKey, match="key 'k0', which is not in SYLLABUS_FIELD_KEYS"):
        RING.open(token, "t.c.1")


def test_wrong_bytes_for_a_key_id_are_refused():
    impostor = KeyRing.parse(f"k2:{generate_key()}")
    token = impostor.seal(b"x", "t.c.1")
    with pytest.raises(TamperedValue, match="'k2'"):
        RING.open(token, "t.c.1")


@pytest.mark.parametrize(
    "token", ["", "hello", "fe1:", "fe1:k2", "fe1:k2:", "fe1:k2:AAAA", "fe1:k 2:AAAA"]
)
def test_malformed_values_are_refused(token):
    with pytest.raises(MalformedValue):
        RING.open(token, "t.c.1")


@given(st.binary(max_size=2000), st.text(max_size=80))
def test_sealing_round_trips(plaintext, context):
    assert RING.open(RING.seal(plaintext, context), context) == plaintext


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("k1", "must look like <key id>:<base64 key>"),
        (f"bad id:{K2}", "must look like"),
        ("k1:@@@@####", "not valid base64"),
        (
            f"k1:{base64.b64encode(os.urandom(16)).decode()}",
            "is 16 bytes; AES-256 needs exactly 32",
        ),
        (f"k1:{K1},k1:{K2}", "appears twice"),
    ],
    ids=["empty", "no-key", "bad-id", "not-base64", "short", "duplicate"],
)
def test_bad_key_rings_are_refused_naming_the_problem(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        KeyRing.parse(text)


def test_the_key_bytes_never_appear_in_a_repr():
    assert K2 not in repr(RING)
    assert repr(base64.b64decode(K2)) not in repr(RING)


def test_urlsafe_base64_and_whitespace_are_accepted():
    raw = os.urandom(32)
    ring = KeyRing.parse(f" a:{base64.urlsafe_b64encode(raw).decode().rstrip('=')} ,\n b:{K2} ")
    assert ring.key_ids == ("a", "b")
    assert ring.current.secret == raw


def test_blind_indexes_match_equal_values_per_domain_and_key():
    one = RING.blind_index("AB1234", "t.c")
    assert one == RING.blind_index("AB1234", "t.c")
    assert one.startswith("k2:") and len(one) == 3 + 64
    assert one != RING.blind_index("AB1235", "t.c")
    assert one != RING.blind_index("AB1234", "t.other")
    assert RING.blind_index_candidates("AB1234", "t.c") == [
        one,
        RING.blind_index("AB1234", "t.c", key_id="k1"),
    ]


def test_the_index_key_is_not_the_encryption_key():
    key = RING.current
    assert key.index_key != key.secret
    assert RING.blind_index("x", "d") != RING.seal(b"x", "d")


def test_weak_keys_are_reported():
    zeros = base64.b64encode(bytes(32)).decode()
    ring = KeyRing.parse(f"a:{K2},b:{zeros},c:{K2}")
    assert ring.weak_key_ids() == ["b", "c"]
    assert KeyRing.parse(f"a:{K2}").weak_key_ids() == []


@given(st.text(max_size=200))
def test_any_key_ring_text_parses_or_is_refused_with_a_configuration_error(text):
    try:
        ring = KeyRing.parse(text)
    except ImproperlyConfigured as exc:
        assert "SYLLABUS_FIELD_KEYS" in str(exc)
    else:
        assert ring.key_ids and all(len(k.secret) == 32 for k in ring.keys)


@given(st.text(max_size=120))
def test_any_stored_text_opens_or_is_refused_with_a_crypto_error(token):
    from syllabus.core.crypto import CryptoError

    with pytest.raises(CryptoError):
        RING.open(token, "t.c.1")
