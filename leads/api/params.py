"""Query parameters read strictly.

DRF reads query strings the way it reads HTML forms: `?date=` counts as "not given", a
`page_size` that is not a number falls back to the default and a misspelt filter is ignored.
For an API that hides client bugs, so our endpoints answer each with a field error instead.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class QueryParamsSerializer(serializers.Serializer):
    """Base for query-string serializers: an unknown parameter or one sent empty is a 400.

    `other_params` names parameters read elsewhere (pagination) that are allowed through.
    """

    other_params: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        known = {*self.fields, *self.other_params}
        errors = {name: ["Unknown parameter."] for name in sorted(data) if name not in known}
        errors |= {
            name: ["Give a value or leave the parameter out."]
            for name in sorted(self.fields)
            if data.get(name) == ""
        }
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictPageNumberPagination(PageNumberPagination):
    """`page_size` must be a whole number from 1 to `max_page_size` when given."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(request.query_params[self.page_size_query_param])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from exc
