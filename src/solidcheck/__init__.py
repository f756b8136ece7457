"""solidcheck: the reference implementation of China's solid-state battery classification.

>>> from solidcheck import classify, parse_dossier
>>> dossier = parse_dossier('''
... id: DEMO-1
... electrolyte: {phases: [solid], solid_type: sulfide}
... conducting_ion: lithium
... application: high_energy
... weight_loss_test:
...   temperature_c: 120
...   duration_h: 6
...   pressure_pa: 50
...   visible_liquid: false
...   specimens: [{mass_before_g: 50.0, mass_after_g: 49.9}]
... ''')
>>> result = classify(dossier)
>>> result.category, result.weight_loss.percent, result.code
('solid_state', 0.2, 'SCP1-SSB-SUL-LI-HE/gbt-ssb-1-2026')

Every name below is imported on first use (PEP 562), so ``import solidcheck`` costs the
version only and a program pays for the parts it uses.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .batch.run import classify_file
    from .batch.vector import classify_table
    from .build import build_dossier
    from .certificates import certify, verify
    from .claims.audit import audit
    from .claims.extract import extract_text
    from .classify import classify
    from .code import CodeFields, decode_code, encode_code
    from .dossier import dossier_from_mapping, load_dossier, parse_dossier
    from .errors import (
        CertificateError,
        CodeError,
        DossierError,
        EvidenceError,
        InvalidInputError,
        MissingDependencyError,
        Problem,
        RulesetError,
        SolidcheckError,
        TextExtractionError,
        UnknownRulesetError,
    )
    from .model import Dossier, Evidence, Finding, Result
    from .readers import read_evidence
    from .registry import Registry
    from .report.html import render_html
    from .rules import Ruleset, available_rulesets, load_ruleset
    from .terms import category_terms, lookup_term, vocabulary_to_skos

#: each public name → the module that defines it (relative to this package)
_MODULE_OF: dict[str, str] = {
    "classify_file": ".batch.run",
    "classify_table": ".batch.vector",
    "build_dossier": ".build",
    "certify": ".certificates",
    "verify": ".certificates",
    "audit": ".claims.audit",
    "extract_text": ".claims.extract",
    "classify": ".classify",
    **dict.fromkeys(("CodeFields", "decode_code", "encode_code"), ".code"),
    **dict.fromkeys(("dossier_from_mapping", "load_dossier", "parse_dossier"), ".dossier"),
    **dict.fromkeys(("CertificateError", "CodeError", "DossierError", "EvidenceError",
                     "InvalidInputError", "MissingDependencyError", "Problem", "RulesetError",
                     "SolidcheckError", "TextExtractionError", "UnknownRulesetError"), ".errors"),
    **dict.fromkeys(("Dossier", "Evidence", "Finding", "Result"), ".model"),
    "read_evidence": ".readers",
    "Registry": ".registry",
    "render_html": ".report.html",
    **dict.fromkeys(("Ruleset", "available_rulesets", "load_ruleset"), ".rules"),
    **dict.fromkeys(("category_terms", "lookup_term", "vocabulary_to_skos"), ".terms"),
}

__all__ = [
    "CertificateError",
    "CodeError",
    "CodeFields",
    "Dossier",
    "DossierError",
    "Evidence",
    "EvidenceError",
    "Finding",
    "InvalidInputError",
    "MissingDependencyError",
    "Problem",
    "Registry",
    "Result",
    "Ruleset",
    "RulesetError",
    "SolidcheckError",
    "TextExtractionError",
    "UnknownRulesetError",
    "__version__",
    "audit",
    "available_rulesets",
    "build_dossier",
    "category_terms",
    "certify",
    "classify",
    "classify_file",
    "classify_table",
    "decode_code",
    "dossier_from_mapping",
    "encode_code",
    "extract_text",
    "load_dossier",
    "load_ruleset",
    "lookup_term",
    "parse_dossier",
    "read_evidence",
    "render_html",
    "verify",
    "vocabulary_to_skos",
]


__getattr__, __dir__ = lazy_exports(__name__, _MODULE_OF, globals())


class _Package(types.ModuleType):
    """``solidcheck.classify`` is the function, as before, even after the submodule of the
    same name is imported (the import system then binds the submodule here, which would
    otherwise hide the function)."""

    @property
    def classify(self) -> Any:
        return __getattr__("classify")

    @classify.setter
    def classify(self, submodule: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
