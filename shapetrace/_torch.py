"""The one place shapetrace imports torch, so a missing-NumPy warning never reaches the user."""

import warnings

with warnings.catch_warnings():
    # torch warns at import when NumPy is absent; shapetrace never converts to NumPy.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch
    from torch import nn

__all__ = ["torch", "nn"]
