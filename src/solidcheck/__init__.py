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
"""

from ._version import __version__
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
from .rules import Ruleset, available_rulesets, load_ruleset
from .terms import category_terms, lookup_term, vocabulary_to_skos

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
    "Result",
    "Ruleset",
    "RulesetError",
    "SolidcheckError",
    "TextExtractionError",
    "UnknownRulesetError",
    "__version__",
    "available_rulesets",
    "category_terms",
    "classify",
    "decode_code",
    "dossier_from_mapping",
    "encode_code",
    "load_dossier",
    "load_ruleset",
    "lookup_term",
    "parse_dossier",
    "vocabulary_to_skos",
]
