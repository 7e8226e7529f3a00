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


class Block(nn.Module):
    """A pre-norm GPT block written by hand: causal attention with one fused qkv Linear, then an MLP."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        batch, length, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(dim, dim=2)
        q, k, v = (t.view(batch, length, self.heads, dim // self.heads).transpose(1, 2) for t in (q, k, v))
        attended = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, length, dim))
        return x + self.mlp(self.norm2(x))


class TinyGPT(nn.Module):
    """Token and position embeddings, a stack of blocks, and an output layer tied to the token table."""

    def __init__(self, vocab: int = 100, dim: int = 32, heads: int = 4, layers: int = 2, context: int = 16):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Parameter(torch.zeros(1, context, dim))
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.tokens.weight  # tied

    def forward(self, tokens):
        x = self.tokens(tokens) + self.positions[:, : tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.norm(x))


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
