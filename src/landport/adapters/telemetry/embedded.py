"""An in-process stand-in for the broker, for `make demo` and the digital twin.

Same contract as MQTT: publishers hand over (topic, payload) and get a delivery receipt
only after the batch holding their message is committed, so the demo exercises the same
verify -> store -> monitor -> acknowledge path as production, without a broker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from landport.adapters.telemetry.ingest import IngestReport, RawMessage, TelemetryIngestor


@dataclass
class Receipt:
    """Set once the message's batch is committed (the in-process PUBACK)."""

    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


class EmbeddedBroker:
    """Queues published telemetry and ingests it in batches on a background thread."""

    def __init__(
        self,
        ingestor: TelemetryIngestor,
        *,
        max_batch: int = 500,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self._ingestor = ingestor
        self._max_batch = max_batch
        self._on_report = on_report
        self._queue: list[tuple[RawMessage, Receipt]] = []
        self._last: Receipt | None = None  # the receipt of the last message published
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()

    def publish(self, topic: str, payload: bytes) -> Receipt:
        receipt = Receipt()
        with self._cv:
            if self._stopped:
                raise RuntimeError("the embedded broker is stopped")
            self._queue.append((RawMessage(topic, payload), receipt))
            self._last = receipt
            self._cv.notify()
        return receipt

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything published so far is committed (the last message handed
        over, whether still queued or in the batch being ingested); a failed batch raises."""
        with self._cv:
            last = self._last
        if last is None:
            return
        if not last.wait(timeout):
            raise TimeoutError("embedded broker did not drain in time")
        if last.error is not None:
            raise last.error

    def stop(self) -> None:
        self.flush()
        with self._cv:
            self._stopped = True
            self._cv.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopped:
                    self._cv.wait()
                if self._stopped and not self._queue:
                    return
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                report = self._ingestor.ingest_messages([m for m, _ in batch])
            except BaseException as exc:  # handed to every publisher of the batch
                for _, receipt in batch:
                    receipt.error = exc
                    receipt.done.set()
                continue
            for _, receipt in batch:
                receipt.done.set()
            if self._on_report is not None:
                self._on_report(report)
