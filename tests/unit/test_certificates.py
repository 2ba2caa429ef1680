"""A trip certificate verifies offline, and any change to it, or the wrong key, is caught."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import segno

from landport.adapters.certificate_content import CustodySummary, TripCertificate
from landport.adapters.certificates import (
    DEV_KEY_FILE,
    DEV_PUBLIC_KEY_FILE,
    KeyLoadError,
    MalformedToken,
    certificate_qr_png,
    certificate_qr_svg,
    document_json,
    generate_keypair,
    key_id,
    load_or_create_dev_key,
    load_private_key,
    load_public_key,
    parse_qr_payload,
    private_key_b64,
    private_key_pem,
    public_key_b64,
    public_key_pem,
    public_keyring,
    sign_certificate,
    verify_certificate,
    verify_qr_payload,
)
from landport.audit.chain import canonical_json
from landport.seals.certificate_rules import CLOCK_TOLERANCE, VALIDITY_GRACE

ARMED = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
PRIVATE, PUBLIC = generate_keypair()
KID = key_id(PUBLIC)
KEYS = public_keyring([PUBLIC])
DURING = ARMED + timedelta(hours=20)  # the trip under way: issued, its window not yet over


def certificate(**changes: Any) -> TripCertificate:
    fields: dict[str, Any] = dict(
        trip_id="5f0c6a1e2b3d4c5e8f9a0b1c2d3e4f50",
        seal_id="EL-0042",
        declaration_id="9a8b7c6d5e4f30211203948576abcdef",
        declaration_number="650120260000123456",
        vehicle_plate="藏B12345",
        containers=("MSKU1234565", "TGHU7654321"),
        exit_port="gyirong",
        route_id="shigatse-gyirong",
        passport_digest="ab" * 32,
        armed_at=ARMED,
        window_start=ARMED + timedelta(hours=9),
        window_end=ARMED + timedelta(hours=30),
        issued_at=ARMED + timedelta(hours=14, minutes=20),
        custody=CustodySummary(fixes=2812, share_inside=0.9641, longest_gap_minutes=47.4, alerts=0),
        issuer=KID,
    )
    fields.update(changes)
    return TripCertificate(**fields)


def codes(check: Any) -> set[str]:
    return {r.code for r in check.reasons}


def test_a_signed_certificate_verifies_with_the_issuers_public_key() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    check = verify_certificate(document, KEYS, at=DURING)
    assert check.valid and check.reasons == () and check.key_id == KID
    assert document["certificate"]["schema"] == "landport.trip-certificate/1"
    assert document["certificate"]["custody"]["share_inside"] == "0.9641"
    assert set(document) == {"certificate", "signature", "key_id", "qr"}


def test_the_file_text_verifies_as_written_and_after_reformatting() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    text = document_json(document)
    assert verify_certificate(text, KEYS, at=DURING).valid
    compact = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=True)
    assert verify_certificate(compact.encode(), KEYS, at=DURING).valid


def test_any_single_byte_change_to_the_content_invalidates() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    content = canonical_json(document["certificate"])
    rest = {k: v for k, v in document.items() if k != "certificate"}
    untouched = b'{"certificate":' + content + b"," + json.dumps(rest).encode()[1:]
    assert verify_certificate(untouched, KEYS, at=DURING).valid
    for i in range(len(content)):
        changed = content[:i] + bytes([content[i] ^ 0x01]) + content[i + 1 :]
        text = b'{"certificate":' + changed + b"," + json.dumps(rest).encode()[1:]
        assert not verify_certificate(text, KEYS, at=DURING).valid, f"byte {i} changed, still valid"


def test_a_changed_value_is_reported_as_a_bad_signature() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    document["certificate"]["vehicle_plate"] = "藏B54321"
    assert codes(verify_certificate(document, KEYS, at=DURING)) == {"bad_signature"}


def test_a_certificate_checked_against_the_wrong_key_is_invalid() -> None:
    _, other_public = generate_keypair()
    document = sign_certificate(certificate(), PRIVATE)
    check = verify_certificate(document, {KID: other_public}, at=DURING)
    assert not check.valid and codes(check) == {"bad_signature"}


def test_a_certificate_signed_by_an_unknown_key_is_invalid() -> None:
    other_private, other_public = generate_keypair()
    document = sign_certificate(certificate(issuer=key_id(other_public)), other_private)
    check = verify_certificate(document, KEYS, at=DURING)
    assert not check.valid and codes(check) == {"unknown_key"}
    assert key_id(other_public) in check.reasons[0].message_en


def test_relabelling_the_key_id_is_caught() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    _, other_public = generate_keypair()
    document["key_id"] = key_id(other_public)
    keys = {**KEYS, key_id(other_public): other_public}
    assert "issuer_mismatch" in codes(verify_certificate(document, keys, at=DURING))


@pytest.mark.parametrize(
    "junk",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        {"certificate": {}},
        {"certificate": [], "signature": "x", "key_id": KID},
        {"certificate": {"issuer": KID}, "signature": "!!", "key_id": KID},
        {"certificate": {"issuer": KID}, "signature": "AAAA", "key_id": KID},
    ],
)
def test_malformed_documents_are_invalid_with_a_reason_never_an_exception(junk: Any) -> None:
    check = verify_certificate(junk, KEYS, at=DURING)
    assert not check.valid and check.reasons
    assert all(r.message_en and r.message_zh for r in check.reasons)


def test_the_signer_refuses_content_whose_issuer_is_another_key() -> None:
    with pytest.raises(ValueError, match="issuer"):
        sign_certificate(certificate(issuer="0" * 16), PRIVATE)


def test_the_qr_payload_round_trips_and_verifies_offline() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    token = document["qr"]
    assert token.startswith("LP1.") and len(token) < 500
    claims = parse_qr_payload(token)
    assert claims["trip_id"] == document["certificate"]["trip_id"]
    assert claims["vehicle_plate"] == "藏B12345"
    assert claims["containers"] == ["MSKU1234565", "TGHU7654321"]
    assert claims["window_end"] == document["certificate"]["window"]["end"]
    assert claims["key_id"] == KID
    assert verify_qr_payload(token, KEYS, at=DURING).valid


def test_a_changed_or_foreign_qr_token_is_invalid() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    prefix, _, sig = document["qr"].split(".")
    other = sign_certificate(certificate(trip_id="another"), PRIVATE)
    _, other_payload, _ = other["qr"].split(".")
    assert codes(verify_qr_payload(f"{prefix}.{other_payload}.{sig}", KEYS, at=DURING)) == {
        "bad_signature"
    }
    assert codes(verify_qr_payload("https://example.com", KEYS, at=DURING)) == {"malformed"}
    assert codes(verify_qr_payload(document["qr"], {}, at=DURING)) == {"unknown_key"}
    with pytest.raises(MalformedToken):
        parse_qr_payload("LP1.bm90IGpzb24.AAAA")
    document["qr"] = other["qr"]  # a valid token, but of another certificate
    assert codes(verify_certificate(document, KEYS, at=DURING)) == {"qr_mismatch"}


def test_the_qr_renders_as_svg_and_png_at_a_scannable_version() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    svg = certificate_qr_svg(document)
    png = certificate_qr_png(document)
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert segno.make(document["qr"], error="m", boost_error=False).version <= 20


def test_keys_round_trip_through_pem_and_raw_base64() -> None:
    assert key_id(load_private_key(private_key_pem(PRIVATE).decode()).public_key()) == KID
    assert key_id(load_private_key(private_key_b64(PRIVATE)).public_key()) == KID
    assert key_id(load_public_key(public_key_pem(PUBLIC).decode())) == KID
    assert key_id(load_public_key(public_key_b64(PUBLIC))) == KID
    assert len(KID) == 16 and int(KID, 16) >= 0


def test_keys_load_from_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_bytes(private_key_pem(PRIVATE))
    assert key_id(load_private_key(path).public_key()) == KID
    assert key_id(load_private_key(str(path)).public_key()) == KID


def test_a_missing_key_file_or_junk_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyLoadError, match="no such key file"):
        load_private_key(str(tmp_path / "absent.pem"))
    with pytest.raises(KeyLoadError, match="cannot read key file"):
        load_private_key(tmp_path / "absent")
    with pytest.raises(KeyLoadError, match="32 raw bytes"):
        load_private_key("c2hvcnQ=")
    with pytest.raises(KeyLoadError, match="no readable file, PEM nor base64"):
        load_public_key("not a key!")


def test_the_dev_key_is_created_once_and_reused(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "keys"
    first = load_or_create_dev_key(folder)
    second = load_or_create_dev_key(folder)
    assert key_id(first.public_key()) == key_id(second.public_key())
    assert os.stat(folder / DEV_KEY_FILE).st_mode & 0o077 == 0
    assert key_id(load_public_key(folder / DEV_PUBLIC_KEY_FILE)) == key_id(first.public_key())
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_a_token_nested_past_the_stack_is_malformed_not_a_crash() -> None:
    """A scanned text is anyone's: JSON nested 1,400 deep once crashed the verifier."""
    payload = base64.urlsafe_b64encode(b"[" * 1400).rstrip(b"=").decode()
    assert codes(verify_qr_payload(f"LP1.{payload}.AAAA", KEYS, at=DURING)) == {"malformed"}


# --- validity: a paper printed during the trip stops verifying once it is long over --------

WINDOW_END = ARMED + timedelta(hours=30)
VALID_UNTIL = WINDOW_END + timedelta(hours=24)  # 2026-05-03 08:00 UTC = 16:00 in Beijing
SECOND = timedelta(seconds=1)


def token_with(token: str, drop: str | None = None, **claims: Any) -> str:
    """The token with a claim dropped or changed and its signature kept (a forgery)."""
    prefix, payload, sig = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.pop(drop, None)
    decoded.update(claims)
    changed = base64.urlsafe_b64encode(canonical_json(decoded)).rstrip(b"=").decode()
    return f"{prefix}.{changed}.{sig}"


def test_the_certificate_and_its_qr_carry_a_signed_validity_end() -> None:
    assert timedelta(hours=24) == VALIDITY_GRACE
    document = sign_certificate(certificate(), PRIVATE)
    assert document["certificate"]["valid_until"] == "2026-05-03T08:00:00+00:00"
    assert parse_qr_payload(document["qr"])["valid_until"] == "2026-05-03T08:00:00+00:00"
    assert verify_certificate(document, KEYS, at=DURING).valid_until == VALID_UNTIL
    assert verify_qr_payload(document["qr"], KEYS, at=DURING).valid_until == VALID_UNTIL
    assert len(document["qr"]) < 500


def test_a_paper_verifies_up_to_its_validity_end_and_is_refused_as_expired_after() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    assert verify_certificate(document, KEYS, at=VALID_UNTIL).valid
    assert verify_qr_payload(document["qr"], KEYS, at=VALID_UNTIL).valid
    for check, field in [
        (verify_certificate(document, KEYS, at=VALID_UNTIL + SECOND), "certificate.valid_until"),
        (verify_qr_payload(document["qr"], KEYS, at=VALID_UNTIL + SECOND), "qr.valid_until"),
        (verify_qr_payload(document["qr"], KEYS, at=VALID_UNTIL + timedelta(days=400)), None),
    ]:
        assert not check.valid and codes(check) == {"expired"}
        (reason,) = check.reasons
        assert field is None or reason.field == field
        # named in Beijing time, as the border reads its clocks, in both languages
        assert "2026-05-03 16:00" in reason.message_en and "Beijing" in reason.message_en
        assert "2026-05-03 16:00" in reason.message_zh and "北京时间" in reason.message_zh
        assert "过期" in reason.message_zh and "expired" in reason.message_en


def test_an_expired_paper_is_refused_at_any_timezone_of_the_verifiers_clock() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    in_beijing = (VALID_UNTIL + SECOND).astimezone(timezone(timedelta(hours=8)))
    assert codes(verify_certificate(document, KEYS, at=in_beijing)) == {"expired"}
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_certificate(document, KEYS, at=DURING.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_qr_payload(document["qr"], KEYS, at=DURING.replace(tzinfo=None))


def test_moving_the_validity_end_breaks_the_signature() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    later = VALID_UNTIL + timedelta(days=30)
    document["certificate"]["valid_until"] = later.isoformat()
    for at in (DURING, VALID_UNTIL + timedelta(days=1)):
        check = verify_certificate(document, KEYS, at=at)
        assert codes(check) == {"bad_signature"} and check.valid_until is None
    document["certificate"].pop("valid_until")  # nor may it be dropped for the fallback
    assert codes(verify_certificate(document, KEYS, at=DURING)) == {"bad_signature"}
    token = sign_certificate(certificate(), PRIVATE)["qr"]
    forged = token_with(token, v=int(later.timestamp()))
    assert codes(verify_qr_payload(forged, KEYS, at=VALID_UNTIL + timedelta(days=1))) == {
        "bad_signature"
    }
    assert token_with(token) == token  # the forger itself changes nothing unasked
    dropped = token_with(token, drop="v")  # nor may `v` be dropped for the fallback
    assert codes(verify_qr_payload(dropped, KEYS, at=DURING)) == {"bad_signature"}


def test_a_paper_signed_before_valid_until_existed_is_valid_until_its_window_end_and_a_day() -> (
    None
):
    old = certificate().as_dict()
    del old["valid_until"]  # the content as signed before this field
    document = sign_certificate(old, PRIVATE)
    assert "valid_until" not in document["certificate"]
    assert parse_qr_payload(document["qr"])["valid_until"] is None  # no `v` claim
    assert token_with(document["qr"], drop="v") == document["qr"]  # it has no `v` to drop
    for at, valid in [(VALID_UNTIL, True), (VALID_UNTIL + SECOND, False)]:
        for check in (
            verify_certificate(document, KEYS, at=at),
            verify_qr_payload(document["qr"], KEYS, at=at),
        ):
            assert check.valid is valid and check.valid_until == VALID_UNTIL
            if not valid:
                assert codes(check) == {"expired"}
                assert "2026-05-03 16:00" in check.reasons[0].message_en


def test_a_paper_issued_ahead_of_the_verifiers_clock_is_refused_beyond_the_tolerance() -> None:
    assert timedelta(minutes=15) == CLOCK_TOLERANCE
    document = sign_certificate(certificate(), PRIVATE)
    issued = ARMED + timedelta(hours=14, minutes=20)  # 00:20 the next day in Beijing
    within = issued - CLOCK_TOLERANCE
    assert verify_certificate(document, KEYS, at=within).valid
    assert verify_qr_payload(document["qr"], KEYS, at=within).valid
    behind = within - SECOND
    check = verify_certificate(document, KEYS, at=behind)
    assert codes(check) == {"issued_in_future"}
    assert check.reasons[0].field == "certificate.issued_at"
    assert "2026-05-02 00:20" in check.reasons[0].message_en
    assert "2026-05-02 00:20" in check.reasons[0].message_zh
    qr = verify_qr_payload(document["qr"], KEYS, at=behind)
    assert codes(qr) == {"issued_in_future"} and qr.reasons[0].field == "qr.issued_at"


def test_the_verdict_reports_the_validity_end_in_its_json() -> None:
    document = sign_certificate(certificate(), PRIVATE)
    answer = verify_certificate(document, KEYS, at=VALID_UNTIL + SECOND).as_dict()
    assert answer["valid"] is False and answer["valid_until"] == "2026-05-03T08:00:00+00:00"
    assert [r["code"] for r in answer["reasons"]] == ["expired"]
