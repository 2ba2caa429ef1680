"""Several twin runs at once, one process each: a sweep's configurations are independent.

Each run has its own scratch database and the same seed, so a configuration gives the same
figures whether it ran alone, in a row, or beside others. Workers are spawned (not forked),
so they start from a clean interpreter whatever threads the caller runs (the progress bar).
Progress comes back as `(run index, fraction done)` over a queue.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import Any

from landport.simulation.runner import run_simulation
from landport.simulation.scenario import Scenario

RunProgress = Callable[[int, float], None]

_updates: Any = None  # the worker's end of the progress queue (set by `_start_worker`)


def _start_worker(updates: Any) -> None:
    global _updates
    _updates = updates


def _run_one(index: int, scenario: Scenario, days: int, seed: int) -> dict[str, Any]:
    last = [-1.0]

    def report(done: float) -> None:
        if done - last[0] >= 0.01 or done >= 1.0:  # a hundred updates a run at most
            last[0] = done
            _updates.put((index, done))

    return run_simulation(scenario, days=days, seed=seed, progress=report)


def run_many(
    scenarios: Sequence[Scenario],
    *,
    days: int,
    seed: int,
    jobs: int,
    progress: RunProgress | None = None,
) -> list[dict[str, Any]]:
    """The figures of every scenario, in the order given, at most `jobs` runs at a time."""
    if not scenarios:
        return []
    context = multiprocessing.get_context("spawn")
    updates = context.Queue()
    with ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(scenarios))),
        mp_context=context,
        initializer=_start_worker,
        initargs=(updates,),
    ) as pool:
        futures = [
            pool.submit(_run_one, i, scenario, days, seed) for i, scenario in enumerate(scenarios)
        ]
        pending: set[Future[dict[str, Any]]] = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
            _drain(updates, progress)
            failed = next((f for f in futures if _failed(f)), None)
            if failed is not None:  # stop the runs not begun; the ones running finish
                for f in pending:
                    f.cancel()
                error = failed.exception()
                assert error is not None
                raise error
        results = [f.result() for f in futures]
    _drain(updates, progress)
    return results


def _failed(future: Future[dict[str, Any]]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def _drain(updates: Any, progress: RunProgress | None) -> None:
    while True:
        try:
            index, done = updates.get_nowait()
        except queue.Empty:
            return
        if progress is not None:
            progress(index, done)
