"""`student.run` and `reference.run`: run a probe beside the code under test.

A probe is a self-contained module-level function of a hidden test file:
`probe(impl, *args, **kwargs)` where `impl` is the module under test. It may use its
arguments, `probes.PROBE_GLOBALS` (torch, F, math, probes) and `trusted` (tests/stand_ins.py),
nothing else of the test file: it
is compiled from its own source into a fresh namespace, the same way a sandboxed worker
runs it. Inputs and outputs are plain data (plaindata.py), checked in every mode, so a
test that works in-process also works across a process boundary.

    InProcessRunner   the probe runs here (`autograder check`, pytest; print() and pdb work);
                      with a TimeLimit, the same policy on time as SandboxRunner's
    SandboxRunner     the probe's source and inputs go to a sandboxed worker (`grade`);
                      its grading policy: the test's and the submission's time limits, and
                      an exercise that hung once is not run again
    ProbeService      the worker's side of SandboxRunner (sandbox/inside.py runs it)

The worker's requests and replies (frames of plaindata.py):

    {"op": "setup", "chapter", "module", "files": {name: source}, "stand_ins": [filename, source]}
        -> {"ok": true}
    {"op": "run", "exercise", "forbidden", "graded_with", "probe": {...}} + encoded (args, kwargs)
        -> {"ok": true} + encoded result
        |  {"ok": false, "outcome": "failed"|"policy"|"import", "message", "unfinished"}
      while it runs, a sibling's stand-in (siblings.py) may ask:
        <- {"op": "ask", "chapter", "module", "name"} + encoded (args, kwargs)
        -> {"ok": true} + encoded result | {"ok": false, "kind": exception type, "message"}
    {"op": "sibling", "module", "name"} + encoded (args, kwargs)   (a reference worker only:
        set up with module "", it holds a chapter's references and never any student code)
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import dis
import inspect
import signal
import textwrap
import threading
import time
import traceback
import types
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder import probes, siblings
from autograder.layout import KIT, module_file
from autograder.outcomes import GradedError, Outcome, PolicyViolation, StudentError, SubmissionImportError, out_of_time
from autograder.plaindata import NotPlainData, check_plain, copy_plain, decode, decode_reply, encode
from autograder.policy import ProcessKeeper, RuntimeGuard
from autograder.sandbox.pool import WorkerDied
from autograder.submission import ChapterModules, needed_sources, reference_modules


@dataclass(frozen=True)
class ProbeSpec:
    """What travels to wherever a probe runs: its source, not the function object."""
    name: str
    source: str
    filename: str
    firstlineno: int


@lru_cache(maxsize=None)
def probe_spec(probe) -> ProbeSpec:
    return ProbeSpec(probe.__name__, textwrap.dedent(inspect.getsource(probe)),
                     inspect.getsourcefile(probe), probe.__code__.co_firstlineno)


_stand_ins: tuple[str, str] | None = None     # (filename, source) of this process's stand-ins


def stand_ins() -> tuple[str, str]:
    """tests/stand_ins.py as (filename, source): read from the kit on the trusted side; a worker,
    which cannot read the kit, gets them in its setup request (`use_stand_ins`)."""
    global _stand_ins
    if _stand_ins is None:
        path = KIT.probe_stand_ins
        _stand_ins = (str(path), path.read_text() if path.is_file() else "")   # a course may need none
    return _stand_ins


def use_stand_ins(filename: str, source: str):
    global _stand_ins
    _stand_ins = (filename, source)


@lru_cache(maxsize=None)
def _stand_ins_module(filename: str, source: str) -> types.ModuleType:
    """The stand-ins as a module object that no import can reach (it is in no sys.modules)."""
    module = types.ModuleType("trusted")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


@lru_cache(maxsize=None)
def compile_probe(spec: ProbeSpec):
    """The probe compiled from its source alone (line numbers kept for tracebacks)."""
    tree = ast.parse(spec.source)
    ast.increment_lineno(tree, spec.firstlineno - 1)
    namespace = {**probes.PROBE_GLOBALS, "trusted": _stand_ins_module(*stand_ins()), "__name__": f"probe.{spec.name}"}
    exec(compile(tree, spec.filename, "exec"), namespace)
    return namespace[spec.name]


def _raised_by_a_raise_in(exc: BaseException, code_file: str) -> bool:
    """Was `exc` raised by a `raise` statement of `code_file` itself (the stub's
    `raise NotImplementedError()`), rather than inside something it called (torch)?"""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_code.co_filename != code_file:
        return False
    return tb.tb_frame.f_code.co_code[tb.tb_lasti] == dis.opmap["RAISE_VARARGS"]


def _last_traceback_entry_in(exc: BaseException, code_file: str) -> types.TracebackType | None:
    """The innermost entry of `exc`'s traceback that is in `code_file` (the student's file)."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == code_file:
            last = tb
        tb = tb.tb_next
    return last


def _student_error(exc: BaseException, code_file: str) -> StudentError:
    """`ValueError: ... (ch2/activations.py, line 12, in relu)`, pointing into student code."""
    entry = _last_traceback_entry_in(exc, code_file)
    shown_file = "/".join(code_file.split("/")[-2:])
    if entry is not None and isinstance(exc, NotImplementedError) and _raised_by_a_raise_in(exc, code_file):
        name = entry.tb_frame.f_code.co_qualname            # SGD.__init__, not __init__
        return StudentError(f"{name}() is not implemented yet: fill in its body in {shown_file} "
                            f"(line {entry.tb_lineno})", unfinished=True)
    where = f" (at {shown_file}, line {entry.tb_lineno}, in {entry.tb_frame.f_code.co_name})" if entry else ""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return StudentError(f"{type(exc).__name__}{': ' + text if text else ''}{where}")


def innermost_frame(frame, code_files) -> types.FrameType | None:
    """The innermost frame of one of `code_files` (the student's files) among `frame` and its callers."""
    while frame is not None and frame.f_code.co_filename not in code_files:
        frame = frame.f_back
    return frame


def _what_and_where(stack: traceback.StackSummary, code_files) -> tuple[str, str]:
    """("relu()", " (at ch2/activations.py, line 12)") of the innermost frame of `code_files` in
    `stack`; ("your code", "") when there is none."""
    mine = [frame for frame in stack if frame.filename in code_files]
    if not mine:
        return "your code", ""
    return f"{mine[-1].name}()", f" (at {'/'.join(mine[-1].filename.split('/')[-2:])}, line {mine[-1].lineno})"


def stopped_call_error(guard, code_files) -> StudentError | None:
    """The error of a call that would have ended the process, which the guard stopped before it ran."""
    if guard is None or guard.stopped is None:
        return None
    name, stack = guard.stopped
    what, where = _what_and_where(stack, code_files)
    return StudentError(f"{what} called {name}(), which would end the whole process: return the answer "
                        f"(or raise an exception) instead{where}")


def still_running_error(alarm, code_files, seconds: float) -> StudentError:
    """The error of code stopped by `alarm` when its `seconds` ran out, in the student's words:
    which function of theirs was still running, and where."""
    what, where = _what_and_where(alarm.stack, code_files)
    return StudentError(f"{what} was still running after {seconds:g} s: an endless loop?{where}", timed_out=True)


# ------------------------------------------------------------------ time limits in this process

class StillRunning(BaseException):
    """Raised into code whose time ran out (a BaseException: a student's `except Exception` does
    not swallow it)."""


class Alarm:
    """A `with` block that raises StillRunning into this thread once `seconds` have passed, and
    again every quarter of a second while the block still runs (code that caught it and went on:
    code that catches it for ever is not stopped). Only in the main thread (elsewhere, and for
    None: no limit). An endless Python loop is stopped; a single long call into C (one huge torch
    operation) only when it returns. A timer already running (pytest-timeout's) is paused
    meanwhile and then resumed with what it had left."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.frame = None      # the frame it interrupted first: where the code was still running
        self.stack = None      # and the stack there, then (traceback.extract_stack)
        self._armed = False

    @property
    def went_off(self) -> bool:
        return self.frame is not None

    def _expire(self, signum, frame):
        if self._armed:
            if self.frame is None:
                self.frame, self.stack = frame, traceback.extract_stack(frame)
            raise StillRunning()

    def __enter__(self):
        if self.seconds is None or threading.current_thread() is not threading.main_thread():
            return self
        self._previous = signal.signal(signal.SIGALRM, self._expire)
        self._outer, _ = signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001), 0.25)
        self._started, self._armed = time.monotonic(), True
        return self

    def __exit__(self, *exc):
        if not self._armed:
            return
        self._armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)
        if self._outer:
            signal.setitimer(signal.ITIMER_REAL, max(self._outer - (time.monotonic() - self._started), 0.001))


def earlier_test_timed_out() -> StudentError:
    """The error of a test not run because an earlier test of its exercise timed out (a hang
    costs its time limit once)."""
    return StudentError("not run: an earlier test of this exercise timed out", timed_out=True)


@dataclass
class TimeLimit:
    """The policy on time of an in-process run, as SandboxRunner's: the test's limit (`seconds`,
    from `started`) over all its calls, and an exercise that timed out once is not run again
    (`hung`: the exercise ids that did, shared by one run's tests)."""
    exercise_id: str
    seconds: float
    hung: set
    started: float = dataclasses.field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.started + self.seconds - time.monotonic()

    def alarm(self) -> Alarm:
        """The alarm of the next call: what is left of the test's time."""
        left = self.left()
        if left <= 0:
            raise out_of_time()
        return Alarm(left)

    def timed_out(self, alarm: Alarm, code_file: str) -> StudentError:
        """The error of a call stopped by `alarm`; the exercise's other tests will not run."""
        self.hung.add(self.exercise_id)
        return still_running_error(alarm, {code_file}, self.seconds)


class InProcessRunner:
    """Mode 1 of `student.run`: the probe runs in this process (print() and pdb work)."""

    def __init__(self, modules: ChapterModules, module: str, guard_factory=None, sibling_calls=None,
                 graded_with=(), time_limit: TimeLimit | None = None):
        self.modules, self.module = modules, module
        self.guard_factory = guard_factory   # () -> RuntimeGuard, or None for trusted code
        self.sibling_calls = sibling_calls   # who answers the siblings' stand-ins; default: here
        self.graded_with = tuple(graded_with)   # exercises of the module replaced by the kit's versions
        self.kit_versions_called: set[str] = set()   # of those, the ones the code under test called
        self.time_limit = time_limit         # None: no limit (trusted code, or a worker: the grader's clock)

    def run(self, probe, *args, **kwargs):
        return self.run_spec(probe_spec(probe), args, kwargs)

    def run_spec(self, spec: ProbeSpec, args, kwargs, fresh_inputs: bool = False):
        """`fresh_inputs`: just decoded, so plain and nobody else's (a worker's request)."""
        if not fresh_inputs:
            check_plain((args, kwargs), "probe arguments")
            args, kwargs = copy_plain((args, kwargs))
        if self.time_limit and self.time_limit.exercise_id in self.time_limit.hung:
            raise earlier_test_timed_out()
        fn = compile_probe(spec)
        guard = self.guard_factory() if self.guard_factory else None
        alarm = self.time_limit.alarm() if self.time_limit else Alarm(None)
        code_file = str(self.modules.files[self.module])
        with self.modules.active(), siblings.serving(self._sibling_calls(guard)):
            try:
                impl = self.modules.module(self.module)
                with self._kit_versions(impl), guard or contextlib.nullcontext(), alarm:
                    result = fn(impl, *args, **kwargs)
            except (SubmissionImportError, PolicyViolation):
                if guard:
                    guard.check()
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # incl. SystemExit and pytest.skip/exit from student code
                if guard:
                    guard.check()
                if alarm.went_off:
                    raise self.time_limit.timed_out(alarm, code_file) from None
                raise stopped_call_error(guard, {code_file}) or _student_error(exc, code_file) from exc
        if guard:
            guard.check()
        if alarm.went_off:     # it caught StillRunning, and returned later
            raise self.time_limit.timed_out(alarm, code_file)
        stopped = stopped_call_error(guard, {code_file})
        if stopped:                      # it caught the error of the stopped call, and returned
            raise stopped
        try:
            check_plain(result, "result")
        except NotPlainData as exc:
            raise StudentError(f"what your code returned cannot be checked: {exc}") from None
        return copy_plain(result)

    @contextlib.contextmanager
    def _kit_versions(self, impl):
        """impl's exercises named in graded_with are the kit's own while the probe runs."""
        with contextlib.ExitStack() as stack:
            for name in self.graded_with:
                stack.enter_context(probes.swapped(impl, name, siblings.kit_version(self.modules.chapter,
                                                                                    self.module, name)))
            yield

    def _sibling_calls(self, guard):
        """Answer the siblings' stand-ins here, on behalf of the code under test (siblings.py)."""
        if self.sibling_calls is None:
            self.sibling_calls = siblings.InProcessSiblings(self.modules.chapter, self.module, self.graded_with).call

        def call(chapter, module, name, args, kwargs):
            if module == self.module:
                self.kit_versions_called.add(name)
            with guard.paused() if guard else contextlib.nullcontext():
                return self.sibling_calls(chapter, module, name, args, kwargs)
        return call


def guard_for(exercise) -> callable:
    """The run-time guard of an exercise in this process: its forbidden names, and no call that
    would end the process."""
    return lambda: RuntimeGuard(exercise.id, exercise.forbidden, ProcessKeeper())


# ------------------------------------------------------------------ sandboxed

class ProbeService:
    """Inside a sandboxed worker: hold one student's module (its siblings as stand-ins) and run
    probes on it; or, set up with module "", hold a chapter's references and answer the
    siblings' calls (a reference worker)."""

    def __init__(self, workdir: Path, ask):
        self.workdir, self.ask = workdir, ask
        self.modules: ChapterModules | None = None
        self.module = ""

    def handle(self, header: dict, payload: bytes) -> tuple[dict, bytes]:
        op = header.get("op")
        try:
            if op == "setup":
                self._setup(header)
                return {"ok": True}, b""
            if op == "run" and self.module:
                return {"ok": True}, encode(self._run(header, payload), checked=True)
            if op == "sibling" and self.modules is not None and not self.module:
                return {"ok": True}, self._answer_sibling(header, payload)
            return {"ok": False, "message": f"unexpected {op}"}, b""
        except siblings.SiblingCallError as exc:
            return {"ok": False, "kind": exc.kind, "message": str(exc)}, b""
        except NotPlainData as exc:
            name = str(header.get("exercise", "")).split(".", 2)[-1]
            return {"ok": False, "outcome": Outcome.FAILED,
                    "message": f"{name} returned something that cannot be checked: {exc}"}, b""
        except GradedError as exc:
            return {"ok": False, "outcome": exc.outcome, "message": str(exc),
                    "unfinished": getattr(exc, "unfinished", False)}, b""

    def _setup(self, header: dict):
        if "stand_ins" in header:
            use_stand_ins(*header["stand_ins"])
        chapter = header["chapter"]
        (self.workdir / chapter).mkdir(parents=True, exist_ok=True)
        files = {}
        for name, source in header["files"].items():
            files[name] = module_file(self.workdir, chapter, name)
            files[name].write_text(source)
        self.modules, self.module = ChapterModules(chapter, files), header["module"]

    def _run(self, header: dict, payload: bytes):
        args, kwargs = decode(payload, what="probe arguments")
        guard = lambda: RuntimeGuard(header["exercise"], header["forbidden"])
        runner = InProcessRunner(self.modules, self.module, guard, sibling_calls=self._ask_grader,
                                 graded_with=[str(name) for name in header.get("graded_with", [])])
        return runner.run_spec(ProbeSpec(**header["probe"]), args, kwargs, fresh_inputs=True)

    def _ask_grader(self, chapter, module, name, args, kwargs):
        """A sibling's stand-in asks the trusted side (siblings.py)."""
        reply, payload = self.ask({"chapter": chapter, "module": module, "name": name}, encode((args, kwargs)))
        if reply.get("ok") is not True:
            raise siblings.SiblingCallError(str(reply.get("kind")), str(reply.get("message", ""))[:2000])
        return decode(payload)

    def _answer_sibling(self, header: dict, payload: bytes) -> bytes:
        args, kwargs = decode(payload, what="arguments")
        with self.modules.active():
            result = siblings.call_reference(self.modules, header["module"], header["name"], args, kwargs)
        return encode(result, checked=True)


# What a worker may report about itself: never "timed out" (only the grader's clock says that).
_REPORTED = {Outcome.POLICY: PolicyViolation, Outcome.IMPORT: SubmissionImportError}
# Exercises that hung once, per pool: (submission, exercise id). A hang costs its time limit once.
_hung: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SandboxRunner:
    """Mode 2 of `student.run`: the probe's source and inputs go to a worker; plain data comes back."""

    def __init__(self, pool, modules: ChapterModules, module: str, exercise, submission: Path, deadline: float):
        self.pool, self.modules, self.module = pool, modules, module
        self.exercise, self.submission, self.deadline = exercise, submission, deadline
        self.hung = _hung.setdefault(pool, set())
        self.kit_versions_called: set[str] = set()   # exercises of its module it called the kit's versions of

    def run(self, probe, *args, **kwargs):
        check_plain((args, kwargs), "probe arguments")
        path = self.modules.files[self.module]
        if not path.is_file():
            raise SubmissionImportError(f"{self.modules.chapter}/{path.name} is missing from the submission")
        hung = (str(self.submission), self.exercise.id)
        if hung in self.hung:
            raise earlier_test_timed_out()
        left = min(self.deadline - time.monotonic(), self.pool.seconds_left(self.submission))
        if left <= 0:
            raise out_of_time()
        header = {"op": "run", "exercise": self.exercise.id, "forbidden": list(self.exercise.forbidden),
                  "graded_with": list(self.exercise.graded_with), "probe": dataclasses.asdict(probe_spec(probe))}
        try:
            reply, payload = self._worker().request(header, encode((args, kwargs), checked=True), timeout=left,
                                                    on_question=self._sibling)
        except WorkerDied as exc:
            if exc.timed_out:
                self.hung.add(hung)
            raise StudentError(f"your code {exc}", timed_out=exc.timed_out) from None
        if reply.get("ok") is True:
            return decode_reply(payload, self.exercise.name,   # decoding counts against the time limits
                                deadline=min(self.deadline, time.monotonic() + self.pool.seconds_left(self.submission)))
        message, outcome = str(reply.get("message", ""))[:2000], reply.get("outcome")
        if type(outcome) is str and outcome in _REPORTED:
            raise _REPORTED[outcome](message)
        raise StudentError(message, unfinished=reply.get("unfinished") is True)

    def _worker(self):
        """The submission's worker for this module (one live worker per submission)."""
        path = self.modules.files[self.module]
        setup = lambda: {"op": "setup", "chapter": self.modules.chapter, "module": self.module,
                         "files": needed_sources(self.modules, self.module), "stand_ins": stand_ins()}
        return self.pool.get((str(path), self.modules.chapter, self.module), setup, group=str(path.parent))

    def _reference_worker(self):
        """The chapter's reference worker: its references answer the siblings' stand-ins. Only
        trusted code runs in it; it serves every submission."""
        chapter = self.modules.chapter
        setup = lambda: {"op": "setup", "chapter": chapter, "module": "",
                         "files": {name: path.read_text() for name, path in reference_modules(chapter).items()}}
        return self.pool.get(("reference", chapter, ""), setup)

    def _sibling(self, call: dict, data: bytes, deadline: float) -> tuple[dict, bytes]:
        """A stand-in in the student's worker asks for a reference function: checked here,
        computed in the chapter's reference worker, its answer passed back."""
        module, name = str(call.get("module")), str(call.get("name"))
        try:
            siblings.check_call(self.modules.chapter, self.module, module, name, self.exercise.graded_with)
            if module == self.module:
                self.kit_versions_called.add(name)
            reply, answer = self._reference_worker().request({"op": "sibling", "module": module, "name": name},
                                                             data, timeout=deadline - time.monotonic())
        except siblings.SiblingCallError as exc:
            return {"ok": False, "kind": exc.kind, "message": str(exc)}, b""
        except WorkerDied as exc:
            return {"ok": False, "kind": "RuntimeError", "message": f"{module}.{name}() {exc}"}, b""
        if reply.get("ok") is True:
            return {"ok": True}, answer
        return {"ok": False, "kind": str(reply.get("kind")), "message": str(reply.get("message"))[:2000]}, b""
