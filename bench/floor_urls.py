"""A minimal Django endpoint that parses a JSON body and inserts one row: the floor that
bench/ingest_bench.py compares intake against."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def insert_one_row(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor_row (name, email, created_at) VALUES (%s, %s, now()) "
            "RETURNING id",
            [body["name"], body.get("email", "")],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("api/v1/leads", insert_one_row, name="floor")]
