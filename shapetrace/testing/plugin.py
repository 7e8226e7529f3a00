"""The pytest plugin (entry point `pytest11`: shapetrace): the `shape_rules` fixture.

    def test_blur_rule(shape_rules):
        shape_rules.check(Blur, shape_rules.cases(blur_configs, shape_rules.tensor_shapes(2)))

Loading it imports neither torch nor hypothesis; the fixture does, when a test uses it (and says what
to install where hypothesis is missing)."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["ShapeRules", "shape_rules"]


class ShapeRules:
    """`check(layer_factory, strategy, ...)` is `shapetrace.testing.check_rule`; every other name of
    shapetrace.testing (the strategies) is an attribute too."""

    def __init__(self, testing: Any) -> None:
        self._testing = testing

    def check(self, layer_factory: Any, strategy: Any, **options: Any) -> None:
        __tracebackhide__ = True
        self._testing.check_rule(layer_factory, strategy, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._testing, name)


@pytest.fixture
def shape_rules() -> ShapeRules:
    """Property tests of shape rules against PyTorch: `shape_rules.check(factory, strategy)`."""
    import shapetrace.testing

    shapetrace.testing.check_rule  # noqa: B018  loads torch and hypothesis, or says what to install
    return ShapeRules(shapetrace.testing)
