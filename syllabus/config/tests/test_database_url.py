"""PostgreSQL URLs with one or several hosts (libpq's multi-host form for failover)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from syllabus.config.database_url import parse_postgres_url


def test_several_hosts_become_libpq_lists():
    db = parse_postgres_url(
        "postgres://app:s3cret@db1:5432,db2:5433/lms?target_session_attrs=read-write"
        "&sslmode=verify-full",
        variable="DATABASE_URL",
    )
    assert (db["HOST"], db["PORT"]) == ("db1,db2", "5432,5433")
    assert (db["USER"], db["PASSWORD"], db["NAME"]) == ("app", "s3cret", "lms")
    assert db["OPTIONS"] == {"target_session_attrs": "read-write", "sslmode": "verify-full"}


def test_a_missing_port_among_several_takes_the_default():
    db = parse_postgres_url("postgresql://db1,db2:6432/lms", variable="X")
    assert (db["HOST"], db["PORT"]) == ("db1,db2", "5432,6432")


def test_ipv6_hosts_and_escaped_names():
    db = parse_postgres_url("postgres://u:p%40ss@[::1]:6000/my%20db", variable="X")
    assert (db["HOST"], db["PORT"], db["NAME"], db["PASSWORD"]) == ("::1", "6000", "my db", "p@ss")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "must start with postgres://"),
        ("postgres://u@h:99999/db", "invalid port"),
        ("postgres://u@h:port/db", "invalid port"),
        ("postgres://u@[::1/db", "cannot be read"),
        ("postgres://u@h1,,h2/db", "one of them empty"),
        ("postgres://u@h", "names no database"),
        ("postgres://u@h/db?sslmod=require", "unknown parameter 'sslmod'"),
    ],
)
def test_bad_urls_name_the_variable_and_hide_the_password(url, message):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_postgres_url(url.replace("u@", "u:hunter2@"), variable="DATABASE_URL")
    assert message in str(caught.value)
    assert str(caught.value).startswith("DATABASE_URL")
    assert "hunter2" not in str(caught.value)


_names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1)
_hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9-]{1,10}){0,2}", fullmatch=True)


@given(
    user=_names,
    password=_names,
    database=_names.filter(lambda n: "/" not in n),
    hosts=st.lists(st.tuples(_hosts, st.integers(1, 65535)), min_size=1, max_size=4),
)
def test_every_well_formed_url_round_trips(user, password, database, hosts):
    netloc = ",".join(f"{h}:{p}" for h, p in hosts)
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    url = f"postgres://{credentials}@{netloc}/{quote(database, safe='')}"
    db = parse_postgres_url(url, variable="X")
    assert (db["USER"], db["PASSWORD"], db["NAME"]) == (user, password, database)
    assert db["HOST"].split(",") == [h for h, _ in hosts]
    assert db["PORT"].split(",") == [str(p) for _, p in hosts]


@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_clearly(text):
    try:
        parse_postgres_url(text, variable="X")
    except ImproperlyConfigured as error:
        assert str(error).startswith("X ")
