"""A differently written correct ch5/resnet.py (kit_tests/test_chapters.py gives it full marks):
nn.ReLU modules (in place, on the block's own tensors), the shortcut added in place to the block's
output, the projection built from an OrderedDict, the stages added with add_module and walked in
registration order, and the pooling as a mean over H and W."""
from collections import OrderedDict

import torch.nn as nn


def conv(in_planes, planes, kernel_size, stride):
    return nn.Conv2d(in_planes, planes, kernel_size, stride=stride, padding=kernel_size // 2, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = conv(in_planes, planes, 3, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, planes, 3, 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        if stride == 1 and in_planes == planes:
            self.downsample = None
        else:
            self.downsample = nn.Sequential(OrderedDict([("0", conv(in_planes, planes, 1, stride)),
                                                         ("1", nn.BatchNorm2d(planes))]))

    def forward(self, x):
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class SmallResNet(nn.Module):
    def __init__(self, num_classes=10, widths=(16, 32, 64), blocks_per_stage=1, in_channels=3):
        super().__init__()
        self.conv1 = conv(in_channels, widths[0], 3, 1)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        channels = [widths[0]] + list(widths)
        for stage in range(len(widths)):
            layer = nn.Sequential()
            for i in range(blocks_per_stage):
                first = i == 0
                stride = 2 if first and stage > 0 else 1
                layer.add_module(str(i), BasicBlock(channels[stage] if first else widths[stage], widths[stage], stride))
            self.add_module("layer" + str(stage + 1), layer)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for name, child in self.named_children():
            if name.startswith("layer"):
                x = child(x)
        return self.fc(x.mean(dim=(2, 3)))
