"""`landport simulate` as a user runs it: a bad input is refused naming it in both languages
before any run, a report says where it went, and SIGTERM stops a run as Ctrl-C does, deleting
its scratch database (tens of MB in RAM under /dev/shm)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landport.simulation.scenario import default_scenario_path

LANDPORT = str(Path(sys.executable).with_name("landport"))


def _env(tmp_path: Path) -> dict[str, str]:
    # TMPDIR: where the scratch database goes when there is no /dev/shm
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "2000", "TMPDIR": str(tmp_path)}


def _landport(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LANDPORT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(tmp_path),
    )


def _tiny(tmp_path: Path, trucks: int = 2) -> Path:
    text = default_scenario_path().read_text(encoding="utf-8")
    text = re.sub(r"^trucks_per_day = .*$", f"trucks_per_day = {trucks}", text, flags=re.M)
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, nothing on stdout, no traceback; stderr with its lines joined."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    return " ".join(done.stderr.split())


@pytest.mark.parametrize("seed", ["1.5", "abc", ""])
def test_a_seed_that_is_no_whole_number_is_refused_in_both_languages(
    tmp_path: Path, seed: str
) -> None:
    said = _refused(_landport(tmp_path, "simulate", "--seed", seed))
    assert "--seed: not_a_whole_number" in said
    assert f"--seed must be a whole number; {seed!r} is not a whole number" in said
    assert f"--seed 须为整数；{seed!r} 不是整数" in said


def test_a_days_value_that_is_no_number_is_told_from_one_out_of_range(tmp_path: Path) -> None:
    said = _refused(_landport(tmp_path, "simulate", "--days", "abc"))
    assert "--days: not_a_whole_number" in said and "out_of_range" not in said
    assert "'abc' is not a whole number" in said and "'abc' 不是整数" in said
    said = _refused(_landport(tmp_path, "simulate", "--days", "401"))
    assert "--days: out_of_range" in said and "须为 1 至 400 之间的整数" in said


def test_a_scenario_folder_is_named_by_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    said = _refused(_landport(tmp_path, "simulate", str(folder)))
    assert f"cannot read {folder}: Is a directory" in said
    assert f"无法读取场景文件 {folder}：这是一个目录" in said


def test_an_unknown_scenario_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    said = _refused(_landport(tmp_path, "simulate", "nosuchname"))
    shipped = ", ".join(sorted(p.stem for p in default_scenario_path().parent.glob("*.toml")))
    assert "shigatse" in shipped
    assert "cannot read nosuchname: No such file or directory; give a scenario file" in said
    assert f"shipped scenario: {shipped}" in said and f"内置场景的名称：{shipped}" in said


def test_jobs_without_a_sweep_is_refused_with_every_other_problem(tmp_path: Path) -> None:
    said = _refused(
        _landport(tmp_path, "simulate", "nosuchname", "--jobs", "5", "--database", "nonsense")
    )
    assert "--jobs applies to a --sweep only" in said and "--jobs 仅适用于 --sweep" in said
    assert "nosuchname" in said and "--database must be a SQLAlchemy URL" in said


def test_the_report_says_where_it_went_and_stdout_stays_one_json_object(tmp_path: Path) -> None:
    report = tmp_path / "twin.html"
    done = _landport(tmp_path, "simulate", str(_tiny(tmp_path)), "--json", "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["trucks_declared"] == 2  # the whole of stdout
    said = " ".join(done.stderr.split())
    assert f"report written to {report}" in said and f"报告已写入 {report}" in said
    assert report.is_file()


def _scratch_folders(pid: int) -> set[Path]:
    """The landport-twin-* folders whose files the process holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
        found |= {p for p in target.parents if p.name.startswith("landport-twin-")}
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_sigterm_stops_a_run_and_deletes_its_scratch_database(tmp_path: Path) -> None:
    """As `timeout` or `kill` would: the default day runs for tens of seconds, the stop comes
    within a few and the scratch folder (in /dev/shm, or TMPDIR without one) is gone."""
    run = subprocess.Popen(
        [LANDPORT, "simulate", "--days", "1", "--json"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60.0
        folders: set[Path] = set()
        while not folders and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            folders = _scratch_folders(run.pid)
        assert folders, "no scratch database was opened"
        time.sleep(1.0)  # into the simulation proper
        assert run.poll() is None
        stopped = time.monotonic()
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert time.monotonic() - stopped < 5.0
    assert run.returncode == 128 + signal.SIGTERM, err
    assert out == "" and "Traceback" not in err, err
    assert "stopped (SIGTERM)" in err and "已停止（SIGTERM）" in err
    assert [f for f in folders if f.exists()] == []
