"""syllabus.core.ninja_models: one response wrapper model per response type, and the same
OpenAPI document and answers as django-ninja's one model per use."""

from __future__ import annotations

import json

from ninja import NinjaAPI, Router, Schema, Status
from ninja.operation import Operation
from ninja.testing import TestClient

from syllabus.core import ninja_models


class Out(Schema):
    id: int
    title: str


class Problem(Schema):
    detail: str
    code: str


def _api(name: str) -> NinjaAPI:
    router = Router()

    @router.get("/things/{thing_id}", response={200: Out, 404: Problem, 429: Problem})
    def thing(request, thing_id: int):
        if thing_id == 0:
            return Status(404, {"detail": "No such thing.", "code": "not_found"})
        return {"id": thing_id, "title": "A thing", "extra": "dropped"}

    @router.get("/lists", response={200: list[Out], 403: Problem})
    def lists(request):
        return [{"id": 1, "title": "One"}]

    api = NinjaAPI(urls_namespace=name, docs_url=None)
    api.add_router("/", router)
    return api


def _operations(api: NinjaAPI) -> list[Operation]:
    return [
        operation
        for _, router in api._routers
        for view in router.path_operations.values()
        for operation in view.operations
    ]


def test_the_installed_api_shares_its_error_wrappers():
    from syllabus.config.api import api

    assert Operation._create_response_model is ninja_models._shared
    pairs = [model for op in _operations(api) for model in op.response_models.values()]
    assert len(pairs) > 500
    assert len(set(map(id, pairs))) < len(pairs) / 3  # hundreds of pairs, few models


def test_same_schema_and_answers_as_one_model_per_use(monkeypatch):
    shared = _api("shared-models")
    operations = _operations(shared)
    thing = next(op for op in operations if op.view_func.__name__ == "thing")
    assert thing.response_models[404] is thing.response_models[429]

    monkeypatch.setattr(Operation, "_create_response_model", ninja_models.ninja_build)
    own = _api("own-models")
    own_thing = next(op for op in _operations(own) if op.view_func.__name__ == "thing")
    assert own_thing.response_models[404] is not own_thing.response_models[429]

    assert json.dumps(
        shared.get_openapi_schema(path_prefix="/api/"), sort_keys=True, default=str
    ) == json.dumps(own.get_openapi_schema(path_prefix="/api/"), sort_keys=True, default=str)
    for api in (shared, own):
        client = TestClient(api)
        found, missing = client.get("/things/7"), client.get("/things/0")
        assert (found.status_code, found.json()) == (200, {"id": 7, "title": "A thing"})
        assert (missing.status_code, missing.json()) == (
            404,
            {"detail": "No such thing.", "code": "not_found"},
        )


def test_no_response_type_stays_none():
    assert ninja_models._shared(None, None) is None


def test_an_unhashable_response_type_gets_a_model_of_its_own(monkeypatch):
    monkeypatch.setattr(ninja_models, "ninja_build", lambda self, response: object())
    first = ninja_models._shared(None, [Out])
    assert first is not ninja_models._shared(None, [Out])
