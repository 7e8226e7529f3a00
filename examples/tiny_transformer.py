"""A small Transformer encoder for sequence classification, with a learned positional embedding.

shapetrace examples/tiny_transformer.py:TinyTransformer --input 2,16 --dtype int64
"""

import torch
from torch import nn


class TinyTransformer(nn.Module):
    """Token and position embeddings, two encoder layers, mean pooling, a Linear head."""

    def __init__(
        self,
        vocab_size: int = 1000,
        max_len: int = 64,
        dim: int = 64,
        heads: int = 4,
        layers: int = 2,
        classes: int = 3,
    ):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, dim)
        self.positions = nn.Embedding(max_len, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.tokens(tokens) + self.positions(positions)
        return self.head(self.encoder(x).mean(dim=1))
