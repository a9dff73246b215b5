"""The Docker image: grading inside it, the docker backend, and Gradescope's layout.

Each compares with the local engine on the same small class. They need a Docker
engine and the kit's image (AUTOGRADER_IMAGE, default dlf-autograder:cpu), built from
this checkout: `.ci/docker-image` builds it offline and prints the variables. Without
them the tests skip.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.config import chapter_exercises
from autograder.layout import KIT

IMAGE = os.environ.get("AUTOGRADER_IMAGE", "dlf-autograder:cpu")
WHEELHOUSE = os.environ.get("AUTOGRADER_WHEELHOUSE")
GRADESCOPE_BASE = os.environ.get("AUTOGRADER_GRADESCOPE_BASE", "local/python:3.11-bookworm")
STUDENTS = ["perfect_alice", "partial_bob", "cheating_eve"]


def _has_image(name):
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "image", "inspect", name], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _has_image(IMAGE), reason=f"no Docker engine or no image {IMAGE} "
                                "(build it with .ci/docker-image)")


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def totals(out):
    with open(out / "grades.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A small class (ch2 only): full marks, named mistakes, and a cheater."""
    root = tmp_path_factory.mktemp("docker") / "class"
    for student in STUDENTS:
        shutil.copytree(KIT.root / "examples" / "submissions" / student / "ch2", root / student / "ch2")
    for name in ("conftest.py", "sitecustomize.py", "torch.py"):
        shutil.copy(KIT.root / "examples" / "submissions" / "cheating_eve" / name, root / "cheating_eve")
    os.chmod(root.parent, 0o755)
    local = root.parent / "local"
    run([sys.executable, "-m", "autograder", "grade", str(root), "--out", str(local), "--chapter", "ch2"],
        cwd=KIT.root)
    return root, totals(local)


def test_grading_inside_the_image_matches_the_local_engine(klass, tmp_path):
    root, local = klass
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)   # the image runs as its own non-root user
    run(["docker", "run", "--rm", "--network", "none", "-v", f"{root}:/submissions:ro", "-v", f"{out}:/out",
         IMAGE, "grade", "/submissions", "--out", "/out", "--chapter", "ch2"])
    assert totals(out) == local
    assert float(local["perfect_alice"]["total"]) == 100


def test_docker_backend_matches_the_local_backend(klass, tmp_path):
    root, local = klass
    out = tmp_path / "out"
    proc = run([sys.executable, "-m", "autograder", "grade", str(root), "--out", str(out), "--chapter", "ch2",
                "--backend", "docker", "--image", IMAGE], cwd=KIT.root)
    assert "in a container of" in proc.stderr
    assert totals(out) == local


@pytest.mark.skipif(not WHEELHOUSE or not _has_image(GRADESCOPE_BASE),
                    reason="needs AUTOGRADER_WHEELHOUSE and a base image for Gradescope's layout")
def test_gradescope_bundle_grades_like_the_engine(klass, tmp_path):
    root, local = klass
    context = tmp_path / "gradescope"
    run([sys.executable, "-m", "autograder", "gradescope", str(context / "bundle.zip"), "--chapter", "ch2",
         "--wheelhouse", WHEELHOUSE], cwd=KIT.root)
    # Gradescope's image build: unzip into /autograder/source, run setup.sh there, install run_autograder.
    (context / "Dockerfile").write_text(f"""FROM {GRADESCOPE_BASE}
COPY bundle.zip /tmp/bundle.zip
RUN mkdir -p /autograder/source /autograder/submission /autograder/results \\
 && cd /autograder/source && python3 -m zipfile -e /tmp/bundle.zip . && rm /tmp/bundle.zip \\
 && chmod +x setup.sh run_autograder && bash ./setup.sh && cp run_autograder /autograder/run_autograder
""")
    tag = "dlf-autograder-gradescope-test"
    run(["docker", "build", "-q", "--network", "none", "-t", tag, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "0"})
    try:
        upload = tmp_path / "upload"                       # students upload bare files
        upload.mkdir()
        for path in (root / "partial_bob" / "ch2").glob("*.py"):
            shutil.copy(path, upload)
        results = tmp_path / "results"
        results.mkdir()
        run(["docker", "run", "--rm", "--network", "none", "-v", f"{upload}:/autograder/submission:ro",
             "-v", f"{results}:/autograder/results", tag, "/autograder/run_autograder"])
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
    report = json.loads((results / "results.json").read_text())
    assert report["score"] == float(local["partial_bob"]["total"])
    assert [t["name"] for t in report["tests"]] == [ex.id for ex in chapter_exercises("ch2")]
    assert all({"score", "max_score", "output", "name"} <= set(t) for t in report["tests"])
    assert any("Known mistake" in t["output"] for t in report["tests"])


def test_the_sandbox_holds_inside_the_image_as_its_user():
    """The image's mode (an unprivileged user, workers walled in by Landlock and the system-call
    filter): the sandbox's own tests, run inside a container of the image."""
    proc = run(["docker", "run", "--rm", "--network", "none", "-v", f"{KIT.root / 'kit_tests'}:/opt/kit/kit_tests:ro",
                "--entrypoint", "python", IMAGE, "-m", "pytest", "/opt/kit/kit_tests/test_sandbox.py", "-q",
                "-p", "no:cacheprovider", "-rs"])
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    assert "[landlock]" not in proc.stdout     # nothing of the Landlock mode was skipped
