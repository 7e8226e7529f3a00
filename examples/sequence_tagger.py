"""A sequence classifier in PyTorch's default layout: an LSTM without batch_first reads its input as
(time, batch, features), and the head takes the last time step.

shapetrace examples/sequence_tagger.py:Tagger --input 30,8,20
"""

from torch import nn


class Tagger(nn.Module):
    """Classifies each sequence of a batch by the LSTM's output at the last time step."""

    def __init__(self, features: int = 20, hidden: int = 16, classes: int = 5):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden)  # batch_first=False: (time, batch, features)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[-1])  # the last time step: dim 0 is time
