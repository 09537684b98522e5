"""The API's JSON parser reads bodies as DRF's JSONParser does (same data, same refusals),
and refuses text cut inside a character, which DRF reads in part."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser
from rest_framework.settings import api_settings

from leads.api.parsers import JSONParser

BODIES = [
    (b'{"name": "Ana", "email": "ana@example.com"}', "utf-8"),
    ('{"name": "Zoë Ñandú", "nested": {"a": [1, 2.5, null, true]}}'.encode(), "utf-8"),
    ('{"name": "Zoë"}'.encode("latin-1"), "latin-1"),
    (b'"just a string"', "utf-8"),
    (b"[1, 2, 3]", "utf-8"),
    (b'{"n": NaN}', "utf-8"),
    (b'{"n": -Infinity}', "utf-8"),
    (b'{"name": "\xff\xfe"}', "utf-8"),
    (b'{"name": ', "utf-8"),
    (b"", "utf-8"),
    (b'{"a": 1} trailing', "utf-8"),
]


def parse_both(body: bytes, encoding: str) -> tuple[object, object]:
    results = []
    for parser in (DrfJSONParser(), JSONParser()):
        try:
            results.append(parser.parse(io.BytesIO(body), None, {"encoding": encoding}))
        except ParseError:
            results.append(ParseError)
    return results[0], results[1]


@pytest.mark.parametrize(("body", "encoding"), BODIES)
def test_reads_a_body_as_drf_does(body: bytes, encoding: str) -> None:
    drf, ours = parse_both(body, encoding)
    assert ours == drf


def test_refuses_what_is_not_json_with_a_parse_error() -> None:
    for body in (b'{"n": NaN}', b'{"name": "\xff"}', b"{"):
        with pytest.raises(ParseError, match="JSON parse error"):
            JSONParser().parse(io.BytesIO(body), None, {"encoding": "utf-8"})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.binary(max_size=64) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_any_body_read_as_drf_reads_it(body: bytes) -> None:
    drf, ours = parse_both(body, "utf-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        assert ours is ParseError  # DRF may read a prefix of it (below)
    else:
        assert ours == drf


def test_refuses_a_body_cut_inside_a_character_which_drf_reads_in_part() -> None:
    drf, ours = parse_both(b"0\xc2", "utf-8")  # "0", then half of a two-byte character
    assert (drf, ours) == (0, ParseError)


def test_without_strict_json_reads_nan_as_drf_does(monkeypatch) -> None:
    for parser in (DrfJSONParser, JSONParser):
        monkeypatch.setattr(parser, "strict", False)
    drf, ours = parse_both(b'{"n": Infinity}', "utf-8")
    assert ours == drf == {"n": float("inf")}


def test_is_the_parser_the_api_uses() -> None:
    (parser,) = api_settings.DEFAULT_PARSER_CLASSES
    assert parser is JSONParser
