"""JT/T 808 (2013 and 2019) codec for BeiDou e-lock terminals: pure, stdlib only.

``framing`` cuts and checks frames, ``messages`` holds headers and bodies, ``codec``
reads and writes them, ``vendors`` turns a location report into a
:class:`~landport.seals.model.SealFix` by each vendor's table, ``decode`` renders hex
captures for people. The TCP side lives in ``landport.adapters.jt808_gateway``.
"""

from __future__ import annotations

from landport.seals.jt808.codec import decode_message, encode, encode_message
from landport.seals.jt808.decode import decode_hex
from landport.seals.jt808.framing import (
    ChecksumError,
    EscapeError,
    FrameError,
    FrameSplitter,
    TruncatedError,
    checksum,
    escape,
    unescape,
)
from landport.seals.jt808.messages import (
    Authentication,
    BatchLocation,
    BodyError,
    Edition,
    Header,
    Heartbeat,
    LocationReport,
    Message,
    PlatformResponse,
    RawBody,
    Registration,
    RegistrationResponse,
    TerminalResponse,
)
from landport.seals.jt808.vendors import VENDORS, VendorProfile, read_seal, to_fixes

__all__ = [
    "VENDORS",
    "Authentication",
    "BatchLocation",
    "BodyError",
    "ChecksumError",
    "Edition",
    "EscapeError",
    "FrameError",
    "FrameSplitter",
    "Header",
    "Heartbeat",
    "LocationReport",
    "Message",
    "PlatformResponse",
    "RawBody",
    "Registration",
    "RegistrationResponse",
    "TerminalResponse",
    "TruncatedError",
    "VendorProfile",
    "checksum",
    "decode_hex",
    "decode_message",
    "encode",
    "encode_message",
    "escape",
    "read_seal",
    "to_fixes",
    "unescape",
]
