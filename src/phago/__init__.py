"""Phago: a self-organising memory for AI agents.

>>> from phago import Colony
>>> with Colony() as colony:
...     doc = colony.ingest("Mitochondria produce ATP through oxidative phosphorylation.")
...     report = colony.digest()
...     colony.query("ATP production", k=1)[0].document_id == doc
True
"""

from phago._version import __version__
from phago.config import Settings, load_settings
from phago.core.types import (
    AgentInfo,
    Anomaly,
    ColonyStats,
    Concept,
    Document,
    DocumentInput,
    Edge,
    Explanation,
    Insight,
    Passage,
    QueryResult,
    RunReport,
    ScoreComponents,
)
from phago.errors import (
    ConfigError,
    InputError,
    MissingExtra,
    NotFound,
    PhagoError,
    SourceError,
    StorageError,
)
from phago.facade import Colony

__all__ = [
    "AgentInfo",
    "Anomaly",
    "Colony",
    "ColonyStats",
    "Concept",
    "ConfigError",
    "Document",
    "DocumentInput",
    "Edge",
    "Explanation",
    "InputError",
    "Insight",
    "MissingExtra",
    "NotFound",
    "Passage",
    "PhagoError",
    "QueryResult",
    "RunReport",
    "ScoreComponents",
    "Settings",
    "SourceError",
    "StorageError",
    "__version__",
    "load_settings",
]
