"""JT/T 808 framing (clause 4.4 "消息的组成"): 0x7E flags, 0x7D escapes, XOR check code.

On the wire a message is ``7E | escape(header + body + check) | 7E``. The check code is
the XOR of every byte of header and body, computed *before* escaping; escaping turns
0x7E into 7D 02 and 0x7D into 7D 01 so the flag never appears inside a frame.

A TCP read may end in the middle of a frame or hold several; :class:`FrameSplitter`
keeps the partial tail between reads, so frames come out whole whatever the chunking.
"""

from __future__ import annotations

FLAG = 0x7E
ESCAPE = 0x7D
_ESCAPED = {0x02: FLAG, 0x01: ESCAPE}

# Largest frame that can be legal: 2019 header with subpackage item (21 bytes), a full
# 1023-byte body and the check code, every byte escaped (doubled), plus both flags.
MAX_FRAME = 2 * (21 + 1023 + 1) + 2


class FrameError(ValueError):
    """A frame that cannot be trusted: bad escape, bad check code, or cut short."""


class EscapeError(FrameError):
    pass


class ChecksumError(FrameError):
    pass


class TruncatedError(FrameError):
    pass


def escape(data: bytes) -> bytes:
    """Escape 0x7D first (as 7D 01), then 0x7E (as 7D 02), so flags never appear inside."""
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; a lone 0x7D, an unknown escape or a raw 0x7E is an error."""
    if FLAG in data:
        raise EscapeError("raw 0x7E inside a frame")
    if ESCAPE not in data:
        return data
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b != ESCAPE:
            out.append(b)
            i += 1
            continue
        if i + 1 >= n:
            raise EscapeError("frame ends in the middle of an escape (0x7D)")
        original = _ESCAPED.get(data[i + 1])
        if original is None:
            raise EscapeError(f"invalid escape 0x7D 0x{data[i + 1]:02X}")
        out.append(original)
        i += 2
    return bytes(out)


def checksum(data: bytes) -> int:
    """XOR of all bytes (clause 4.4.4 "校验码")."""
    result = 0
    for b in data:
        result ^= b
    return result


def wrap(message: bytes) -> bytes:
    """Header + body -> a complete frame with check code, escaping and both flags."""
    return bytes([FLAG]) + escape(message + bytes([checksum(message)])) + bytes([FLAG])


def unwrap(frame: bytes) -> bytes:
    """A frame (flags optional) -> header + body, after checking escapes and the check code."""
    inner = frame
    if inner[:1] == b"\x7e":
        inner = inner[1:]
    if inner[-1:] == b"\x7e":
        inner = inner[:-1]
    data = unescape(inner)
    if len(data) < 2:
        raise TruncatedError("frame too short to hold a header and a check code")
    payload, check = data[:-1], data[-1]
    expected = checksum(payload)
    if check != expected:
        raise ChecksumError(f"check code 0x{check:02X} != XOR 0x{expected:02X}")
    return payload


class FrameSplitter:
    """Cuts a TCP byte stream into frames (each returned with both 0x7E flags).

    Bytes before the first flag are line noise and are dropped. Each later flag closes
    the frame in progress and opens the next, so ``7E A 7E 7E B 7E`` and ``7E A 7E B 7E``
    both give A and B (terminals differ on repeating the flag); stray bytes between
    frames come out as a frame that fails its check code. A frame growing past
    ``max_frame`` is discarded up to its closing flag, so a babbling peer cannot grow
    the buffer without bound.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self.discarded = 0  # frames dropped for being too long
        self._buffer = bytearray()
        self._in_frame = False
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame held for the next read."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        start = 0
        while start < len(data):
            flag_at = data.find(b"\x7e", start)
            chunk = data[start:] if flag_at < 0 else data[start:flag_at]
            if self._in_frame and not self._skipping:
                self._buffer += chunk
                if len(self._buffer) + 2 > self.max_frame:
                    self._buffer.clear()
                    self._skipping = True
                    self.discarded += 1
            if flag_at < 0:
                break
            self._on_flag(frames)
            start = flag_at + 1
        return frames

    def _on_flag(self, frames: list[bytes]) -> None:
        # Every flag after the first may both close a frame and open the next one.
        if self._in_frame and self._buffer and not self._skipping:
            frames.append(b"\x7e" + bytes(self._buffer) + b"\x7e")
            self._buffer.clear()
        self._skipping = False
        self._in_frame = True
