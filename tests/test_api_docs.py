"""The OpenAPI document describes every route: docstring, auth, parameters, body and responses
(``nura_appliance/api_docs.py``). A route added without a docstring fails here."""

from __future__ import annotations

import re

from conftest import initialised_copy, make_settings, serving
from sanic import json as json_response

from nura_appliance.api_docs import check_documented
from nura_appliance.app import create_app
from nura_appliance.auth.access import ADMIN, access


async def test_every_route_is_documented(client, app):
    document = (await client.get("/docs/openapi.json")).json()
    problems = check_documented(document)
    assert not problems, "\n".join(problems)
    documented = {
        (re.sub(r"{[^}]+}", "{}", p).rstrip("/"), m.upper())
        for p, item in document["paths"].items()
        for m in item
        if not p.startswith("/docs")
    }
    routes = {
        (re.sub(r"<[^>]+>", "{}", "/" + route.path).rstrip("/"), method)
        for route in app.router.routes
        if not route.path.startswith("docs")
        for method in route.methods - {"HEAD", "OPTIONS"}
    }
    assert len(routes) >= 100 and routes - documented == set(), sorted(routes - documented)
    login = document["paths"]["/v1/auth/login"]["post"]
    assert "requestBody" in login and "422" in login["responses"] and not login.get("security")
    queue = document["paths"]["/v1/queue"]["get"]
    assert queue["security"] == [{"bearer": []}] and "401" in queue["responses"]
    listing = document["paths"]["/v1/sessions/list"]["get"]
    assert {"status", "q", "limit", "offset"} <= {p["name"] for p in listing["parameters"]}
    upload = document["paths"]["/v1/knowledge/upload"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["sessionToken"]["name"] == "X-Session-Token" and schemes["bearer"]["scheme"].lower() == "bearer"


async def test_an_undocumented_route_is_reported(data_dir):
    app = create_app(make_settings(initialised_copy(data_dir)))

    @app.get("/v1/undocumented-probe")
    @access(ADMIN)
    async def probe(request):  # no docstring on purpose
        return json_response({})

    async with serving(app) as client:
        problems = check_documented((await client.get("/docs/openapi.json")).json())
    assert problems == ["GET /v1/undocumented-probe: missing a docstring"], problems
