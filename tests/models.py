"""Real architectures beyond the zoo, small enough to trace in milliseconds (issue 5's matrix)."""

from __future__ import annotations

import torch
from torch import nn


class GRUClassifier(nn.Module):
    """Token ids -> Embedding -> GRU -> the last time step's output -> Linear."""

    def __init__(self, vocab: int = 300, dim: int = 16, hidden: int = 24, classes: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, classes)

    def forward(self, tokens):
        outputs, _ = self.gru(self.embedding(tokens))
        return self.out(outputs[:, -1])


class Conv3dNet(nn.Module):
    """A video/volume classifier: two 3-d conv stages, global pooling, a Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1),
            nn.BatchNorm3d(4),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.Conv3d(4, 8, (1, 3, 3), stride=(1, 2, 2)),
            nn.ReLU(),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        return self.head(self.features(x))


class Siamese(nn.Module):
    """One encoder called on two images; the distance of the two embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 16)
        )

    def forward(self, left, right):
        return torch.nn.functional.pairwise_distance(self.encoder(left), self.encoder(right))


class BareParameters(nn.Module):
    """Weights held as a bare Parameter and a ParameterList, used with torch functions."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(6))
        self.weights = nn.ParameterList(nn.Parameter(torch.randn(6, 6)) for _ in range(3))
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        for weight in self.weights:
            x = torch.tanh(x @ weight) * self.scale
        return self.head(x)


class MultiTask(nn.Module):
    """A shared trunk and one head per task, kept in a ModuleDict; returns a dict of outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
        self.heads = nn.ModuleDict({"age": nn.Linear(20, 1), "kind": nn.Linear(20, 4)})

    def forward(self, x):
        features = self.trunk(x)
        return {name: head(features) for name, head in self.heads.items()}


class Call(nn.Module):
    """A forward that makes one torch call: the functional view's row for it is what is tested."""

    def __init__(self, function, *arguments, **keywords) -> None:
        super().__init__()
        self.function, self.arguments, self.keywords = function, arguments, keywords

    def forward(self, *tensors):
        return self.function(*tensors, *self.arguments, **self.keywords)
