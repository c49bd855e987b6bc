"""The demo plant and the OPC UA adapter over TCP: history, alarms and events, faults, gated writes and method
calls with audit, security (certificates, users, roles) and reconnecting after a server restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.audit import audit_log
from assistant.config import EndpointSettings, Settings, SimSettings
from assistant.errors import EndpointUnreachable, NotAllowed
from assistant.loop_thread import LoopThread
from assistant.sim.server import PlantServer
from tests.conftest import free_port
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.control import Controller
from tools.opcua.history import aggregate


@pytest.fixture(scope="module")
def faulty_plant(server_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantServer]:
    """Half a day of backfilled history; P-101's outer race has been failing for 10 days (trip-level vibration)."""
    settings = SimSettings(
        port=free_port(), seed=3, backfill_days=0.5, history_interval_s=60,
        faults=[{"asset": "P-101", "fault": "bearing_outer", "started_hours_ago": 240}],
    )  # fmt: skip
    plant = PlantServer(settings, tmp_path_factory.mktemp("faulty"))
    server_loop.run(plant.start())
    yield plant
    server_loop.run(plant.stop())


def _adapter(url: str, tmp_path: Path, **settings: object) -> OpcUaAdapter:
    s = Settings(data_dir=tmp_path, opcua={"endpoints": [EndpointSettings(url=url)], **settings})
    return OpcUaAdapter(s)


async def _signal(adapter: OpcUaAdapter, url: str, asset: str, name: str):  # type: ignore[no-untyped-def]
    cat = await adapter.catalog(url)
    return next(s for a in cat.assets if a.display_name == asset for s in a.signals if s.display_name == name)


async def test_history_is_backfilled_and_bounded(faulty_plant: PlantServer, tmp_path: Path) -> None:
    url = faulty_plant.endpoint
    adapter = _adapter(url, tmp_path)
    try:
        sig = await _signal(adapter, url, "P-101", "Vibration")
        assert sig.historizing and sig.history_readable
        end = datetime.now(UTC)
        hist = await adapter.history(sig, url, end - timedelta(hours=6), end)
        assert hist.complete and 355 <= len(hist.points) <= 361  # one sample a minute
        assert hist.unit == "mm/s" and all(p.status == "Good" for p in hist.points)
        times = [p.time for p in hist.points]
        assert times == sorted(times)
        running = [p.value for p in hist.points if p.value > 1.0]
        assert running and min(running) > 7.1, "a failed outer race vibrates above the ISO zone D limit"
        cut = await adapter.history(sig, url, end - timedelta(hours=6), end, max_values=50)
        assert len(cut.points) == 50 and not cut.complete
        hourly = aggregate(hist, 3600)
        assert 6 <= len(hourly) <= 7 and sum(b.count for b in hourly) == len(hist.points)
        assert all(b.min <= b.avg <= b.max for b in hourly)
    finally:
        await adapter.close()


async def test_alarm_events_with_codes_in_two_languages(faulty_plant: PlantServer, tmp_path: Path) -> None:
    adapter = _adapter(faulty_plant.endpoint, tmp_path)
    try:
        end = datetime.now(UTC) + timedelta(hours=1)
        events = await adapter.events(end - timedelta(days=1), end)
        p101 = [e for e in events if e.source == "P-101"]
        codes = {e.code for e in p101}
        assert {"E-12", "E-13"} <= codes
        trip = next(e for e in p101 if e.code == "E-13" and e.state == "Active")
        assert trip.severity == 800 and "vibration trip" in trip.message.lower()
        assert trip.fields["MessageDE"].startswith("E-13 Schwingungsabschaltgrenze")
        assert trip.fields["TriggerValue"] > 7.1 and trip.fields["Limit"] == 7.1
        active = await adapter.active_alarms()
        assert any(a.source == "P-101" and a.code == "E-13" for a in active), "trip alarms latch until reset"
        assert not any(a.source == "P-102" for a in active)
    finally:
        await adapter.close()


async def test_writes_are_off_by_default_and_refusals_are_audited(faulty_plant: PlantServer, tmp_path: Path) -> None:
    url = faulty_plant.endpoint
    adapter = _adapter(url, tmp_path)
    ctl = Controller(adapter.settings, adapter, audit_log(tmp_path))
    try:
        sp = await _signal(adapter, url, "T-101", "LevelSetpoint")
        with pytest.raises(NotAllowed, match=r"switched off \(setting opcua\.writes_enabled\)"):
            await ctl.propose_write("anna", "engineer", url, sp, 70.0)
    finally:
        await adapter.close()
    rows = audit_log(tmp_path).read()
    assert rows[-1]["decision"] == "refused" and rows[-1]["user"] == "anna" and rows[-1]["new"] == 70.0


async def test_gated_write_with_confirmation(faulty_plant: PlantServer, tmp_path: Path) -> None:
    url = faulty_plant.endpoint
    adapter = _adapter(url, tmp_path, writes_enabled=True, write_roles=["engineer"])
    ctl = Controller(adapter.settings, adapter, audit_log(tmp_path))
    try:
        sp = await _signal(adapter, url, "T-101", "LevelSetpoint")
        assert sp.writable and (sp.range_low, sp.range_high) == (0.0, 100.0)
        with pytest.raises(NotAllowed, match="role 'operator' may not change the plant"):
            await ctl.propose_write("otto", "operator", url, sp, 70.0)
        with pytest.raises(NotAllowed, match=r"120 % is outside the range 0…100 %"):
            await ctl.propose_write("anna", "engineer", url, sp, 120.0)
        speed = await _signal(adapter, url, "P-101", "Speed")
        with pytest.raises(NotAllowed, match="read-only"):
            await ctl.propose_write("anna", "engineer", url, speed, 1000.0)
        conf = await ctl.propose_write("anna", "engineer", url, sp, 72.5)
        assert conf.old_value == 65.0 and "from 65.0 to 72.5 %" in conf.summary()
        with pytest.raises(NotAllowed, match="confirmed by the user who proposed it"):
            await ctl.confirm(conf.id, "mallory")
        with pytest.raises(NotAllowed, match="unknown or has expired"):
            await ctl.confirm(conf.id, "anna")  # a misused confirmation is burnt
        conf = await ctl.propose_write("anna", "engineer", url, sp, 72.5)
        rejected = await ctl.propose_write("anna", "engineer", url, sp, 80.0)
        assert not (await ctl.confirm(rejected.id, "anna", approve=False)).executed
        result = await ctl.confirm(conf.id, "anna")
        assert result.executed
        assert (await adapter.read([sp], url))[0].value == 72.5
        with pytest.raises(NotAllowed, match="unknown or has expired"):
            await ctl.confirm(conf.id, "anna")  # a confirmation is used once
        await ctl.confirm((await ctl.propose_write("anna", "engineer", url, sp, 65.0)).id, "anna")
    finally:
        await adapter.close()
    decisions = [(r["decision"], r.get("user")) for r in audit_log(tmp_path).read()]
    assert ("executed", "anna") in decisions and ("rejected", "anna") in decisions
    assert decisions.count(("refused", "otto")) == 1
    executed = next(r for r in audit_log(tmp_path).read() if r["decision"] == "executed")
    assert executed["old"] == 65.0 and executed["new"] == 72.5 and executed["path"].endswith("T-101/LevelSetpoint")


async def test_method_calls_inject_faults_and_acknowledge_alarms(faulty_plant: PlantServer, tmp_path: Path) -> None:
    url = faulty_plant.endpoint
    adapter = _adapter(url, tmp_path, writes_enabled=True)
    ctl = Controller(adapter.settings, adapter, audit_log(tmp_path))
    try:
        cat = await adapter.catalog(url)
        alarms = next(s for s in cat.event_sources if s.path[-1] == "Alarms")
        assert {"Acknowledge", "Reset"} <= set(alarms.methods)
        conf = await ctl.propose_call(
            "anna", "engineer", url, alarms, "Acknowledge", ["P-101", "E-13", "seen, bearing ordered"]
        )
        result = await ctl.confirm(conf.id, "anna")
        assert result.executed and result.result == "E-13 on P-101 acknowledged"
        active = await adapter.active_alarms()
        trip = next(a for a in active if a.source == "P-101" and a.code == "E-13")
        assert trip.state == "Acknowledged"
        with pytest.raises(NotAllowed, match="has no method 'Shutdown'"):
            await ctl.propose_call("anna", "engineer", url, alarms, "Shutdown", [])

        # a fault switched on by a method call shows in the physics, not as a flag
        suction = await _signal(adapter, url, "P-104", "SuctionPressure")
        before = (await adapter.read([suction], url))[0].value
        faulty_plant.inject_fault("P-104", "cavitation", 100.0)
        import asyncio

        await asyncio.sleep(2.5)
        after = (await adapter.read([suction], url))[0].value
        assert after < before - 0.5
    finally:
        faulty_plant.clear_fault("P-104", "cavitation")
        await adapter.close()


@pytest.fixture(scope="module")
def secure_plant(server_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantServer]:
    settings = SimSettings(
        port=free_port(), security="Basic256Sha256_SignAndEncrypt", trust_client_certificates=True,
        users=[{"name": "otto", "password": "op-pw", "role": "operator"},
               {"name": "anna", "password": "eng-pw", "role": "engineer"}],
    )  # fmt: skip
    data = tmp_path_factory.mktemp("secure")
    plant = PlantServer(settings, data)
    # the trusted client: its certificate is placed in the plant's trust store before start
    from tools.opcua.session import ensure_client_certificate

    trusted_pki = data / "client-pki"
    cert, _key = server_loop.run(ensure_client_certificate(trusted_pki))
    (data / "sim-pki" / "trusted").mkdir(parents=True, exist_ok=True)
    (data / "sim-pki" / "trusted" / "client.der").write_bytes(cert.read_bytes())
    server_loop.run(plant.start())
    plant.trusted_pki = trusted_pki  # type: ignore[attr-defined]
    yield plant
    server_loop.run(plant.stop())


def _secure_adapter(plant: PlantServer, data: Path, pki: Path, user: str, password: str, mode: str) -> OpcUaAdapter:
    ep = EndpointSettings(url=plant.endpoint, security=mode, username=user, password=password,
                          certificate=pki / "client_cert.der", private_key=pki / "client_key.pem")  # fmt: skip
    return OpcUaAdapter(Settings(data_dir=data, opcua={"endpoints": [ep]}))


async def test_secure_endpoint_with_users(secure_plant: PlantServer, tmp_path: Path) -> None:
    pki = secure_plant.trusted_pki  # type: ignore[attr-defined]
    ok = _secure_adapter(secure_plant, tmp_path, pki, "anna", "eng-pw", "Basic256Sha256_SignAndEncrypt")
    try:
        temp = await _signal(ok, secure_plant.endpoint, "P-101", "Temperature")
        assert (await ok.read([temp], secure_plant.endpoint))[0].good
    finally:
        await ok.close()

    bad_pw = _secure_adapter(secure_plant, tmp_path, pki, "anna", "wrong", "Basic256Sha256_SignAndEncrypt")
    with pytest.raises(EndpointUnreachable, match="rejected the user name or password"):
        await bad_pw.catalogs()

    from tools.opcua.session import ensure_client_certificate

    stranger = tmp_path / "stranger-pki"
    await ensure_client_certificate(stranger)
    untrusted = _secure_adapter(secure_plant, tmp_path, stranger, "anna", "eng-pw", "Basic256Sha256_SignAndEncrypt")
    with pytest.raises(EndpointUnreachable, match=r"refused|certificate"):
        await untrusted.catalogs()

    wrong_mode = _secure_adapter(secure_plant, tmp_path, pki, "anna", "eng-pw", "None")
    with pytest.raises(EndpointUnreachable):
        await wrong_mode.catalogs()


async def test_operator_role_is_enforced_by_the_server_too(secure_plant: PlantServer, tmp_path: Path) -> None:
    """Even with the assistant's gate open, the plant refuses an operator's write: defence in depth."""
    pki = secure_plant.trusted_pki  # type: ignore[attr-defined]
    adapter = _secure_adapter(secure_plant, tmp_path, pki, "otto", "op-pw", "Basic256Sha256_SignAndEncrypt")
    adapter.settings.opcua.writes_enabled = True
    adapter.settings.opcua.write_roles = ["operator"]
    ctl = Controller(adapter.settings, adapter, audit_log(tmp_path))
    try:
        sp = await _signal(adapter, secure_plant.endpoint, "T-101", "LevelSetpoint")
        conf = await ctl.propose_write("otto", "operator", secure_plant.endpoint, sp, 70.0)
        result = await ctl.confirm(conf.id, "otto")
        assert not result.executed and "BadUserAccessDenied" in result.status
    finally:
        await adapter.close()
    assert audit_log(tmp_path).read()[-1]["decision"] == "failed"


async def test_reconnects_after_server_restart(server_loop: LoopThread, tmp_path: Path) -> None:
    port = free_port()
    plant = PlantServer(SimSettings(port=port, seed=5))
    server_loop.run(plant.start())
    adapter = _adapter(plant.endpoint, tmp_path)
    try:
        temp = await _signal(adapter, plant.endpoint, "K-2", "Pressure")
        assert (await adapter.read([temp], plant.endpoint))[0].good
        server_loop.run(plant.stop())
        with pytest.raises(EndpointUnreachable):
            await adapter.read([temp], plant.endpoint)
        plant = PlantServer(SimSettings(port=port, seed=5))
        server_loop.run(plant.start())
        reading = (await adapter.read([temp], plant.endpoint))[0]
        assert reading.good and 4.0 < reading.value < 8.5
    finally:
        await adapter.close()
        server_loop.run(plant.stop())


def test_production_days_set_which_days_the_demo_machines_run() -> None:
    from assistant.sim.layout import demo_layout
    from assistant.sim.physics import make_model, production_load

    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp()
    friday_noon = saturday_noon - 86400.0
    assert production_load(friday_noon) == production_load(friday_noon, 7) > 0.5  # a weekday is a weekday
    assert production_load(saturday_noon) == 0.0  # the default plant stops at the weekend
    assert production_load(saturday_noon, 7) == production_load(friday_noon)  # a plant that runs every day
    pump = next(spec for _path, spec in demo_layout().assets() if spec.kind == "pump")
    for days, running in ((5, False), (7, True)):
        model = make_model(pump, seed=1, production_days=days)
        assert model.step(saturday_noon, 1.0)["Running"] is running, days
