"""Sweeps side by side: spawned workers give every configuration's figures in order, report
their progress, and a failure stops the sweep at once, naming its configuration.

The runs are stand-ins (`stand_in_run`, found by name in the spawned workers), so these
tests check the pool itself in seconds; `test_twin.py` runs a real sweep both ways."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from landport.simulation.parallel import run_many
from landport.simulation.scenario import Scenario, load_scenario

FAILING = 13  # trucks a day of the configuration whose run fails at once


def stand_in_run(
    scenario: Scenario, *, days: int, seed: int, progress: Callable[[float], None]
) -> dict[str, Any]:
    """Ten progress steps; the failing configuration fails, and one of 900 trucks a day
    would take half a minute if nothing stopped it."""
    if scenario.trucks_per_day == FAILING:
        raise ValueError("no room for thirteen")
    pause = 3.0 if scenario.trucks_per_day == 900 else 0.02
    for step in range(1, 11):
        time.sleep(pause)
        progress(step / 10)
    return {"trucks": scenario.trucks_per_day, "days": days, "seed": seed}


def configurations(*trucks: int) -> list[Scenario]:
    base = load_scenario()
    return [replace(base, trucks_per_day=n) for n in trucks]


@pytest.fixture
def ctrl_c_interrupts() -> Iterator[None]:
    """Python's own Ctrl-C handling, as in a terminal: a test run started in the background
    inherits SIGINT ignored, and a sweep then leaves it so."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_interrupts")
def test_every_configuration_comes_back_in_order_with_its_progress() -> None:
    seen: dict[int, list[float]] = {}
    results = run_many(
        configurations(5, 6, 7, 8),
        days=2,
        seed=3,
        jobs=2,
        progress=lambda i, done: seen.setdefault(i, []).append(done),
        run=stand_in_run,
    )
    assert results == [{"trucks": n, "days": 2, "seed": 3} for n in (5, 6, 7, 8)]
    assert sorted(seen) == [0, 1, 2, 3]
    for updates in seen.values():
        assert updates == sorted(updates) and updates[-1] == 1.0
    # Ctrl-C is a flag only while the sweep runs: the caller's handling is back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("ctrl_c_interrupts")
def test_ctrl_c_during_a_sweep_in_this_process_stops_it_with_keyboard_interrupt() -> None:
    """As from a terminal: Ctrl-C reaches the process while it waits on its workers."""
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_many(configurations(*[900] * 4), days=1, seed=7, jobs=2, run=stand_in_run)
    assert time.perf_counter() - start < 20.0  # the four runs would take two minutes
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_failed_configuration_stops_the_sweep_and_is_named() -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match="thirteen") as failure:
        run_many(configurations(900, FAILING, 900, 900), days=1, seed=7, jobs=2, run=stand_in_run)
    # the running configuration stops at its next progress step, the others never begin
    # (run to its end, the first alone would take 30 s)
    assert time.perf_counter() - start < 25.0
    assert "in configuration 2 of 4" in failure.value.__notes__


def test_ctrl_c_stops_a_sweep_and_leaves_no_worker(tmp_path: Path) -> None:
    """The caller's Ctrl-C: the workers ignore it, the caller stops them and exits."""
    script = (
        "import faulthandler, signal\n"
        "faulthandler.register(signal.SIGUSR1)  # the threads' stacks, should it hang\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal\n"
        "from test_sweep_side_by_side import configurations, run_many, stand_in_run\n"
        "print('started', flush=True)\n"
        "run_many(configurations(*[900] * 8), days=1, seed=7, jobs=2, run=stand_in_run)\n"
    )
    sweep = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert sweep.stdout is not None and sweep.stdout.readline() == "started\n"
    time.sleep(4.0)  # both workers are in their first run
    workers = _children(sweep.pid)
    sweep.send_signal(signal.SIGINT)
    try:
        _, err = sweep.communicate(timeout=20)  # all eight runs would take four minutes
    except subprocess.TimeoutExpired:
        sweep.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        os.killpg(sweep.pid, signal.SIGKILL)
        _, err = sweep.communicate()
        pytest.fail(f"the sweep did not stop within 20 s; its threads:\n{err}")
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode != 0 and "KeyboardInterrupt" in err
    assert len(workers) >= 2
    deadline = time.monotonic() + 5.0  # the queue's helper processes follow their parent
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(workers) == []


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in found]


def _alive(pids: list[int]) -> list[int]:
    """Processes still running (a zombie has finished: only its exit status is left)."""
    alive = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        if "State:\tZ" not in status:
            alive.append(pid)
    return alive
