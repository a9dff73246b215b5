"""A differently written correct ch5/conv.py (kit_tests/test_chapters.py gives it full marks):
plain loops over output positions and channel blocks, padding by copying into zeros, the sizes
counted window by window, the receptive field grown from the last layer back to the first."""
import torch


def _two(value):
    if isinstance(value, int):
        return [value, value]
    return [value[0], value[1]]


def _pads(padding, kernel, stride, dilation):
    """[top, bottom, left, right]."""
    if isinstance(padding, str):
        if padding == "valid":
            return [0, 0, 0, 0]
        if padding != "same":
            raise ValueError("unknown padding " + padding)
        if stride[0] != 1 or stride[1] != 1:
            raise ValueError("'same' padding only with stride 1")
        pads = []
        for axis in range(2):
            extra = dilation[axis] * (kernel[axis] - 1)
            before = extra // 2
            pads += [before, extra - before]
        return pads
    ph, pw = _two(padding)
    return [ph, ph, pw, pw]


def _padded(x, pads):
    top, bottom, left, right = pads
    n, c, h, w = x.shape
    out = torch.zeros(n, c, h + top + bottom, w + left + right, dtype=x.dtype, device=x.device)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _window(ii, jj, kernel, stride, dilation):
    """The rows and columns the window of output (ii, jj) reads."""
    r0, c0 = ii * stride[0], jj * stride[1]
    rows = slice(r0, r0 + dilation[0] * (kernel[0] - 1) + 1, dilation[0])
    cols = slice(c0, c0 + dilation[1] * (kernel[1] - 1) + 1, dilation[1])
    return rows, cols


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    total = size + 2 * padding
    reach = dilation * (kernel_size - 1)
    count, start = 0, 0
    while start + reach < total:
        count += 1
        start += stride
    return count


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _two(stride), _two(dilation)
    kernel = [weight.shape[2], weight.shape[3]]
    pads = _pads(padding, kernel, stride, dilation)
    x = _padded(input, pads)
    n, c_in, h, w = x.shape
    c_out = weight.shape[0]
    h_out = conv_output_size(h, kernel[0], stride[0], 0, dilation[0])
    w_out = conv_output_size(w, kernel[1], stride[1], 0, dilation[1])
    ci, co = c_in // groups, c_out // groups
    out = torch.zeros(n, c_out, h_out, w_out, dtype=input.dtype, device=input.device)
    for g in range(groups):
        kernels = weight[g * co:(g + 1) * co]                               # [co, ci, kH, kW]
        for ii in range(h_out):
            for jj in range(w_out):
                rows, cols = _window(ii, jj, kernel, stride, dilation)
                patch = x[:, g * ci:(g + 1) * ci, rows, cols]               # [n, ci, kH, kW]
                out[:, g * co:(g + 1) * co, ii, jj] = (patch[:, None] * kernels[None]).sum(dim=(2, 3, 4))
    if bias is not None:
        for o in range(c_out):
            out[:, o] += bias[o]
    return out


def conv2d_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _two(stride), _two(dilation)
    kernel = [weight.shape[2], weight.shape[3]]
    pads = _pads(padding, kernel, stride, dilation)
    x = _padded(input, pads)
    n, c_in, h, w = x.shape
    c_out, h_out, w_out = grad_output.shape[1], grad_output.shape[2], grad_output.shape[3]
    ci, co = c_in // groups, c_out // groups
    d_x = torch.zeros_like(x)
    d_weight = torch.zeros_like(weight)
    for g in range(groups):
        outs, ins = slice(g * co, (g + 1) * co), slice(g * ci, (g + 1) * ci)
        for ii in range(h_out):
            for jj in range(w_out):
                rows, cols = _window(ii, jj, kernel, stride, dilation)
                upstream = grad_output[:, outs, ii, jj]                     # [n, co]
                patch = x[:, ins, rows, cols]                               # [n, ci, kH, kW]
                d_weight[outs] += (upstream[:, :, None, None, None] * patch[:, None]).sum(dim=0)
                d_x[:, ins, rows, cols] += (upstream[:, :, None, None, None] * weight[outs][None]).sum(dim=1)
    top, left = pads[0], pads[2]
    d_input = d_x[:, :, top:top + input.shape[2], left:left + input.shape[3]].clone()
    d_bias = grad_output.sum(dim=3).sum(dim=2).sum(dim=0)
    return d_input, d_weight, d_bias


def receptive_field(layers):
    needed = 1   # input positions one output needs, from the last layer back to the first
    for kernel_size, stride, dilation in reversed(list(layers)):
        needed = (needed - 1) * stride + dilation * (kernel_size - 1) + 1
    return needed
