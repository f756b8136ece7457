"""The read caches (web/cache.py) as readers meet them: a cell's JSON and page show a new
version or result as soon as it is stored, nobody is shown another reader's view, every cache
stays within its bounds, and a report of the same content is rendered once."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

import solidcheck.web.reports
from solidcheck.registry import Registry
from solidcheck.registry.store import every_ruleset
from solidcheck.rules import load_ruleset
from solidcheck.web import Settings, cache, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
SULFIDE = EXAMPLES / "sulfide-high-energy.yaml"  # EX-SUL-HE-01, solid-state
CELL = "EX-SUL-HE-01"
JSON = {"Content-Type": "application/json"}


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    registry: Registry
    keys: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def submit(self, dossier: dict[str, Any], who: str = "lab_a", query: str = "") -> Any:
        response = self.client.post(f"/v1/cells{query}", content=json.dumps(dossier),
                                    headers={**JSON, **self.auth(who)})
        assert response.status_code in (200, 201), response.text
        return response.json()

    def cell_json(self, who: str | None = None) -> Any:
        response = self.client.get(f"/v1/cells/{CELL}",
                                   headers=self.auth(who) if who else {})
        assert response.status_code == 200, response.text
        return response.json()

    def page(self, query: str = "") -> str:
        response = self.client.get(f"/cells/{CELL}{query}")
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(url: str | None = None, **settings: Any) -> Service:
        registry = Registry.open(url or f"sqlite:///{tmp_path / 'cache.sqlite3'}", create=True)
        keys = {"admin": registry.create_api_key(role="admin", name="admin", actor="test")[1],
                "lab_a": registry.create_api_key(role="lab", name="Lab A", actor="test")[1],
                "lab_b": registry.create_api_key(role="lab", name="Lab B", actor="test")[1]}
        app = create_app(Settings(**{"rate_limit_per_minute": 0, **settings}),
                         registry=registry)
        service = Service(app, TestClient(app), registry, keys)
        started.append(service)
        return service

    yield start
    for service in started:
        service.client.close()
        service.registry.close()


@pytest.fixture
def service(start_service: Callable[..., Service], database_url: str) -> Service:
    return start_service(database_url)


@pytest.fixture
def local(start_service: Callable[..., Service]) -> Service:
    return start_service()


def sulfide(**changes: Any) -> dict[str, Any]:
    dossier: dict[str, Any] = yaml.safe_load(SULFIDE.read_text("utf-8"))
    dossier.update(changes)
    return dossier


def stats(service: Service, name: str) -> cache.CacheStats:
    caches = cache.caches_of(service.registry)
    found: cache.BoundedCache[Any] = getattr(caches, name)
    return found.stats()


# --------------------------------------------------------------------- fresh after a write


def test_a_cached_cell_shows_a_new_version_and_result_at_once(
        service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    service.submit(sulfide())
    first = service.cell_json()
    assert service.cell_json() == first
    assert stats(service, "cell_json").hits >= 1  # the second read was served from the cache
    assert first == json.loads(service.registry.get_cell(CELL, published_only=True)
                               .model_dump_json())  # what the uncached route would send

    # version 2 as if stored before the CSAE rule set was installed: reclassifying adds one
    monkeypatch.setattr(every_ruleset, "available_rulesets",
                        lambda: [load_ruleset("gbt-ssb-1-2026")])
    service.submit(sulfide(model="S-200"))
    monkeypatch.undo()
    second = service.cell_json()
    assert second["latest_version"] == 2 and second["model"] == "S-200"
    assert [v["version"] for v in second["versions"]] == [2, 1]

    reclassified = service.client.post(f"/v1/cells/{CELL}/reclassify",
                                       params={"ruleset": "csae-434-2025"},
                                       headers=service.auth("lab_a"))
    assert reclassified.status_code == 200, reclassified.text
    third = service.cell_json()
    assert reclassified.json()["id"] in {r["id"] for r in third["results"]}
    assert len(third["results"]) == len(second["results"]) + 1


def test_a_cached_page_shows_a_new_version_at_once(local: Service) -> None:
    local.submit(sulfide())
    first = local.page()
    assert "S-100" in first
    assert local.page() == first
    assert stats(local, "cell_page").hits >= 1
    local.submit(sulfide(model="S-200"))
    assert "S-200" in local.page()
    # each language and each query is its own page
    chinese = local.page("?lang=zh")
    assert 'lang="zh-CN"' in chinese and chinese != local.page("?lang=en")


def test_an_unknown_cell_is_still_404(local: Service) -> None:
    assert local.client.get("/v1/cells/NO-SUCH").status_code == 404
    assert local.client.get("/cells/NO-SUCH").status_code == 404
    assert stats(local, "cell_json").entries == 0 and stats(local, "cell_page").entries == 0


# --------------------------------------------------------------------- one view per reader


def test_nobody_is_served_a_view_a_lab_key_warmed(service: Service) -> None:
    published = service.submit(sulfide())["result"]["id"]
    hidden = service.submit(sulfide(model="S-200"), query="?publish=false")["result"]["id"]

    # the owning lab warms the cache with its view, unpublished version included
    for _ in range(2):
        own = service.cell_json("lab_a")
        assert {published, hidden} <= {r["id"] for r in own["results"]}
        assert own["latest_version"] == 2

    for who in (None, "lab_b"):
        for _ in range(2):
            seen = service.cell_json(who)
            ids = {r["id"] for r in seen["results"]}
            assert published in ids and hidden not in ids, who
            assert [v["version"] for v in seen["versions"]] == [1], who
    for _ in range(2):
        page = service.page()
        assert published in page and hidden not in page
    # the report of the hidden result: rendered for its lab, never served to others
    url = f"/v1/results/{hidden}"
    assert service.client.get(url, params={"format": "html"},
                              headers=service.auth("lab_a")).status_code == 200
    assert service.client.get(url, params={"format": "html"}).status_code == 404
    assert service.client.get(url, params={"format": "html"},
                              headers=service.auth("lab_b")).status_code == 404
    # and an admin sees everything, even after anonymous readers warmed their view
    assert hidden in {r["id"] for r in service.cell_json("admin")["results"]}


def test_an_anonymous_view_is_not_shown_to_the_lab_either(local: Service) -> None:
    local.submit(sulfide())
    hidden = local.submit(sulfide(model="S-200"), query="?publish=false")["result"]["id"]
    assert hidden not in {r["id"] for r in local.cell_json()["results"]}
    assert hidden in {r["id"] for r in local.cell_json("lab_a")["results"]}


def test_a_page_asked_with_a_key_or_a_session_cookie_is_not_cached(local: Service) -> None:
    local.submit(sulfide())
    local.client.get(f"/cells/{CELL}", headers=local.auth("lab_a"))
    local.client.cookies.set("session", "x")
    local.client.get(f"/cells/{CELL}")
    assert stats(local, "cell_page").entries == 0
    local.client.cookies.clear()
    local.page()
    assert stats(local, "cell_page").entries == 1


def test_a_page_asked_with_an_unknown_query_is_drawn_not_cached(local: Service) -> None:
    local.submit(sulfide())
    for number in range(5):
        assert "S-100" in local.client.get(f"/cells/{CELL}", params={"x": number}).text
    assert stats(local, "cell_page").entries == 0


def test_a_private_registry_page_is_never_served_from_a_public_ones_cache(
        start_service: Callable[..., Service]) -> None:
    public = start_service()
    public.submit(sulfide())
    public.page()
    private = create_app(Settings(rate_limit_per_minute=0, public_reads=False),
                         registry=public.registry)
    with TestClient(private) as client:
        assert client.get(f"/cells/{CELL}").status_code == 403
        assert client.get(f"/v1/cells/{CELL}").status_code == 401


# --------------------------------------------------------------------- bounds


def test_a_bounded_cache_keeps_its_bounds_and_the_most_recent() -> None:
    bounded: cache.BoundedCache[bytes] = cache.BoundedCache(max_entries=3, max_bytes=100)
    for number in range(10):
        bounded.put(number, b"x" * 30, 30)
        now = bounded.stats()
        assert now.entries <= 3 and now.bytes <= 100
    assert bounded.get(9) == b"x" * 30 and bounded.get(0) is None
    bounded.get(7)  # used: kept over 8
    bounded.put("big", b"y" * 60, 60)
    assert bounded.get(7) is not None and bounded.get(8) is None
    assert bounded.stats().bytes <= 100
    bounded.put("huge", b"z" * 101, 101)  # larger than the whole cache: not kept
    assert bounded.get("huge") is None and bounded.stats().bytes <= 100


def test_the_services_caches_stay_within_their_bounds(
        start_service: Callable[..., Service], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "CELL_JSON_LIMITS", (3, 1_000_000))
    monkeypatch.setattr(cache, "CELL_PAGE_LIMITS", (10, 40_000))
    monkeypatch.setattr(cache, "_REPORTS", cache.BoundedCache(2, 10_000_000))
    service = start_service()
    ids = [f"EX-BOUND-{n}" for n in range(6)]
    results = [service.submit(sulfide(id=cell_id))["result"]["id"] for cell_id in ids]
    for _ in range(2):
        for cell_id in ids:
            assert service.client.get(f"/v1/cells/{cell_id}").json()["id"] == cell_id
            assert cell_id in service.client.get(f"/cells/{cell_id}").text
        for result_id in results:
            report = service.client.get(f"/v1/results/{result_id}", params={"format": "html"})
            assert report.status_code == 200 and result_id in report.headers[
                "Content-Disposition"]
    for name in ("cell_json", "cell_page"):
        now = stats(service, name)
        assert now.entries <= now.max_entries and now.bytes <= now.max_bytes, name
        assert now.evictions > 0, name
    reports = cache.report_cache().stats()
    assert reports.entries <= 2 and reports.evictions > 0


# --------------------------------------------------------------------- reports


def test_a_pdf_report_is_rendered_once_and_the_same_bytes_after(
        local: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_REPORTS", cache.BoundedCache(*cache.REPORT_LIMITS))
    renders: list[str] = []
    real_pdf = solidcheck.web.reports.render_pdf

    def counted_pdf(html: str) -> bytes:
        renders.append("pdf")
        return real_pdf(html)

    monkeypatch.setattr(solidcheck.web.reports, "render_pdf", counted_pdf)
    result_id = local.submit(sulfide())["result"]["id"]
    url = f"/v1/results/{result_id}"
    first = local.client.get(url, params={"format": "pdf"})
    second = local.client.get(url, params={"format": "pdf"})
    assert first.status_code == second.status_code == 200
    assert first.content.startswith(b"%PDF") and first.content == second.content
    assert renders == ["pdf"]
    # another language is another report; a certificate or evidence added would be too
    chinese = local.client.get(url, params={"format": "pdf", "lang": "zh"})
    assert chinese.status_code == 200 and chinese.content != first.content
    assert renders == ["pdf", "pdf"]


def test_a_report_key_changes_with_every_input() -> None:
    base = cache.report_key("report", "0.1.0", "pdf", "en", "r1", "a" * 64,
                            evidence=[("log.csv", "b" * 64)])
    assert base == cache.report_key("report", "0.1.0", "pdf", "en", "r1", "a" * 64,
                                    evidence=[("log.csv", "b" * 64)])
    others = {cache.report_key("report", "0.1.0", "html", "en", "r1", "a" * 64,
                               evidence=[("log.csv", "b" * 64)]),
              cache.report_key("report", "0.1.0", "pdf", "zh", "r1", "a" * 64,
                               evidence=[("log.csv", "b" * 64)]),
              cache.report_key("report", "0.1.0", "pdf", "en", "r1", "a" * 64),
              cache.report_key("report", "0.1.0", "pdf", "en", "r1", "a" * 64,
                               evidence=[("log.csv", "c" * 64)]),
              cache.report_key("report", "0.1.0", "pdf", "en", "r1", "a" * 63 + "b",
                               evidence=[("log.csv", "b" * 64)]),
              cache.report_key("report", "0.1.0", "pdf", "enr1", "", "a" * 64,
                               evidence=[("log.csv", "b" * 64)])}
    assert base not in others and len(others) == 6
