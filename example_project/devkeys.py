"""A JWT signing key for local runs only: made once, kept in var/ (git-ignored)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def development_signing_key(path: Path) -> Path:
    """``path``, after writing a new RSA private key there if it has none yet.

    Never used outside development and testing: production settings require
    AUTH_JWT_PRIVATE_KEY (or its _FILE variant) from the environment.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Write then rename: two processes starting at once never read a half-written key.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jwt-key-")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temporary, path)  # fails if another process won the race: keep its key
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path
