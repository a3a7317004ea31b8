"""The interactive API documentation: Swagger UI served by us, under a CSP of its own."""

from __future__ import annotations

import re

from timebank.responses.headers import CONTENT_SECURITY_POLICY

DOCS = "/api/v1/docs"


def test_the_docs_page_answers_with_our_own_copy_of_swagger_ui(client):
    page = client.get(DOCS)

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'data-openapi-url="/api/v1/openapi.json"' in html
    # Every script and stylesheet comes from this server: nothing from a CDN.
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(address.startswith("/") for address in assets)
    assert "<script>" not in html  # no inline scripts: the starter is a file


def test_every_asset_the_page_uses_answers_200(client):
    html = client.get(DOCS).get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/api/v1/docs/[^"]+)"', html)

    answers = {}
    for address in assets:
        with client.get(address) as response:
            answers[address] = (response.status_code, response.get_data())

    assert len(answers) == 4
    assert [status for status, _ in answers.values()] == [200] * 4
    assert b"SwaggerUIBundle" in answers[f"{DOCS}/own/swagger-init.js"][1]


def test_only_the_docs_page_allows_inline_styles(client):
    docs = client.get(DOCS).headers["Content-Security-Policy"]
    home = client.get("/").headers["Content-Security-Policy"]
    document = client.get("/api/v1/openapi.json").headers["Content-Security-Policy"]

    assert "style-src 'self' 'unsafe-inline'" in docs
    assert "script-src 'self';" in docs and "unsafe-eval" not in docs
    assert home == document == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in home


def test_other_files_of_the_swagger_package_are_not_served(client):
    assert client.get(f"{DOCS}/swagger-ui/index.html").status_code == 404
    assert client.get(f"{DOCS}/swagger-ui/../../__init__.py").status_code == 404
