"""The OPC UA adapter the assistant talks to: sessions to every configured endpoint, catalogs, reads.

Sessions are opened on first use and kept; when a call fails because the connection is gone (server restart),
the adapter opens a new session once and retries. Catalogs are cached per endpoint for ``catalog_ttl_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from asyncua import Client, ua

from assistant.config import EndpointSettings, Settings
from assistant.errors import EndpointUnreachable
from tools.opcua.catalog import Asset, Catalog, Signal, build_catalog
from tools.opcua.events import EventRecord, active_alarms, read_events
from tools.opcua.history import SignalHistory, read_raw
from tools.opcua.reading import Reading, read_current
from tools.opcua.session import open_session

T = TypeVar("T")
_CONNECTION_ERRORS = (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError, ua.UaError)


class OpcUaAdapter:
    def __init__(
        self, settings: Settings, endpoints: list[EndpointSettings] | None = None, catalog_ttl_s: float = 300.0
    ) -> None:
        self.settings = settings
        self.endpoints = endpoints if endpoints is not None else list(settings.opcua.endpoints)
        self.catalog_ttl_s = catalog_ttl_s
        self._sessions: dict[str, tuple[contextlib.AbstractAsyncContextManager[Client], Client]] = {}
        self._catalogs: dict[str, Catalog] = {}
        self.failures: dict[str, str] = {}

    def _endpoint(self, url: str) -> EndpointSettings:
        return next(e for e in self.endpoints if e.url == url)

    async def _client(self, url: str) -> Client:
        if url not in self._sessions:
            cm = open_session(self._endpoint(url), self.settings.data_dir.expanduser() / "pki")
            client = await cm.__aenter__()
            self._sessions[url] = (cm, client)
        return self._sessions[url][1]

    async def _drop(self, url: str) -> None:
        entry = self._sessions.pop(url, None)
        if entry:
            with contextlib.suppress(Exception):
                await entry[0].__aexit__(None, None, None)

    async def call(self, url: str, op: Callable[[Client], Awaitable[T]]) -> T:
        """Run ``op`` with a live session to ``url``; reconnect once if the session broke."""
        timeout = self._endpoint(url).timeout_s
        client = await self._client(url)
        try:
            return await asyncio.wait_for(op(client), timeout=timeout * 4)
        except _CONNECTION_ERRORS as exc:
            if isinstance(exc, ua.UaStatusCodeError) and exc.code not in (
                ua.StatusCodes.BadSessionIdInvalid,
                ua.StatusCodes.BadSessionClosed,
                ua.StatusCodes.BadSecureChannelClosed,
                ua.StatusCodes.BadConnectionClosed,
                ua.StatusCodes.BadServerNotConnected,
                ua.StatusCodes.BadCommunicationError,
            ):
                raise
            await self._drop(url)
            client = await self._client(url)  # raises EndpointUnreachable when the server stays down
            return await asyncio.wait_for(op(client), timeout=timeout * 4)

    async def catalog(self, url: str, refresh: bool = False) -> Catalog:
        cached = self._catalogs.get(url)
        if cached and not refresh and time.time() - cached.built_at < self.catalog_ttl_s:
            return cached
        cat = await self.call(url, lambda c: build_catalog(c, url, batch=self.settings.opcua.max_nodes_per_read))
        self._catalogs[url] = cat
        return cat

    async def catalogs(self, refresh: bool = False) -> list[Catalog]:
        """Catalogs of every reachable endpoint. Raises EndpointUnreachable only if none is reachable."""
        results = await asyncio.gather(*(self.catalog(e.url, refresh) for e in self.endpoints), return_exceptions=True)
        found: list[Catalog] = []
        self.failures = {}
        for endpoint, res in zip(self.endpoints, results, strict=True):
            if isinstance(res, Catalog):
                found.append(res)
            elif isinstance(res, EndpointUnreachable):
                self.failures[endpoint.url] = res.message
            elif isinstance(res, BaseException):
                self.failures[endpoint.url] = f"OPC UA endpoint {endpoint.url} failed: {type(res).__name__}: {res}"
        if not found and self.failures:
            raise EndpointUnreachable(next(iter(self.failures.values())))
        return found

    async def assets(self) -> list[Asset]:
        return [a for cat in await self.catalogs() for a in cat.assets]

    async def read(self, signals: list[Signal], endpoint: str) -> list[Reading]:
        batch = self.settings.opcua.max_nodes_per_read
        return await self.call(endpoint, lambda c: read_current(c, signals, batch))

    async def history(self, signal: Signal, endpoint: str, start: datetime, end: datetime,
                      max_values: int = 10_000) -> SignalHistory:  # fmt: skip
        """Raw history of one signal (bounded; ``complete`` False when cut at ``max_values``)."""
        return await self.call(endpoint, lambda c: read_raw(c, signal, start, end, max_values))

    async def events(self, start: datetime, end: datetime, max_events: int = 1000) -> list[EventRecord]:
        """Event history from every event source of every reachable endpoint, oldest first."""
        found: list[EventRecord] = []
        for cat in await self.catalogs():
            for src in cat.event_sources:
                if src.history:
                    found += await self.call(
                        cat.endpoint, lambda c, n=src.node_id: read_events(c, n, start, end, max_events)
                    )
        found.sort(key=lambda r: r.time)
        return found[-max_events:]

    async def active_alarms(self, lookback_hours: float = 72.0) -> list[EventRecord]:
        """Alarms still standing: the latest event per source and code within the look-back is not a clear."""
        now = datetime.now(UTC)
        # the end lies far ahead: a simulated plant may run ahead of the wall clock
        return active_alarms(
            await self.events(now - timedelta(hours=lookback_hours), now + timedelta(days=365), 10_000)
        )

    async def close(self) -> None:
        for url in list(self._sessions):
            await self._drop(url)
