"""Strict JSON text: values in, the exact reason they cannot be stored out."""

import json

import pytest

from tracsh.inputs.jsontext import (
    LOCATOR,
    may_hold_surrogates,
    path_text,
    record_text,
    syntax_reason,
    unstorable,
)
from tracsh.store.documents import encode_doc
from tracsh.store.errors import StoreError

DIGITS = 5000

UNSTORABLE = [
    # Values as LOCATOR reads them: what DECODER refuses is marked in place.
    (LOCATOR.decode('{"x": 1e999}'), "number out of range at x: 1e999"),
    (LOCATOR.decode('{"x": -1E+400}'), "number out of range at x: -1E+400"),
    (
        LOCATOR.decode('{"x": ' + "9" * 400 + ".0}"),
        f"number out of range at x: {'9' * 40}…",
    ),
    (
        LOCATOR.decode('{"p": {"a": [1, NaN]}}'),
        "bad JSON: NaN at p.a[1] is not a JSON number",
    ),
    (LOCATOR.decode("[Infinity]"), "bad JSON: Infinity at [0] is not a JSON number"),
    (LOCATOR.decode("-Infinity"), "bad JSON: -Infinity is not a JSON number"),
    (
        LOCATOR.decode('{"n": ' + "1" * DIGITS + "}"),
        "a number at n has more than 4300 digits",
    ),
    (
        LOCATOR.decode('{"a b": {"c.d": 1e999}}'),
        'number out of range at ["a b"]["c.d"]: 1e999',
    ),
    # Values from Python callers, which no parser checked.
    ({"x": float("inf")}, "number out of range at x: inf"),
    ({"x": float("-inf")}, "number out of range at x: -inf"),
    ({"x": float("nan")}, "number out of range at x: nan"),
    ({"x": 10**DIGITS}, "a number at x has more than 4300 digits"),
    ({"x": "caf\ud800"}, "text at x is not valid Unicode: lone surrogate \\ud800"),
    ({"x": "\udce9"}, "text at x is not valid Unicode: lone surrogate \\udce9"),
    ({"k\udfff": 1}, "a key is not valid Unicode: lone surrogate \\udfff"),
    ({"p": {1: 2}}, "a key in p is not text: 1"),
    ({"x": {1, 2}}, "not a JSON value at x: set"),
    ({"x": (1, 2)}, "not a JSON value at x: tuple"),
    ({"x": b"a"}, "not a JSON value at x: bytes"),
    # The first problem in document order is the one reported.
    ({"a": [1, float("inf")], "b": float("nan")}, "number out of range at a[1]: inf"),
]


@pytest.mark.parametrize(("value", "reason"), UNSTORABLE)
def test_unstorable_values_are_named_by_path(value, reason):
    assert unstorable(value) == reason


STORABLE = [
    None,
    {"x": 1e308, "y": -1e-999, "z": 10**4000, "t": True, "n": None},
    {"emoji": "\U0001f600", "text": "caf\xe9", "list": [[], {}, ""]},
    json.loads('{"pair": "\\ud83d\\ude00"}'),
]


@pytest.mark.parametrize("value", STORABLE)
def test_storable_values_pass_and_the_store_takes_them(value):
    assert unstorable(value) is None
    encode_doc(value, "value").encode("utf-8")


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("nan"), 10**DIGITS, "\ud800", {"\udc80": 1}, {1, 2}, b"a"],
    ids=["inf", "nan", "digits", "surrogate", "surrogate-key", "set", "bytes"],
)
def test_what_is_refused_is_what_the_store_cannot_keep(value):
    assert unstorable({"x": value}) is not None
    with pytest.raises((StoreError, UnicodeEncodeError)):
        encode_doc({"x": value}, "value").encode("utf-8")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("properties", "x"), "properties.x"),
        (("events", 0, "context", "page-url"), "events[0].context.page-url"),
        ((3, "a"), "[3].a"),
        (("a b", "ok"), '["a b"].ok'),
        (("x" * 60,), f'["{"x" * 40}…"]'),
        (("\ud800",), '["\\ud800"]'),
    ],
)
def test_paths_read_as_people_write_them(path, text):
    assert path_text(path) == text


SYNTAX = [
    ('{"a": "x\ty"}', "control character U+0009 in text; write it as \\t"),
    ('{"a": "x\x01"}', "control character U+0001 in text; write it as \\u0001"),
    ('{"a": "x', "text starting here has no closing quote"),
    ('{"a": "\\q"}', 'bad escape in text: after \\ comes one of " \\ / b f n r t u'),
    ('{"a": "\\u12"}', "\\u in text must be followed by four hex digits"),
    ('{"a" 1}', "Expecting ':' delimiter"),
    ("{a: 1}", "Expecting property name enclosed in double quotes"),
]


@pytest.mark.parametrize(("text", "reason"), SYNTAX)
def test_syntax_reasons_are_complete(text, reason):
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    assert syntax_reason(caught.value) == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", False), ("a\\nb", False), ("\\ud800", True), ("\\uDC00", True)],
)
def test_surrogate_escapes_are_spotted(text, expected):
    assert may_hold_surrogates(text) is expected


def test_record_text_shows_whatever_a_record_holds():
    assert record_text(LOCATOR.decode('{"x": 1e999}')) == '{"x": "1e999"}'
    assert record_text({"x": {1}}) == '{"x": "{1}"}'
    assert record_text({"x": 10**DIGITS}) == "(dict that JSON cannot show)"
