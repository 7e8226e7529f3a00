"""Where torchinfo 1.8.0 is wrong and shapetrace is right (the README says so; this keeps it true)."""

from __future__ import annotations

import torch
import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import shapetrace


class TiedLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(1000, 64)
        self.head = nn.Linear(64, 1000, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.embed(tokens))


def test_tied_weights_count_once_where_torchinfo_counts_twice():
    model = TiedLM()
    tokens = torch.zeros(2, 16, dtype=torch.long)
    truth = sum(p.numel() for p in model.parameters())  # parameters() yields a shared tensor once
    assert shapetrace.trace(model, input_data=tokens).totals.params == truth == 64_000
    assert torchinfo.summary(model, input_data=tokens, verbose=0).total_params == 2 * truth


def test_linear_on_a_sequence_counts_every_position_where_torchinfo_does_not():
    model = nn.Sequential(nn.Linear(64, 128))
    inputs = torch.randn(2, 16, 64)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(inputs)
    truth = counter.get_total_flops() // 2
    assert shapetrace.trace(model, (2, 16, 64)).totals.macs == truth == 2 * 16 * 64 * 128
    assert torchinfo.summary(model, input_size=(2, 16, 64), verbose=0).total_mult_adds < truth // 10
