"""A residual network for small images: torchvision's BasicBlock, and a CIFAR-style SmallResNet.

Build them from torch's layers (`nn.Conv2d`, `nn.BatchNorm2d`, `nn.Linear`, `F.relu`, ...): the
exercise is the architecture. Every BatchNorm is `nn.BatchNorm2d(channels)` with its defaults
(eps 1e-5, momentum 0.1). Names matter: the tests load a reference model's `state_dict`
into yours (strictly: no key missing, none extra, every shape the same), then compare outputs in
training mode (BatchNorm uses the batch's statistics and updates its running stats) and in eval
mode (it uses the running stats). Both work on any device, in float32 and float64, and leave
their input unchanged (careful with in-place operations such as `+=` or `relu_` on `x`).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """The residual block of ResNet-18/34, laid out as torchvision's `BasicBlock`.

    `BasicBlock(in_planes, planes, stride=1)`. Submodules, with these names:
    - `conv1`: 3x3 conv, in_planes -> planes, stride `stride`, padding 1, no bias;
    - `bn1`: `nn.BatchNorm2d(planes)`;
    - `conv2`: 3x3 conv, planes -> planes, stride 1, padding 1, no bias;
    - `bn2`: `nn.BatchNorm2d(planes)`;
    - `downsample`: the projection shortcut `nn.Sequential(1x1 conv in_planes -> planes with
      stride `stride` and no bias, nn.BatchNorm2d(planes))` (keys `downsample.0.weight`,
      `downsample.1.*`) when `stride != 1` or `in_planes != planes`; otherwise the attribute
      `downsample` is `None` and the shortcut is the input itself.

    `forward(x)`, x `[N, in_planes, H, W]` -> `[N, planes, H', W']` with H' = ceil(H / stride)
    (the same for W):

        out = relu(bn1(conv1(x)))
        out = bn2(conv2(out))
        return relu(out + shortcut)        # shortcut = x, or downsample(x)

    The last ReLU comes after the addition. Only the first conv (and the shortcut) has the stride.
    """

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        shortcut = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + shortcut)
        ### END SOLUTION


class SmallResNet(nn.Module):
    """A ResNet for small images (CIFAR style): a 3x3 stem, stages of BasicBlocks, average pool, linear.

    `SmallResNet(num_classes=10, widths=(16, 32, 64), blocks_per_stage=1, in_channels=3)`, with
    K = len(widths) stages. Submodules, with these names:
    - stem: `conv1` (3x3 conv, in_channels -> widths[0], stride 1, padding 1, no bias), `bn1`
      (`nn.BatchNorm2d(widths[0])`), then a ReLU. No max pool, no 7x7 conv: the images are small;
    - `layer1`, ..., `layerK` (numbered from 1): stage k is an `nn.Sequential` of
      `blocks_per_stage` `BasicBlock`s with `widths[k-1]` output channels. Its first block takes
      the previous stage's width (widths[0] for layer1) with stride 1 in layer1 and stride 2 in every
      later stage; the other blocks of a stage keep the width with stride 1;
    - `fc`: `nn.Linear(widths[-1], num_classes)` (with bias).

    `forward(x)`, x `[N, in_channels, H, W]` -> logits `[N, num_classes]`: stem, the stages in order,
    global average pooling (the mean over all remaining positions of each channel, whatever the
    size left), flatten to `[N, widths[-1]]`, fc.

    Build the blocks by calling this module's `BasicBlock(in_planes, planes, stride)` when the model
    is made (the tests grade SmallResNet with a correct BasicBlock in its place, so a bug in your
    block costs its own points only).
    """

    def __init__(self, num_classes=10, widths=(16, 32, 64), blocks_per_stage=1, in_channels=3):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for k, planes in enumerate(widths, start=1):
            stride = 1 if k == 1 else 2
            blocks = [BasicBlock(in_planes, planes, stride)]
            blocks += [BasicBlock(planes, planes) for _ in range(blocks_per_stage - 1)]
            setattr(self, f"layer{k}", nn.Sequential(*blocks))
            in_planes = planes
        self.num_stages = len(widths)
        self.fc = nn.Linear(widths[-1], num_classes)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = F.relu(self.bn1(self.conv1(x)))
        for k in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{k}")(x)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))
        ### END SOLUTION
