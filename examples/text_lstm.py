"""A text classifier: token ids -> Embedding -> two-layer bidirectional LSTM -> Linear.

shapetrace examples/text_lstm.py:TextLSTM --input 4,32 --dtype int64
"""

import torch
from torch import nn


class TextLSTM(nn.Module):
    """Classifies a batch of token sequences by the LSTM's last hidden states, both directions."""

    def __init__(self, vocab_size: int = 5000, embed_dim: int = 64, hidden: int = 128, classes: int = 4):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, classes)

    def forward(self, tokens):
        _, (h_n, _) = self.lstm(self.embedding(tokens))
        last = torch.cat((h_n[-2], h_n[-1]), dim=1)  # the top layer's forward and backward states
        return self.classifier(last)
