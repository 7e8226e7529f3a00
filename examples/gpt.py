"""A GPT-style decoder of about 6.6 billion parameters (32 blocks, d_model 4096, 32 heads, a vocabulary
of 50,257 tokens tied to the output layer, a context of 128): 25 GiB of float32 weights, more than most
machines hold. shapetrace builds it on the meta device and traces it there without a flag, since a CPU
pass would not fit:

    shapetrace examples/gpt.py:GPT --input 1,128:int64
    shapetrace examples/gpt.py:GPT --input 2,16:int64 --kwargs '{"layers": 2, "dim": 64, "heads": 4}'

The attention is nn.MultiheadAttention with a causal mask, so every matrix product is a module's.
"""

import torch
from torch import nn


class Block(nn.Module):
    """A pre-norm decoder block: causal self-attention, then a 4x MLP, each with a residual."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, mask):
        h = self.norm1(x)
        x = x + self.attention(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    """Token and position embeddings, `layers` blocks, a final norm and an output layer tied to the
    token table."""

    def __init__(
        self, vocab: int = 50257, dim: int = 4096, heads: int = 32, layers: int = 32, context: int = 128
    ) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.tokens.weight  # tied
        mask = torch.triu(torch.ones(context, context, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)  # True: a later position, hidden

    def forward(self, tokens):
        length = tokens.shape[1]
        x = self.tokens(tokens) + self.positions(torch.arange(length, device=tokens.device))
        mask = self.mask[:length, :length]
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.norm(x))
