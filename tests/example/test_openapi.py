"""The example serves its contract: OpenAPI 3.1 at /api/schema/, Swagger UI at /api/docs/.

The schema is what ``manage.py spectacular --validate --fail-on-warn`` writes for the example
project (clean: no warning, no error), and each netrun piece shows in it: the JWT security
scheme (netrun.auth), the error envelope and problem+json on every 4xx/5xx (netrun.errors),
429 with ``Retry-After`` and ``RateLimit-*`` where a throttle applies (netrun.ratelimit),
``X-Tenant-ID`` and the tenant-scoped permissions (netrun.rbac) and ``X-Correlation-ID``
(netrun.logging). Real error responses of the example are then checked against it, and the
docs page is served with every asset from the host itself.
"""

from __future__ import annotations

import json
import re
import urllib.request
from html.parser import HTMLParser
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.example.test_example_project import _get_when_up, manage, serve

pytestmark = pytest.mark.slow

PASSWORD = "openapi-demo-password-1"
METHODS = ("get", "put", "post", "delete", "patch")
ERROR_MEDIA_TYPES = {
    "application/json": "#/components/schemas/NetrunError",
    "application/problem+json": "#/components/schemas/NetrunProblem",
}
RATELIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    database = tmp_path_factory.mktemp("openapi") / "db.sqlite3"
    # A login rate low enough to meet its 429 in a few requests.
    env = {"DATABASE_URL": f"sqlite:///{database}", "API_RATE_LOGIN": "3/m"}
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", "--member-password", PASSWORD, env=env)
    return env


@pytest.fixture(scope="module")
def generated(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    result = manage(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(path), env=env, check=False,
    )  # fmt: skip
    return result, json.loads(path.read_text()) if path.exists() else None


@pytest.fixture(scope="module")
def schema(generated: Any) -> dict[str, Any]:
    result, document = generated
    assert result.returncode == 0, result.stderr[-3000:]
    assert document is not None
    return document  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_spectacular_validate_fail_on_warn_is_clean(generated: Any) -> None:
    result, document = generated
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr
    assert "Error" not in result.stderr
    assert document["openapi"] == "3.1.0"
    from drf_spectacular.validation import validate_schema

    validate_schema(document)  # the OpenAPI 3.1 JSON Schema, once more in this process
    assert {path for path, _, _ in operations(document)} == {
        "/api/token/",
        "/api/token/refresh/",
        "/api/tickets/",
        "/api/tickets/{id}/",
        "/api/tickets/{id}/comments/",
        "/api/tickets/{id}/summarise/",
    }


def test_the_jwt_authentication_is_a_bearer_security_scheme(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"]["type"] == "http"
    assert schemes["jwtAuth"]["scheme"] == "bearer"
    assert schemes["jwtAuth"]["bearerFormat"] == "JWT"
    for path, method, operation in operations(schema):
        names = {name for requirement in operation.get("security", []) for name in requirement}
        if path.startswith("/api/token/"):  # login and refresh take no token
            assert "jwtAuth" not in names, (path, method)
        else:  # each scheme alone is enough: a list of requirements is their OR
            assert {"jwtAuth": []} in operation["security"], (path, method)


def test_every_error_response_is_the_envelope_or_problem_json(schema: dict[str, Any]) -> None:
    components = schema["components"]
    envelope = components["schemas"]["NetrunError"]
    assert envelope["required"] == ["error"]
    assert envelope["properties"]["error"]["required"] == [
        "code", "message", "details", "correlation_id",
    ]  # fmt: skip
    problem = components["schemas"]["NetrunProblem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])

    statuses = {}
    for path, method, operation in operations(schema):
        errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        statuses[(path, method)] = sorted(errors)
        for status, response in errors.items():
            media = {m: c["schema"]["$ref"] for m, c in response["content"].items()}
            assert media == ERROR_MEDIA_TYPES, (path, method, status)
            assert "X-Correlation-ID" in response["headers"], (path, method, status)
        assert "Retry-After" in errors[429]["headers"]
    # What each view can answer, from its authenticators, permissions, body and path.
    assert statuses[("/api/tickets/", "get")] == [400, 401, 403, 404, 406, 429, 500]
    assert statuses[("/api/tickets/", "post")] == [400, 401, 403, 406, 415, 429, 500]
    assert statuses[("/api/tickets/{id}/", "patch")] == [400, 401, 403, 404, 406, 415, 429, 500]
    # The summary declares its own 429, 502 and 503: they keep their description.
    summarise = schema["paths"]["/api/tickets/{id}/summarise/"]["post"]["responses"]
    assert statuses[("/api/tickets/{id}/summarise/", "post")] == [
        400, 401, 403, 404, 406, 415, 429, 500, 502, 503,
    ]  # fmt: skip
    assert summarise["503"]["description"] == "No LLM provider is available."
    assert summarise["503"]["headers"]["Retry-After"]
    login = schema["paths"]["/api/token/"]["post"]["responses"]
    assert login["401"]["description"] == "Wrong credentials: AUTHENTICATION_ERROR."


def test_throttled_operations_document_429_with_retry_after_and_ratelimit_headers(
    schema: dict[str, Any],
) -> None:
    for path, method, operation in operations(schema):
        for response in operation["responses"].values():
            for name in RATELIMIT_HEADERS:
                assert response["headers"][name] == {"$ref": f"#/components/headers/{name}"}, (
                    path, method,
                )  # fmt: skip
    assert set(RATELIMIT_HEADERS) <= set(schema["components"]["headers"])
    login = schema["paths"]["/api/token/"]["post"]
    assert login["x-netrun-rate-limits"] == [
        {"scope": "login", "limit": 3, "period": 60.0, "key": "ip"}
    ]
    assert "Limits: login 3 per 60 s by ip." in login["responses"]["429"]["description"]
    tickets = schema["paths"]["/api/tickets/"]["get"]
    assert [limit["scope"] for limit in tickets["x-netrun-rate-limits"]] == ["user", "tenant"]


def test_tenant_and_correlation_headers_are_parameters_of_every_operation(
    schema: dict[str, Any],
) -> None:
    for path, method, operation in operations(schema):
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert set(headers) == {"X-Correlation-ID", "X-Tenant-ID"}, (path, method)
        assert not any(header["required"] for header in headers.values())
        # The tenant middleware answers a tenant it refuses with 403, on any operation.
        assert "403" in operation["responses"], (path, method)
    for path, method, operation in operations(schema):
        scoped = operation.get("x-netrun-tenant-scoped", False)
        assert scoped == (not path.startswith("/api/token/")), (path, method)
    summarise = schema["paths"]["/api/tickets/{id}/summarise/"]["post"]
    assert summarise["x-netrun-roles"] == ["admin", "agent"]
    assert summarise["x-netrun-permissions"] == ["helpdesk.summarize_ticket"]
    assert "**Tenant-scoped.**" in summarise["description"]
    assert schema["paths"]["/api/tickets/"]["post"]["x-netrun-permissions"] == [
        "helpdesk.add_ticket"
    ]


# Runs inside the example project: real error answers, as a client meets them.
ERRORS_PROBE = """
import json
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
def answer(response):
    return {"status": response.status_code, "content_type": response["Content-Type"],
            "headers": sorted(response.headers), "body": response.json(),
            "challenge": response.headers.get("WWW-Authenticate")}
out = {
    "anonymous": answer(client.get("/api/tickets/", HTTP_X_CORRELATION_ID="probe-1")),
    "problem": answer(client.get("/api/tickets/", HTTP_ACCEPT="application/problem+json")),
    "foreign_tenant": answer(client.get("/api/tickets/", HTTP_X_TENANT_ID="no-such-tenant")),
    "logins": [
        answer(client.post("/api/token/", {"username": "alice", "password": "wrong"},
                           content_type="application/json"))
        for _ in range(4)
    ],
    "schema": client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json(),
}
print(json.dumps(out))
"""


def _validator(schema: dict[str, Any], ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref, "components": schema["components"]})


def test_real_error_responses_match_the_served_schema(env: dict[str, str]) -> None:
    output = manage("shell", "-c", ERRORS_PROBE, env=env).stdout
    probe = json.loads(output.strip().splitlines()[-1])
    served = probe["schema"]
    assert served["openapi"] == "3.1.0"
    tickets = served["paths"]["/api/tickets/"]["get"]["responses"]
    login = served["paths"]["/api/token/"]["post"]["responses"]
    *_allowed, throttled = probe["logins"]
    answers = [
        (probe["anonymous"], tickets, 401),
        (probe["problem"], tickets, 401),
        (probe["foreign_tenant"], tickets, 403),
        (probe["logins"][0], login, 401),
        (throttled, login, 429),
    ]
    for answer, responses, status in answers:
        assert answer["status"] == status
        media_type = answer["content_type"].split(";")[0]
        ref = responses[str(status)]["content"][media_type]["schema"]["$ref"]
        errors = list(_validator(served, ref).iter_errors(answer["body"]))
        assert errors == [], (status, answer["body"])
        documented = {name.lower() for name in responses[str(status)]["headers"]}
        sent = {name.lower() for name in answer["headers"]}
        # Every required header is sent; RateLimit-* only where a limit was met.
        assert {"x-correlation-id"} <= sent
        if status == 429:
            assert {"retry-after", *(h.lower() for h in RATELIMIT_HEADERS)} <= sent
            assert {"retry-after", *(h.lower() for h in RATELIMIT_HEADERS)} <= documented
        if status == 401:  # RFC 7235: a 401 carries its challenge, and the schema says so
            assert "www-authenticate" in documented
            assert "www-authenticate" in sent
    # The bearer challenge of a request without credentials, and of a wrong password: no
    # token was judged, so it names no error (RFC 6750, section 3.1).
    assert "WWW-Authenticate" in probe["anonymous"]["headers"]
    assert probe["logins"][0]["challenge"] == 'Bearer realm="api"'
    assert probe["anonymous"]["body"]["error"]["correlation_id"] == "probe-1"
    assert probe["problem"]["content_type"] == "application/problem+json"
    assert probe["problem"]["body"]["status"] == 401


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_the_docs_page_loads_every_asset_from_the_host_itself(env: dict[str, str]) -> None:
    with serve(env) as url:
        page = _get_when_up(f"{url}/api/docs/").decode()
        assets = _Assets()
        assets.feed(page)
        assert assets.urls, page[:500]
        for asset in assets.urls:
            assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
            with urllib.request.urlopen(f"{url}{asset}", timeout=10) as response:  # noqa: S310
                assert response.status == 200
                assert len(response.read()) > 100
        # Nothing the page runs names another host, the validator badge included.
        inline = "\n".join(assets.scripts)
        assert re.findall(r"https?://", inline) == []
        assert '"validatorUrl": null' in inline
        assert 'url: "/api/schema/"' in inline or "/api/schema/" in inline
        with urllib.request.urlopen(f"{url}/api/schema/?format=json", timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["openapi"] == "3.1.0"


def test_the_schema_view_is_not_an_operation_of_the_schema(schema: dict[str, Any]) -> None:
    assert not any(path.startswith(("/api/schema", "/api/docs")) for path in schema["paths"])
