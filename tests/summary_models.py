"""Fixture models for `shapetrace.summary()`: each holds one of the cases where torchinfo's counts and
PyTorch's part (nested containers, an LSTM after an Embedding, a pruned conv, tied weights, a
transposed conv, a bare-Parameter matmul), or one of torchinfo's ways of giving inputs."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune


class Nested(nn.Module):
    """Sequentials in a Sequential, a BatchNorm, a grouped conv, a ModuleDict head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
            nn.Sequential(nn.Conv2d(8, 8, 3, groups=2), nn.ReLU()),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.ModuleDict({"fc": nn.Linear(8, 4)})

    def forward(self, x):
        return self.head["fc"](self.features(x).flatten(1))


class Tagger(nn.Module):
    """Token ids -> Embedding -> a two-layer LSTM -> Linear at every position."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)
        self.out = nn.Linear(32, 5)

    def forward(self, tokens):
        hidden, _ = self.lstm(self.embed(tokens))
        return self.out(hidden)


def pruned_conv() -> nn.Module:
    """Half the conv's weights pruned: PyTorch still holds (and parameters() yields) all of them."""
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU())
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    return model


class Tied(nn.Module):
    """A language model's output layer sharing the embedding's table."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 32)
        self.head = nn.Linear(32, 100, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.embed(tokens))


def transposed() -> nn.Module:
    return nn.Sequential(nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.ReLU())


class BareMatmul(nn.Module):
    """torch.mm on a Parameter the model holds itself, then a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(16, 8))
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(torch.mm(x, self.weight))


class TwoInputs(nn.Module):
    """Two named inputs, given as a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Linear(6, 4)
        self.meta = nn.Linear(3, 4)

    def forward(self, image, meta):
        return self.image(image) + self.meta(meta)


class Repeats(nn.Module):
    """A keyword argument of forward's that changes the output's shape."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x, repeat=1):
        return self.fc(x).repeat(1, repeat)


class ModeShaped(nn.Module):
    """Returns all ten features in train mode, the first one in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        y = self.fc(x)
        return y if self.training else y[:, :1]


class Recurrent(nn.Module):
    """One Linear called three times."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.Linear(8, 8)

    def forward(self, x):
        for _ in range(3):
            x = torch.tanh(self.cell(x))
        return x


class PackedLSTM(nn.Module):
    """Sequences of different lengths, packed, through an LSTM: only the real time steps run."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(16, 32, batch_first=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (hidden, _) = self.lstm(packed)
        return hidden[-1]


def sequence_linear() -> nn.Module:
    """A Linear on (batch, time, features): it runs at every time step."""
    return nn.Sequential(nn.Linear(64, 128))
