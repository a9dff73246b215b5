"""Device checks without a GPU, for every hidden suite (`run_on_meta`).

A tensor made without `device=` lands on the CPU: right on a laptop, a crash or an answer on the
wrong device on a GPU. The suites catch it on any machine by running a probe on inputs on the
`meta` device: such a tensor then sits on the CPU beside the inputs' meta, where it raises
(`OnMeta`) or shows in the answer.

Code that needs values (boolean masks, `.tolist()`, `if x.any():`) cannot run on meta: torch
refuses. That is neither the student's fault nor a reason to skip (a student could raise on meta
on purpose to turn a failing check into a skip). The same probe then runs on CPU inputs, which
have values, with `MadeWithoutDevice` keeping apart every tensor a meta run would have on the CPU,
as a GPU would: correct code passes, a device bug still fails, and the answer comes back as a meta
run's would (the inputs' device shown as meta, a tensor made without `device=` on the CPU).
Both runs are one probe call, so the second never hides what the first found.
"""
from __future__ import annotations

import os
import sys
import weakref
from dataclasses import asdict

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors

_CONSTRUCTORS = _device_constructors()   # torch.zeros, torch.tensor, torch.arange, ...
_SET_DATA = torch.Tensor.data.__set__    # `t.data = other` (nn.Module.to does it)
# Calls that may take tensors of two devices, as on a GPU: moves, copies, item assignment,
# indexing with indices on the CPU, and nn.Module.to's bookkeeping.
_ACROSS_DEVICES = {torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.type_as, torch.Tensor.copy_,
                   torch.Tensor.new_tensor, torch.Tensor.__setitem__, torch.Tensor.__getitem__,
                   torch.Tensor.index_put_, torch.Tensor.index_put, _SET_DATA,
                   torch._has_compatible_shallow_copy_type}
_GRADER = os.path.dirname(os.path.abspath(__file__)) + os.sep   # autograder/: decoding, stand-ins
MIXED = ("Expected all tensors to be on the same device: a tensor made without device= (on a GPU it "
         "stays on the CPU) meets the inputs' tensors (on the GPU); make new tensors on the inputs' "
         "device (device=x.device, torch.zeros_like(x), x.new_zeros(...))")


def run_on_meta(student, probe, inputs):
    """`probe`'s answer for the student, as on inputs on the meta device (see the module's
    docstring). `inputs(device)`: the probe's arguments, the same problem on either device."""
    from autograder.runner import probe_spec

    return student.run(on_the_inputs_device, asdict(probe_spec(probe)), list(inputs("meta")),
                       list(inputs("cpu")))


def on_the_inputs_device(impl, probe, meta_args, cpu_args):
    """Probe: `probe` (a ProbeSpec as a dict) on `meta_args`; when the code under test cannot run
    on meta, on `cpu_args` with the tensors made without `device=` tracked."""
    from autograder.devices import MadeWithoutDevice, OnMeta
    from autograder.runner import ProbeSpec, compile_probe

    inner = compile_probe(ProbeSpec(**probe))
    on_meta = OnMeta()
    try:
        with on_meta:
            return inner(impl, *meta_args)
    except Exception:
        if on_meta.mixed:   # a tensor on the CPU met the inputs: a device bug, whatever came next
            raise
    tracking = MadeWithoutDevice(impl.__file__)
    with tracking:
        result = inner(impl, *cpu_args)
    return tracking.as_meta(result)


def _tensors(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


class _Devices(TorchFunctionMode):
    """The inputs stand for a GPU, "strays" (`is_stray`) for the CPU: a stray of one element or
    more that meets a tensor of the inputs' side raises, as on a GPU; 0-d strays mix freely (CPU
    scalars do, on a GPU too)."""
    mixed = False

    def is_stray(self, t) -> bool:
        raise NotImplementedError

    def check(self, func, tensors):
        if func in _ACROSS_DEVICES:
            return
        strays = [t for t in tensors if self.is_stray(t)]
        if len(strays) < len(tensors) and any(t.dim() > 0 for t in strays):
            self.mixed = True
            raise RuntimeError(MIXED)


class OnMeta(_Devices):
    """Inputs on meta: a call in which a tensor on the CPU meets them is a device bug (`mixed`),
    said in the same words as `MadeWithoutDevice` says it. Checked before the call: meta lets some
    such calls through that a GPU refuses (an embedding looked up with positions on the CPU)."""

    def is_stray(self, t) -> bool:
        return t.device.type != "meta"

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.check(func, _tensors((args, kwargs)))
        return func(*args, **kwargs)


class MadeWithoutDevice(_Devices):
    """Inputs on the CPU, with values. Strays are the tensors a meta run would have on the CPU:
    those made without `device=` (the student's code, a module it calls, an nn.Module's buffers;
    not the grader's own), those the student's own code puts there (`device="cpu"`, `.to("cpu")`,
    `.cpu()`; `x.device` is the CPU here, so only a device written out counts), and those computed
    from strays alone. `.to(x.device)`, `copy_` and item assignment move values across."""

    def __init__(self, student_file: str):
        super().__init__()
        self.student_file = student_file
        self._strays: dict[int, weakref.ref] = {}

    def is_stray(self, t) -> bool:
        ref = self._strays.get(id(t))
        return ref is not None and ref() is t

    def _mark(self, value, stray: bool):
        for t in _tensors(value):
            if stray:
                self._strays[id(t)] = weakref.ref(t)
            elif self.is_stray(t):
                del self._strays[id(t)]
        return value

    def _moved(self, out, source, stray: bool):
        """`out` (maybe `source` itself, when torch did not copy) on the side `stray` says."""
        if out is source and self.is_stray(source) != stray:
            out = out.clone()
        return self._mark(out, stray)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        caller = sys._getframe(1).f_code.co_filename
        tensors = _tensors((args, kwargs))
        self.check(func, tensors)
        out = func(*args, **kwargs)

        def cpu(device):   # the CPU by default, or written out in the student's code
            return device is None or (caller == self.student_file and isinstance(device, str)
                                      and torch.device(device).type == "cpu")

        if func in _CONSTRUCTORS:
            return self._mark(out, not tensors and cpu(kwargs.get("device")) and not caller.startswith(_GRADER))
        if func is torch.Tensor.to:   # .to(dtype), .to(device, ...), .to(other), .to(device=...)
            first = args[1] if len(args) > 1 else None
            device = kwargs.get("device", first if isinstance(first, (str, torch.device)) else None)
            stray = (self.is_stray(first) if isinstance(first, torch.Tensor)
                     else self.is_stray(args[0]) if device is None else cpu(device))
            return self._moved(out, args[0], stray)
        if func is torch.Tensor.cpu:
            return self._moved(out, args[0], caller == self.student_file or self.is_stray(args[0]))
        if func is torch.Tensor.type_as:
            return self._moved(out, args[0], self.is_stray(args[1]))
        if func == _SET_DATA:
            self._mark(args[0], self.is_stray(args[1]))
            return out
        if func in (torch.Tensor.__setitem__, torch.Tensor.copy_):
            return out
        if func is torch.Tensor.__getitem__:
            return self._mark(out, self.is_stray(args[0]))
        if kwargs.get("device") is not None:
            return self._mark(out, cpu(kwargs["device"]))
        return self._mark(out, bool(tensors) and all(self.is_stray(t) for t in tensors))

    def as_meta(self, value):
        """`value` as a meta run would give it: tensors of the inputs' side on meta, strays on the CPU."""
        if isinstance(value, torch.Tensor):
            return value if self.is_stray(value) else value.detach().to("meta")
        if isinstance(value, (list, tuple)):
            return type(value)(self.as_meta(v) for v in value)
        if isinstance(value, dict):
            return {k: self.as_meta(v) for k, v in value.items()}
        return value
