"""Phago's one settings model, and how it is built at the edge.

Precedence, lowest first: defaults < ``phago.toml`` < environment ``PHAGO_<SECTION>__<KEY>`` < explicit
arguments. Library code never reads the environment; :func:`load_settings` is called by the CLI and the
server with ``os.environ`` passed in. Every field has help text (``description``), shown by
``phago init`` in the commented default file and in ``docs/configuration.md``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phago.errors import ConfigError

CONFIG_FILENAME = "phago.toml"
ENV_PREFIX = "PHAGO_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ColonySettings(_Section):
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Seed of the colony's one random generator.")
    substrate_size: float = Field(
        100.0, gt=0, le=1e6, description="Side of the square 2-D substrate agents move on."
    )
    initial_digesters: int = Field(8, ge=1, le=1024, description="Digesters alive when a colony is created.")
    max_agents: int = Field(64, ge=1, le=100_000, description="Upper bound on living agents of all kinds.")
    digest_max_ticks: int = Field(
        100_000, ge=1, description="digest() stops after this many ticks even if input is left."
    )


class DigestionSettings(_Section):
    """Defaults of the digester genome; evolution mutates them per agent within their bounds."""

    appetite: int = Field(8, ge=1, le=256, description="Passages a digester digests per tick.")
    speed: float = Field(12.0, gt=0, le=1e6, description="Distance a digester moves per tick.")
    reach: float = Field(6.0, gt=0, le=1e6, description="Distance within which a digester engulfs input.")
    min_salience: float = Field(
        0.0, ge=0, le=100, description="Salience below which a candidate term is not a concept."
    )
    max_concepts_per_passage: int = Field(
        32, ge=1, le=1024, description="Most salient concepts kept per passage."
    )
    min_term_length: int = Field(3, ge=1, le=64, description="Shortest token that may become a concept.")
    phrase_min_count: int = Field(
        2, ge=1, le=1000, description="Times a multi-word phrase must recur in a document to be a concept."
    )
    phrase_max_words: int = Field(
        3, ge=1, le=8, description="Longest multi-word phrase (1 disables phrases)."
    )


class WiringSettings(_Section):
    window: int = Field(
        4, ge=1, le=64, description="Concepts at most this many positions apart in a passage are wired."
    )
    tentative_weight: float = Field(0.1, gt=0, le=1, description="Weight of an edge on first co-activation.")
    learning_rate: float = Field(
        0.1, gt=0, lt=1, description="Share of the gap to 1 closed by each further co-activation."
    )
    maturation_ticks: int = Field(
        100, ge=0, description="Age in ticks before an edge may decay or be pruned."
    )
    decay_rate: float = Field(
        0.005, ge=0, lt=1, description="Per-tick relative weight loss of a mature edge not recently used."
    )
    decay_grace_ticks: int = Field(
        50, ge=0, description="An edge reinforced within this many ticks does not decay."
    )
    activity_protection: float = Field(
        1.0, ge=0, le=100, description="Decay is divided by 1 + this × ln(1 + co-activations)."
    )
    prune_threshold: float = Field(
        0.02, ge=0, lt=1, description="Mature edges whose weight falls below this are removed."
    )
    max_degree: int = Field(
        256, ge=1, le=1_000_000, description="Per-concept edge cap enforced at maintenance (see docs)."
    )
    maintenance_interval: int = Field(
        10, ge=1, le=100_000, description="Ticks between decay / prune / degree-cap sweeps."
    )


class AgentSettings(_Section):
    starting_energy: float = Field(100.0, gt=0, description="Energy of a newborn agent.")
    tick_cost: float = Field(1.0, ge=0, description="Energy an agent spends each tick.")
    energy_per_passage: float = Field(2.0, ge=0, description="Energy a digester gains per passage digested.")
    max_energy: float = Field(400.0, gt=0, description="Energy ceiling.")
    idle_ticks: int = Field(
        60, ge=1, description="A digester idle this long (no input in reach) undergoes apoptosis."
    )
    min_digesters: int = Field(
        2, ge=1, description="Apoptosis never takes the colony below this many digesters."
    )
    vocabulary_size: int = Field(
        256, ge=1, le=100_000, description="Most concepts an agent's vocabulary holds."
    )
    transfer_radius: float = Field(15.0, ge=0, description="Agents this close exchange vocabulary.")
    transfer_terms: int = Field(8, ge=0, le=10_000, description="Vocabulary terms handed over per transfer.")
    transfer_boost: float = Field(
        0.5, ge=0, le=100, description="Salience multiplier bonus for terms in a digester's vocabulary."
    )
    symbiosis_energy: float = Field(
        15.0, ge=0, description="A starving digester near a healthier one is absorbed as its symbiont."
    )
    dissolution_overlap: float = Field(
        0.6,
        gt=0,
        le=1,
        description="Vocabulary overlap (Jaccard) at which two nearby agents pool vocabularies.",
    )


class EvolutionSettings(_Section):
    enabled: bool = Field(True, description="Spawn mutated offspring of fit digesters when input piles up.")
    mutation_sigma: float = Field(
        0.15, ge=0, le=2, description="Std. dev. of the symmetric log-normal mutation of each gene."
    )
    spawn_backlog: int = Field(
        16, ge=1, description="Spawn when undigested passages exceed this many per living digester."
    )
    spawn_energy_cost: float = Field(30.0, ge=0, description="Energy a parent gives its offspring.")
    weight_productivity: float = Field(0.4, ge=0, description="Fitness weight of passages digested per tick.")
    weight_novelty: float = Field(0.2, ge=0, description="Fitness weight of the share of new concepts found.")
    weight_edge_quality: float = Field(
        0.2, ge=0, description="Fitness weight of the mean weight of edges the agent wired."
    )
    weight_connectivity: float = Field(
        0.2, ge=0, description="Fitness weight of links the agent made to concepts already in the graph."
    )


class SynthesisSettings(_Section):
    quorum: int = Field(
        10, ge=1, description="Documents digested since the last insight before a Synthesizer acts."
    )
    quorum_growth: float = Field(
        0.25,
        ge=0,
        le=100,
        description="The quorum also scales with the colony: at least this share of digested documents must be new.",
    )
    bridges: int = Field(10, ge=0, le=1000, description="Bridge concepts reported per insight.")
    min_cluster_size: int = Field(3, ge=2, description="Smallest concept cluster reported in an insight.")


class SentinelSettings(_Section):
    warmup_documents: int = Field(10, ge=1, description="Documents the self-model sees before flagging any.")
    novelty_threshold: float = Field(
        0.6, gt=0, le=1, description="Share of unseen concepts above which a document is flagged as novel."
    )
    drift_sigma: float = Field(
        3.0,
        gt=0,
        le=100,
        description="Drift this many standard deviations above the learned normal is flagged.",
    )


class ExploreSettings(_Section):
    betweenness_samples: int = Field(
        64, ge=1, le=100_000, description="Source nodes sampled for betweenness centrality."
    )


class LexicalSettings(_Section):
    k1: float = Field(1.2, ge=0, le=10, description="BM25 term-frequency saturation.")
    b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    stemmer: str = Field(
        "english", pattern="^(english|none)$", description="Stem index terms: english (Snowball) or none."
    )
    document_weight: float = Field(
        1.0, ge=0, le=100, description="Weight of the whole document's BM25 added to each of its passages."
    )


class QuerySettings(_Section):
    k: int = Field(10, ge=1, le=10_000, description="Results returned by default.")
    mode: str = Field(
        "hybrid",
        pattern="^(hybrid|rrf|lexical|graph|dense)$",
        description="Default retrieval mode: hybrid (alpha blend), rrf, lexical, graph or dense.",
    )
    alpha: float = Field(
        0.9, ge=0, le=1, description="Hybrid weight of lexical scores (1 − alpha goes to the graph)."
    )
    dense_weight: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Hybrid weight of dense (embedding) scores, when an embedder is attached.",
    )
    hops: int = Field(1, ge=0, le=4, description="Spreading-activation hops from the query's concepts.")
    activation_decay: float = Field(0.5, gt=0, le=1, description="Share of activation passed along each hop.")
    fanout: int = Field(32, ge=1, le=100_000, description="Concepts kept active after each hop.")
    reinforce: bool = Field(
        True, description="Queries strengthen the graph edges that served their results (off in benchmarks)."
    )


class IngestSettings(_Section):
    max_passage_words: int = Field(
        120, ge=8, le=100_000, description="Words per passage at most (sentence-aware)."
    )
    max_file_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Files larger than this are refused by the file loaders."
    )


class StorageSettings(_Section):
    path: str = Field(
        "phago.db", min_length=1, description="Colony file used by the CLI when --db is not given."
    )
    checkpoint_ticks: int = Field(
        100, ge=1, description="During long runs, commit the colony to its file every this many ticks."
    )


class ServerSettings(_Section):
    host: str = Field("127.0.0.1", min_length=1, description="Address `phago serve` binds.")
    port: int = Field(8765, ge=0, le=65535, description="Port `phago serve` listens on (0 = any free port).")
    data_dir: str = Field(
        "phago-data",
        min_length=1,
        description="Folder holding the API-key database and one colony file per tenant.",
    )
    require_auth: bool = Field(
        False, description="Require an API key even on 127.0.0.1 (always required on other addresses)."
    )
    event_queue_size: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Events buffered per WebSocket client before the oldest are dropped.",
    )
    tick_interval: float = Field(
        0.5,
        ge=0,
        le=3600,
        description="Seconds between background colony ticks while serving (0 = no background ticks).",
    )
    ticks_per_interval: int = Field(1, ge=1, le=10_000, description="Ticks run at each background interval.")
    max_upload_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Largest request body / uploaded file accepted."
    )


class McpSettings(_Section):
    transport: str = Field("stdio", pattern="^(stdio|http)$", description="MCP transport: stdio or http.")
    host: str = Field("127.0.0.1", min_length=1, description="Address the HTTP transport binds.")
    port: int = Field(8766, ge=0, le=65535, description="Port of the HTTP transport.")


class Settings(_Section):
    """Every tunable of a colony. Build with :func:`load_settings` at the edge, or directly."""

    colony: ColonySettings = ColonySettings()
    digestion: DigestionSettings = DigestionSettings()
    wiring: WiringSettings = WiringSettings()
    agents: AgentSettings = AgentSettings()
    evolution: EvolutionSettings = EvolutionSettings()
    synthesis: SynthesisSettings = SynthesisSettings()
    sentinel: SentinelSettings = SentinelSettings()
    explore: ExploreSettings = ExploreSettings()
    lexical: LexicalSettings = LexicalSettings()
    query: QuerySettings = QuerySettings()
    ingest: IngestSettings = IngestSettings()
    storage: StorageSettings = StorageSettings()
    server: ServerSettings = ServerSettings()
    mcp: McpSettings = McpSettings()

    def fingerprint(self) -> str:
        """A short stable hash of every value, stored with the colony."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "settings") -> Settings:
        """Validate a nested mapping; errors name the key, the value and what is allowed."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise _config_error(exc, origin) from None

    def with_overrides(self, overrides: Mapping[str, Any], *, origin: str = "arguments") -> Settings:
        """Return a copy with dotted (``"wiring.window"``) or nested overrides applied."""
        merged = _deep_merge(self.model_dump(mode="json"), _nest(overrides, origin))
        return Settings.from_mapping(merged, origin=origin)


def _config_error(exc: ValidationError, origin: str) -> ConfigError:
    lines = []
    first_key = None
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        first_key = first_key or key
        if err["type"] == "extra_forbidden":
            section = key.rsplit(".", 1)[0] if "." in key else None
            known = _known_keys(section)
            lines.append(f"{origin}: unknown setting '{key}' (known: {', '.join(known)})")
            continue
        value = err.get("input")
        allowed = _field_bounds(err["loc"]) or _allowed(err)
        lines.append(f"{origin}: invalid value for '{key}': {value!r} ({allowed})")
    return ConfigError("; ".join(lines), key=first_key)


def _field_bounds(loc: tuple[int | str, ...]) -> str:
    """The whole allowed range of the field at ``loc`` (e.g. "allowed: >= 1, <= 64"), if it has bounds."""
    if len(loc) != 2:
        return ""
    section = Settings.model_fields.get(str(loc[0]))
    model = section.annotation if section is not None else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return ""
    field = model.model_fields.get(str(loc[1]))
    if field is None:
        return ""
    bounds = _bounds_text(field.metadata).strip(" []")
    return f"allowed: {bounds}" if bounds else ""


def _allowed(err: Mapping[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    for name, sym in bounds.items():
        if name in ctx:
            return f"must be {sym} {ctx[name]}"
    msg = str(err.get("msg", "invalid"))
    return msg[0].lower() + msg[1:]


def _known_keys(section: str | None) -> list[str]:
    if section is None:
        return sorted(Settings.model_fields)
    field = Settings.model_fields.get(section)
    model = field.annotation if field is not None else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(model.model_fields)
    return sorted(Settings.model_fields)


def _nest(flat: Mapping[str, Any], origin: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if isinstance(value, Mapping):
            out = _deep_merge(out, {key: dict(value)})
            continue
        parts = key.split(".")
        if len(parts) != 2:
            raise ConfigError(f"{origin}: setting '{key}' must look like 'section.key'", key=key)
        out = _deep_merge(out, {parts[0]: {parts[1]: value}})
    return out


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def find_config_file(start: Path) -> Path | None:
    """The nearest ``phago.toml`` in ``start`` or one of its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 at byte {exc.start}") from None


def env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """``PHAGO_WIRING__WINDOW=5`` → ``{"wiring": {"window": "5"}}`` (pydantic converts the type)."""
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        out.setdefault(section, {})[key] = value
    return out


def load_settings(
    config_file: Path | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings: defaults < ``phago.toml`` < ``PHAGO_*`` environment < ``overrides``.

    ``config_file`` given explicitly must exist; otherwise the nearest ``phago.toml`` from ``cwd`` up is used.
    """
    data: dict[str, Any] = Settings().model_dump(mode="json")
    path = config_file if config_file is not None else (find_config_file(cwd) if cwd is not None else None)
    if path is not None:
        data = _deep_merge(data, read_config_file(path))
        Settings.from_mapping(data, origin=str(path))
    if env:
        data = _deep_merge(data, env_overrides(env))
        Settings.from_mapping(data, origin="environment (PHAGO_*)")
    if overrides:
        data = _deep_merge(data, _nest(overrides, "arguments"))
    return Settings.from_mapping(data, origin="arguments" if overrides else "settings")


def default_config_text() -> str:
    """The commented default ``phago.toml`` written by ``phago init``."""
    lines = [
        "# Phago configuration. Every key is shown with its default value.",
        "# Precedence: defaults < this file < PHAGO_<SECTION>__<KEY> environment variables < arguments.",
        "",
    ]
    defaults = Settings()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        lines.append(f"[{section}]")
        if model.__doc__ and not model.__doc__.startswith(model.__name__ + "("):
            lines.append(f"# {model.__doc__.strip().splitlines()[0]}")
        values = getattr(defaults, section)
        for key, sub in model.model_fields.items():
            lines.append(f"# {sub.description}{_bounds_text(sub.metadata)}")
            lines.append(f"{key} = {_toml_value(getattr(values, key))}")
        lines.append("")
    return "\n".join(lines)


def _bounds_text(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        for name, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(item, name, None)
            if bound is not None:
                parts.append(f"{sym} {bound}")
    return f" [{', '.join(parts)}]" if parts else ""


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def reference_markdown() -> str:
    """The configuration reference (docs/configuration.md is this text; a test keeps them equal)."""
    lines = [
        "# Configuration reference",
        "",
        "Settings come from, lowest precedence first: defaults < `phago.toml` (in the working directory or a",
        "parent, or `--config FILE`) < environment variables `PHAGO_<SECTION>__<KEY>` (for example",
        "`PHAGO_WIRING__WINDOW=6`) < explicit arguments (`Settings().with_overrides({\"wiring.window\": 6})`).",
        "`phago init` writes a commented file with every default. An invalid value fails with the key, the value",
        "and what is allowed. A colony file remembers the settings it was created with; `Colony.open(path)`",
        "without settings reuses them.",
        "",
        "This page is generated from the settings model: `python scripts/gen_config_docs.py`.",
        "",
    ]
    defaults = Settings()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        lines += [f"## `[{section}]`", ""]
        if model.__doc__ and not model.__doc__.startswith(model.__name__ + "("):
            lines += [model.__doc__.strip().splitlines()[0], ""]
        lines += ["| key | default | allowed | meaning |", "|---|---|---|---|"]
        values = getattr(defaults, section)
        for key, sub in model.model_fields.items():
            allowed = _bounds_text(sub.metadata).strip(" []") or "—"
            for item in sub.metadata:
                pattern = getattr(item, "pattern", None)
                if pattern:
                    allowed = " \\| ".join(pattern.strip("^$()").split("|"))
            default = _toml_value(getattr(values, key))
            lines.append(f"| `{key}` | `{default}` | {allowed} | {sub.description} |")
        lines.append("")
    return "\n".join(lines)
