"""Work-arounds for asyncua defects that show only against other OPC UA stacks.

DataValue decoding (asyncua 2.1.0): the binary encoding of a DataValue (OPC 10000-6, 5.2.2.17) is
``mask, Value, StatusCode, SourceTimestamp, SourcePicoseconds, ServerTimestamp, ServerPicoseconds``; asyncua's
generic dataclass decoder reads the fields in the order of its ``DataValue`` dataclass, where ``ServerTimestamp``
precedes ``SourcePicoseconds``. Servers that send picoseconds (node-opcua does, for every value) therefore come back
with a garbled ServerTimestamp (often clamped to 9999-12-31) and SourcePicoseconds. The byte count is the same, so
nothing else breaks. :func:`fix_datavalue_decoding` installs a spec-order decoder for DataValue; it does nothing
when the installed asyncua already declares the fields in wire order. asyncua's own servers never send source
picoseconds, so they are unaffected either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from asyncua import ua
from asyncua.ua import ua_binary

_installed = False


def _datavalue_decoder() -> Callable[[Any], ua.DataValue]:
    unpack_mask = ua_binary.Primitives.Byte.unpack
    unpack_variant = ua_binary.variant_from_binary
    unpack_status = ua_binary._create_type_deserializer(ua.StatusCode, ua.DataValue)
    unpack_time = ua_binary.Primitives.DateTime.unpack
    unpack_pico = ua_binary.Primitives.UInt16.unpack
    data_value = ua.DataValue

    def decode(data: Any) -> ua.DataValue:
        mask = unpack_mask(data)
        kw: dict[str, Any] = {}
        if mask & 0x01:
            kw["Value"] = unpack_variant(data)
        if mask & 0x02:
            kw["StatusCode"] = unpack_status(data)
        if mask & 0x04:
            kw["SourceTimestamp"] = unpack_time(data)
        if mask & 0x10:
            kw["SourcePicoseconds"] = unpack_pico(data)
        if mask & 0x08:
            kw["ServerTimestamp"] = unpack_time(data)
        if mask & 0x20:
            kw["ServerPicoseconds"] = unpack_pico(data)
        return data_value(**kw)

    return decode


def fix_datavalue_decoding() -> bool:
    """Decode DataValues in wire order (idempotent). True when the fix is (now) active."""
    global _installed
    if _installed:
        return True
    names = [f.name for f in dataclasses.fields(ua.DataValue)]
    if names.index("SourcePicoseconds") < names.index("ServerTimestamp"):
        return False  # this asyncua already decodes in wire order
    original = ua_binary._create_dataclass_deserializer
    decoder = _datavalue_decoder()

    def create_dataclass_deserializer(objtype: type | str) -> Callable[[Any], Any]:
        if objtype is ua.DataValue or objtype == "DataValue":
            return decoder
        return original(objtype)

    ua_binary._create_dataclass_deserializer = create_dataclass_deserializer  # type: ignore[assignment]
    # deserializers built before now captured the old DataValue decoder: drop them, they are rebuilt on demand
    for cached in (
        original,
        ua_binary._create_type_deserializer,
        ua_binary._create_list_deserializer,
        ua_binary._create_uatype_deserializer,
        ua_binary._create_uatype_array_deserializer,
    ):
        cached.cache_clear()
    _installed = True
    return True
