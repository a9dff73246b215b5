"""Public tests for ch5/resnet.py: run `pytest assignments/ch5`.

Quick checks you can work out by hand: the names in the state_dict, the output shapes, and blocks
whose weights are set so that the answer is simple (a zero conv2 makes bn2's output its bias, 0).
The hidden tests go further: a reference's state_dict loaded into yours, outputs and running stats
after batches in training and eval mode, gradients, CPU and CUDA, float32 and float64.
"""
import torch

from ch5 import resnet

BN_KEYS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def bn_keys(prefix):
    return {f"{prefix}.{k}" for k in BN_KEYS}


def test_block_names_and_downsample():
    block = resnet.BasicBlock(2, 2)
    assert block.downsample is None                                      # same stride, same width
    assert set(block.state_dict()) == {"conv1.weight", "conv2.weight"} | bn_keys("bn1") | bn_keys("bn2")
    block = resnet.BasicBlock(2, 4, stride=2)
    assert block.state_dict()["conv1.weight"].shape == (4, 2, 3, 3)      # no bias anywhere
    assert block.state_dict()["downsample.0.weight"].shape == (4, 2, 1, 1)
    assert bn_keys("downsample.1") <= set(block.state_dict())
    assert resnet.BasicBlock(3, 3, stride=2).downsample is not None     # the stride alone needs it
    assert resnet.BasicBlock(3, 5).downsample is not None               # the width alone too


def test_block_with_a_zero_conv2_is_relu_of_the_shortcut():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 5, 4)
    x_before = x.clone()
    block = resnet.BasicBlock(2, 2)
    with torch.no_grad():
        block.conv2.weight.zero_()                                       # bn2(0) = bn2's bias = 0
        for mode in (True, False):
            block.train(mode)
            assert torch.allclose(block(x), torch.relu(x))               # relu(0 + x)
    assert torch.equal(x, x_before)                                      # the input is left alone


def test_block_projection_shortcut_by_hand():
    x = torch.arange(-12.0, 13.0).view(1, 1, 5, 5)
    block = resnet.BasicBlock(1, 2, stride=2).eval()                    # eval: running mean 0, var 1
    with torch.no_grad():
        block.conv2.weight.zero_()
        block.downsample[0].weight.fill_(1.0)                            # 1x1 conv, stride 2: x[::2, ::2]
        out = block(x)
    picked = x[:, :, ::2, ::2] / (1 + 1e-5) ** 0.5                       # bn: (v - 0) / sqrt(1 + eps)
    assert out.shape == (1, 2, 3, 3)
    assert torch.allclose(out, torch.relu(picked).expand(1, 2, 3, 3))


def test_small_resnet_names_and_shapes():
    model = resnet.SmallResNet(num_classes=3, widths=(4, 8), blocks_per_stage=2, in_channels=1)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["conv1.weight"] == (4, 1, 3, 3) and "conv1.bias" not in shapes
    assert "layer1.0.downsample.0.weight" not in shapes                 # 4 -> 4, stride 1
    assert shapes["layer2.0.downsample.0.weight"] == (8, 4, 1, 1)       # 4 -> 8, stride 2
    assert "layer2.1.downsample.0.weight" not in shapes and "layer2.2.conv1.weight" not in shapes
    assert "layer3.0.conv1.weight" not in shapes
    assert shapes["fc.weight"] == (3, 8) and shapes["fc.bias"] == (3,)
    assert model(torch.randn(2, 1, 5, 7)).shape == (2, 3)               # 5x7 -> 3x4, then pooled


def test_small_resnet_with_a_zero_fc_gives_its_bias():
    model = resnet.SmallResNet(num_classes=3, widths=(4,)).eval()
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
        logits = model(torch.randn(2, 3, 6, 6))
    assert torch.allclose(logits, torch.tensor([[1.0, -2.0, 0.5]] * 2))
