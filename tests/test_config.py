"""Settings: defaults, TOML file, environment, provenance, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import DEFAULT_ENDPOINT, SettingsError, describe, load_settings
from tests.conftest import run_cli


def test_defaults_run_the_embedded_demo(tmp_path: Path) -> None:
    loaded = load_settings(env={})
    s = loaded.settings
    assert s.opcua.endpoints[0].url == DEFAULT_ENDPOINT
    assert s.opcua.writes_enabled is False
    assert s.llm.backend == "llamacpp" and s.llm.model_path is None
    assert s.ui.port == 7860
    assert all(src == "default" for _k, _v, src in describe(loaded))


def test_file_then_env_then_overrides_with_sources(tmp_path: Path) -> None:
    cfg = tmp_path / "plant.toml"
    cfg.write_text('data_dir = "/srv/a"\n[llm]\nn_threads = 3\n[sim]\nport = 4999\n', encoding="utf-8")
    env = {"IIOT_CONFIG": str(cfg), "IIOT_DATA_DIR": "/srv/b", "IIOT_LLM__N_CTX": "4096"}
    loaded = load_settings(env=env, overrides={"sim.port": 5001})
    s = loaded.settings
    assert str(s.data_dir) == "/srv/b" and s.llm.n_threads == 3 and s.llm.n_ctx == 4096 and s.sim.port == 5001
    sources = {k: src for k, _v, src in describe(loaded)}
    assert sources["data_dir"] == "env IIOT_DATA_DIR"
    assert sources["llm.n_threads"] == f"file {cfg}"
    assert sources["llm.n_ctx"] == "env IIOT_LLM__N_CTX"
    assert sources["sim.port"] == "command line"
    assert sources["ui.port"] == "default"


def test_endpoints_from_env_as_json_list() -> None:
    s = load_settings(env={"IIOT_OPCUA__ENDPOINTS": '["opc.tcp://a:1/x", "opc.tcp://b:2/y"]'}).settings
    assert [e.url for e in s.opcua.endpoints] == ["opc.tcp://a:1/x", "opc.tcp://b:2/y"]


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("[llm]\nmodle = 'x'\n", {}, "unknown setting 'llm.modle'"),
        (
            "",
            {"IIOT_LLM__NTHREADS": "2"},
            "unknown setting 'llm.nthreads' from environment variable IIOT_LLM__NTHREADS",
        ),
        ("[llm]\nn_threads = 'many'\n", {}, "bad value for setting 'llm.n_threads'"),
        ("", {"IIOT_UI__PORT": "70000"}, "bad value for setting 'ui.port' (from env IIOT_UI__PORT)"),
        ("[opcua]\nendpoints = ['http://x']\n", {}, "bad value for setting 'opcua.endpoints.url'"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, toml: str, env: dict[str, str], needle: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(cfg, env=env)
    assert needle in str(err.value)


def test_missing_and_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[llm\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad, env={})


def test_config_show_cli_prints_values_and_sources(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[opcua]\nendpoints = [{url = 'opc.tcp://h:1/p', username = 'op', password = 'pw'}]\n", encoding="utf-8"
    )
    out = run_cli("--config", str(cfg), "config", "show", data_dir=tmp_path / "d")
    assert out.returncode == 0, out.stderr
    lines = {line.split("=")[0].strip(): line for line in out.stdout.splitlines()}
    assert "# env IIOT_DATA_DIR" in lines["data_dir"]
    assert f"# file {cfg}" in lines["opcua.endpoints"] and "opc.tcp://h:1/p" in lines["opcua.endpoints"]
    assert "pw" not in lines["opcua.endpoints"], "passwords are masked"
    assert "# default" in lines["ui.port"]


def test_config_show_cli_rejects_unknown_key(tmp_path: Path) -> None:
    out = run_cli("config", "show", data_dir=tmp_path, env={"IIOT_SIM__SPEED": "3"})
    assert out.returncode == 2
    assert "unknown setting 'sim.speed'" in out.stderr
