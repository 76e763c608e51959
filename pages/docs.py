"""``/docs``: Swagger UI from the platform's own files, so it works on an intranet.

FastAPI's "custom docs UI static assets" recipe: the application is created with
``docs_url=None`` and these routes render the same page with local URLs. ReDoc is not
served (one documentation page is enough; its bundle would be another 1 MB to vendor).
The page's inline bootstrap script is allowed by its hash (``api.headers``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from pages.assets import vendor_url

DOCS = "/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
router = APIRouter(include_in_schema=False)


@router.get(DOCS)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=root + (request.app.openapi_url or "/openapi.json"),
        title=request.app.title + " - Swagger UI",
        oauth2_redirect_url=root + OAUTH2_REDIRECT,
        swagger_js_url=root + vendor_url("swagger-ui", "swagger-ui-bundle.js"),
        swagger_css_url=root + vendor_url("swagger-ui", "swagger-ui.css"),
        swagger_favicon_url=root + vendor_url("swagger-ui", "favicon-32x32.png"),
        init_oauth=request.app.swagger_ui_init_oauth,
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
