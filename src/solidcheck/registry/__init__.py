"""The registry: every dossier version, result, evidence file and certificate a lab keeps,
with API keys and a hash-chained audit log, on SQLite (default) or PostgreSQL.

Use it as::

    from solidcheck import load_dossier
    from solidcheck.registry import Registry

    with Registry.open("sqlite:///lab.sqlite3", create=True) as registry:
        submission = registry.submit(load_dossier("cell.yaml"), actor="me")
        print(submission.version, submission.result.result.category)
"""

from .db import data_dir, database_url
from .records import (
    ApiKeyRecord,
    CategoryChange,
    CellDetail,
    CellPage,
    CellSummary,
    CertificateRecord,
    ChainReport,
    EvidenceRecord,
    GrantRecord,
    IssuerRecord,
    LogEntry,
    ReclassifyReport,
    ResultRecord,
    Role,
    RulesetTally,
    StationRecord,
    Submission,
    VersionRecord,
)
from .store import DEFAULT_MAX_EVIDENCE_BYTES, ROLES, Registry, default_actor
from .store.search import SORT_KEYS, CategoryCounts, SearchPage, SearchQuery, SearchRow

__all__ = [
    "DEFAULT_MAX_EVIDENCE_BYTES",
    "ROLES",
    "ApiKeyRecord",
    "CategoryChange",
    "CellDetail",
    "CellPage",
    "CellSummary",
    "CertificateRecord",
    "ChainReport",
    "EvidenceRecord",
    "GrantRecord",
    "IssuerRecord",
    "LogEntry",
    "ReclassifyReport",
    "Registry",
    "ResultRecord",
    "Role",
    "RulesetTally",
    "StationRecord",
    "Submission",
    "VersionRecord",
    "data_dir",
    "database_url",
    "default_actor",
]
__all__ += ["SORT_KEYS", "CategoryCounts", "SearchPage", "SearchQuery", "SearchRow"]  # desk
