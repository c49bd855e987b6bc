"""Model files: save and load trained maintenance models with name, version, metadata and validation figures,
and write their model cards (Markdown + JSON).

Loading order: the data folder (``settings.path("models", "maintenance")``) first, then the files shipped in the
repository under ``models/maintenance/``. A file written by another scikit-learn version is skipped (pickles do
not travel between versions); when nothing loads, :class:`assistant.errors.ModelMissing` says which command trains it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import sklearn

from assistant.errors import ModelMissing

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models" / "maintenance"
MODEL_NAMES = ("bearing_diagnosis", "bearing_rul", "anomaly_nbm")


@dataclass
class ModelBundle:
    """A trained model with what is needed to trust it: version, training set-up, validation figures."""

    name: str
    version: str
    model: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def validation(self) -> dict[str, Any]:
        return dict(self.metadata.get("validation", {}))

    def summary(self) -> dict[str, Any]:
        """What a tool result carries about its model."""
        return {"name": self.name, "version": self.version, "validation": self.metadata.get("headline", {})}


def data_dir(settings: Any | None = None) -> Path | None:
    if settings is None:
        return None
    return settings.path("models", "maintenance", "x").parent


def save_bundle(bundle: ModelBundle, directory: Path, card: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    meta = dict(bundle.metadata)
    meta.update(
        name=bundle.name,
        version=bundle.version,
        sklearn_version=sklearn.__version__,
        saved=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    bundle.metadata = meta
    path = directory / f"{bundle.name}.joblib"
    joblib.dump({"model": bundle.model, "metadata": meta}, path, compress=3)
    (directory / f"{bundle.name}.json").write_text(json.dumps(meta, indent=2, default=_json_default), encoding="utf-8")
    if card:
        (directory / f"{bundle.name}.md").write_text(card, encoding="utf-8")
    return path


def _json_default(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def search_dirs(settings: Any | None = None) -> list[Path]:
    dirs = []
    d = data_dir(settings)
    if d is not None:
        dirs.append(d)
    dirs.append(SHIPPED_DIR)
    return dirs


def try_load(name: str, directory: Path) -> ModelBundle | None:
    path = directory / f"{name}.joblib"
    if not path.is_file():
        return None
    try:
        payload = joblib.load(path)
    except Exception as exc:
        log.warning("cannot load %s: %s", path, exc)
        return None
    meta = payload.get("metadata", {})
    if meta.get("sklearn_version") != sklearn.__version__:
        log.warning("%s was trained with scikit-learn %s (have %s): skipped", path, meta.get("sklearn_version"),
                    sklearn.__version__)  # fmt: skip
        return None
    return ModelBundle(name, str(meta.get("version", "?")), payload["model"], meta, str(path))


_CACHE: dict[tuple[str, tuple[str, ...]], ModelBundle] = {}


def load_bundle(name: str, settings: Any | None = None, *, use_cache: bool = True) -> ModelBundle:
    dirs = search_dirs(settings)
    key = (name, tuple(str(d) for d in dirs))
    if use_cache and key in _CACHE:
        return _CACHE[key]
    for d in dirs:
        bundle = try_load(name, d)
        if bundle is not None:
            _CACHE[key] = bundle
            return bundle
    raise ModelMissing(
        f"maintenance model '{name}' not found in {', '.join(str(d) for d in dirs)}: run 'iiot-assistant models train'"
    )


def clear_cache() -> None:
    _CACHE.clear()
