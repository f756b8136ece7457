"""The rule set an API request names (issue 20), on SQLite and PostgreSQL: a dossier is
stored under every installed rule set; a `ruleset` in the body is honoured as the query's
is, and an unknown one — in the body or the query — or two that disagree is a 422 naming
the installed ids, with nothing stored."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.exceptions import StarletteDeprecationWarning

from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"
#: hybrid under the national rule set, solid-state under CSAE's
BETWEEN = yaml.safe_load((EXAMPLES / "between-the-limits.yaml").read_text("utf-8"))


@pytest.fixture
def api(database_url: str) -> Iterator[tuple[TestClient, Registry, dict[str, str]]]:
    registry = Registry.open(database_url, create=True)
    _, secret = registry.create_api_key(role="lab", name="test lab", actor="test")
    client = TestClient(create_app(Settings(rate_limit_per_minute=0), registry=registry))
    yield client, registry, {"Authorization": f"Bearer {secret}"}
    client.close()
    registry.close()


def _post_dossier(client: TestClient, key: dict[str, str], data: dict[str, Any], *,
                  query: str = "", path: str = "/v1/cells") -> Any:
    return client.post(f"{path}{query}", content=json.dumps(data),
                       headers={"Content-Type": "application/json", **key})


def _refused(response: Any, *, naming: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert naming in body["message"] and "Traceback" not in response.text
    assert [p["path"] for p in body["problems"]] == ["ruleset"]


def test_a_stored_dossier_comes_back_under_every_rule_set(api: Any) -> None:
    client, _, key = api
    stored = _post_dossier(client, key, BETWEEN)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert body["result"]["ruleset"] == NATIONAL
    assert [(r["ruleset"], r["result"]["category"]) for r in body["other_rulesets"]] == [
        (CSAE, "solid_state")]
    listed = client.get("/v1/cells", params={"ruleset": CSAE}).json()
    assert [(c["id"], c["category"]) for c in listed["items"]] == [("EX-SUL-07", "solid_state")]


def test_a_ruleset_in_the_dossier_body_is_honoured_and_not_stored(api: Any) -> None:
    client, registry, key = api
    stored = _post_dossier(client, key, {**BETWEEN, "ruleset": CSAE})
    assert stored.status_code == 201, stored.text
    assert stored.json()["result"]["ruleset"] == CSAE
    assert stored.json()["result"]["result"]["category"] == "solid_state"
    assert "ruleset" not in registry.get_cell("EX-SUL-07").versions[0].dossier.model_dump()
    same = _post_dossier(client, key, BETWEEN)  # the same dossier: no new version
    assert same.status_code == 200 and not same.json()["new_version"]
    classified = client.post("/v1/classify", content=yaml.safe_dump({**BETWEEN,
                                                                     "ruleset": CSAE}),
                             headers={"Content-Type": "application/yaml"})
    assert classified.status_code == 200, classified.text
    assert classified.json()["ruleset"] == CSAE


def test_an_unknown_or_contradicted_ruleset_is_a_422_and_nothing_is_stored(api: Any) -> None:
    client, registry, key = api
    _refused(_post_dossier(client, key, {**BETWEEN, "ruleset": "csae-434-2099"}),
             naming=f"use one of: {NATIONAL}, {CSAE}")
    _refused(_post_dossier(client, key, BETWEEN, query="?ruleset=csae-434-2099"),
             naming="csae-434-2099")
    _refused(_post_dossier(client, key, {**BETWEEN, "ruleset": CSAE},
                           query=f"?ruleset={NATIONAL}"), naming=f"the body '{CSAE}'")
    _refused(_post_dossier(client, key, {**BETWEEN, "ruleset": 7}), naming="not a rule-set id")
    _refused(_post_dossier(client, key, {**BETWEEN, "ruleset": "x"}, path="/v1/classify"),
             naming="unknown rule set 'x'")
    assert registry.list_cells().total == 0
    assert client.get("/v1/cells", params={"ruleset": "x"}).status_code == 422


def test_reclassify_takes_the_ruleset_from_its_body(api: Any) -> None:
    client, registry, key = api
    assert _post_dossier(client, key, BETWEEN).status_code == 201
    url = "/v1/cells/EX-SUL-07/reclassify"
    by_body = client.post(url, json={"ruleset": CSAE}, headers=key)
    assert by_body.status_code == 200, by_body.text
    assert by_body.json()["ruleset"] == CSAE  # the stored one: classified on submit
    assert by_body.json()["id"] in {r.id for r in registry.get_cell("EX-SUL-07").results}
    _refused(client.post(url, json={"ruleset": "nope"}, headers=key), naming="nope")
    _refused(client.post(url, json={"ruleset": None}, headers=key), naming="null")
    _refused(client.post(f"{url}?ruleset={NATIONAL}", json={"ruleset": CSAE}, headers=key),
             naming="the query names")
    extra = client.post(url, json={"ruleset": CSAE, "publish": False}, headers=key)
    assert extra.status_code == 422 and extra.json()["problems"][0]["path"] == "publish"
    not_json = client.post(url, content=b"ruleset=x", headers={
        **key, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 415
    assert client.post(url, headers=key).json()["ruleset"] == NATIONAL  # no body: default
