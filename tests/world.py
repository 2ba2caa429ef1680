"""A small port for tests: real database, real app, real bus; helpers to act as each role."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from fastapi.testclient import TestClient

from builders import CONSIGNOR_USCC
from landport.adapters.risk_files import default_ruleset
from landport.adapters.security import hash_password
from landport.bootstrap import Services, bootstrap, ensure_reference_data
from landport.enterprises.handlers import CreateUser, RegisterEnterprise
from landport.enterprises.model import SYSTEM_ACTOR
from landport.entrypoints.web.app import create_app
from landport.risk.handlers import PublishRuleset
from landport.settings import DatabaseSettings, Settings

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)  # hashing is slow on purpose: do it once per test run
OTHER_USCC = "91440300MA5F00004K"  # a valid USCC of a Shenzhen enterprise


def make_services(url: str, **kwargs: Any) -> Services:
    settings = Settings(environment="test", database=DatabaseSettings(url=url))
    services = bootstrap(settings, **kwargs)
    ensure_reference_data(services)
    return services


class World:
    """One port with one exporter (and a competitor), an officer, an admin and an auditor."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        seeds = (f"seed-{n}" for n in itertools.count())
        kwargs.setdefault("new_seed", lambda: next(seeds))
        self.services = make_services(url, **kwargs)
        self.client = TestClient(create_app(services=self.services))
        self._tokens: dict[str, str] = {}
        self.add_enterprise(CONSIGNOR_USCC, rating="general")
        self.add_enterprise(OTHER_USCC, rating="general", province="guangdong")
        self.add_user("exporter", "declarant", enterprise=CONSIGNOR_USCC)
        self.add_user("competitor", "declarant", enterprise=OTHER_USCC)
        self.add_user("officer", "customs_officer")
        self.add_user("admin", "port_admin")
        self.add_user("auditor", "auditor")
        self.add_user("border", "border_officer", port="gyirong-port")

    def close(self) -> None:
        self.client.close()
        self.services.dispose()

    def add_enterprise(self, uscc: str, *, rating: str, province: str = "zhejiang") -> None:
        self.services.bus.handle(
            RegisterEnterprise(SYSTEM_ACTOR, uscc, "测试企业", "Test Enterprise", province, rating)
        )

    def add_user(
        self, username: str, role: str, *, enterprise: str | None = None, port: str | None = None
    ) -> None:
        self.services.bus.handle(CreateUser(SYSTEM_ACTOR, username, _HASH, role, enterprise, port))

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = self.client.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def without_random_selection(self) -> None:
        """Publish the default rules with a zero random floor, so lanes follow the rules only."""
        document = copy.deepcopy(default_ruleset())
        document["random_selection"].update(min_random_red_rate=0.0, min_random_yellow_rate=0.0)
        self.services.bus.handle(PublishRuleset(SYSTEM_ACTOR, document, "tests: no random"))

    # -- acting through HTTP ----------------------------------------------------------------

    def post(self, user: str, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(
            path, json=json, headers={**self.headers(user), **kw.pop("headers", {})}, **kw
        )

    def get(self, user: str, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(user), **kw)

    def lodge(
        self, payload: dict[str, Any], *, user: str = "exporter", submit: bool = False
    ) -> Any:
        path = "/api/v1/declarations" + ("?submit=true" if submit else "")
        return self.post(user, path, payload)
