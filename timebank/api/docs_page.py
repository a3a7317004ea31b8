"""The interactive API documentation at /api/v1/docs: Swagger UI, served by us, no CDN.

Swagger UI's files come from the `swagger-ui-bundle` package and are served from this
server, so the page works offline and under our own Content-Security-Policy. Our policy
forbids inline scripts, so the page starts Swagger UI from a .js file of ours. Swagger UI
sets inline styles as it draws, so this page alone allows inline styles; every other page
keeps the strict policy.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from timebank.responses.headers import CONTENT_SECURITY_POLICY

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/v1/docs",
    template_folder="templates",
    static_folder="static",
    static_url_path="/own",
)

# Only the files the page uses; nothing else in the package is served.
SWAGGER_FILES = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"}
)
STRICT_STYLES = "style-src 'self'"
assert STRICT_STYLES in CONTENT_SECURITY_POLICY
DOCS_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace(
    STRICT_STYLES, "style-src 'self' 'unsafe-inline'"
)


@bp.get("")
def docs_page() -> Response:
    """Show Swagger UI for the API's OpenAPI document."""
    page = render_template("api_docs/docs.html", openapi_url=url_for("api-docs.openapi_json"))
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_PAGE_POLICY
    return response


@bp.get("/swagger-ui/<path:filename>")
def swagger_file(filename: str) -> Response:
    """Serve one of Swagger UI's own files."""
    if filename not in SWAGGER_FILES:
        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
