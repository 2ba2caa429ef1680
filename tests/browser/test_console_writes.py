"""The consoles' one retry store (`write` in consoles/common.js): a write the server has not
answered is sent again as first built, under the same Idempotency-Key, while what was entered
is unchanged; an answered write, or other values, is a new request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from browser.conftest import open_console

pytestmark = pytest.mark.browser

PROBE = "/api/v1/write-probe"

SCRIPT = """async (probe) => {
  const { write } = await import("/assets/app/consoles/common.js");
  const form = document.createElement("form");
  let built = 0;
  const build = (entered) => { built += 1; return { ...entered, built }; };
  const statuses = [];
  for (const n of [1, 1, 1, 1, 2, 3]) {
    statuses.push((await write(form, "POST", probe, { n }, build)).status);
  }
  return { statuses, built };
}"""


def test_an_unanswered_write_is_sent_again_as_first_built_under_its_key(page: Any) -> None:
    open_console(page, "customs_officer")
    answers = ["abort", 502, 201, 201, "abort", 201]
    sent: list[tuple[str | None, dict[str, Any], str | None]] = []

    def answer(route: Any) -> None:
        request = route.request
        sent.append(
            (
                request.headers.get("idempotency-key"),
                json.loads(request.post_data),
                request.headers.get("content-type"),
            )
        )
        reply = answers[len(sent) - 1]
        if reply == "abort":
            route.abort("connectionreset")
        else:
            route.fulfill(status=reply, content_type="application/json", body="{}")

    page.route(f"**{PROBE}", answer)
    result = page.evaluate(SCRIPT, PROBE)

    # lost, gateway, answered; then a new request; then new values twice
    assert result == {"statuses": [0, 502, 201, 201, 0, 201], "built": 4}
    keys = [key for key, _, _ in sent]
    bodies = [body for _, body, _ in sent]
    assert all(keys) and all(kind == "application/json" for _, _, kind in sent)
    assert keys[0] == keys[1] == keys[2] and len(set(keys[2:])) == 4
    assert bodies == [
        {"n": 1, "built": 1},
        {"n": 1, "built": 1},  # the body first built, not a new one
        {"n": 1, "built": 1},
        {"n": 1, "built": 2},  # the write was answered: a new request
        {"n": 2, "built": 3},
        {"n": 3, "built": 4},  # other values while unanswered: a new request too
    ]
