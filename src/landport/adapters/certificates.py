"""Signed trip certificates (Ed25519 over canonical JSON) and their compact QR token.

The file: `{"certificate": {...}, "signature": b64url, "key_id": "...", "qr": "LP1..."}`.
`signature` is Ed25519 over the certificate's canonical JSON (sorted keys, no spaces, UTF-8),
so a pretty-printed or re-ordered file still verifies and any change to a value does not.
`qr` is a separately signed compact token for the QR code, verifiable offline on its own:

    LP1.<base64url(canonical JSON of the claims)>.<base64url(Ed25519 signature)>

signed over the ASCII text before the last dot. The claims are the essentials the border
reads (trip, seal, declaration number, plate, containers, exit port, window end, issue time,
validity end, key id) plus `h`, the SHA-256 of the full certificate's canonical JSON, which
binds the QR to the file. No floats are signed: decimals are strings, so every language
re-canonicalises the same bytes. Verification never raises: it returns `CertificateCheck`
with every reason.

A certificate expires: verifying takes the time of verification (`at`, timezone-aware: the
caller's clock) and refuses a paper after its signed `valid_until` (`expired`) or issued
more than `CLOCK_TOLERANCE` after `at` (`issued_in_future`). A certificate or token signed
before `valid_until` existed has none: its window end plus `VALIDITY_GRACE` stands for it.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from landport.adapters.certificate_content import (
    CERTIFICATE_SCHEMA,
    TripCertificate,
    certificate_time,
)
from landport.adapters.ed25519_keys import (
    B64URL,
    DEV_KEY_FILE,
    DEV_PUBLIC_KEY_FILE,
    KeyLoadError,
    b64url,
    generate_keypair,
    key_id,
    load_or_create_dev_key,
    load_private_key,
    load_public_key,
    private_key_b64,
    private_key_pem,
    public_key_b64,
    public_key_pem,
    public_keyring,
    sign_b64url,
    unb64url,
    verifies_b64url,
)
from landport.audit.chain import canonical_json
from landport.seals.certificate_rules import (
    CLOCK_TOLERANCE,
    VALIDITY_GRACE,
    time_reasons,
    valid_until_for,
)
from landport.shared.errors import Violation

QR_PREFIX = "LP1"

_KEYS = ("certificate", "signature", "key_id")


# --- signing and verifying -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """The outcome of a verification: valid, or every reason it is not."""

    valid: bool
    reasons: tuple[Violation, ...] = ()
    key_id: str | None = None
    certificate: dict[str, Any] | None = None
    #: Until when the paper verifies (its signed `valid_until`, or for a paper without one
    #: the window end plus `VALIDITY_GRACE`); None when the signature did not hold.
    valid_until: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "key_id": self.key_id,
            "reasons": [r.as_dict() for r in self.reasons],
            "certificate": self.certificate,
            "valid_until": None if self.valid_until is None else certificate_time(self.valid_until),
        }


def sign_certificate(
    content: TripCertificate | Mapping[str, Any], private_key: Ed25519PrivateKey
) -> dict[str, Any]:
    """The certificate file as a dict (write it with `document_json`)."""
    cert = content.as_dict() if isinstance(content, TripCertificate) else dict(content)
    kid = key_id(private_key.public_key())
    if cert.get("issuer") != kid:
        raise ValueError(f"the certificate's issuer must be the signing key's id {kid}")
    signature = sign_b64url(private_key, canonical_json(cert))
    signed = f"{QR_PREFIX}.{b64url(canonical_json(_claims(cert, kid)))}"
    token = f"{signed}.{sign_b64url(private_key, signed.encode('ascii'))}"
    return {"certificate": cert, "signature": signature, "key_id": kid, "qr": token}


def document_json(document: Mapping[str, Any]) -> str:
    """The file's text: readable, and verifiable as is (verification re-canonicalises)."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def verify_certificate(
    document: Mapping[str, Any] | str | bytes,
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    at: datetime,
) -> CertificateCheck:
    """Valid only if well formed, signed by a known key, unchanged and current at `at` (the
    caller's clock; timezone-aware): never raises for what it is handed, only for a naive
    `at`, a mistake of the caller's."""
    _require_aware(at)
    try:
        return _verify_document(document, public_keys, at)
    except Exception as e:  # a verifier must answer, whatever it was handed
        return _invalid("document", "malformed", f"unreadable: {type(e).__name__}", "无法读取")


def _verify_document(
    document: Mapping[str, Any] | str | bytes,
    public_keys: Mapping[str, Ed25519PublicKey],
    at: datetime,
) -> CertificateCheck:
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except (ValueError, UnicodeDecodeError):
            return _invalid("document", "malformed", "the file is not JSON", "文件不是 JSON 格式")
    if not isinstance(document, Mapping) or any(k not in document for k in _KEYS):
        return _invalid(
            "document",
            "malformed",
            "the file needs certificate, signature and key_id",
            "文件须包含 certificate、signature 和 key_id",
        )
    cert, sig, kid = (document[k] for k in _KEYS)
    if not isinstance(cert, dict) or not isinstance(sig, str) or not isinstance(kid, str):
        return _invalid("document", "malformed", "wrong field types", "字段类型错误")
    reasons: list[Violation] = []
    if cert.get("schema") != CERTIFICATE_SCHEMA:
        reasons.append(
            Violation(
                "certificate.schema",
                "unknown_schema",
                f"schema is {cert.get('schema')!r}, expected {CERTIFICATE_SCHEMA}",
                f"格式版本 {cert.get('schema')!r} 不受支持",
            )
        )
    if cert.get("issuer") != kid:
        reasons.append(
            Violation(
                "certificate.issuer",
                "issuer_mismatch",
                "the certificate's issuer is not the signing key",
                "证书签发方与签名密钥不符",
            )
        )
    key = public_keys.get(kid)
    signed = key is not None and verifies_b64url(key, sig, canonical_json(cert))
    if key is None:
        reasons.append(_unknown_key(kid))
    elif not signed:
        reasons.append(
            Violation(
                "signature",
                "bad_signature",
                f"the signature does not match the content under key {kid}: "
                "the certificate was changed or signed by another key",
                f"签名与内容不符（密钥 {kid}）：证书被改动或由其他密钥签发",
            )
        )
    token = document.get("qr")
    if token is not None and key is not None and not reasons:
        # The token's own times are the certificate's: they are judged once, below.
        qr = _verify_token(token, {kid: key}, None) if isinstance(token, str) else None
        digest = _digest(cert)
        if qr is None or not qr.valid or (qr.certificate or {}).get("certificate_digest") != digest:
            reasons.append(
                Violation(
                    "qr",
                    "qr_mismatch",
                    "the QR token is not this certificate's",
                    "二维码与证书内容不符",
                )
            )
    until = None
    if signed:  # a time no key vouches for says nothing: a bad signature is the reason then
        until = _document_valid_until(cert)
        if until is None:
            reasons.append(
                Violation(
                    "certificate.valid_until",
                    "malformed",
                    "the certificate has no readable validity end (valid_until or window end)",
                    "证书缺少可读的有效期截止时间（valid_until 或时间窗结束时间）",
                )
            )
        else:
            issued = _stamp(cert.get("issued_at"))
            reasons.extend(time_reasons("certificate", until, issued, at))
    return CertificateCheck(not reasons, tuple(reasons), kid, cert, until)


# --- the QR token ----------------------------------------------------------------------------


class MalformedToken(ValueError):
    """The scanned text is not a Landport certificate token."""


def qr_token(document: Mapping[str, Any]) -> str:
    token = document.get("qr")
    if not isinstance(token, str):
        raise ValueError("the document has no QR token (sign it with sign_certificate)")
    return token


def certificate_qr(document: Mapping[str, Any]) -> segno.QRCode:
    """Error correction M (15% damage); about version 16 (81 modules) for two containers."""
    return segno.make(qr_token(document), error="m", boost_error=False, micro=False)


def certificate_qr_svg(document: Mapping[str, Any], *, scale: int = 4) -> str:
    buffer = io.BytesIO()
    certificate_qr(document).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def certificate_qr_png(document: Mapping[str, Any], *, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    certificate_qr(document).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def parse_qr_payload(text: str) -> dict[str, Any]:
    """The token's claims under readable names; raises `MalformedToken` (nothing verified)."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != QR_PREFIX or not all(map(B64URL.match, parts[1:])):
        raise MalformedToken(f"not a {QR_PREFIX} certificate token")
    try:
        claims = json.loads(unb64url(parts[1]))
    except (ValueError, binascii.Error, RecursionError) as e:  # "[[[[..." nests past the stack
        raise MalformedToken("the token's payload is not base64url JSON") from e
    if not isinstance(claims, dict) or not isinstance(claims.get("k"), str):
        raise MalformedToken("the token's payload has no key id")
    names = {
        "t": "trip_id",
        "s": "seal_id",
        "n": "declaration_number",
        "p": "vehicle_plate",
        "c": "containers",
        "x": "exit_port",
        "e": "window_end",
        "i": "issued_at",
        "v": "valid_until",
        "h": "certificate_digest",
        "k": "key_id",
    }
    out = {long: claims.get(short) for short, long in names.items()}
    for stamp in ("window_end", "issued_at", "valid_until"):
        value = out[stamp]
        if stamp == "valid_until" and "v" not in claims:
            continue  # a token signed before `v` existed: see `verify_qr_payload`
        if not isinstance(value, int) or isinstance(value, bool):
            raise MalformedToken(f"the token's {stamp} is not a time")
        try:
            out[stamp] = certificate_time(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError) as e:
            raise MalformedToken(f"the token's {stamp} is out of range") from e
    return {"format": QR_PREFIX, **out, "signature": parts[2]}


def verify_qr_payload(
    text: str, public_keys: Mapping[str, Ed25519PublicKey], *, at: datetime
) -> CertificateCheck:
    """Offline check of a scanned token, current at `at` (the caller's clock; timezone-aware):
    never raises for what it is handed, only for a naive `at`. A token without `v` (signed
    before it existed) is valid until its window end `e` plus `VALIDITY_GRACE`."""
    _require_aware(at)
    try:
        return _verify_token(text, public_keys, at)
    except Exception as e:  # a verifier must answer, whatever was scanned
        return _invalid("qr", "malformed", f"unreadable: {type(e).__name__}", "无法读取")


def _verify_token(
    text: str, public_keys: Mapping[str, Ed25519PublicKey], at: datetime | None
) -> CertificateCheck:
    """The token's check; its times are judged only when `at` is given."""
    try:
        parsed = parse_qr_payload(text)
    except MalformedToken as e:
        return _invalid("qr", "malformed", str(e), "二维码不是有效的通关证书")
    kid = parsed["key_id"]
    key = public_keys.get(kid)
    if key is None:
        return CertificateCheck(False, (_unknown_key(kid),), kid, parsed)
    signed, _, sig = text.strip().rpartition(".")
    if not verifies_b64url(key, sig, signed.encode("ascii")):
        reason = Violation(
            "qr.signature",
            "bad_signature",
            f"the QR token's signature does not match under key {kid}",
            f"二维码签名无效（密钥 {kid}）",
        )
        return CertificateCheck(False, (reason,), kid, parsed)
    stated = parsed["valid_until"]
    window_end = datetime.fromisoformat(parsed["window_end"])
    until = datetime.fromisoformat(stated) if stated else valid_until_for(window_end)
    issued = datetime.fromisoformat(parsed["issued_at"])
    reasons = () if at is None else tuple(time_reasons("qr", until, issued, at))
    return CertificateCheck(not reasons, reasons, kid, parsed, until)


# --- helpers ---------------------------------------------------------------------------------


def _claims(cert: Mapping[str, Any], kid: str) -> dict[str, Any]:
    window = cert.get("window") or {}
    claims = {
        "t": cert.get("trip_id"),
        "s": cert.get("seal_id"),
        "n": cert.get("declaration_number"),
        "p": cert.get("vehicle_plate"),
        "c": cert.get("containers"),
        "x": cert.get("exit_port"),
        "e": _epoch(window.get("end")),
        "i": _epoch(cert.get("issued_at")),
        "h": _digest(cert),
        "k": kid,
    }
    if "valid_until" in cert:  # content without one signs an old-style token, read the same
        claims["v"] = _epoch(cert["valid_until"])
    return claims


def _document_valid_until(cert: Mapping[str, Any]) -> datetime | None:
    """The signed `valid_until`; for a certificate without one, its window end plus
    `VALIDITY_GRACE`. None when what is there cannot be read (never a guess)."""
    if "valid_until" in cert:
        return _stamp(cert["valid_until"])
    window = cert.get("window")
    end = _stamp(window.get("end")) if isinstance(window, Mapping) else None
    return None if end is None else valid_until_for(end)


def _stamp(value: Any) -> datetime | None:
    """A signed time (ISO 8601 with an offset), or None: a naive time is not guessed at."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.utcoffset() is not None else None


def _require_aware(at: datetime) -> None:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValueError("the time of verification must be a timezone-aware datetime (UTC)")


def _digest(cert: Mapping[str, Any]) -> str:
    return b64url(hashlib.sha256(canonical_json(dict(cert))).digest())


def _epoch(value: Any) -> int | None:
    return int(datetime.fromisoformat(value).timestamp()) if isinstance(value, str) else None


def _unknown_key(kid: str) -> Violation:
    return Violation(
        "key_id",
        "unknown_key",
        f"no public key with id {kid} is configured",
        f"未配置密钥编号为 {kid} 的公钥",
    )


def _invalid(path: str, code: str, en: str, zh: str) -> CertificateCheck:
    return CertificateCheck(False, (Violation(path, code, en, zh),))


__all__ = [
    "CLOCK_TOLERANCE",
    "DEV_KEY_FILE",
    "DEV_PUBLIC_KEY_FILE",
    "VALIDITY_GRACE",
    "CertificateCheck",
    "KeyLoadError",
    "MalformedToken",
    "certificate_qr",
    "certificate_qr_png",
    "certificate_qr_svg",
    "document_json",
    "generate_keypair",
    "key_id",
    "load_or_create_dev_key",
    "load_private_key",
    "load_public_key",
    "parse_qr_payload",
    "private_key_b64",
    "private_key_pem",
    "public_key_b64",
    "public_key_pem",
    "public_keyring",
    "qr_token",
    "sign_certificate",
    "verify_certificate",
    "verify_qr_payload",
]
