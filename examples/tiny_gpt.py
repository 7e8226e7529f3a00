"""A tiny GPT: hand-written causal self-attention blocks and an output layer tied to the token
embedding. Its attention is torch functions, not modules: --functional shows them, with their MACs.

    shapetrace examples/tiny_gpt.py:TinyGPT --input 2,12 --dtype int64
    shapetrace examples/tiny_gpt.py:TinyGPT --input 2,12 --dtype int64 --functional --kwargs '{"layers": 1}'
"""

import torch
from torch import nn


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
