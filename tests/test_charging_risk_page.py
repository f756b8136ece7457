"""Issue 18, the ports at risk on the monitoring page and at GET /v1/charging/risk: a model
trained here on a small synthetic network, its frames logged where the endpoint logs them, the
app scoring them in a worker thread at start (SOLIDCHECK_RISK_MODEL); and what the page says
without a model, with a broken one, and without scikit-learn."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from risk_network import Network, build
from solidcheck.i18n import message
from solidcheck.readers.contract import without_module
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SHOWN = 4


@dataclass
class Site:
    client: TestClient
    app: Any
    key: dict[str, str]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build(tmp_path_factory.mktemp("risk-page"))


def _site(folder: Path, network: Network, **settings: Any) -> Iterator[Site]:
    with Registry.open(f"sqlite:///{folder / 'registry.sqlite3'}", create=True) as registry:
        for station in network.stations:
            registry.add_station(station, actor="test")
        key = registry.create_api_key(role="reader", name="reader", actor="test")[1]
        app = create_app(Settings(database_url=registry.url, ocpp_log_dir=network.frames,
                                  rate_limit_per_minute=0, **settings), registry=registry)
        with TestClient(app) as client:
            client.portal.call(app.state.risk.settled)  # type: ignore[union-attr]
            yield Site(client, app, {"Authorization": f"Bearer {key}"})


@pytest.fixture(scope="module")
def site(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("site"), network, risk_model=network.model,
                     risk_ports_shown=SHOWN)


def _section(page: str) -> str:
    found = re.search(r'<section aria-labelledby="risk-h" class="risk">(.*?)</section>', page,
                      re.S)
    assert found, "no ports-at-risk section"
    return found.group(1)


def test_the_api_lists_the_top_ports_with_drivers_and_the_models_card(
        site: Site, network: Network) -> None:
    assert site.client.get("/v1/charging/risk").status_code == 401  # a reader's key is enough
    answer = site.client.get("/v1/charging/risk", headers=site.key).json()
    assert answer["status"] == "ready" and answer["problems"] == []
    listing, model = answer["listing"], answer["model"]
    ports = listing["ports"]
    assert len(ports) == SHOWN and answer["ports_scored"] > SHOWN
    scores = [p["score"] for p in ports]
    assert scores == sorted(scores, reverse=True)
    assert {p["station_id"] for p in ports} <= set(network.stations)
    assert all(p["drivers"] and p["score_kind"] == "probability" for p in ports)
    last_logged = max(p.name for p in network.frames.iterdir())
    assert listing["day"] == last_logged[len("ocpp-frames-"):-len(".jsonl")]
    assert model["horizon"] == listing["horizon"] == "7d"
    assert model["training_window"] == listing["training_window"]
    assert model["model_sha256"] and datetime.fromisoformat(answer["scored_at"]).tzinfo
    station = ports[0]["station_id"]
    own = site.client.get(f"/v1/charging/risk?station={station}", headers=site.key).json()
    assert own["listing"]["ports"] and all(
        p["station_id"] == station for p in own["listing"]["ports"])


def test_the_page_lists_the_ports_at_risk_linked_to_their_stations(site: Site) -> None:
    listing = site.client.get("/v1/charging/risk", headers=site.key).json()["listing"]
    section = _section(site.client.get("/charging").text)
    rows = re.findall(r'<tr data-risk-port="([^"]+)">(.*?)</tr>', section, re.S)
    assert [port for port, _ in rows] == [p["port_id"] for p in listing["ports"]]
    top = listing["ports"][0]
    assert f'href="/charging/stations/{top["station_id"]}"' in rows[0][1]
    assert f'{100 * top["score"]:.1f} %' in rows[0][1] and "probability" in rows[0][1]
    for driver in top["drivers"]:
        text = message(f"charging.risk.feature.{driver['feature']}", {}, "en")
        assert text.replace("'", "&#39;") in rows[0][1]
    assert "failures within 7 days" in section and listing["day"] in section
    assert "crew" in section and "after each UTC midnight" in section


def test_a_station_page_shows_its_own_ports_risk(site: Site) -> None:
    listing = site.client.get("/v1/charging/risk", headers=site.key).json()
    station = listing["listing"]["ports"][0]["station_id"]
    section = _section(site.client.get(f"/charging/stations/{station}").text)
    ports = re.findall(r'<tr data-risk-port="([^"]+)">', section)
    assert ports and all(p.startswith(f"{station}:") for p in ports)
    assert f"1 of {listing['ports_scored']}" in section


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_the_section_in_chinese(site: Site, lang: str) -> None:
    from language_scan import english_words, visible_text

    section = _section(site.client.get(f"/charging?lang={lang}").text)
    assert "故障风险端口" in section or "故障風險端口" in section
    found = english_words(visible_text(f"<div>{section}</div>"),
                          ("charging", "risk", "evaluate", "UTC"))
    assert not found, sorted(found)


def test_without_a_model_the_page_says_how_to_enable_it(
        network: Network, tmp_path: Path) -> None:
    for site in _site(tmp_path, network):
        section = _section(site.client.get("/charging").text)
        assert "solidcheck charging risk train" in section and "SOLIDCHECK_RISK_MODEL" in section
        assert "<table" not in section
        answer = site.client.get("/v1/charging/risk", headers=site.key).json()
        assert answer["status"] == "off" and answer["listing"] is None


def test_a_model_that_cannot_be_loaded_is_explained_not_a_500(
        network: Network, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.joblib").write_bytes((network.model / "model.joblib").read_bytes()[:100])
    (broken / "card.json").write_text((network.model / "card.json").read_text("utf-8"))
    for site in _site(tmp_path, network, risk_model=broken):
        page = site.client.get("/charging")
        assert page.status_code == 200
        section = _section(page.text)
        assert "cannot be used" in section and "sha256" in section
        assert "train the model again" in section
        answer = site.client.get("/v1/charging/risk", headers=site.key).json()
        assert answer["status"] == "error" and answer["problems"][0]["fix"]
        with without_module("sklearn"):
            site.client.portal.call(site.app.state.risk.refresh)  # type: ignore[union-attr]
        section = _section(site.client.get("/charging?lang=zh").text)
        assert "scikit-learn" in section and "pip install &#39;solidcheck[risk]&#39;" in section


def test_the_scorer_scores_again_after_midnight_and_reads_only_the_last_days(
        network: Network) -> None:
    from datetime import timedelta, timezone

    from solidcheck.charging.risk.logs import day_files
    from solidcheck.web.live.risk import AFTER_MIDNIGHT_S, seconds_to_next_scoring

    evening = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    assert seconds_to_next_scoring(evening) == 3600 + AFTER_MIDNIGHT_S
    beijing = evening.astimezone(timezone(timedelta(hours=8)))  # 07:00 on 2 June there
    assert seconds_to_next_scoring(beijing) == 3600 + AFTER_MIDNIGHT_S
    assert seconds_to_next_scoring(datetime(2026, 6, 2, tzinfo=UTC)) == 86400 + AFTER_MIDNIGHT_S

    files = day_files(network.frames, today=datetime.now(UTC).date(), history_days=7)
    assert len(files) == 7 and files[-1][1].name == max(p.name for p in network.frames.iterdir())
    first = day_files(network.frames, today=files[0][0], history_days=7)
    assert [day for day, _ in first][-1] == files[0][0]  # no file after "today" is read


def test_logs_above_the_memory_bound_are_explained_not_read(
        network: Network, tmp_path: Path) -> None:
    """The logs are scored in memory: above SOLIDCHECK_RISK_MAX_LOG_MB the server reads none
    and says how to score offline instead."""
    for site in _site(tmp_path, network, risk_model=network.model, risk_max_log_mb=1):
        answer = site.client.get("/v1/charging/risk", headers=site.key).json()
        assert answer["status"] == "error"
        problem = answer["problems"][0]
        assert "SOLIDCHECK_RISK_MAX_LOG_MB" in problem["fix"]
        assert "--engine partitioned" in problem["fix"]
        assert "SOLIDCHECK_RISK_MAX_LOG_MB" in _section(site.client.get("/charging").text)


def _chinese_section(site: Site, lang: str = "zh") -> str:
    """The section of the Chinese page, with no English word outside code."""
    from language_scan import english_words, visible_text

    section = _section(site.client.get(f"/charging?lang={lang}").text)
    found = english_words(visible_text(f"<div>{section}</div>"), ("scikit-learn", "sha256"))
    assert not found, sorted(found)
    return section


def _broken_model(network: Network, folder: Path, *, without: str = "") -> Path:
    broken = folder / "broken"
    broken.mkdir(parents=True)
    for name in ("model.joblib", "card.json"):
        if name != without:
            (broken / name).write_bytes((network.model / name).read_bytes()[:100]
                                        if name == "model.joblib" else
                                        (network.model / name).read_bytes())
    return broken


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_every_problem_of_the_model_in_chinese(network: Network, tmp_path: Path,
                                               lang: str) -> None:
    for site in _site(tmp_path, network):  # no model: the setting is off
        assert "SOLIDCHECK_RISK_MODEL" in _chinese_section(site, lang)
    for site in _site(tmp_path / "a", network, risk_model=_broken_model(network, tmp_path)):
        section = _chinese_section(site, lang)
        assert "sha256" in section and "<span lang=\"en\">" not in section
        assert message("charging.risk.problem.sha256_differs.fix", None, lang) in section
        with without_module("sklearn"):
            site.client.portal.call(site.app.state.risk.refresh)  # type: ignore[union-attr]
        assert "scikit-learn" in _chinese_section(site, lang)
    for site in _site(tmp_path / "b", network,
                      risk_model=_broken_model(network, tmp_path / "b", without="card.json")):
        section = _chinese_section(site, lang)
        assert "<code>card.json</code>" in section
    for site in _site(tmp_path / "c", network, risk_model=network.model, risk_max_log_mb=1):
        section = _chinese_section(site, lang)
        assert "<code>SOLIDCHECK_RISK_MAX_LOG_MB</code>" in section and "MB" in section
        assert "--engine partitioned" in section


def test_an_unloadable_model_says_the_librarys_words_as_they_are(
        network: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure the code does not foresee is still said in the page's language, the
    library's own words quoted in code."""
    import solidcheck.charging.risk.store as store

    def unpickled(folder: Path) -> Any:
        raise ValueError("unpickling stack underflow")

    for site in _site(tmp_path, network, risk_model=network.model):
        monkeypatch.setattr(store, "load", unpickled)
        site.client.portal.call(site.app.state.risk.refresh)  # type: ignore[union-attr]
        section = _chinese_section(site)
        assert "<code>unpickling stack underflow</code>" in section
        said = message("charging.risk.problem.unusable", {"detail": "·"}, "zh")
        assert said.split("：")[0] in section
