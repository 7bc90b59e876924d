"""One response wrapper model per response type, shared by the API's operations.

django-ninja wraps each response type of each operation in a pydantic model of its own
(``Operation._create_response_model``: ``type("NinjaResponseSchema", (Schema,), ...)``),
so the 167 operations of /api/v1, most of which answer 400, 401, 403, 404 and 429 with
the same error schema, built 959 models (87 would do) when the URLconf was imported:
1.2 s under the profiler, of the 3.4 s every process spent starting (each gunicorn
worker, each `syllabus` command, each test that starts a server). The wrapper depends
only on the response type and is never changed after it is built, so one per type does
the same work, and the OpenAPI document is the same (syllabus/core/tests/
test_ninja_models.py builds an API both ways). django-ninja has no setting for this,
hence the small wrapper here; installed by ``CoreConfig.ready`` before any router is
imported.
"""

from __future__ import annotations

from typing import Any

from ninja.operation import Operation

_built: dict[Any, Any] = {}
ninja_build = Operation._create_response_model  # django-ninja's own: one model per use


def _shared(self: Operation, response_param: Any) -> Any:
    try:
        return _built[response_param]
    except KeyError:
        model = _built[response_param] = ninja_build(self, response_param)
        return model
    except TypeError:  # an unhashable response type: ninja's own, one per use
        return ninja_build(self, response_param)


def share_response_models() -> None:
    Operation._create_response_model = _shared  # type: ignore[method-assign]
