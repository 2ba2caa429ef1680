"""Scripts, styles and map data served by the app itself: the UI works with no internet.

Third-party libraries are installed from the npm registry by `make assets` (pinned by
`frontend/package-lock.json`) and only the whitelisted files below are served, under
`/assets/vendor/...`; our own files are under `/assets/app/...`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from landport.shared.errors import NotFound

STATIC_DIR = Path(__file__).parent / "static"
#: What leaflet.css refers to (layer control, default markers).
LEAFLET_IMAGES = ("layers", "layers-2x", "marker-icon", "marker-icon-2x", "marker-shadow")
#: URL name under /assets/vendor/ -> file under node_modules.
VENDOR_FILES = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    **{f"leaflet/images/{n}.png": f"leaflet/dist/images/{n}.png" for n in LEAFLET_IMAGES},
    "echarts/echarts.min.js": "echarts/dist/echarts.min.js",
    # the API's own docs page (/docs), with no CDN either
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "swagger-ui/favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
    "topojson/topojson-client.min.js": "topojson-client/dist/topojson-client.min.js",
    "world-atlas/countries-50m.json": "world-atlas/countries-50m.json",
    "world-atlas/countries-110m.json": "world-atlas/countries-110m.json",
}
VENDOR_CACHE = "public, max-age=86400"  # pinned versions: a day is safe
APP_CACHE = "no-cache"  # revalidated with the ETag on every load, cheap 304s


def default_vendor_dir() -> Path:
    """`frontend/node_modules` of the checkout this package runs from, else of the cwd."""
    for base in (Path(__file__).resolve().parents[5], Path.cwd()):
        candidate = base / "frontend" / "node_modules"
        if candidate.is_dir():
            return candidate
    return Path.cwd() / "frontend" / "node_modules"


def vendor_router(vendor_dir: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/assets/vendor/{name:path}")
    def vendor(name: str) -> Response:
        """Public: libraries and the basemap are needed before anyone logs in."""
        relative = VENDOR_FILES.get(name)
        path = vendor_dir / relative if relative else None
        if path is None or not path.is_file():
            hint = " (run `make assets`)" if relative else ""
            raise NotFound(f"no such asset: {name}{hint}", f"没有此静态资源：{name}")
        return FileResponse(path, headers={"Cache-Control": VENDOR_CACHE})

    return router


class AppStatic(StaticFiles):
    """Our own scripts and styles, with ETags and a revalidate-always cache policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = APP_CACHE
        return response


def vendor_missing(vendor_dir: Path) -> list[str]:
    """Whitelisted files not installed: the UI degrades, and the health page says why."""
    return sorted(name for name, rel in VENDOR_FILES.items() if not (vendor_dir / rel).is_file())
