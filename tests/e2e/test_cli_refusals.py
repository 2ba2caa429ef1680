"""Bad values on the command line, run as a user would: each is refused before anything is
read or changed, in English and Chinese naming the option, with exit status 2 and no
traceback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

LANDPORT = str(Path(sys.executable).with_name("landport"))


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url, "NO_COLOR": "1", "COLUMNS": "2000"}
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_refused(done: subprocess.CompletedProcess[str], option: str, *words: str) -> None:
    """Exit 2, no traceback, nothing on stdout, and the broken rule naming `option` in the
    English and in the Chinese message (each line `- option: English / Chinese`)."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
    line = next(
        (x for x in done.stderr.splitlines() if x.startswith(f"  - {option}: ")), None
    )  # the console is wide enough that no line wraps
    assert line is not None, done.stderr
    en, zh = line.removeprefix(f"  - {option}: ").split(" / ", 1)
    assert en.startswith(f"{option} ") and zh.startswith(f"{option} "), line
    assert re.search("[\u4e00-\u9fff]", zh), line  # the second message is the Chinese one
    for word in words:
        assert word in line, (word, line)


@pytest.fixture
def port(sqlite_url: str) -> str:
    """A database with the port's reference data (the default ruleset, the shipped routes)
    already in, so that any later entry in the audit log is a change a command made."""
    done = run(sqlite_url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    return sqlite_url


def audit_entries(url: str) -> int:
    done = run(url, "audit", "verify", "--json")
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["entries"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{bad", ("is not valid JSON (line 1, column 2", "不是有效的 JSON")),
        (b"[1, 2]", ("not an array", "不是数组")),
        (b'"rules"', ("not a string", "不是字符串")),
        (b'\xff\xfe{"rules": []}', ("is not UTF-8 text", "不是 UTF-8 文本")),
        (None, ("cannot be read", "文件或目录不存在")),
    ],
    ids=["not-json", "a-list", "a-string", "not-utf8", "missing"],
)
def test_a_ruleset_file_that_is_not_one_json_object_is_refused_and_nothing_published(
    port: str, tmp_path: Path, content: bytes | None, words: tuple[str, ...]
) -> None:
    before = audit_entries(port)
    file = tmp_path / "rules.json"
    if content is not None:
        file.write_bytes(content)
    assert_refused(run(port, "risk", "publish", str(file)), "FILE", str(file), *words)
    shown = run(port, "risk", "show")
    assert json.loads(shown.stdout)["version"] == 1  # still the default ruleset
    assert audit_entries(port) == before


def test_a_ruleset_folder_is_refused_naming_the_argument(sqlite_url: str, tmp_path: Path) -> None:
    done = run(sqlite_url, "risk", "publish", str(tmp_path))
    assert_refused(done, "FILE", "cannot be read", "这是一个目录")


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (("--older-than", "90d", "--batch", "0"), "--batch", ("from 1 to 100000", "1 至 100000")),
        (("--older-than", "90d", "--batch", "lots"), "--batch", ("'lots'", "整数")),
        (("--older-than", "999999999d"), "--older-than", ("from 1m to 36500d", "1m 至 36500d")),
        (("--older-than", "0d"), "--older-than", ("from 1m", "如 90d")),
        (("--older-than", "90 days"), "--older-than", ("d, h or m", "d、h 或 m")),
    ],
    ids=["batch-0", "batch-word", "age-overflow", "age-0", "age-words"],
)
def test_telemetry_purge_refuses_a_batch_or_an_age_out_of_range(
    sqlite_url: str, args: tuple[str, ...], option: str, words: tuple[str, ...]
) -> None:
    assert_refused(run(sqlite_url, "telemetry", "purge", *args), option, *words)


def test_telemetry_purge_still_takes_a_good_age(sqlite_url: str) -> None:
    done = run(sqlite_url, "telemetry", "purge", "--older-than", "90d", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would delete 0 positions" in done.stdout


def test_decoding_with_an_unknown_vendor_names_the_known_ones(sqlite_url: str) -> None:
    done = run(sqlite_url, "telemetry", "decode-jt808", "7e02007e", "--vendor", "nope")
    assert_refused(done, "--vendor", "'nope'", "door-bits, generic", "之一")


@pytest.mark.parametrize(
    "day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "2026-02-30", "today"]
)
def test_the_time_release_report_refuses_a_day_outside_the_calendar_it_serves(
    sqlite_url: str, day: str
) -> None:
    done = run(sqlite_url, "report", "time-release", "--date", day)
    assert_refused(done, "--date", f"'{day}'", "2000-01-01 to 2100-12-31", "2000-01-01 至")


def test_the_time_release_report_still_answers_for_a_day_in_range(sqlite_url: str) -> None:
    done = run(sqlite_url, "report", "time-release", "--date", "2026-03-02")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["consignments"] == 0


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (("appointments", "list", "--date", "0001-01-01"), "--date", ("2100-12-31",)),
        (("appointments", "capacity", "--date", "9999-12-31"), "--date", ("2100-12-31",)),
        (("appointments", "list", "--limit", "0"), "--limit", ("from 1 to 5000", "1 至 5000")),
        (
            ("appointments", "book", "--declaration", "d", "--resource", "exam-bay-1", "--at",
             "0001-01-01T00:00"),
            "--at",
            ("ISO 8601", "2100-12-31"),
        ),
        (("appointments", "reschedule", "a1", "--at", "noon"), "--at", ("'noon'", "ISO 8601")),
        (
            ("yard", "close-port", "gyirong-port", "--from", "0001-01-01", "--to", "2026-01-02",
             "--reason", "snow"),
            "--from",
            ("YYYY-MM-DD",),
        ),
        (
            ("yard", "close-port", "gyirong-port", "--from", "2026-01-01", "--to", "9999-12-31",
             "--reason", "snow"),
            "--to",
            ("YYYY-MM-DD",),
        ),
    ],
    ids=["list-date", "capacity-date", "list-limit", "book-at", "reschedule-at", "from", "to"],
)  # fmt: skip
def test_days_and_limits_out_of_range_are_refused_and_nothing_is_booked_or_closed(
    port: str, args: tuple[str, ...], option: str, words: tuple[str, ...]
) -> None:
    before = audit_entries(port)
    assert_refused(run(port, *args), option, *words)
    assert audit_entries(port) == before


@pytest.mark.parametrize(
    ("make", "option", "words"),
    [
        ("folder", "FILE", ("cannot be read", "这是一个目录")),
        ("missing", "FILE", ("cannot be read", "文件或目录不存在")),
        ("latin", "FILE", ("is not UTF-8 text", "不是 UTF-8 文本")),
        ("nan", "--half-width", ("from 1 to 5000", "1 至 5000")),
    ],
)
def test_a_route_file_that_cannot_be_read_or_a_bad_width_is_refused(
    port: str, tmp_path: Path, make: str, option: str, words: tuple[str, ...]
) -> None:
    file = tmp_path / "routes.geojson"
    extra: tuple[str, ...] = ()
    if make == "folder":
        file = tmp_path
    elif make == "latin":
        file.write_bytes(b'{"type": "FeatureCollection", "name": "\xe9"}')
    elif make == "nan":
        file.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
        extra = ("--half-width", "nan")
    before = audit_entries(port)
    assert_refused(run(port, "routes", "import", str(file), *extra), option, *words)
    assert audit_entries(port) == before


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (("serve", "--port", "0"), "--port", ("from 1 to 65535", "1 至 65535")),
        (("demo", "--no-serve", "--port", "70000"), "--port", ("'70000'",)),
        (("demo", "--no-serve", "--speed", "nan"), "--speed", ("from 1 to 3600", "1 至 3600")),
        (("demo", "--no-serve", "--speed", "0.5"), "--speed", ("'0.5'",)),
        (("telemetry", "jt808-gateway", "--port", "70000"), "--port", ("65535",)),
        (("telemetry", "listen", "--port", "-1"), "--port", ("65535",)),
        (("telemetry", "listen", "--batch", "0"), "--batch", ("from 1 to 65535",)),
    ],
    ids=["serve-port", "demo-port", "demo-speed-nan", "demo-speed-low", "gateway-port",
         "listen-port", "listen-batch"],
)  # fmt: skip
def test_ports_batches_and_speeds_out_of_range_are_refused_before_starting(
    sqlite_url: str, args: tuple[str, ...], option: str, words: tuple[str, ...]
) -> None:
    assert_refused(run(sqlite_url, *args), option, *words)


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (("telemetry", "listen", "--slot", "1000"), "--slot", ("from 0 to 999", "0 至 999")),
        (("telemetry", "listen", "--slot", "1", "--client-id", "w-1"), "--slot", ("--client-id",)),
        (("telemetry", "replay-rejects", "--limit", "0"), "--limit", ("from 1 to",)),
        (("telemetry", "replay-rejects", "--since", "yesterday"), "--since", ("'yesterday'", "7d")),
        (("telemetry", "replay-rejects", "--since", "2026-05-02T08:00"), "--since", ("offset",)),
    ],
    ids=["listen-slot", "listen-slot-and-client-id", "replay-limit", "replay-since-word",
         "replay-since-no-offset"],
)  # fmt: skip
def test_worker_slots_and_replay_selections_are_refused_before_anything_is_read(
    sqlite_url: str, args: tuple[str, ...], option: str, words: tuple[str, ...]
) -> None:
    assert_refused(run(sqlite_url, *args), option, *words)


def test_a_broker_that_is_not_there_is_named_with_its_host_and_port(sqlite_url: str) -> None:
    port = str(free_port())  # nothing listens on it any more
    done = run(sqlite_url, "telemetry", "listen", "--host", "127.0.0.1", "--port", port)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"the MQTT broker at 127.0.0.1:{port}" in done.stderr
    assert "check --host and --port" in done.stderr
    assert (
        f"MQTT 服务器 127.0.0.1:{port}" in done.stderr and "请检查 --host 和 --port" in done.stderr
    )


def test_a_gateway_port_already_taken_is_named(sqlite_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run(sqlite_url, "telemetry", "jt808-gateway", "--host", "127.0.0.1", "--port", port)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"listening on 127.0.0.1:{port}" in done.stderr
    assert f"在 127.0.0.1:{port} 监听" in done.stderr and "请检查 --host 和 --port" in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "word"),
    [
        ("LANDPORT_DATABASE__URL", "foo://x", "SQLAlchemy URL"),
        ("LANDPORT_DATABASE__URL", "not a url", "SQLAlchemy URL"),
        ("LANDPORT_DATABASE__POOL_SIZE", "abc", "integer"),
        ("LANDPORT_DATABASE__POOL_SIZE", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_variable(
    tmp_path: Path, variable: str, value: str, word: str
) -> None:
    """Settings come from the environment: a bad one is named as the operator sets it, in
    both languages, not shown as a driver's or pydantic's traceback."""
    database = tmp_path / "port.db"
    env = {**os.environ, "LANDPORT_DATABASE__URL": f"sqlite:///{database}", variable: value}
    env.update({"NO_COLOR": "1", "COLUMNS": "2000"})
    done = subprocess.run(
        [LANDPORT, "risk", "show"], env=env, capture_output=True, text=True, timeout=120
    )
    assert_refused(done, variable, word)
    assert not database.exists()  # refused before anything was created


@pytest.mark.parametrize(
    ("args", "option", "code", "words"),
    [
        (("simulate", "--seed", "1.5"), "--seed", "not_a_whole_number", ("'1.5'", "不是整数")),
        (("simulate", "--days", "abc"), "--days", "not_a_whole_number", ("'abc'", "1 至 400")),
        (("simulate", "--days", "0"), "--days", "out_of_range", ("from 1 to 400", "'0'")),
        (("demo", "--no-serve", "--speed", "x"), "--speed", "not_a_number", ("'x'", "不是数字")),
        (("demo", "--no-serve", "--speed", "inf"), "--speed", "out_of_range", ("from 1 to 3600",)),
    ],
    ids=["seed-decimal", "days-word", "days-0", "speed-word", "speed-inf"],
)  # fmt: skip
def test_text_that_is_no_number_is_told_from_a_number_out_of_range(
    sqlite_url: str, args: tuple[str, ...], option: str, code: str, words: tuple[str, ...]
) -> None:
    done = run(sqlite_url, *args)
    assert_refused(done, option, *words)
    assert f"{option}: {code}" in done.stderr.splitlines()[0]
