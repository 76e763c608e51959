"""Rebuilds the vendored browser assets of ``pages/static/vendor`` from the npm registry.

``make assets`` runs this; ``make run`` never does: the files are committed, so a machine
without Node serves them as they are (government intranets: no CDN at run time, ADR 23).

Each package is fetched with ``npm pack`` at the exact version pinned below, checked
against the registry's integrity digest, and the listed files are copied to
``pages/static/vendor/<name>-<version>/``. ``manifest.json`` records versions, licences
and the SHA-256 of every file; a test checks the files still match it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "pages" / "static" / "vendor"

# name on the page → (npm package, exact version, licence, files inside the package)
PACKAGES: dict[str, tuple[str, str, str, list[str]]] = {
    "htmx": ("htmx.org", "2.0.11", "0BSD", ["dist/htmx.min.js", "LICENSE"]),
    "alpine": ("@alpinejs/csp", "3.17.4", "MIT", ["dist/cdn.min.js"]),
    "echarts": ("echarts", "6.1.0", "Apache-2.0", ["dist/echarts.min.js", "LICENSE"]),
    "swagger-ui": (
        "swagger-ui-dist",
        "5.35.0",
        "Apache-2.0",
        ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "swagger-ui-bundle.js.LICENSE.txt"],
    ),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package: str, version: str, into: Path) -> Path:
    spec = f"{package}@{version}"
    integrity = subprocess.run(
        ["npm", "view", spec, "dist.integrity"], check=True, capture_output=True, text=True
    ).stdout.strip()
    name = (
        subprocess.run(["npm", "pack", "--silent", spec], check=True, capture_output=True, text=True, cwd=into)
        .stdout.strip()
        .splitlines()[-1]
    )
    tarball = into / name
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        sys.exit(f"{spec}: the tarball does not match the registry's integrity {integrity}")
    return tarball


def main() -> None:
    manifest: dict[str, dict[str, object]] = {}
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for key, (package, version, licence, wanted) in PACKAGES.items():
            tarball = fetch(package, version, work)
            folder = VENDOR / f"{key}-{version}"
            folder.mkdir()
            with tarfile.open(tarball) as archive:
                for inner in wanted:
                    member = archive.extractfile(f"package/{inner}")
                    if member is None:
                        sys.exit(f"{package}@{version} has no {inner}")
                    (folder / Path(inner).name).write_bytes(member.read())
            manifest[key] = {
                "package": package,
                "version": version,
                "licence": licence,
                "folder": folder.name,
                "files": {Path(inner).name: sha256(folder / Path(inner).name) for inner in wanted},
            }
            print(f"{package}@{version} → pages/static/vendor/{folder.name}")
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
