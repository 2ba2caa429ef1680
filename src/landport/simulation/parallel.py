"""Several twin runs at once, one process each: a sweep's configurations are independent.

Each run has its own scratch database and the same seed, so a configuration gives the same
figures whether it ran alone, in a row, or beside others. Workers are spawned (not forked),
so they start from a clean interpreter whatever threads the caller runs (the progress bar).
Progress comes back as `(run index, fraction done)` over a queue, read by a thread of the
caller until every worker has gone (a worker cannot exit while its updates are unread).

A failed run, or Ctrl-C, stops the sweep at once: the runs not begun are cancelled, the
running ones see the stop at their next progress update and end, deleting their scratch
databases, and the error names its configuration.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing.synchronize import Event
from typing import Any, Protocol

from landport.simulation.runner import run_simulation
from landport.simulation.scenario import Scenario

RunProgress = Callable[[int, float], None]


class Run(Protocol):
    """What runs one configuration: `run_simulation`'s signature, as far as used here."""

    def __call__(
        self, scenario: Scenario, *, days: int, seed: int, progress: Callable[[float], None]
    ) -> dict[str, Any]: ...


class Stopped(Exception):
    """A run ended early because the sweep stopped (another run failed, or Ctrl-C)."""


_updates: multiprocessing.Queue[tuple[int, float]] | None = None
_stop: Event | None = None
_running = False  # a worker is inside a run (its scratch database exists)
_terminated = False  # SIGTERM reached the worker during a run


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, e.g. a container's share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start_worker(updates: multiprocessing.Queue[tuple[int, float]], stop: Event) -> None:
    global _updates, _stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides; it sets `stop`
    # SIGTERM (e.g. `timeout` signalling the whole process group) ends a run at its next
    # step, so that the runner deletes its scratch database; an idle worker has none.
    signal.signal(signal.SIGTERM, _on_sigterm)
    _updates, _stop = updates, stop


def _on_sigterm(_signum: int, _frame: object) -> None:
    global _terminated
    if not _running:
        os._exit(128 + signal.SIGTERM)
    _terminated = True


def _run_one(run: Run, index: int, scenario: Scenario, days: int, seed: int) -> dict[str, Any]:
    assert _updates is not None and _stop is not None
    updates, stop = _updates, _stop
    if stop.is_set():  # handed over before the caller stopped: never begun
        raise Stopped
    last = [-1.0]

    def report(done: float) -> None:
        if stop.is_set() or _terminated:
            raise Stopped
        if done - last[0] >= 0.01 or done >= 1.0:  # a hundred updates a run at most
            last[0] = done
            updates.put((index, done))

    global _running
    _running = True
    try:
        return run(scenario, days=days, seed=seed, progress=report)
    finally:
        _running = False
        if _terminated:  # the run has deleted its scratch database: now end, as SIGTERM asked
            os._exit(128 + signal.SIGTERM)


def run_many(
    scenarios: Sequence[Scenario],
    *,
    days: int,
    seed: int,
    jobs: int,
    progress: RunProgress | None = None,
    run: Run = run_simulation,
) -> list[dict[str, Any]]:
    """The figures of every scenario, in the order given, at most `jobs` runs at a time.
    `run` must be importable by name (a spawned worker finds it by module and name)."""
    if not scenarios:
        return []
    with _ctrl_c_as_flag() as interrupted:  # from the first worker to the last update
        return _run_all(scenarios, days, seed, jobs, progress, run, interrupted)


def _run_all(
    scenarios: Sequence[Scenario],
    days: int,
    seed: int,
    jobs: int,
    progress: RunProgress | None,
    run: Run,
    interrupted: threading.Event,
) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    updates: multiprocessing.Queue[tuple[int, float]] = context.Queue()
    stop = context.Event()
    reader = _Reader(updates, progress)
    pool = ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(scenarios))),
        mp_context=context,
        initializer=_start_worker,
        initargs=(updates, stop),
    )
    try:
        futures = [
            pool.submit(_run_one, run, i, scenario, days, seed)
            for i, scenario in enumerate(scenarios)
        ]
        pending: set[Future[dict[str, Any]]] = set(futures)
        while pending:  # short waits, so that Ctrl-C is seen at once
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
            if interrupted.is_set():  # before any failure it caused (a worker starting up)
                raise KeyboardInterrupt
            for future in sorted(done, key=futures.index):
                error = future.exception()
                if error is not None:
                    index = futures.index(future)
                    error.add_note(f"in configuration {index + 1} of {len(scenarios)}")
                    raise error
        return [f.result() for f in futures]
    except BaseException:
        stop.set()  # the running runs end at their next progress step
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # the runs not begun never start
        reader.finish()
        updates.close()


@contextmanager
def _ctrl_c_as_flag() -> Iterator[threading.Event]:
    """Ctrl-C sets a flag the waiting loop checks, instead of raising wherever the main
    thread is: a KeyboardInterrupt inside `wait()` or the pool's shutdown can leave a lock
    taken, and the shutdown then waits for ever. A second Ctrl-C while the runs end changes
    nothing. (Off the main thread no signal arrives at all.)"""
    interrupted = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):  # off the main thread, or the caller handles (or ignores) Ctrl-C its own way
        yield interrupted
        return
    signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class _Reader:
    """Reads the workers' progress in a thread of the caller, so no worker ever blocks on
    a full pipe, until `finish` (after the workers have gone) has read the last update."""

    def __init__(
        self, updates: multiprocessing.Queue[tuple[int, float]], progress: RunProgress | None
    ) -> None:
        self._updates, self._progress = updates, progress
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._read, name="sweep-progress", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                index, done = self._updates.get(timeout=0.1)
            except queue.Empty:
                if self._done.is_set():
                    return
                continue
            if self._progress is not None:
                self._progress(index, done)

    def finish(self) -> None:
        self._done.set()
        self._thread.join()
