"""`autograder gradescope OUT.zip [--chapter ch6]`: Gradescope's autograder bundle.

Gradescope unzips the bundle into /autograder/source and runs `setup.sh` there
once, as root, when it builds the assignment's image; then, for every
submission, it runs `/autograder/run_autograder`, which must grade the files
in /autograder/submission and write /autograder/results/results.json.

The bundle holds the kit's engine, solutions, hidden suites and grading.toml;
`setup.sh` makes a virtual environment with the pinned torch (from the bundle's
wheelhouse when one is included, else from the CPU index); `run_autograder` calls
`python -m autograder gradescope-run`, which is `gradescope_run` below: the same
`grade` engine (ingest, sandboxed workers, scores) on a class of one student.
Students may upload `attention.py` bare or inside `ch6/`: ingest finds both, as in a class.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.config import chapters
from autograder.layout import KIT

KIT_PARTS = ["pyproject.toml", "requirements.txt", "grading.toml", "autograder", "solutions", "tests"]
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the image.
set -euo pipefail
cd /autograder/source
python=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv
    python=python3.11
fi
"$python" -m venv /autograder/venv
if ls wheelhouse/*.whl >/dev/null 2>&1; then from="--no-index --find-links wheelhouse"
else from="--index-url {index} --extra-index-url https://pypi.org/simple"; fi
/autograder/venv/bin/pip install --no-cache-dir --disable-pip-version-check $from \\
    -r requirements.txt
rm -rf wheelhouse
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
cd /autograder/source
exec /autograder/venv/bin/python -m autograder gradescope-run {chapters} \\
    /autograder/submission /autograder/results/results.json
"""


def _kit_files() -> list[Path]:
    files = []
    for part in KIT_PARTS:
        path = KIT.root / part
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p for p in found if "__pycache__" not in p.parts]
    return files


def _add_script(bundle: zipfile.ZipFile, name: str, text: str):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16          # executable, as Gradescope expects
    bundle.writestr(info, text)


def build_bundle(zip_path: Path, chapter_list: list[str] | None = None, wheelhouse: Path | None = None) -> Path:
    """Write the bundle for these chapters (default: all); a wheelhouse makes setup.sh offline."""
    chapter_list = chapter_list or chapters()
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        _add_script(bundle, "setup.sh", SETUP_SH.format(index=TORCH_INDEX))
        _add_script(bundle, "run_autograder", RUN_AUTOGRADER.format(
            chapters=" ".join(f"--chapter {ch}" for ch in chapter_list)))
        for path in _kit_files():
            bundle.write(path, path.relative_to(KIT.root).as_posix())
        for wheel in sorted(Path(wheelhouse).glob("*.whl")) if wheelhouse else []:
            bundle.write(wheel, f"wheelhouse/{wheel.name}", compress_type=zipfile.ZIP_STORED)
    return zip_path


# ------------------------------------------------------------------ inside Gradescope

def lay_out(submission: Path, student_dir: Path) -> None:
    """Copy the upload's code files into `student_dir`, keeping their folders; ingest then
    takes them as for any student (a bare `attention.py` is placed by its module name:
    ingest.places_of). Symbolic links and special files are not copied."""
    student_dir.mkdir(parents=True, exist_ok=True)   # nothing uploaded: every exercise says "missing"
    for folder, dirs, files in os.walk(submission):   # does not follow symbolic links
        for name in files:
            path = Path(folder, name)
            if name.endswith(".py") and stat.S_ISREG(path.lstat().st_mode):
                target = student_dir / path.relative_to(submission)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def failure_results(message: str) -> dict:
    return {"score": 0, "output": f"The autograder could not grade this submission: {message}",
            "tests": [], "visibility": "visible", "stdout_visibility": "hidden"}


def gradescope_run(submission: Path, results_path: Path, chapter_list: list[str]) -> int:
    """Grade /autograder/submission with the batch engine; always leave a results.json."""
    from autograder.grade import grade

    results_path = Path(results_path)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        lay_out(Path(submission), work / "class" / "submission")
        grade(work / "class", work / "out", jobs=1, chapter_list=chapter_list, regrade=True)
        produced = work / "out" / "submission" / "results.json"
        results = json.loads(produced.read_text()) if produced.is_file() else \
            failure_results("no file of this assignment was found in the upload")
    except Exception as exc:   # Gradescope must always get a results.json
        results = failure_results(f"{type(exc).__name__}: {exc}")
        print(f"gradescope-run: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results_path.write_text(json.dumps(results, indent=2))
    return 0
