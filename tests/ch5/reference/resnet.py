"""Reference for ch5/resnet.py, written from torchvision's documented ResNet layout (torchvision
itself is not installed, and the kit must not need it).

- `BasicBlock`: torchvision's block: conv3x3(stride) -> bn -> relu -> conv3x3 -> bn, plus the
  shortcut (the input, or `downsample` = Sequential(conv1x1(stride), bn) when the stride or the
  width changes), then relu; convs without bias. Same submodule names as torchvision's.
- `SmallResNet`: the CIFAR-style net of the docstring. It looks the block class up as the module
  global `BasicBlock` when it is built, so the SmallResNet probes can put their trusted block
  (tests/stand_ins.py) there, exactly as they do in the student's module (CURRICULUM rule 4).

Cross-checked by hand against a functional forward (F.conv2d, F.batch_norm) of the same weights,
and against tests/stand_ins.py's TrustedBasicBlock (the same state_dict gives the same outputs and
buffers in train and eval mode).
"""
import torch
import torch.nn as nn


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(conv1x1(in_planes, planes, stride), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10, widths=(16, 32, 64), blocks_per_stage=1, in_channels=3):
        super().__init__()
        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.stages = []
        previous = widths[0]
        for i, width in enumerate(widths):
            blocks = []
            for j in range(blocks_per_stage):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(BasicBlock(previous, width, stride))   # the module global, looked up now
                previous = width
            name = f"layer{i + 1}"
            self.add_module(name, nn.Sequential(*blocks))
            self.stages.append(name)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for name in self.stages:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))
