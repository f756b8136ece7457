"""The public surface: `solidcheck.__all__` is exactly the expected set, every name resolves
and is listed by `dir()`, and `import solidcheck` stays cheap (the names load on first use)."""

from __future__ import annotations

import json
import subprocess
import sys

import solidcheck

EXPECTED = {
    "__version__",
    # the decision and its inputs
    "classify", "Dossier", "Evidence", "Finding", "Result", "load_dossier", "parse_dossier",
    "dossier_from_mapping", "Ruleset", "available_rulesets", "load_ruleset",
    "CodeFields", "decode_code", "encode_code",
    "category_terms", "lookup_term", "vocabulary_to_skos",
    # evidence, certificates, audit, reports, batch, registry
    "read_evidence", "build_dossier", "certify", "verify", "audit", "extract_text",
    "render_html", "classify_table", "classify_file", "Registry",
    # errors
    "SolidcheckError", "InvalidInputError", "DossierError", "RulesetError", "CodeError",
    "EvidenceError", "CertificateError", "TextExtractionError", "UnknownRulesetError",
    "MissingDependencyError", "Problem",
}

#: what `import solidcheck` must not import
HEAVY = ("matplotlib", "polars", "pyarrow.dataset", "fastapi", "sqlalchemy", "weasyprint")


def test_all_is_the_expected_set() -> None:
    assert set(solidcheck.__all__) == EXPECTED
    assert len(solidcheck.__all__) == len(EXPECTED)


def test_every_exported_name_resolves_and_is_listed() -> None:
    listed = dir(solidcheck)
    for name in solidcheck.__all__:
        assert getattr(solidcheck, name) is not None, name
        assert name in listed, name


def test_names_are_the_defining_modules_own() -> None:
    from solidcheck.batch.run import classify_file
    from solidcheck.certificates import verify
    from solidcheck.classify import classify
    from solidcheck.registry import Registry

    assert solidcheck.classify is classify  # not the submodule of the same name
    assert solidcheck.verify is verify
    assert solidcheck.Registry is Registry
    assert solidcheck.classify_file is classify_file


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        solidcheck.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_import_solidcheck_imports_nothing_heavy() -> None:
    done = subprocess.run([sys.executable, "-c", "import json, sys, solidcheck\n"
                           "print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert [m for m in loaded if m.startswith(HEAVY)] == []
    # the version and the lazy look-up only: not even the dossier model
    assert [m for m in loaded if m.startswith("solidcheck")] == [
        "solidcheck", "solidcheck._lazy", "solidcheck._version"]
    assert "pydantic" not in loaded


#: the subpackages docs import from, with what each must not load just by being imported
SUBPACKAGES = {
    "solidcheck.batch": ("polars", "dask", "distributed", "matplotlib"),
    "solidcheck.report": ("matplotlib", "weasyprint", "jinja2"),
    "solidcheck.readers": ("matplotlib", "polars"),
    "solidcheck.charging": ("ocpp", "polars", "matplotlib", "pyarrow.parquet"),
}


def test_subpackage_surfaces_resolve_and_load_their_engines_on_use() -> None:
    for package, heavy in SUBPACKAGES.items():
        done = subprocess.run(
            [sys.executable, "-c", f"import json, sys, {package} as p\n"
             "before = sorted(sys.modules)\n"
             "[getattr(p, name) for name in p.__all__]\n"
             "print(json.dumps([before, sorted(p.__all__), dir(p)]))"],
            capture_output=True, text=True, check=True)
        before, public, listed = json.loads(done.stdout)
        assert [m for m in before if m.startswith(heavy)] == [], package
        assert set(public) <= set(listed), package


def test_docs_import_only_public_surfaces() -> None:
    """Docs teach `from solidcheck import …` or a subpackage's `__init__`, never a module
    whose layout may change."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    pages = [*root.glob("docs/**/*.md"), *root.glob("docs/**/*.py"), root / "README.md"]
    allowed = {"solidcheck", *SUBPACKAGES, "solidcheck.certificates", "solidcheck.registry",
               "solidcheck.claims"}
    found = [f"{page.relative_to(root)}: {module}" for page in pages
             for module in re.findall(r"^\s*from (solidcheck[\w.]*) import", page.read_text(
                 encoding="utf-8"), flags=re.M)
             if module not in allowed]
    assert found == [], "import from solidcheck or a subpackage's __init__ instead:\n" + \
        "\n".join(found)
