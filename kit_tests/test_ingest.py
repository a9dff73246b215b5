"""Ingest takes only the files grading.toml names, safely, from folders, zips and nbgrader's layout."""
import logging
import os
import re
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from autograder import ingest as ing
from autograder.config import load_exercises
from autograder.ingest import MAX_FILE, MAX_MEMBERS, ingest, safe_name, wanted_files

WANTED = {"ch2/activations.py", "ch2/losses.py"}
ACT = b"def relu(x):\n    return x.clamp(min=0)\n"
LOSS = b"def mse(a, b):\n    return ((a - b) ** 2).mean()\n"
EVIL = b"import os  # EVIL: must never reach the workspace\n"


# ------------------------------------------------------------------ helpers

def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def make_zip(path: Path, members) -> Path:
    """members: {name: bytes} or [(name or ZipInfo, bytes)]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return path


def listing(root: Path, skip: Path) -> dict[str, tuple]:
    """Every path under root (links not followed) with type, size and mtime, except `skip`'s subtree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path == skip or skip in path.parents:
                continue
            st = path.lstat()
            out[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
    return out


def workspace_files(ws: Path) -> dict[str, bytes]:
    return {str(p.relative_to(ws)): p.read_bytes() for p in sorted(ws.rglob("*")) if p.is_file()}


def run(tmp_path: Path, wanted=WANTED, subs=None):
    """ingest(subs, tmp_path/ws), asserting that nothing outside the workspace changed
    and that no EVIL byte reached it; returns {student: Submission}."""
    subs = subs or tmp_path / "subs"
    ws = tmp_path / "ws"
    before = listing(tmp_path, ws)
    result = ingest(subs, ws, wanted)
    assert listing(tmp_path, ws) == before
    assert [s.student for s in result] == sorted(s.student for s in result)
    for rel, data in workspace_files(ws).items():
        assert b"EVIL" not in data, rel
    for sub in result:
        assert sub.root == ws / sub.student
        assert sorted(str(p.relative_to(sub.root)) for p in sub.root.rglob("*") if p.is_file()) == sub.files
    return {s.student: s for s in result}


# ------------------------------------------------------------------ the normal cases

def test_wanted_files_come_from_grading_toml():
    wanted = wanted_files(load_exercises())
    assert "ch2/activations.py" in wanted and "ch2/losses.py" in wanted
    assert all(re.fullmatch(r"ch\d+/\w+\.py", w) for w in wanted)
    assert wanted_files(load_exercises().values()) == wanted


def test_folders_and_zips_at_the_top_or_wrapped(tmp_path):
    subs = tmp_path / "subs"
    write(subs / "alice", {"ch2/activations.py": ACT, "ch2/losses.py": LOSS})
    write(subs / "bob", {"bob_hw/work/ch2/activations.py": ACT})
    make_zip(subs / "carol.zip", {"ch2/activations.py": ACT, "ch2/losses.py": LOSS})
    make_zip(subs / "dave.ZIP", {"dave-hw/ch2\\activations.py": ACT, "dave-hw/ch2/": b""})  # Windows separators
    got = run(tmp_path)
    assert list(got) == ["alice", "bob", "carol", "dave"]
    assert got["alice"].files == got["carol"].files == ["ch2/activations.py", "ch2/losses.py"]
    assert got["bob"].files == got["dave"].files == ["ch2/activations.py"]   # missing files are not problems
    assert all(s.problems == [] for s in got.values())
    assert (got["bob"].root / "ch2/activations.py").read_bytes() == ACT
    assert (got["dave"].root / "ch2/activations.py").read_bytes() == ACT
    for sub in got.values():
        for path in [sub.root, *sub.root.rglob("*")]:
            assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644)


def test_bare_files_are_placed_by_module_name(tmp_path):
    """Issue 13, item 9: students hand in `activations.py` without its chapter's folder, at the
    top of a folder or zip or inside the folder they worked in; each module name is one
    chapter's, so it is placed there, and the same files grade the same (same digest)."""
    subs = tmp_path / "subs"
    write(subs / "alice", {"activations.py": ACT, "losses.py": LOSS, "notes.py": EVIL})
    make_zip(subs / "bob.zip", {"hw2/activations.py": ACT, "hw2/losses.py": LOSS})
    write(subs / "carol", {"ch2/activations.py": ACT, "ch2/losses.py": LOSS})
    got = run(tmp_path)
    assert got["alice"].files == got["bob"].files == ["ch2/activations.py", "ch2/losses.py"]
    assert got["alice"].digest == got["bob"].digest == got["carol"].digest
    assert got["bob"].problems == []
    assert any("notes.py" in p for p in got["alice"].problems)       # the rest is still noted


def test_a_copy_in_its_chapters_folder_wins_over_a_bare_one(tmp_path):
    write(tmp_path / "subs/alice", {"activations.py": EVIL, "ch2/activations.py": ACT,
                                    "ch6/losses.py": EVIL})          # another chapter's folder: not bare
    sub = run(tmp_path, WANTED | {"ch6/attention.py"})["alice"]
    assert sub.files == ["ch2/activations.py"] and (sub.root / "ch2/activations.py").read_bytes() == ACT
    assert any("activations.py" in p and "ch6/losses.py" in p for p in sub.problems)


def test_a_bare_file_two_chapters_could_own_gets_one_line(tmp_path):
    wanted = WANTED | {"ch3/activations.py"}
    write(tmp_path / "subs/alice", {"activations.py": EVIL, "losses.py": LOSS})
    sub = run(tmp_path, wanted)["alice"]
    assert sub.files == ["ch2/losses.py"]
    (note,) = sub.problems
    assert "\n" not in note and "did not take activations.py" in note
    assert "ch2/activations.py or ch3/activations.py" in note            # what would be right


def test_a_zipped_chapter_folder_as_handed_out_is_no_problem(tmp_path):
    """Issue 13, item 9: a zip of `ch2/` with its `__init__.py` and public tests is not "a
    problem with the submission"."""
    make_zip(tmp_path / "subs/alice.zip", {"ch2/__init__.py": b"", "ch2/activations.py": ACT,
                                           "ch2/test_activations.py": b"", "ch2/losses.py": LOSS,
                                           "ch2/__pycache__/losses.cpython-311.pyc": b""})
    sub = run(tmp_path)["alice"]
    assert sub.files == ["ch2/activations.py", "ch2/losses.py"] and sub.problems == []


@pytest.mark.parametrize("layout", ["bundle", "nbgrader"])
def test_what_the_kit_handed_out_is_not_a_problem_with_the_submission(tmp_path, layout):
    """A submission made from a released bundle, or nbgrader's release/chN/ collected back, holds the
    files the kit handed out (conftest.py, forbidden_names.py, selfcheck.py, public tests, scripts
    such as train_tinygpt.py, README.md, ...): none is noted, and none is taken."""
    from autograder.release import bundle_files

    chapter_list = ["ch2", "ch6"] if layout == "bundle" else ["ch2"]
    handed_out = bundle_files(chapter_list)
    assert {"conftest.py", "forbidden_names.py", "selfcheck.py", "ch2/test_activations.py"} <= set(handed_out)
    where = tmp_path / "subs" / ("alice" if layout == "bundle" else "submitted/alice/ch2")
    write(where, {**handed_out, "ch2/activations.py": ACT})
    wanted = wanted_files(load_exercises().values())
    sub = run(tmp_path, wanted)["alice"]
    assert sub.problems == []
    assert sub.files == sorted(w for w in wanted if w.split("/")[0] in chapter_list)
    assert (sub.root / "ch2" / "activations.py").read_bytes() == ACT


def test_gradescope_uploads_are_placed_by_ingest(tmp_path):
    """One owner of the placement: Gradescope's upload is copied as it is and ingest places it."""
    from autograder.gradescope import lay_out

    upload = write(tmp_path / "upload", {"activations.py": ACT, "ch2/losses.py": LOSS, "README.md": b"hi"})
    (upload / "link.py").symlink_to(upload / "activations.py")
    lay_out(upload, tmp_path / "subs" / "submission")
    assert sorted(str(p.relative_to(tmp_path / "subs")) for p in (tmp_path / "subs").rglob("*.py")) == [
        "submission/activations.py", "submission/ch2/losses.py"]
    assert run(tmp_path)["submission"].files == ["ch2/activations.py", "ch2/losses.py"]


@pytest.mark.parametrize("case, says", [
    ("missing", "is not a folder"), ("empty", "no submission in"), ("chapters", "one student's work (it holds ch2/)"),
    ("bare", "one student's work (it holds activations.py)"), ("class", None)])
def test_a_folder_that_is_not_a_class_is_said_in_one_line(tmp_path, case, says):
    subs = tmp_path / "subs"
    layouts = {"empty": {"notes.txt": b""}, "chapters": {"ch2/activations.py": ACT},
               "bare": {"activations.py": ACT}, "class": {"alice/activations.py": ACT}}
    if case != "missing":
        write(subs, layouts[case])
    problem = ing.not_a_class(subs, WANTED)
    assert problem == says if says is None else (says in problem and "one folder or .zip per student" in problem)


def test_real_grading_toml_is_the_default(tmp_path):
    write(tmp_path / "subs/alice", {"ch2/activations.py": ACT, "ch2/notanexercise.py": EVIL})
    sub = ingest(tmp_path / "subs", tmp_path / "ws")[0]
    assert sub.files == ["ch2/activations.py"]
    assert "ch2/notanexercise.py" in sub.problems[0]


def test_shallowest_copy_wins_and_ties_are_noted(tmp_path):
    write(tmp_path / "subs/alice", {"ch2/activations.py": ACT, "old/ch2/activations.py": EVIL,
                                    "a/ch2/losses.py": LOSS, "b/ch2/losses.py": EVIL})
    sub = run(tmp_path)["alice"]
    assert (sub.root / "ch2/activations.py").read_bytes() == ACT
    assert (sub.root / "ch2/losses.py").read_bytes() == LOSS
    assert any("several copies of ch2/losses.py" in p and "b/ch2/losses.py" in p for p in sub.problems)
    assert any("old/ch2/activations.py" in p for p in sub.problems)


def test_shipped_code_never_reaches_the_workspace(tmp_path):
    write(tmp_path / "subs/alice", {
        "ch2/activations.py": ACT, "ch2/losses.py": LOSS,
        "conftest.py": EVIL, "sitecustomize.py": EVIL, "torch.py": EVIL, "x.pth": EVIL,
        "ch2/conftest.py": EVIL, "ch2/torch.py": EVIL, "ch2/helper.py": EVIL, "ch2/__init__.py": EVIL,
        "ch2/more_helpers.py": EVIL, "util.py": EVIL,
        "ch2/__pycache__/activations.cpython-311.pyc": EVIL, ".git/ch2/activations.py": EVIL,
    })
    make_zip(tmp_path / "subs/bob.zip", {"ch2/activations.py": ACT, "conftest.py": EVIL,
                                         "sitecustomize.py": EVIL, "torch.py": EVIL, "evil.pth": EVIL,
                                         "__MACOSX/ch2/activations.py": EVIL})
    got = run(tmp_path)
    assert got["alice"].files == ["ch2/activations.py", "ch2/losses.py"]
    assert got["bob"].files == ["ch2/activations.py"]
    note = " ".join(got["alice"].problems)
    assert "ignored 7 code file(s)" in note and "and 2 more" in note    # named, capped at 5
    assert "__init__" not in note and "conftest" not in note           # what the kit hands out


# ------------------------------------------------------------------ hostile folders

def test_symlinks_and_special_files_in_folders_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"secret.py": EVIL, "ch2/losses.py": EVIL})
    alice = tmp_path / "subs/alice"
    (alice / "ch2").mkdir(parents=True)
    (alice / "ch2/activations.py").symlink_to(outside / "secret.py")
    (alice / "wrapper").symlink_to(outside, target_is_directory=True)
    os.mkfifo(alice / "ch2/losses.py")            # reading it would block forever
    sub = run(tmp_path)["alice"]
    assert sub.files == []
    assert any("ch2/activations.py: symbolic links" in p for p in sub.problems)
    assert any("wrapper: symbolic links" in p for p in sub.problems)
    assert any("ch2/losses.py: not a regular file" in p for p in sub.problems)


def test_size_caps_in_folders(tmp_path):
    wanted = {f"ch2/m{i:02}.py" for i in range(12)}
    files = {w: b"#" * MAX_FILE for w in wanted}                   # 12 MiB in all, each exactly at the cap
    files["ch2/m00.py"] = b"# EVIL " + b"#" * MAX_FILE              # one byte over
    write(tmp_path / "subs/alice", files)
    sub = run(tmp_path, wanted)["alice"]
    assert len(sub.files) == 10 and "ch2/m00.py" not in sub.files  # 10 MiB total
    assert any("ch2/m00.py: larger than 1 MiB" in p for p in sub.problems)
    assert sum("in total" in p for p in sub.problems) == 1


# ------------------------------------------------------------------ hostile zips

def test_zip_slip_and_absolute_members_are_refused(tmp_path):
    make_zip(tmp_path / "subs/alice.zip", [
        ("ch2/activations.py", ACT),
        ("../evil.py", EVIL), ("../../ws/alice/ch2/losses.py", EVIL), ("/etc/x", EVIL),
        ("..\\..\\evil2.py", EVIL), ("C:/Windows/evil.py", EVIL), ("a/../../ch2/losses.py", EVIL),
    ])
    sub = run(tmp_path)["alice"]
    assert sub.files == ["ch2/activations.py"]
    skipped = [p for p in sub.problems if p.startswith("skipped member")]
    assert len(skipped) == 6
    assert any("'/etc/x': absolute path" in p for p in skipped)
    assert any("drive letter" in p for p in skipped)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "evil2.py").exists()


def test_symlink_member_is_refused(tmp_path):
    link = zipfile.ZipInfo("ch2/activations.py")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    make_zip(tmp_path / "subs/alice.zip", [(link, "../../../outside/EVIL.py"), ("ch2/losses.py", LOSS)])
    sub = run(tmp_path)["alice"]
    assert sub.files == ["ch2/losses.py"]
    assert any("'ch2/activations.py': symbolic links" in p for p in sub.problems)


def test_zip_bomb_is_refused_whole(tmp_path):
    bomb = tmp_path / "subs/alice.zip"
    bomb.parent.mkdir()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ch2/losses.py", LOSS)
        with zf.open("ch2/activations.py", "w") as member:      # 50 MB of zeros, streamed
            zero = bytes(1 << 20)
            for _ in range(50):
                member.write(zero)
    assert bomb.stat().st_size < 1 << 20
    try:
        sub = run(tmp_path)["alice"]
    finally:
        bomb.unlink()
    assert sub.files == [] and list(sub.root.iterdir()) == []
    assert len(sub.problems) == 1
    assert "refused the archive alice.zip" in sub.problems[0] and "zip bomb" in sub.problems[0]
    assert "nothing was taken" in sub.problems[0]


def test_huge_compression_ratio_is_refused(tmp_path):
    make_zip(tmp_path / "subs/alice.zip", {"ch2/activations.py": b"EVIL" * (200 << 10)})  # 800 KiB, under the cap
    sub = run(tmp_path)["alice"]
    assert sub.files == [] and "zip bomb" in sub.problems[0]


def test_member_whose_header_lies_about_its_size_is_refused(tmp_path):
    path = make_zip(tmp_path / "subs/alice.zip", {"ch2/activations.py": b"EVIL" * (1 << 19)})  # 2 MiB
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 22, 1000)                               # local header: 1000 bytes
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 1000)  # central directory too
    path.write_bytes(bytes(data))
    sub = run(tmp_path)["alice"]
    assert sub.files == [] and "refused the archive" in sub.problems[0]


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "hidden-by-a-lying-count"])
def test_file_count_bomb_is_refused(tmp_path, lie):
    path = make_zip(tmp_path / "subs/alice.zip",
                    [("ch2/activations.py", ACT)] + [(f"junk/{i}", b"") for i in range(MAX_MEMBERS)])
    if lie:   # the end record claims 5 members; zipfile still parses them all
        data = bytearray(path.read_bytes())
        end = data.rfind(b"PK\x05\x06")
        struct.pack_into("<HH", data, end + 8, 5, 5)
        path.write_bytes(bytes(data))
    sub = run(tmp_path)["alice"]
    assert sub.files == []
    assert "refused the archive" in sub.problems[0] and f"at most {MAX_MEMBERS}" in sub.problems[0]


def test_corrupt_archives_give_a_note_not_a_crash(tmp_path):
    subs = tmp_path / "subs"
    write(subs, {"a-text.zip": b"this is not a zip file at all"})
    good = make_zip(tmp_path / "good.zip", {"ch2/activations.py": ACT * 50}).read_bytes()
    write(subs, {"b-truncated.zip": good[: len(good) // 2]})
    flipped = bytearray(good)
    for i in range(60, 80):                   # inside the compressed data (it starts at 48)
        flipped[i] ^= 0xFF
    write(subs, {"c-damaged.zip": bytes(flipped), "d-empty.zip": b""})
    make_zip(subs / "e-fine.zip", {"ch2/activations.py": ACT})
    got = run(tmp_path)
    for name in ["a-text", "b-truncated", "c-damaged", "d-empty"]:
        assert got[name].files == [], name
        assert "refused the archive" in got[name].problems[0] and "cannot be read" in got[name].problems[0]
    assert got["e-fine"].files == ["ch2/activations.py"]


# ------------------------------------------------------------------ layouts and names

@pytest.mark.parametrize("layout", ["submitted", "parent", "course"])
def test_nbgrader_layout_merges_assignments(tmp_path, layout):
    top = tmp_path / "subs"
    submitted = top / "submitted" if layout != "submitted" else tmp_path / "submitted"
    write(submitted / "alice", {"ch2/activations.py": ACT, "ch2/timestamp.txt": b"2026-01-01",
                                "ch3/attention.py": LOSS, "ch3/conftest.py": EVIL})
    write(submitted / "bob", {"ch2/losses.py": LOSS})
    if layout == "course":      # an nbgrader course: instructor folders beside submitted/
        write(top, {"nbgrader_config.py": b"", "source/ch2/activations.py": EVIL})
    got = run(tmp_path, WANTED | {"ch3/attention.py"}, submitted if layout == "submitted" else top)
    assert list(got) == ["alice", "bob"]
    assert got["alice"].files == ["ch2/activations.py", "ch3/attention.py"]
    assert got["bob"].files == ["ch2/losses.py"]


@pytest.mark.parametrize("raw, name", [
    ("alice", "alice"), ("José García", "Jose_Garcia"), ("", "student"), (".", "student"),
    ("..", "student"), ("../../etc/passwd", "etc_passwd"), ("-rf", "rf"), ("王伟", "student"),
    ("a" * 100, "a" * 64),
])
def test_safe_name(raw, name):
    assert safe_name(raw) == name


def test_student_names_are_safe_and_unique(tmp_path):
    subs = tmp_path / "subs"
    for folder in ["a b", "a_b", "a?b", "Alice", "alice", "-rf", ".hidden"]:
        write(subs / folder, {"ch2/activations.py": folder.encode()})
    make_zip(subs / "~~.zip", {"ch2/activations.py": b"tilde"})     # sanitizes to nothing
    make_zip(subs / "a_b.zip", {"ch2/activations.py": b"a_b.zip"})
    got = run(tmp_path)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", n) and n not in (".", "..") for n in got)
    origin = {n: (s.root / "ch2/activations.py").read_bytes().decode() for n, s in got.items()}
    assert origin == {"a_b": "a_b", "a_b-2": "a_b.zip", "a_b-3": "a b", "a_b-4": "a?b",
                      "alice": "alice", "Alice-2": "Alice", "rf": "-rf", "student": "tilde"}


def test_a_students_name_does_not_depend_on_who_else_comes(tmp_path):
    """A name depends only on the names in SUBMISSIONS: whoever joins or leaves, and
    whatever order they come in, `alice` stays `alice`, and no two names differ only in
    case (one folder each on a case-insensitive disk)."""
    subs = tmp_path / "subs"
    write(subs / "alice", {"ch2/activations.py": b"alice"})
    assert list(run(tmp_path)) == ["alice"]
    for newcomer in ["Alice", "ALICE", "alice-2", "a lice"]:
        write(subs / newcomer, {"ch2/activations.py": newcomer.encode()})
        got = run(tmp_path)
        assert (got["alice"].root / "ch2/activations.py").read_bytes() == b"alice", newcomer
        assert len({name.lower() for name in got}) == len(got)
    make_zip(subs / "alice.zip", {"ch2/activations.py": b"alice.zip"})    # her zip as well: the folder wins
    got = run(tmp_path)
    assert (got["alice"].root / "ch2/activations.py").read_bytes() == b"alice"
    names = {n: (s.root / "ch2/activations.py").read_bytes().decode() for n, s in got.items()}
    assert names == {"alice": "alice", "alice-2": "alice-2", "alice-3": "alice.zip", "ALICE-4": "ALICE",
                     "Alice-5": "Alice", "a_lice": "a lice"}


def test_digest_follows_content_only(tmp_path):
    subs = tmp_path / "subs"
    write(subs / "alice", {"ch2/activations.py": ACT, "ch2/losses.py": LOSS})
    make_zip(subs / "bob.zip", {"bob/ch2/losses.py": LOSS, "bob/ch2/activations.py": ACT, "bob/notes.txt": b"x"})
    write(subs / "carol", {"ch2/activations.py": ACT + b"\n", "ch2/losses.py": LOSS})
    write(subs / "dave", {"ch2/activations.py": LOSS, "ch2/losses.py": ACT})
    first = run(tmp_path)
    assert first["alice"].digest == first["bob"].digest            # same files, folder or zip, any wrapper
    assert len({s.digest for s in first.values()}) == 3             # one byte or a swap changes it
    again = run(tmp_path)
    assert {n: s.digest for n, s in again.items()} == {n: s.digest for n, s in first.items()}
    write(subs / "alice", {"ch2/losses.py": LOSS.replace(b"2", b"3")})
    assert run(tmp_path)["alice"].digest != first["alice"].digest


def test_student_folder_is_rebuilt_from_scratch(tmp_path):
    write(tmp_path / "ws/alice", {"ch2/losses.py": b"stale", "ch2/conftest.py": b"stale"})
    write(tmp_path / "ws/zoe", {"ch2/losses.py": b"another batch"})
    write(tmp_path / "subs/alice", {"ch2/activations.py": ACT})
    sub = run(tmp_path)["alice"]
    assert sub.files == ["ch2/activations.py"]
    assert (tmp_path / "ws/zoe/ch2/losses.py").exists()              # other folders are left alone


def test_loose_files_and_symlinked_entries_are_skipped_with_a_log(tmp_path, caplog):
    subs = write(tmp_path / "subs", {"alice/ch2/activations.py": ACT, "README.txt": b"hi",
                                     "ch2/activations.py": ACT, ".DS_Store": b""})
    write(tmp_path, {"elsewhere/ch2/activations.py": EVIL})
    (subs / "mallory").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (subs / "mallory2.zip").symlink_to(make_zip(tmp_path / "evil.zip", {"ch2/activations.py": EVIL}))
    with caplog.at_level(logging.WARNING, logger=ing.__name__):
        got = run(tmp_path)
    assert list(got) == ["alice", "ch2"]     # a folder at the top is a student, even a misplaced one
    assert got["ch2"].files == ["ch2/activations.py"]     # whose bare file is placed by its name
    logged = caplog.text
    assert "README.txt" in logged and "'mallory': symbolic links" in logged and "mallory2.zip" in logged


def test_workspace_must_not_overlap_the_submissions(tmp_path):
    write(tmp_path / "subs/alice", {"ch2/activations.py": ACT})
    for ws in [tmp_path / "subs", tmp_path / "subs/ws", tmp_path]:
        with pytest.raises(ValueError, match="overlap"):
            ingest(tmp_path / "subs", ws, WANTED)
    assert (tmp_path / "subs/alice/ch2/activations.py").read_bytes() == ACT
