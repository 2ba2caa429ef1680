"""The API's docs page names nothing off the port's own origin, not even Swagger's validator."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from landport.entrypoints.web.app import create_app
from world import make_services


def test_the_docs_page_asks_no_validator_and_names_no_other_site(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    client = TestClient(create_app(services=services))
    try:
        page = client.get("/docs")
    finally:
        client.close()
        services.dispose()
    assert page.status_code == 200
    assert "validator.swagger.io" not in page.text
    assert '"validatorUrl": null' in page.text  # Swagger UI's default would be its own site
    assert re.findall(r"https?://[^\s\"'<>]+", page.text) == []  # every asset is a local path
