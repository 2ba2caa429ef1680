"""The message bus: each command goes to its handler in one unit of work; events fan out after."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from landport.declarations.ports import ClearanceContext, DuplicateRequest, UnitOfWork
from landport.shared.errors import InvalidInput, Violation

log = logging.getLogger(__name__)

Handler = Callable[..., Any]  # (command, unit of work, context) -> result
Subscriber = Callable[[object], None]


@dataclass(frozen=True)
class IdempotencyClaim:
    """A client's Idempotency-Key for one command, and how to remember the response."""

    actor: str
    scope: str
    key: str
    request_digest: str
    status_code: int
    render: Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """The handler's result, or the remembered response of an earlier identical request."""

    result: Any = None
    replayed: dict[str, Any] | None = None


class MessageBus:
    """Commands in, one transaction each; events out to subscribers once committed."""

    def __init__(
        self,
        uow_factory: Callable[[], AbstractContextManager[UnitOfWork]],
        context: ClearanceContext,
        handlers: dict[type, Handler],
        subscribers: dict[type, list[Subscriber]] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self.context = context
        self._handlers = handlers
        self._subscribers = subscribers or {}

    def subscribe(self, event_type: type, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(event_type, []).append(subscriber)

    def handle(self, command: object, idempotency: IdempotencyClaim | None = None) -> Outcome:
        handler = self._handlers[type(command)]
        try:
            outcome, events = self._run(handler, command, idempotency)
        except DuplicateRequest:
            # A concurrent twin committed first: answer with its response.
            outcome, events = self._run(handler, command, idempotency)
        for event in events:
            for subscriber in self._subscribers.get(type(event), []):
                try:
                    subscriber(event)
                except Exception:
                    # The command is committed: its caller gets its answer (a 500 would make
                    # a user repeat work already done). What a subscriber missed is caught up
                    # by the next command that needs it (the yard's `catch_up`), as after a
                    # process that died right after the commit.
                    log.exception("subscriber %s failed on %s", subscriber, type(event).__name__)
        return outcome

    def _run(
        self, handler: Handler, command: object, claim: IdempotencyClaim | None
    ) -> tuple[Outcome, list[object]]:
        with self._uow_factory() as uow:
            if claim is not None:
                # First of all: the look-up waits for a twin request with the same key still
                # running, and then answers its response; the key stays ours until we end.
                known = uow.idempotency.get(claim.actor, claim.scope, claim.key)
                if known is not None:
                    digest, response = known
                    if digest != claim.request_digest:
                        raise InvalidInput([_KEY_REUSED])
                    return Outcome(replayed=response), []
            result = handler(command, uow, self.context)
            if claim is not None:
                uow.idempotency.put(
                    claim.actor,
                    claim.scope,
                    claim.key,
                    claim.request_digest,
                    claim.status_code,
                    claim.render(result),
                )
            uow.commit()
            return Outcome(result=result), list(uow.events)


_KEY_REUSED = Violation(
    "Idempotency-Key",
    "idempotency_key_reused",
    "this Idempotency-Key was already used with a different request body",
    "该幂等键已用于内容不同的请求",
)
