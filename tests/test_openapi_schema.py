"""The generated OpenAPI document must be valid JSON that the API docs page can read."""

from __future__ import annotations

import json
from typing import Any

from syllabus.config.api import api


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"duplicate keys in the OpenAPI document: {sorted(duplicates)}"
    return dict(pairs)


def test_schema_has_no_duplicate_keys_once_serialised():
    # Python dicts may hold both 200 and "200"; JSON would then carry the key twice.
    text = json.dumps(api.get_openapi_schema())
    json.loads(text, object_pairs_hook=_refuse_duplicates)


def test_every_operation_has_a_summary_and_a_tag():
    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"
