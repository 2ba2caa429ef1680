"""The public keys an offline check trusts: those given with --public-key, else this
machine's signing key's public half."""

from __future__ import annotations

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.markup import escape

from landport.entrypoints.cli.app import err


def verifying_keys(public_key: list[str] | None) -> list[Ed25519PublicKey]:
    """The keys, or exit 2 saying why there are none (a bad file, or none here)."""
    from landport.adapters.ed25519_keys import KeyLoadError, load_public_key
    from landport.adapters.signing_keys import local_public_keys

    try:
        keys = [load_public_key(k) for k in public_key] if public_key else local_public_keys()
    except KeyLoadError as e:
        err.print(f"error: --public-key: {escape(str(e))} / 错误：公钥无法读取")
        raise typer.Exit(code=2) from None
    if not keys:
        err.print("error: no public key here; pass --public-key / 错误：未找到公钥，请指定")
        raise typer.Exit(code=2)
    return keys
