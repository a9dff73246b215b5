# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""2-D convolution by hand: the forward pass, its backward pass, and the size arithmetic.

Shapes: `input[N, C_in, H, W]`, `weight[C_out, C_in / groups, kH, kW]`, `bias[C_out]` or None;
the output is `[N, C_out, H_out, W_out]`. Like torch, `conv2d` is a cross-correlation: the kernel
is NOT flipped:

    out[n, o, i, j] = bias[o] + sum over c < C_in/groups, p < kH, q < kW of
                      weight[o, c, p, q] * padded[n, g * C_in/groups + c, i*sH + p*dH, j*sW + q*dW]

with `(sH, sW)` the stride, `(dH, dW)` the dilation, `padded` the input with its zeros around it,
and `g = o // (C_out/groups)` the group of output channel `o` (0 without groups).

Arguments, as `torch.nn.functional.conv2d`:
- `stride`, `dilation`: an int (both directions) or a pair `(along H, along W)`.
- `padding`: an int or a pair `(along H, along W)` of zeros added on BOTH sides; or the string
  'valid' (no padding), or 'same' (the output has the input's size; only with stride 1, any other
  stride raises). 'same' pads `dilation * (kernel_size - 1)` zeros in all along each axis, half of
  them before (top/left) and the rest after (bottom/right): an even kernel gets one more zero at
  the bottom/right. Any other string raises.
- `groups`: input and output channels are split into `groups` equal consecutive blocks; output
  block g sees only input block g (`groups = C_in` is a depthwise convolution). `C_in` and `C_out`
  must be divisible by `groups`.

Every result is new, on the input's device and in its dtype; the inputs are never modified.

Allowed: everything in torch except torch's convolutions (`F.conv2d`, `torch.conv2d`,
`torch.convolution`, `nn.Conv2d`, `torch.nn.grad`, their 1-D/3-D and transposed siblings) and,
in `conv2d_backward`, autograd. `F.pad`, `F.unfold`, `F.fold`, `Tensor.unfold`, `as_strided`,
`einsum` and matmul are all fine. Loops over the kernel taps or over output positions are fine
too (the tests are small), but only a vectorized forward (unfold the patches, then one matmul)
comes within a few times torch's own speed on a real layer.
"""
import torch
import torch.nn.functional as F


def _pair(value):
    """(value, value) for an int, else the pair as a tuple."""
    return (value, value) if isinstance(value, int) else tuple(value)


def _padding_amounts(padding, kernel_size, stride, dilation):
    """(top, bottom, left, right): the zeros to add around the input."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' needs stride 1")
        total_h, total_w = (d * (k - 1) for d, k in zip(dilation, kernel_size))
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = _pair(padding)
    return ph, ph, pw, pw


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of `input[N, C_in, H, W]` with `weight[C_out, C_in / groups, kH, kW]`,
    plus `bias[C_out]` (one number per output channel, added at every position) when given.

    Returns `[N, C_out, H_out, W_out]`, as `torch.nn.functional.conv2d`; see the module's
    docstring for `stride`, `padding` (int, pair, 'same', 'valid'), `dilation` and `groups`.

    Hint: pad with `F.pad`, cut out every patch with `F.unfold` (shape `[N, C_in * kH * kW, L]`,
    L = H_out * W_out), and multiply by the weight viewed as `[C_out, C_in * kH * kW]`; with
    groups, do that per block of channels.

    Not allowed here (scores 0): `F.conv2d`, `torch.conv2d`, `torch.convolution`,
    `torch._convolution`, `F.conv1d`, `torch.conv1d`, `F.conv3d`, `torch.conv3d`,
    `F.conv_transpose1d`, `F.conv_transpose2d`, `F.conv_transpose3d`,
    `torch.conv_transpose1d`, `torch.conv_transpose2d`, `torch.conv_transpose3d`,
    `nn.Conv1d`, `nn.Conv2d`, `nn.Conv3d`, `nn.ConvTranspose1d`, `nn.ConvTranspose2d`,
    `nn.ConvTranspose3d`, `nn.LazyConv2d`, `nn.modules.conv`, `nn.grad`,
    `torch.ops.aten.convolution_backward`, `torch.ops.aten._convolution`,
    `torch.ops.aten.convolution`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of `conv2d(input, weight, bias, stride, padding, dilation, groups)` given
    `grad_output[N, C_out, H_out, W_out]`, the gradient of the loss w.r.t. its output.

    Returns `(d_input, d_weight, d_bias)` with the shapes of `input`, `weight` and `[C_out]`.
    `d_bias` is what a bias would get, whether or not the forward had one: `grad_output` summed
    over the batch and every position (dims 0, 2, 3). The arguments mean what they mean in
    `conv2d` ('same' with a stride other than 1 raises here too).

    Hints: each input pixel gets a contribution from every output position whose window covers
    it, so with overlapping windows (stride < kernel size) contributions ADD UP. The padding's
    gradient is thrown away: cut the zeros' rows and columns off `d_input`. The weight's gradient
    sums over the whole batch. A loop over the kernel taps `(p, q)` keeps it short: tap `(p, q)`
    touches the padded input at rows `p*dH, p*dH + sH, ...` and columns `q*dW, q*dW + sW, ...`.

    Not allowed here (scores 0): `F.conv2d`, `torch.conv2d`, `torch.convolution`,
    `torch._convolution`, `F.conv1d`, `torch.conv1d`, `F.conv3d`, `torch.conv3d`,
    `F.conv_transpose1d`, `F.conv_transpose2d`, `F.conv_transpose3d`,
    `torch.conv_transpose1d`, `torch.conv_transpose2d`, `torch.conv_transpose3d`,
    `nn.Conv1d`, `nn.Conv2d`, `nn.Conv3d`, `nn.ConvTranspose1d`, `nn.ConvTranspose2d`,
    `nn.ConvTranspose3d`, `nn.LazyConv2d`, `nn.modules.conv`, `nn.grad`,
    `torch.ops.aten.convolution_backward`, `torch.ops.aten._convolution`,
    `torch.ops.aten.convolution`, `torch.autograd.grad`, `torch.autograd.backward`,
    `torch.autograd.functional`, `torch.autograd.Function`, `torch.func`, any `.backward`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """The output length along one axis of a convolution (or pooling) over `size` input
    positions, with `padding` zeros on each side: all arguments are ints.

    `floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1`: the dilated
    kernel spans `dilation * (kernel_size - 1) + 1` positions, and a window starts every `stride`
    positions while it still fits in the padded input.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def receptive_field(layers):
    """How many input positions (along one axis) one output position of a stack of convolutions
    depends on. `layers`: a list of `(kernel_size, stride, dilation)` ints, first layer first.

    Each layer widens the field by `dilation * (kernel_size - 1)` of ITS input's positions, and
    one position there is as far from the next as the product of the strides of the layers
    before it. An empty list is no layer at all: 1 (each output is its own input).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
