"""The zoo: the seed's six networks by name, with their default inputs, built without weight init."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ZooEntry", "ZOO", "zoo_entry", "build"]


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: how to build it, and its default input (its one-line summary is message zoo.NAME)."""

    name: str
    factory_name: str  # attribute of shapetrace.zoo.d2l
    default_input: tuple[int, ...]


ZOO: dict[str, ZooEntry] = {
    entry.name: entry
    for entry in (
        ZooEntry("lenet", "LeNet", (1, 1, 28, 28)),
        ZooEntry("alexnet", "AlexNet", (1, 1, 224, 224)),
        ZooEntry("vgg11", "vgg11", (1, 1, 224, 224)),
        ZooEntry("nin", "nin", (1, 1, 224, 224)),
        ZooEntry("googlenet", "googlenet", (1, 1, 96, 96)),
        ZooEntry("resnet18", "resnet18", (1, 1, 96, 96)),
    )
}


def zoo_entry(name: str) -> ZooEntry | None:
    """The zoo entry for a name, case-insensitive; None when it is not a zoo name."""
    return ZOO.get(name.lower())


def build(name: str, device: str = "cpu") -> object:
    """Build a zoo model in eval mode without paying for weight initialisation.

    The model is constructed on the meta device; for a real device its storage is then
    allocated and zeroed, which costs a memset instead of random initialisation (shapes never
    depend on weight values; zeros keep runs deterministic and free of NaNs and denormals), and
    BatchNorm statistics are reset to mean 0, variance 1.
    """
    from shapetrace._torch import torch
    from shapetrace.zoo import d2l

    factory: Callable[[], torch.nn.Module] = getattr(d2l, ZOO[name.lower()].factory_name)
    with torch.device("meta"):
        model = factory()
    if device != "meta":
        _materialise(model, torch.device(device))
    return model.eval()


def _materialise(model: object, device: object) -> None:
    """Give every meta parameter zeroed storage on `device` and every buffer fresh storage.

    Does what `Module.to_empty` does without its first-call import of torch._refs (0.6 s).
    """
    from shapetrace._torch import nn, torch

    with torch.no_grad():
        for module in model.modules():
            for name, param in module._parameters.items():
                if param is not None:
                    storage = torch.zeros(param.shape, dtype=param.dtype, device=device)
                    module._parameters[name] = nn.Parameter(storage, param.requires_grad)
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = torch.empty(buffer.shape, dtype=buffer.dtype, device=device)
            if hasattr(module, "reset_running_stats"):
                module.reset_running_stats()
