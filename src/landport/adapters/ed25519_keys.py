"""Ed25519 keys of the land port: generate, store, load (files or base64), and the dev key.

Key material is never echoed in errors; production refuses to run on the development key
(see `adapters/signing_keys.py`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DEV_KEY_FILE = "landport-dev-ed25519.pem"
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")  # unpadded base64url text
DEV_PUBLIC_KEY_FILE = "landport-dev-ed25519.pub.pem"


class KeyLoadError(ValueError):
    """A key could not be loaded; the message never contains key material."""


def generate_keypair() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    private = Ed25519PrivateKey.generate()
    return private, private.public_key()


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex characters of the SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def b64url(data: bytes) -> str:
    """Unpadded base64url: what signatures and QR payloads are written in."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_b64url(key: Ed25519PrivateKey, data: bytes) -> str:
    return b64url(key.sign(data))


def verifies_b64url(key: Ed25519PublicKey, signature: str, data: bytes) -> bool:
    """True only for an unpadded base64url signature of `data` by `key`."""
    if not B64URL.match(signature):
        return False
    try:
        key.verify(unb64url(signature), data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(_raw_public(key)).decode("ascii")


def load_private_key(path_or_value: str | Path) -> Ed25519PrivateKey:
    """From a file path, or the value itself (as an env variable holds it): PEM or raw base64."""
    text = _read_if_file(path_or_value)
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as e:
            raise KeyLoadError("the private key PEM cannot be read (unencrypted PKCS#8)") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyLoadError("the private key is not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(text, "private"))


def load_public_key(path_or_value: str | Path) -> Ed25519PublicKey:
    """From a file path or the value itself: PEM (SubjectPublicKeyInfo) or raw base64."""
    text = _read_if_file(path_or_value)
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as e:
            raise KeyLoadError("the public key PEM cannot be read") from e
        if not isinstance(key, Ed25519PublicKey):
            raise KeyLoadError("the public key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw32(text, "public"))


def public_keyring(keys: Iterable[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """The mapping `verify_certificate` takes, each key under its own key id."""
    return {key_id(k): k for k in keys}


def load_or_create_dev_key(directory: str | Path) -> Ed25519PrivateKey:
    """Development only: the key under `directory`, created (0600, with its public PEM and a
    `.gitignore` of `*`) on first use and reused afterwards, even by concurrent first users."""
    folder = Path(directory)
    path = folder / DEV_KEY_FILE
    if path.exists():
        return _with_public_file(folder, load_private_key(path))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# signing keys are never committed\n*\n", encoding="utf-8")
    private, _ = generate_keypair()
    tmp = folder / f".{DEV_KEY_FILE}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_key_pem(private))
    try:
        os.link(tmp, path)  # atomic and never overwrites: the first creator wins
    except FileExistsError:
        return _with_public_file(folder, load_private_key(path))
    finally:
        tmp.unlink()
    return _with_public_file(folder, private)


def _with_public_file(folder: Path, private: Ed25519PrivateKey) -> Ed25519PrivateKey:
    """Keep the public PEM next to the dev key, for `verify-certificate --public-key`."""
    public = folder / DEV_PUBLIC_KEY_FILE
    if not public.exists():
        public.write_bytes(public_key_pem(private.public_key()))
    return private


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


_PATH_LIKE = re.compile(r"^(~|\.{1,2}/)|\.(pem|key|pub|b64|txt)$")


def _read_if_file(path_or_value: str | Path) -> str:
    """A Path or an existing file is read; anything else is the key itself (PEM or base64).
    Error messages name a path only when the value cannot be a key: never key material."""
    if isinstance(path_or_value, Path):
        return _read(path_or_value)
    value = path_or_value.strip()
    if "-----BEGIN" in value:
        return value
    if "\n" not in value and len(value) < 4096:
        if Path(value).expanduser().is_file():
            return _read(Path(value).expanduser())
        if _PATH_LIKE.search(value) and not _is_raw32(value):
            raise KeyLoadError(f"no such key file: {value}")
    return value


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise KeyLoadError(f"cannot read key file {path}: {type(e).__name__}") from e


def _is_raw32(text: str) -> bool:
    try:
        return len(_raw32(text, "")) == 32
    except KeyLoadError:
        return False


def _raw32(text: str, which: str) -> bytes:
    try:
        std = text.replace("-", "+").replace("_", "/")
        raw = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    except (ValueError, binascii.Error) as e:
        raise KeyLoadError(f"the {which} key is no readable file, PEM nor base64") from e
    if len(raw) != 32:
        raise KeyLoadError(f"the {which} key must be 32 raw bytes (Ed25519), got {len(raw)}")
    return raw
