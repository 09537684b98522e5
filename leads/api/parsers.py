"""The API's JSON parser: DRF's, with decoders shared by every request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

# With DRF's STRICT_JSON (its default) NaN and Infinity are refused; without, read.
_DECODERS = {True: json.JSONDecoder(parse_constant=strict_constant), False: json.JSONDecoder()}


class JSONParser(parsers.JSONParser):
    """Reads the body as DRF's JSONParser does, to the same data and the same errors, but
    for one case: a body that ends in an incomplete multi-byte sequence is refused as
    invalid text, where DRF's stream reader drops those bytes and parses the rest.

    DRF's builds a new decoder for every request (a `parse_constant` argument to
    `json.load` does) and decodes the body through a codecs stream reader: reading a posted
    lead's body took it 5 µs, measured alone, against 1 µs for this one.
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            return _DECODERS[bool(self.strict)].decode(stream.read().decode(encoding))
        except ValueError as exc:  # invalid JSON or invalid text in the encoding
            raise ParseError(f"JSON parse error - {exc}") from exc
