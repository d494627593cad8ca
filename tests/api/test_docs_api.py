"""``/docs`` is Swagger UI served from the package's own vendored files: the page names no other host, and the
files it loads are served (so the interactive documentation works without the internet)."""

from __future__ import annotations

import re

from tests.api.conftest import Office


def test_the_docs_page_loads_nothing_from_another_server(sqlite_office: Office) -> None:
    page = sqlite_office.client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert not re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+", page.text.replace("/openapi.json", ""))
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sorted(assets) == ["/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui-favicon-32x32.png",
                              "/static/vendor/swagger-ui.css"]  # fmt: skip
    for asset in assets:
        assert sqlite_office.client.get(asset).status_code == 200
    assert '"validatorUrl": null' in page.text  # the spec validator's badge would call a public server
    assert sqlite_office.client.get("/redoc").status_code == 404
    assert sqlite_office.client.get("/openapi.json").json()["info"]["title"] == "Arrears API"
