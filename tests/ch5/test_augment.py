"""Hidden suite for ch5/augment.py.

The curriculum fixes what is drawn (one crop offset or flip decision per sample, every offset
reachable) but not how: which numbers come from the generator, and in which order, is free. So
every test checks properties of the output, never one particular draw:

random_crop. Inputs are N(0, 1) images (no value is exactly 0, and no two are equal), so each
output sample equals the crop of the zero-padded input at exactly one offset, found here by
comparing it with every possible crop (padding < crop size, so no crop lies wholly in the zeros).
A sample that matches no offset is not a crop (wrong padding value, wrong axes, values changed).
Shapes are never square (H != W, h != w): swapping height and width shows up.
- Reachability: x[16, 2, 5, 6], size (4, 3), padding 1 gives 4 x 6 = 24 offsets; 50 calls draw
  800 offsets, and an offset drawn uniformly stays unseen with probability (23/24)^800 < 1.7e-15,
  < 4.1e-14 for any of the 24.
- One draw per sample: the 16 samples of a call all share one offset with probability
  24 * (1/24)^16 < 2.1e-21 (< 1.1e-19 over the 50 calls). The shape checks ask the same more
  loosely: x[6, ...] in three calls with 4 offsets or more, the 6 samples share one offset in all
  three calls with probability at most (4 * 4^-6)^3 = 2^-30 < 9.4e-10.
- Determinism: the probe seeds torch's global generator once, then calls with generator seeds s1,
  s2, s1, s2: the third and fourth results must equal the first and second (a correct solution
  never fails this). Code that ignores `generator` draws from the advancing global generator and
  passes only when both pairs agree by chance: in the smallest case (8 offsets, 6 samples) with
  probability (1/8)^12 < 1.5e-11. generator=None: after the same torch.manual_seed, the same result.

random_horizontal_flip. Inputs are N(0, 1) images with W >= 2, so a sample equals x or its
left-right mirror, never both; anything else (a vertical flip, a transpose) matches neither.
p = 0 leaves every sample, p = 1 flips every one.
- Frequency: 4,000 decisions (10 calls of 400 samples) for p = 0.3 and p = 0.8; the flipped share
  lies within 0.055 of p, Hoeffding: P(|share - p| >= 0.055) <= 2 exp(-2 * 4000 * 0.055^2) =
  2 exp(-24.2) < 6.2e-11 per p.
- One draw per sample: 40 samples with p = 0.5 all get the same decision with probability
  2 * 2^-40 < 1.9e-12 (in any of 5 calls: < 1e-11). The shape checks ask the same more loosely:
  x[32, ...] in three calls with p = 0.25 or 0.5, all three calls uniform with probability at
  most (0.75^32 + 0.25^32)^3 < 1.1e-12.
- Determinism as for the crop: ignoring `generator`, both pairs of 24 decisions agree by chance
  with probability 2^-48.
"""
import pytest
import torch
import torch.nn.functional as F

from autograder import probes  # noqa: F401 (a probe sees it as `probes`: PROBE_GLOBALS)
from autograder.compare import expect_close, expect_equal
from autograder.devices import run_on_meta
from autograder.probes import raises
from autograder.suite_helpers import case_seed, gen, where


def images(shape, seed, device, dtype):
    """N(0, 1) values: none exactly 0, no two equal."""
    return torch.randn(shape, generator=gen(seed), dtype=torch.float64).to(device, dtype)


def shape_text(shape):
    return "[" + ",".join(map(str, shape)) + "]"


# ------------------------------------------------------------------ random_crop

CROP_SHAPE = (6, 3, 5, 7)            # N, C, H, W
CROP_CASES = [                       # (size, padding); padding None: not passed (the default, 0)
    (4, None), ((3, 5), 2), ((5, 4), 1), ((4, 6), 0), ((9, 11), 2), ((5, 7), None),
]
REACH_SHAPE = (16, 2, 5, 6)
REACH_SIZE, REACH_PADDING, REACH_CALLS = (4, 3), 1, 50


def crops(impl, x, size, padding, seeds):
    """Probe: random_crop(x, size[, padding=padding], generator=<a fresh generator seeded so>) per seed
    (None: no generator, torch's global one after torch.manual_seed(0)); the results and x afterwards.
    The global generator is seeded first, so that code drawing from it instead of `generator`
    replays."""
    torch.manual_seed(1234)
    kwargs = {} if padding is None else {"padding": padding}
    outs = []
    for seed in seeds:
        if seed is None:
            torch.manual_seed(0)
            outs.append(impl.random_crop(x, size, **kwargs))
        else:
            outs.append(impl.random_crop(x, size, generator=torch.Generator().manual_seed(seed), **kwargs))
    return {"outs": outs, "x_after": x}


def crop_call(shape, size, padding, device=None, dtype=None):
    pad = "" if padding is None else f", padding={padding}"
    place = f" {where(device, dtype)}" if device else ""
    return f"random_crop(x{shape_text(shape)}, {size!r}{pad}, generator){place}"


def crop_size(size):
    return (size, size) if isinstance(size, int) else tuple(size)


def matching_offsets(out, x, size, padding):
    """[N, T, L] bool: whether out[n] equals the crop of the zero-padded x at offset (top, left)."""
    h, w = crop_size(size)
    padded = F.pad(x.detach().cpu(), [padding or 0] * 4)
    windows = padded.unfold(2, h, 1).unfold(3, w, 1)                  # [N, C, T, L, h, w]
    windows = windows.permute(0, 2, 3, 1, 4, 5).flatten(3)             # [N, T, L, C*h*w]
    return (windows == out.detach().cpu().flatten(1)[:, None, None, :]).all(dim=-1)


def crop_offsets(out, x, size, padding, what):
    """The (top, left) of each sample of out, after checking its shape, dtype and device and that it
    is a crop of the zero-padded x at exactly one offset."""
    h, w = crop_size(size)
    expect_equal(torch.is_tensor(out), True, what=f"{what}: one tensor comes back (the cropped images, no labels)")
    want = ((x.shape[0], x.shape[1], h, w), x.dtype, str(x.device))
    expect_equal((tuple(out.shape), out.dtype, str(out.device)), want,
                 what=f"{what}: (shape, dtype, device) of the result: [N, C, h, w], in x's dtype on x's device")
    matches = matching_offsets(out, x, size, padding)
    found = []
    for i in range(x.shape[0]):
        where_ = matches[i].nonzero().tolist()
        expect_equal(len(where_) > 0, True,
                     what=f"{what}: sample {i} is not the crop of x[{i}] padded with {padding or 0} zeros at any "
                          "offset "
                          "(pad with zeros on all four sides; crop h rows and w columns, height first)")
        found.append(tuple(where_[0]))
    return found


@pytest.mark.exercise("ch5.augment.random_crop")
@pytest.mark.parametrize("size,padding", CROP_CASES, ids=[f"{s}-{p}" for s, p in CROP_CASES])
def test_random_crop_returns_crops_of_the_zero_padded_input(student, size, padding, device, dtype):
    x = images(CROP_SHAPE, 1, device, dtype)
    seeds = [case_seed(k) for k in (1, 2, 3)]
    got = student.run(crops, x, size, padding, seeds)
    h, w = crop_size(size)
    num_offsets = (CROP_SHAPE[2] + 2 * (padding or 0) - h + 1) * (CROP_SHAPE[3] + 2 * (padding or 0) - w + 1)
    shared = 0
    for seed, out in zip(seeds, got["outs"]):
        offsets = crop_offsets(out, x, size, padding, f"{crop_call(CROP_SHAPE, size, padding, device, dtype)} "
                                                      f"(seed {seed})")
        shared += len(set(offsets)) == 1
        if num_offsets == 1:
            expect_equal(offsets, [(0, 0)] * CROP_SHAPE[0],
                         what=f"{crop_call(CROP_SHAPE, size, padding)}: the crop is as large as the padded image, so "
                              "every offset is (0, 0)")
    if num_offsets > 1:
        expect_equal(shared < len(seeds), True,
                     what=f"{crop_call(CROP_SHAPE, size, padding, device, dtype)}: in each of {len(seeds)} calls all "
                          f"{CROP_SHAPE[0]} samples got the same offset (of {num_offsets}); draw a separate "
                          "(top, left) for each sample")


@pytest.mark.exercise("ch5.augment.random_crop")
def test_random_crop_reaches_every_offset(student):
    x = images(REACH_SHAPE, 2, "cpu", torch.float64)
    seeds = [case_seed(100 + k) for k in range(REACH_CALLS)]
    got = student.run(crops, x, REACH_SIZE, REACH_PADDING, seeds)
    what = f"{crop_call(REACH_SHAPE, REACH_SIZE, REACH_PADDING)} over {REACH_CALLS} seeds"
    h, w = REACH_SIZE
    tops, lefts = REACH_SHAPE[2] + 2 * REACH_PADDING - h + 1, REACH_SHAPE[3] + 2 * REACH_PADDING - w + 1
    seen = set()
    for out in got["outs"]:
        seen.update(crop_offsets(out, x, REACH_SIZE, REACH_PADDING, what))
    missing = sorted({(top, left) for top in range(tops) for left in range(lefts)} - seen)
    expect_equal(missing, [], what=f"{what}: offsets (top, left) never drawn; top ranges over 0..{tops - 1} and left "
                                   f"over 0..{lefts - 1}, both ends included")


@pytest.mark.exercise("ch5.augment.random_crop")
def test_random_crop_draws_one_offset_per_sample(student):
    x = images(REACH_SHAPE, 3, "cpu", torch.float64)
    seeds = [case_seed(200 + k) for k in range(REACH_CALLS)]
    got = student.run(crops, x, REACH_SIZE, REACH_PADDING, seeds)
    what = f"{crop_call(REACH_SHAPE, REACH_SIZE, REACH_PADDING)} over {REACH_CALLS} seeds"
    shared = sum(len(set(crop_offsets(out, x, REACH_SIZE, REACH_PADDING, what))) == 1 for out in got["outs"])
    expect_equal(shared, 0, what=f"{what}: calls in which all {REACH_SHAPE[0]} samples got the same offset; draw a "
                                 "separate (top, left) for each sample")


@pytest.mark.exercise("ch5.augment.random_crop")
@pytest.mark.parametrize("size,padding", [((3, 5), 2), (4, None)], ids=["pair-padded", "int"])
def test_random_crop_same_seed_same_result(student, size, padding, device):
    dtype = torch.float64
    x = images(CROP_SHAPE, 4, device, dtype)
    seeds = [case_seed(7), case_seed(8)]
    got = student.run(crops, x, size, padding, seeds + seeds + [None, None])
    call = crop_call(CROP_SHAPE, size, padding)
    for out in got["outs"]:
        crop_offsets(out, x, size, padding, f"{call} {where(device, dtype)}")
    for k, seed in enumerate(seeds):
        expect_equal(got["outs"][k + 2], got["outs"][k],
                     what=f"{call} twice with a generator seeded {seed} {where(device, dtype)}: the same result "
                          "(draw the offsets with `generator`)")
    expect_equal(got["outs"][5], got["outs"][4],
                 what=f"{call.replace(', generator', '')} without a generator, twice after the same torch.manual_seed "
                      f"{where(device, dtype)}: the same result (torch's global generator)")


@pytest.mark.exercise("ch5.augment.random_crop")
@pytest.mark.condition
@pytest.mark.parametrize("size,padding", [((3, 10), 1), ((6, 4), None), (10, 1)], ids=str)
def test_random_crop_too_large_raises(student, size, padding):
    x = images(CROP_SHAPE, 5, "cpu", torch.float64)
    kwargs = {} if padding is None else {"padding": padding}
    got = student.run(raises, "random_crop", [x, size], kwargs)
    expect_equal(got, "raised", what=f"{crop_call(CROP_SHAPE, size, padding).replace(', generator', '')}: the crop is "
                                     "larger than the padded image, so it must raise (the docstring says ValueError)")


@pytest.mark.exercise("ch5.augment.random_crop")
@pytest.mark.condition
def test_random_crop_leaves_input_unchanged(student, device, dtype):
    x = images(CROP_SHAPE, 6, device, dtype)
    got = student.run(crops, x, (3, 5), 2, [case_seed(9), None])
    expect_equal(got["x_after"], x, what=f"{crop_call(CROP_SHAPE, (3, 5), 2, device, dtype)}: x after the calls "
                                         "(must not change)")


@pytest.mark.exercise("ch5.augment.random_crop")
@pytest.mark.condition
@pytest.mark.parametrize("padding", [0, 2])
def test_random_crop_new_tensors_follow_the_input_device(student, reference, padding):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return images(CROP_SHAPE, 7, device, torch.float64), (3, 5), padding, [case_seed(10)]

    got = run_on_meta(student, crops, inputs)
    want = reference.run(crops, *inputs("meta"))
    expect_close(got["outs"], want["outs"],
                 what=f"{crop_call(CROP_SHAPE, (3, 5), padding)} on the meta device, float64")


# ------------------------------------------------------------------ random_horizontal_flip

FLIP_SHAPE = (32, 3, 4, 5)           # N, C, H, W (H != W)
FREQUENCY_SHAPE, FREQUENCY_CALLS, FREQUENCY_TOLERANCE = (400, 1, 1, 2), 10, 0.055
MIX_SHAPE, MIX_CALLS = (40, 1, 2, 3), 5


def flips(impl, x, p, seeds):
    """Probe: random_horizontal_flip(x[, p=p], generator=<a fresh generator seeded so>) per seed (None:
    no generator, torch's global one after torch.manual_seed(0)); the results and x afterwards.
    The global generator is seeded first, so that code drawing from it instead of `generator`
    replays."""
    torch.manual_seed(1234)
    kwargs = {} if p is None else {"p": p}
    outs = []
    for seed in seeds:
        if seed is None:
            torch.manual_seed(0)
            outs.append(impl.random_horizontal_flip(x, **kwargs))
        else:
            outs.append(impl.random_horizontal_flip(x, generator=torch.Generator().manual_seed(seed), **kwargs))
    return {"outs": outs, "x_after": x}


def flip_call(shape, p, device=None, dtype=None):
    arg = "" if p is None else f", p={p}"
    place = f" {where(device, dtype)}" if device else ""
    return f"random_horizontal_flip(x{shape_text(shape)}{arg}, generator){place}"


def flip_decisions(out, x, what):
    """Whether each sample was flipped, after checking the shape, dtype and device and that every
    sample equals x's or its left-right mirror."""
    expect_equal(torch.is_tensor(out), True, what=f"{what}: one tensor comes back (the images, no labels)")
    expect_equal((tuple(out.shape), out.dtype, str(out.device)), (tuple(x.shape), x.dtype, str(x.device)),
                 what=f"{what}: (shape, dtype, device) of the result: x's")
    out, x = out.detach().cpu(), x.detach().cpu()
    kept = (out == x).flatten(1).all(dim=1)
    mirrored = (out == x.flip(-1)).flatten(1).all(dim=1)
    bad = (~kept & ~mirrored).nonzero().flatten().tolist()
    expect_equal(bad, [], what=f"{what}: samples that are neither x's nor x's left-right mirror (reverse the last "
                               "axis, W; rows and channels stay)")
    return mirrored.tolist()


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
@pytest.mark.parametrize("p", [0.5, None, 0.25], ids=["p=0.5", "default", "p=0.25"])
def test_flip_returns_each_sample_or_its_mirror(student, p, device, dtype):
    x = images(FLIP_SHAPE, 20, device, dtype)
    seeds = [case_seed(k) for k in (21, 22, 23)]
    got = student.run(flips, x, p, seeds)
    uniform = 0
    for seed, out in zip(seeds, got["outs"]):
        uniform += len(set(flip_decisions(out, x, f"{flip_call(FLIP_SHAPE, p, device, dtype)} (seed {seed})"))) == 1
    expect_equal(uniform < len(seeds), True,
                 what=f"{flip_call(FLIP_SHAPE, p, device, dtype)}: in each of {len(seeds)} calls all {FLIP_SHAPE[0]} "
                      "samples got the same decision; draw a separate decision for each sample")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_flip_p0_never_p1_always(student, p, device, dtype):
    x = images(FLIP_SHAPE, 24, device, dtype)
    seeds = [case_seed(k) for k in (25, 26)]
    got = student.run(flips, x, p, seeds + [None])
    for out in got["outs"]:
        decisions = flip_decisions(out, x, flip_call(FLIP_SHAPE, p, device, dtype))
        expect_equal(decisions, [p == 1.0] * FLIP_SHAPE[0],
                     what=f"{flip_call(FLIP_SHAPE, p, device, dtype)}: which samples were flipped ("
                          f"{'p = 1 flips every sample' if p else 'p = 0 flips none'})")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
@pytest.mark.parametrize("p", [0.3, 0.8])
def test_flip_frequency_is_p(student, p):
    x = images(FREQUENCY_SHAPE, 27, "cpu", torch.float64)
    seeds = [case_seed(300 + k) for k in range(FREQUENCY_CALLS)]
    got = student.run(flips, x, p, seeds)
    what = f"{flip_call(FREQUENCY_SHAPE, p)} over {FREQUENCY_CALLS} seeds"
    flipped = sum(sum(flip_decisions(out, x, what)) for out in got["outs"])
    share = flipped / (FREQUENCY_SHAPE[0] * FREQUENCY_CALLS)
    expect_equal(abs(share - p) < FREQUENCY_TOLERANCE, True,
                 what=f"{what}: {share:.3f} of the samples were flipped, expected p = {p} "
                      f"(within {FREQUENCY_TOLERANCE}); flip each sample with probability p")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
def test_flip_draws_one_decision_per_sample(student):
    x = images(MIX_SHAPE, 28, "cpu", torch.float64)
    seeds = [case_seed(400 + k) for k in range(MIX_CALLS)]
    got = student.run(flips, x, 0.5, seeds)
    what = f"{flip_call(MIX_SHAPE, 0.5)} over {MIX_CALLS} seeds"
    uniform = sum(len(set(flip_decisions(out, x, what))) == 1 for out in got["outs"])
    expect_equal(uniform, 0, what=f"{what}: calls in which all {MIX_SHAPE[0]} samples got the same decision; draw a "
                                  "separate decision for each sample")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
def test_flip_same_seed_same_result(student, device):
    dtype = torch.float64
    shape = (24, 2, 3, 4)
    x = images(shape, 29, device, dtype)
    seeds = [case_seed(30), case_seed(31)]
    got = student.run(flips, x, 0.5, seeds + seeds + [None, None])
    call = flip_call(shape, 0.5)
    for out in got["outs"]:
        flip_decisions(out, x, f"{call} {where(device, dtype)}")
    for k, seed in enumerate(seeds):
        expect_equal(got["outs"][k + 2], got["outs"][k],
                     what=f"{call} twice with a generator seeded {seed} {where(device, dtype)}: the same result "
                          "(draw the decisions with `generator`)")
    expect_equal(got["outs"][5], got["outs"][4],
                 what=f"{call.replace(', generator', '')} without a generator, twice after the same torch.manual_seed "
                      f"{where(device, dtype)}: the same result (torch's global generator)")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
@pytest.mark.condition
@pytest.mark.parametrize("p", [0.5, 1.0])
def test_flip_leaves_input_unchanged(student, p, device, dtype):
    x = images(FLIP_SHAPE, 32, device, dtype)
    got = student.run(flips, x, p, [case_seed(33), None])
    expect_equal(got["x_after"], x, what=f"{flip_call(FLIP_SHAPE, p, device, dtype)}: x after the calls "
                                         "(must not change: return a new tensor)")


@pytest.mark.exercise("ch5.augment.random_horizontal_flip")
@pytest.mark.condition
def test_flip_new_tensors_follow_the_input_device(student, reference):
    """On the `meta` device any tensor made without `device=` shows up, with or without a GPU."""
    def inputs(device):
        return images(FLIP_SHAPE, 34, device, torch.float32), 0.5, [case_seed(35)]

    got = run_on_meta(student, flips, inputs)
    want = reference.run(flips, *inputs("meta"))
    expect_close(got["outs"], want["outs"], what=f"{flip_call(FLIP_SHAPE, 0.5)} on the meta device, float32")
