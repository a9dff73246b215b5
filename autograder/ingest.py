"""Ingest: turn a folder of untrusted submissions into one clean workspace per student.

    SUBMISSIONS/alice/...                         one folder per student
    SUBMISSIONS/bob.zip                           one .zip per student
    .../submitted/<student>/<assignment>/...      nbgrader's layout (assignment = chapter, e.g. ch2)

Only the files grading.toml names (`chN/<module>.py`) are taken, byte for byte,
into `WORKSPACE/<student>/chN/<module>.py`. Everything else a submission ships
(conftest.py, sitecustomize.py, a fake torch.py, .pth files, helper modules)
stays behind, so nothing from it can reach a Python path or configure pytest.

A wanted file may sit at the top of the submission (`ch2/activations.py`) or
under wrapper folders (`alice_hw/ch2/activations.py`): students zip whatever
folder they worked in. A bare `activations.py` (in no chapter's folder) is
placed by its module name when only one chapter has that module (`places_of`;
Gradescope's uploads go through the same rule); when several have it, a note
says so and it is not taken. A copy in its chapter's folder wins over a bare
one, then the shallowest copy wins. What the kit hands out beside the modules
(a chapter's `__init__.py`, its public tests `test_*.py`) is not worth a note.

A student is named by its folder or zip name as given (`safe_name`: only
[A-Za-z0-9._-]); names are compared case-folded, so two students never share a
folder on a case-insensitive disk. The name depends only on the names in
SUBMISSIONS, the same on every run and every shard: when several entries fold to
one name (`alice`, `Alice`, `alice.zip`, `a b` and `a_b`), the one spelled exactly
as that name in lower case keeps it (then: one whose name needed no cleaning, then
sorted by name), the others get `-2`, `-3`, ... in that order. So a new `Alice`
next to `alice` is graded as `Alice-2`, and `alice` keeps its name and results.
`grade` keeps OUT (gradebook, grades.csv, OUT/<student>/) to exactly the students
of the current SUBMISSIONS (of its slice, with --shard): a student whose entry is
gone is dropped, and graded afresh should it come back.

Every path we write is one we chose (a sanitized student name plus a path from
grading.toml), never a name read from a submission, so path traversal cannot
write outside the workspace whatever an archive contains. The remaining checks
(no symlinks, no `..`, size and count caps) make sure we never *read* something
outside the submission and that a hostile archive costs bounded time and memory.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from autograder.layout import KIT, StudentBundle, module_path

log = logging.getLogger(__name__)

MAX_FILE = 1 << 20          # bytes per taken file: a course module is a few KiB
MAX_TOTAL = 10 << 20        # bytes taken per submission
MAX_MEMBERS = 10_000        # zip members, or folder entries looked at
MAX_CENTRAL_DIR = 8 << 20   # bytes of a zip's directory that zipfile may parse
MAX_RATIO = 100             # uncompressed/compressed; Python source compresses ~4x
RATIO_FLOOR = 64 << 10      # tiny files may compress absurdly well and harm nothing
_SKIPPED_DIRS = {"__MACOSX", "__pycache__"}   # plus hidden folders (.git, .ipynb_checkpoints)


@dataclass
class Submission:
    student: str          # safe name: [A-Za-z0-9._-]+, never '.'/'..', unique in the batch ignoring case
    root: Path            # workspace folder holding exactly `files`
    files: list[str] = field(default_factory=list)     # taken paths, sorted: ["ch2/activations.py"]
    digest: str = ""      # sha256 over the taken paths and bytes: unchanged work is not regraded
    problems: list[str] = field(default_factory=list)  # refused archive, skipped members (why)


class _Refused(Exception):
    """The whole archive is refused; the message says why."""


def wanted_files(exercises) -> set[str]:
    """The module files grading.toml names, e.g. {"ch2/activations.py", ...}.

    `exercises` is `config.load_exercises()` (a dict by id) or any iterable of Exercise.
    """
    values = exercises.values() if isinstance(exercises, dict) else exercises
    return {module_path(ex.chapter, ex.module) for ex in values}


def safe_name(raw: str) -> str:
    """A folder name made from a submission's name: only [A-Za-z0-9._-], never
    empty, never hidden, never '.' or '..' (so `workspace / name` is a child of
    the workspace). Accents are folded (José -> Jose) to keep names readable."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._-")
    return name[:64].strip("._-") or "student"


def ingest(submissions_dir: Path, workspace: Path, wanted: set[str] | None = None) -> list[Submission]:
    """Copy each student's wanted files into `workspace/<student>/`; return them sorted by student.

    A student's folder in the workspace is rebuilt from scratch, so a file that
    disappeared from a resubmission does not linger. A submission that cannot be
    read gives an empty Submission with a note in `problems`, never an exception.
    Notes about the batch itself (loose files, symlinked entries) are logged.
    """
    submissions_dir, workspace = Path(submissions_dir), Path(workspace)
    if wanted is None:
        from autograder.config import load_exercises
        wanted = wanted_files(load_exercises())
    wanted = _checked(wanted)
    src, dst = submissions_dir.resolve(), workspace.resolve()
    if src == dst or src in dst.parents or dst in src.parents:
        # Rebuilding a student's folder deletes it: it must never be a submission.
        raise ValueError(f"the workspace {workspace} and the submissions {submissions_dir} overlap")
    workspace.mkdir(parents=True, exist_ok=True)

    entries = _student_entries(_students_root(submissions_dir))
    names = _unique_names({entry: _stem(entry) for entry, _ in entries})
    result = []
    for entry, path in entries:
        if path.is_dir():
            taken, problems = _read_folder(path, wanted)
        else:
            taken, problems = _read_zip(path, wanted)
        student = names[entry]
        root = _write(workspace, student, taken)
        result.append(Submission(student, root, sorted(taken), _digest(taken), problems))
    return sorted(result, key=lambda s: s.student)


# ------------------------------------------------------------------ the batch

CLASS_FOLDER = "one folder or .zip per student (or nbgrader's submitted/)"


def not_a_class(submissions_dir: Path, wanted: set[str] | None = None) -> str | None:
    """Why `submissions_dir` cannot be graded as a class, in one line that says what would
    be right; None when it can (it holds at least one student's folder or .zip)."""
    folder = Path(submissions_dir)
    if not folder.is_dir():
        return f"{folder} is not a folder: give the folder that holds {CLASS_FOLDER}"
    if wanted is None:
        from autograder.config import load_exercises
        wanted = wanted_files(load_exercises())
    chapters = {w.split("/")[0] for w in wanted}
    root = _students_root(folder)
    entries = [_stem(name) for name, _ in _student_entries(root, quiet=True)]
    if entries and all(name in chapters for name in entries):        # ch2/, ch6/: one student's
        return _one_students_work(folder, [f"{name}/" for name in entries])
    if not entries:
        loose = sorted(p.name for p in root.iterdir() if p.is_file() and places_of(p.name, wanted))
        if loose:                                                    # activations.py, ...
            return _one_students_work(folder, loose)
        return f"no submission in {folder}: it should hold {CLASS_FOLDER}"
    return None


def _one_students_work(folder: Path, shown: list[str]) -> str:
    more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
    return (f"{folder} looks like one student's work (it holds {', '.join(shown[:3])}{more}), not a class: "
            f"SUBMISSIONS holds {CLASS_FOLDER}; put this work in a folder of its own, e.g. class/alice/, "
            "and grade class/")


def _checked(wanted) -> set[str]:
    """Wanted paths come from grading.toml, but they are joined to workspace paths: check them."""
    for path in wanted:
        parts = path.split("/")
        if "\\" in path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"not a relative module path: {path!r}")
    return set(wanted)


def _students_root(submissions_dir: Path) -> Path:
    """The folder whose entries are students: SUBMISSIONS itself, or nbgrader's `submitted/`.

    nbgrader's layout is recognised when SUBMISSIONS is `submitted/`, holds only a
    `submitted/` folder, or is an nbgrader course (it has nbgrader_config.py).
    """
    if submissions_dir.name == "submitted":
        return submissions_dir
    inner = submissions_dir / "submitted"
    if inner.is_dir() and not inner.is_symlink():
        others = [p for p in submissions_dir.iterdir() if not p.name.startswith(".") and p != inner]
        if not others or (submissions_dir / "nbgrader_config.py").is_file():
            return inner
    return submissions_dir


def nbgrader_submitted(submissions_dir: Path) -> Path | None:
    """nbgrader's `submitted/` folder when SUBMISSIONS is in nbgrader's layout (it, or the course
    folder that holds it); None in any other layout."""
    root = _students_root(Path(submissions_dir))
    return root if root.name == "submitted" else None


def nbgrader_students(submitted: Path) -> dict[str, Path]:
    """Who handed in what in nbgrader's `submitted/`: the name each student is graded under (as
    `ingest` names them) -> their folder `submitted/<student id>/` (its name is nbgrader's student
    id; its chN/ folders are the chapters handed in)."""
    folders = dict(_student_entries(submitted, quiet=True))
    names = _unique_names({entry: _stem(entry) for entry in folders})
    return {names[entry]: path for entry, path in folders.items() if path.is_dir()}


def _student_entries(root: Path, quiet: bool = False) -> list[tuple[str, Path]]:
    """(entry name, path) of each student folder or .zip, by name; the rest is logged (unless
    `quiet`) and skipped."""
    log_skipped = (lambda *args: None) if quiet else log.warning
    found = []
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):            # .DS_Store, .git: not students
            continue
        if entry.is_symlink():
            log_skipped("skipped %r: symbolic links are not followed", entry.name)
        elif entry.is_dir(follow_symlinks=False):
            found.append((entry.name, Path(entry.path)))
        elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(".zip"):
            found.append((entry.name, Path(entry.path)))
        else:
            log_skipped("ignored %r: a submission is a folder or a .zip", entry.name)
    return found


def _stem(entry: str) -> str:
    return entry[:-4] if entry.lower().endswith(".zip") else entry


def _unique_names(stems: dict[str, str]) -> dict[str, str]:
    """A safe student name per entry, unique when compared case-folded. Entries
    that fold to the same name are ranked: spelled exactly as the folded name,
    then needing no cleaning, then by entry name; the first keeps the name, the
    others get `-2`, `-3`, ... (never a name another entry has as its own).
    Depends only on the clashing entries, so adding an unrelated student renames
    nobody, and adding `Alice` next to `alice` does not rename `alice`."""
    base = {entry: safe_name(stem) for entry, stem in stems.items()}
    reserved = {name.lower() for name in base.values()}
    rank = lambda e: (base[e].lower(), stems[e] != base[e].lower(), base[e] != stems[e], e)
    used, names = set(), {}
    for entry in sorted(stems, key=rank):
        name, n = base[entry], 1
        while name.lower() in used or (n > 1 and name.lower() in reserved):
            n += 1
            name = f"{base[entry]}-{n}"
        if n > 1:
            log.warning("%r is graded as %s: its name clashes with another submission's", entry, name)
        used.add(name.lower())
        names[entry] = name
    return names


# ------------------------------------------------------------------ choosing files

def _hidden(part: str) -> bool:
    return part.startswith(".") or part in _SKIPPED_DIRS


@lru_cache(maxsize=None)
def handed_out_names() -> frozenset[str]:
    """The names of the code files the kit hands out beside the graded modules: what generate
    writes at the top of assignments/ (conftest.py, forbidden_names.py), a bundle's selfcheck.py
    (release.py), and each chapter's other files (layout.handed_out: __init__.py, public tests,
    scripts such as train_tinygpt.py)."""
    from autograder.config import chapter_modules, chapters
    from autograder.generate import PUBLIC_TEST_SUPPORT

    beside_modules = {Path(path).name for chapter in chapters() for path in KIT.handed_out(chapter)
                      if path not in {module_path(chapter, module) for module in chapter_modules(chapter)}}
    return frozenset({*PUBLIC_TEST_SUPPORT, StudentBundle(KIT.root).selfcheck.name, "__init__.py", *beside_modules})


def _kit_file(name: str) -> bool:
    """A file the kit hands out beside the modules (handed_out_names), or any other test file."""
    return name in handed_out_names() or (name.startswith("test_") and name.endswith(".py"))


def places_of(filename: str, wanted: set[str]) -> list[str]:
    """The wanted paths a bare `<module>.py` could stand for: one when a single chapter has
    that module (it is placed there), several when chapters share the name (it is not)."""
    return sorted(w for w in wanted if w.rsplit("/", 1)[-1] == filename)


def _target(parts: tuple[str, ...], wanted: set[str], depths: set[int],
            chapters: set[str]) -> tuple[str | None, bool, list[str]]:
    """(the wanted path a file at `parts` stands for or None, whether it is bare, the
    wanted paths it could stand for)."""
    suffixes = ("/".join(parts[-k:]) for k in sorted(depths) if len(parts) >= k)
    placed = next((t for t in suffixes if t in wanted), None)
    if placed is not None:
        return placed, False, [placed]
    if len(parts) >= 2 and parts[-2] in chapters:     # in a chapter's folder, not one of its modules
        return None, False, []
    places = places_of(parts[-1], wanted)
    return (places[0] if len(places) == 1 else None), True, places


def _ambiguous(path: str, places: list[str]) -> str:
    chapters = " and ".join(p.split("/")[0] for p in places)
    return (f"did not take {path}: {chapters} each have a module of that name; put it in its "
            f"chapter's folder ({' or '.join(places)})")


def _choose(candidates: list, wanted: set[str]) -> tuple[dict, list[str]]:
    """For each wanted path, the candidate standing for it: a copy in its chapter's folder
    before a bare one (`places_of`), then the shallowest.

    `candidates` are (parts, handle) pairs; returns ({wanted path: handle}, notes).
    Code files that are not taken are named in one note, so a student whose
    helper module or misplaced file was left out can see why.
    """
    depths = {len(w.split("/")) for w in wanted}
    chapters = {w.split("/")[0] for w in wanted if "/" in w}
    found = [(parts, handle, *_target(parts, wanted, depths, chapters))
             for parts, handle in candidates if not any(_hidden(p) for p in parts[:-1])]
    chosen, where, ignored, notes = {}, {}, [], []
    for parts, handle, target, bare, places in sorted(found, key=lambda f: (f[3], len(f[0]), f[0])):
        path = "/".join(parts)
        if target is not None and target not in chosen:
            chosen[target], where[target] = handle, (bare, len(parts), path)
        elif target is not None and where[target][:2] == (bare, len(parts)):
            notes.append(f"several copies of {target}: took {where[target][2]}, not {path}")
        elif len(places) > 1:
            notes.append(_ambiguous(path, places))
        elif parts[-1].endswith((".py", ".pth")) and not _kit_file(parts[-1]):
            ignored.append(path)
    if ignored:
        more = f" and {len(ignored) - 5} more" if len(ignored) > 5 else ""
        notes.append(f"ignored {len(ignored)} code file(s) that are not graded: "
                     f"{', '.join(ignored[:5])}{more}")
    return chosen, notes


# ------------------------------------------------------------------ folders

def _read_folder(folder: Path, wanted: set[str]) -> tuple[dict[str, bytes], list[str]]:
    problems: list[str] = []
    paths = _walk(folder, problems)
    chosen, notes = _choose([(p, p) for p in paths], wanted)
    problems += notes
    taken, total = {}, 0
    for want, parts in sorted(chosen.items()):
        rel = "/".join(parts)
        try:
            data = _read_regular(folder.joinpath(*parts))
        except (OSError, _Refused) as exc:
            problems.append(f"skipped {rel}: {exc.strerror if isinstance(exc, OSError) else exc}")
            continue
        if total + len(data) > MAX_TOTAL:
            problems.append(f"skipped {rel}: the files taken would exceed {MAX_TOTAL >> 20} MiB in total")
            continue
        taken[want], total = data, total + len(data)
    return taken, problems


def _walk(folder: Path, problems: list[str]) -> list[tuple[str, ...]]:
    """Relative paths (as parts) of the regular files under `folder`, breadth
    first and sorted (so the cap cuts deterministically, after the shallow files),
    never following a symlink and never descending into hidden folders."""
    found, queue, seen = [], deque([()]), 0
    while queue:
        rel = queue.popleft()
        try:
            with os.scandir(folder.joinpath(*rel)) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"could not list {'/'.join(rel) or 'the folder'}: {exc.strerror}")
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_MEMBERS:
                problems.append(f"stopped looking after {MAX_MEMBERS} entries")
                return found
            path = rel + (entry.name,)
            if entry.is_symlink():
                problems.append(f"skipped {'/'.join(path)}: symbolic links are not followed")
            elif entry.is_dir(follow_symlinks=False):
                if not _hidden(entry.name):
                    queue.append(path)
            elif entry.is_file(follow_symlinks=False):
                found.append(path)
            else:
                problems.append(f"skipped {'/'.join(path)}: not a regular file")
    return found


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, at most MAX_FILE. O_NOFOLLOW and fstat
    re-check what the walk saw (a swapped-in symlink, a FIFO that would block)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise _Refused("not a regular file")
        data = f.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise _Refused(f"larger than {MAX_FILE >> 20} MiB")
    return data


# ------------------------------------------------------------------ zips

def _read_zip(path: Path, wanted: set[str]) -> tuple[dict[str, bytes], list[str]]:
    """The wanted members of a zip. Unsafe members are skipped with a note; a zip
    bomb, too many members or an unreadable archive refuses the whole archive
    (it is then hostile or broken, and none of it is trusted)."""
    problems: list[str] = []
    try:
        return _zip_members(path, wanted, problems), problems
    except _Refused as exc:
        why = str(exc)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, CRC errors, encryption, bad compression...
        why = f"it cannot be read ({exc.strerror if isinstance(exc, OSError) else exc})"
    return {}, [f"refused the archive {path.name}: {why}; nothing was taken from it"]


def _zip_members(path: Path, wanted: set[str], problems: list[str]) -> dict[str, bytes]:
    with open(path, "rb") as f:
        count, directory = _declared_directory(f)
        if count > MAX_MEMBERS or directory > MAX_CENTRAL_DIR:
            raise _Refused(f"it declares {count} members ({directory} bytes of directory); "
                           f"at most {MAX_MEMBERS} members are accepted")
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise _Refused(f"it has {len(infos)} members; at most {MAX_MEMBERS} are accepted")
            candidates = []
            for info in infos:
                why = _unsafe(info)
                if why:
                    problems.append(f"skipped member {info.filename!r}: {why}")
                elif not info.is_dir():
                    parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".")]
                    candidates.append((tuple(parts), info))
            chosen, notes = _choose(candidates, wanted)
            problems += notes
            taken, total = {}, 0
            for want, info in sorted(chosen.items()):
                _check_bomb(info)
                if total + info.file_size > MAX_TOTAL:
                    problems.append(f"skipped member {info.filename!r}: the files taken would exceed "
                                    f"{MAX_TOTAL >> 20} MiB in total")
                    continue
                taken[want] = _read_member(zf, info)
                total += len(taken[want])
            return taken


def _declared_directory(f) -> tuple[int, int]:
    """(member count, directory size) from the end-of-central-directory record
    (and its zip64 twin), read before zipfile parses the directory: zipfile
    would otherwise build an object per member, a million of them for a
    file-count bomb. (0, 0) when there is no record: zipfile will say it is not a zip."""
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - (22 + 0xFFFF + 76)))
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return 0, 0
    count = int.from_bytes(tail[at + 10:at + 12], "little")
    directory = int.from_bytes(tail[at + 12:at + 16], "little")
    loc = at - 20                      # zip64 locator, then the 56-byte zip64 record before it
    if loc >= 56 and tail[loc:loc + 4] == b"PK\x06\x07" and tail[loc - 56:loc - 52] == b"PK\x06\x06":
        count = max(count, int.from_bytes(tail[loc - 24:loc - 16], "little"))
        directory = max(directory, int.from_bytes(tail[loc - 16:loc - 8], "little"))
    return count, directory


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why a member must not be used at all, or None. Backslashes count as
    separators (Windows tools write them), so `..\\x` is traversal too."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic links are not accepted"
    if name.startswith(("/", "\\")):
        return "absolute path"
    if re.match(r"[A-Za-z]:", parts[0]):
        return "drive letter in path"
    if ".." in parts:
        return "path leads outside the archive (..)"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    return None


def _check_bomb(info: zipfile.ZipInfo) -> None:
    """Refuse, from the header, a member that would decompress too far."""
    if info.file_size > MAX_FILE:
        raise _Refused(f"{info.filename} would decompress to {info.file_size} bytes, over the "
                       f"{MAX_FILE >> 20} MiB cap per file (a zip bomb?)")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise _Refused(f"{info.filename} is compressed {info.file_size // max(info.compress_size, 1)}:1, "
                       f"over {MAX_RATIO}:1 (a zip bomb?)")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Decompress in chunks and stop past the cap: the header's size may lie.
    (zipfile also stops at the declared size and checks the CRC.)"""
    chunks, size = [], 0
    with zf.open(info) as member:
        while chunk := member.read(64 << 10):
            size += len(chunk)
            if size > MAX_FILE:
                raise _Refused(f"{info.filename} decompresses to more than {MAX_FILE >> 20} MiB "
                               f"although its header says {info.file_size} bytes (a zip bomb?)")
            chunks.append(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------ workspace

def _write(workspace: Path, student: str, taken: dict[str, bytes]) -> Path:
    """Rebuild `workspace/<student>/` with exactly the taken files (0644, folders 0755)."""
    root = workspace / student
    if root.is_symlink() or root.is_file():
        root.unlink()
    elif root.exists():
        shutil.rmtree(root)
    root.mkdir()
    os.chmod(root, 0o755)
    for rel, data in sorted(taken.items()):
        *folders, filename = rel.split("/")
        folder = root
        for part in folders:
            folder = folder / part
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o755)
        fd = os.open(folder / filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o644)
    return root


def _digest(taken: dict[str, bytes]) -> str:
    """sha256 over (path, length, bytes) in path order: the same files give the
    same digest wherever they came from (folder or zip, any wrapper folder)."""
    h = hashlib.sha256()
    for rel in sorted(taken):
        h.update(f"{rel}\0{len(taken[rel])}\0".encode())
        h.update(taken[rel])
    return h.hexdigest()
