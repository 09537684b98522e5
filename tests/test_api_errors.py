"""Every API error has one shape: {"errors": {"field": ["message"]}}."""

from __future__ import annotations

from rest_framework import exceptions

from leads.api.exceptions import exception_handler


def shape(exc: Exception) -> tuple[int, dict]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_field_errors_keep_their_field_names() -> None:
    exc = exceptions.ValidationError(
        {"email": ["Enter a valid email address."], "name": "Required."}
    )
    assert shape(exc) == (
        400,
        {"errors": {"email": ["Enter a valid email address."], "name": ["Required."]}},
    )


def test_nested_field_errors_are_dotted() -> None:
    exc = exceptions.ValidationError({"owner": {"username": ["Unknown user."]}})
    assert shape(exc) == (400, {"errors": {"owner.username": ["Unknown user."]}})


def test_errors_of_no_field_are_listed_under_detail() -> None:
    assert shape(exceptions.NotAuthenticated()) == (
        401,
        {"errors": {"detail": ["Authentication credentials were not provided."]}},
    )


def test_errors_of_the_whole_body_are_non_field_errors() -> None:
    exc = exceptions.ValidationError(["Give an email or a phone number."])
    assert shape(exc) == (
        400,
        {"errors": {"non_field_errors": ["Give an email or a phone number."]}},
    )
