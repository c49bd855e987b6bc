"""Engineering units: decode OPC UA EUInformation (UNECE Rec. 20 codes packed in UnitId) to readable symbols."""

from __future__ import annotations

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"


def unece_code(unit_id: int) -> str:
    """OPC UA packs the UNECE common code's ASCII bytes into UnitId (Part 8, 5.6.3)."""
    chars = []
    while unit_id > 0:
        chars.append(chr(unit_id & 0xFF))
        unit_id >>= 8
    return "".join(reversed(chars))


def unit_id(code: str) -> int:
    """The UnitId for a UNECE common code (inverse of :func:`unece_code`)."""
    uid = 0
    for ch in code:
        uid = (uid << 8) | ord(ch)
    return uid
