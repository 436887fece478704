"""The layers as functions on tensors, PyTorch's argument names."""
from .conv import conv2d, conv_transpose2d
from .pooling import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_abs_pool2d, max_pool2d, max_unpool2d
from .scs import sharpened_cosine_similarity
from .twist import conv_twist

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "max_abs_pool2d", "max_unpool2d",
           "adaptive_avg_pool2d", "global_avg_pool2d", "sharpened_cosine_similarity", "conv_twist"]
