"""Sliding-window layers built on minigrad's public API: conv, pooling, SCS, ConvTwist."""
from . import functional
from .conv import Conv2d, ConvTranspose2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool2d, MaxAbsPool2d, MaxPool2d, MaxUnpool2d
from .scs import SharpCosSim2d
from .twist import ConvTwist2d

__all__ = ["functional", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "MaxAbsPool2d", "MaxUnpool2d",
           "AdaptiveAvgPool2d", "GlobalAvgPool2d", "SharpCosSim2d", "ConvTwist2d"]
