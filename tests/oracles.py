"""Ground truth from PyTorch itself, shared by the tests."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def torch_math_flops(model: nn.Module, *inputs: torch.Tensor, keep_mode: bool = False, **kwargs) -> int:
    """FLOPs PyTorch counts on its reference kernels (2 per multiply-accumulate): oneDNN's fused
    LSTM, the fused attention kernels and the fused transformer inference path are invisible to
    FlopCounterMode, their unfused equivalents are not. The model runs in train mode unless
    `keep_mode` (for models without transformer layers), and its mode is restored."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    training = model.training
    if not keep_mode:
        model.train()  # nn.TransformerEncoderLayer's fused path runs only in eval mode
    try:
        reference = torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH)
        with reference[0], reference[1], torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(*inputs, **kwargs)
    finally:
        model.train(training)
    return counter.get_total_flops()
