"""Public tests for ch5/conv.py: run `pytest assignments/ch5`.

Quick checks of values you can work out by hand. The hidden tests go further: conv2d against
torch's F.conv2d and conv2d_backward against autograd over many strides, paddings, dilations and
groups, with random upstream gradients, on CPU and CUDA, in float32 and float64.
"""
import torch

from ch5 import conv


def image(rows):
    """A [1, 1, H, W] tensor from a list of rows."""
    return torch.tensor(rows, dtype=torch.float32)[None, None]


NINE = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]


def test_conv2d_is_a_cross_correlation():
    # out[i, j] = x[i, j] - x[i+1, j+1] = -4 everywhere; a flipped kernel would give +4
    out = conv.conv2d(image(NINE), image([[1.0, 0.0], [0.0, -1.0]]), bias=torch.tensor([0.5]))
    assert out.tolist() == [[[[-3.5, -3.5], [-3.5, -3.5]]]]


def test_conv2d_same_padding_of_an_even_kernel_goes_to_the_right():
    # kernel [1, 10] over [1, 2, 3] with one zero on the right: 1 + 20, 2 + 30, 3 + 0
    out = conv.conv2d(image([[1.0, 2.0, 3.0]]), image([[1.0, 10.0]]), padding="same")
    assert out.tolist() == [[[[21.0, 32.0, 3.0]]]]


def test_conv2d_shapes_with_stride_padding_and_groups():
    out = conv.conv2d(torch.zeros(2, 3, 7, 9), torch.zeros(4, 3, 3, 3), stride=2, padding=1)
    assert out.shape == (2, 4, 4, 5)
    depthwise = conv.conv2d(torch.tensor([2.0, 3.0]).view(1, 2, 1, 1), torch.tensor([10.0, 100.0]).view(2, 1, 1, 1),
                            groups=2)
    assert depthwise.flatten().tolist() == [20.0, 300.0]


def test_conv2d_backward_counts_the_overlaps():
    d_input, d_weight, d_bias = conv.conv2d_backward(torch.ones(1, 1, 2, 2), image(NINE), torch.ones(1, 1, 2, 2))
    assert d_input.tolist() == [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]   # windows covering each pixel
    assert d_weight.tolist() == [[[[12.0, 16.0], [24.0, 28.0]]]]   # 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    assert d_bias.tolist() == [4.0]


def test_conv_output_size():
    assert conv.conv_output_size(32, 3, padding=1) == 32
    assert conv.conv_output_size(8, 3, stride=2) == 3        # floor((8 - 3) / 2) + 1
    assert conv.conv_output_size(9, 3, dilation=2) == 5      # the dilated kernel spans 5


def test_receptive_field():
    assert conv.receptive_field([]) == 1
    assert conv.receptive_field([(3, 1, 1), (3, 1, 1)]) == 5
    assert conv.receptive_field([(3, 2, 1), (3, 1, 1)]) == 7  # 1 + 2 + 2 * 2: the stride doubles the second step
    assert conv.receptive_field([(3, 1, 2)]) == 5
