"""The pages and every rule set (issue 20), without a browser: the classify form stores a cell
under each installed rule set; the cell page's Reclassify form refuses what it must (no
CSRF token, no key, a read-only key, another lab's key, an unknown rule set) with nothing
stored, and a cell classified under every rule set is served from the shared cache again."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from conftest import only_rulesets_installed
from solidcheck.dossier import load_dossier
from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app, csrf

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

EXAMPLES = Path(__file__).parents[1] / "examples"
NATIONAL, CSAE = "gbt-ssb-1-2026", "csae-434-2025"
TOKEN = re.compile(rf'name="{csrf.FIELD_NAME}" value="([^"]+)"')


class Site:
    def __init__(self, url: str) -> None:
        self.registry = Registry.open(url, create=True)
        self.lab, self.lab_key = self.registry.create_api_key(role="lab", name="lab a",
                                                              actor="test")
        _, self.other_lab_key = self.registry.create_api_key(role="lab", name="lab b",
                                                             actor="test")
        _, self.reader_key = self.registry.create_api_key(role="reader", name="reader",
                                                          actor="test")
        self.client = TestClient(create_app(Settings(rate_limit_per_minute=0),
                                            registry=self.registry))

    def results(self, cell_id: str) -> set[str]:
        return {r.ruleset for r in self.registry.get_cell(cell_id).results}

    def reclassify(self, cell_id: str, **fields: str) -> Any:
        page = self.client.get(f"/cells/{cell_id}")
        token = TOKEN.search(page.text)
        assert token, "the page has no Reclassify form"
        return self.client.post(f"/cells/{cell_id}", data={csrf.FIELD_NAME: token[1],
                                                           **fields},
                                follow_redirects=False)


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    """Lab A's cell EX-HSL-10 stored as if CSAE's rule set were installed only afterwards."""
    made = Site(database_url)
    with only_rulesets_installed(NATIONAL):
        made.registry.submit(load_dossier(EXAMPLES / "semi-solid-marketed.yaml"),
                             actor="test", lab=made.lab.organisation)
    yield made
    made.client.close()
    made.registry.close()


def test_the_classify_form_stores_a_cell_under_every_rule_set(site: Site) -> None:
    page = site.client.get("/classify")
    token = TOKEN.search(page.text)
    assert token
    stored = site.client.post("/classify", data={
        csrf.FIELD_NAME: token[1], "api_key": site.lab_key, "ruleset": CSAE},
        files={"dossier_file": ("cell.yaml", (EXAMPLES / "between-the-limits.yaml")
                                .read_bytes(), "application/yaml")})
    assert stored.status_code == 200, stored.text
    assert site.results("EX-SUL-07") == {NATIONAL, CSAE}


@pytest.mark.parametrize(("fields", "status", "said"), [
    ({"api_key": "", "ruleset": CSAE}, 422, "Enter a lab&#39;s API key"),
    ({"api_key": "sc_000000000000_nonsense", "ruleset": CSAE}, 422, "not accepted"),
    ({"api_key": "reader", "ruleset": CSAE}, 422, "may only read"),
    ({"api_key": "other", "ruleset": CSAE}, 403, "belongs to another lab"),
    ({"api_key": "lab", "ruleset": "csae-434-2099"}, 422, "not installed"),
])
def test_the_reclassify_form_refuses_and_stores_nothing(site: Site, fields: dict[str, str],
                                                        status: int, said: str) -> None:
    keys = {"lab": site.lab_key, "reader": site.reader_key, "other": site.other_lab_key}
    sent = {**fields, "api_key": keys.get(fields["api_key"], fields["api_key"])}
    answer = site.reclassify("EX-HSL-10", **sent)
    assert answer.status_code == status, answer.text
    assert said in answer.text and 'role="alert"' in answer.text
    assert site.results("EX-HSL-10") == {NATIONAL}
    assert site.registry.verify_chain().valid


def test_the_reclassify_form_needs_the_pages_csrf_token(site: Site) -> None:
    forged = site.client.post("/cells/EX-HSL-10", data={"api_key": site.lab_key,
                                                        "ruleset": CSAE})
    assert forged.status_code == 403
    assert site.results("EX-HSL-10") == {NATIONAL}


def test_reclassified_the_page_is_whole_and_cached_again(site: Site) -> None:
    anonymous = TestClient(site.client.app)
    missing = anonymous.get("/cells/EX-HSL-10")
    assert "Not classified under csae-434-2025 yet." in missing.text
    assert "set-cookie" in missing.headers  # the form's token: not the shared page
    done = site.reclassify("EX-HSL-10", api_key=site.lab_key, ruleset=CSAE)
    assert done.status_code == 303
    assert done.headers["location"].endswith("#rulesets")
    assert site.results("EX-HSL-10") == {NATIONAL, CSAE}
    whole = anonymous.get("/cells/EX-HSL-10")
    assert "Not classified under" not in whole.text and "reclassify-form" not in whole.text
    assert "set-cookie" not in whole.headers
    assert anonymous.get("/cells/EX-HSL-10").text == whole.text
    assert site.registry.verify_chain().valid
    anonymous.close()
