"""Fetch the files GX's Data Docs pages load from CDNs out of the npm registry, and check the committed copies.

``include/datadocs_assets/manifest.json`` names each npm package, its exact version, the files the pages
use (with their SHA-256) and the CDN URLs they replace; the copies and each package's licence are
committed beside it, in ``<name>-<version>/`` (scope dropped). This tool is how they got there and how
anyone checks them again:

    python -m tools.vendor_datadocs --check    # fetch every package with `npm pack`, compare with the copies
    python -m tools.vendor_datadocs --update   # write the copies and their hashes into the manifest

``npm pack`` is npm's ordinary client: it downloads the registry's tarball and checks it against the
registry's own ``integrity`` (SHA-512), which the manifest records too, so a re-published tarball shows.
A package that ships no licence file gets one written from its ``package.json`` licence and the copyright
line the manifest names (``licence_written``), never taken from anywhere else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tools import PROJECT_ROOT

ASSETS = PROJECT_ROOT / "include" / "datadocs_assets"
MANIFEST = ASSETS / "manifest.json"

MIT = """MIT License

{copyright}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

BSD_3_CLAUSE = """{copyright}
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its contributors
   may be used to endorse or promote products derived from this software
   without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

TEMPLATES = {"MIT": MIT, "BSD-3-Clause": BSD_3_CLAUSE}


def folder_name(package: dict) -> str:
    """``@forevolve/bootstrap-dark`` 1.1.0 -> ``bootstrap-dark-1.1.0``: one folder per exact version."""
    return f"{package['name'].rsplit('/', 1)[-1]}-{package['version']}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(spec: str, into: Path) -> tuple[Path, str]:
    """Download one package's tarball with ``npm pack``; returns its path and the registry's integrity."""
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        capture_output=True, text=True, timeout=300, check=False, cwd=into,
    )
    if done.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {done.stderr.strip()[-2000:]}")
    (info,) = json.loads(done.stdout)
    return into / info["filename"], info["integrity"]


def package_files(package: dict, tarball: Path) -> dict[str, bytes]:
    """The manifest's files of one package, read from its tarball (``package/<path>``), licence included."""
    out = {}
    with tarfile.open(tarball) as tar:
        declared = json.load(tar.extractfile("package/package.json"))
        if declared.get("version") != package["version"]:
            raise SystemExit(f"{package['name']}: tarball {declared.get('version')}, manifest {package['version']}")
        for path in package["files"]:
            member = f"package/{path}"
            written = package.get("licence_written")
            if written and path == "LICENSE":
                if declared.get("license") != package["licence"]:
                    raise SystemExit(f"{package['name']}: package.json licence {declared.get('license')!r}")
                out[path] = TEMPLATES[package["licence"]].format(copyright=written).encode()
                continue
            try:
                out[path] = tar.extractfile(member).read()
            except KeyError as exc:
                raise SystemExit(f"{package['name']}@{package['version']} has no {path}") from exc
    return out


def run(update: bool) -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = []
    with tempfile.TemporaryDirectory(prefix="vendor-datadocs-") as tmp:
        for package in manifest["packages"]:
            spec = f"{package['name']}@{package['version']}"
            tarball, integrity = npm_pack(spec, Path(tmp))
            if package.get("integrity") not in (None, integrity):
                problems.append(f"{spec}: registry integrity {integrity}, manifest {package['integrity']}")
            files = package_files(package, tarball)
            folder = ASSETS / folder_name(package)
            hashes = {path: sha256(data) for path, data in files.items()}
            if update:
                package["integrity"] = integrity
                package["sha256"] = hashes
                for path, data in files.items():
                    (folder / path).parent.mkdir(parents=True, exist_ok=True)
                    (folder / path).write_bytes(data)
                print(f"{spec}: {len(files)} files written to {folder.relative_to(PROJECT_ROOT)}")
                continue
            for path, digest in hashes.items():
                local = folder / path
                if package.get("sha256", {}).get(path) != digest:
                    problems.append(f"{spec} {path}: registry {digest}, manifest {package.get('sha256', {}).get(path)}")
                if not local.is_file() or sha256(local.read_bytes()) != digest:
                    problems.append(f"{spec} {path}: the committed copy differs from the registry's")
            print(f"{spec}: checked {len(hashes)} files against the registry")
    if update:
        MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fetch and compare with the committed copies")
    mode.add_argument("--update", action="store_true", help="write the copies and their hashes")
    args = parser.parse_args(argv)
    return run(update=args.update)


if __name__ == "__main__":
    raise SystemExit(main())
