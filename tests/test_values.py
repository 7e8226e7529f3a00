"""The recorder's shortcuts describe arguments exactly as `describe_arguments` does, and find tensors in
the order `describe` lists them, whatever the nesting (the shortcuts take flat tuples and lists of
tensors, scalars and slices; anything else goes the long way)."""

from __future__ import annotations

import collections
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from shapetrace.calls import CallLog
from shapetrace.dataflow import Dataflow
from shapetrace.values import describe, describe_arguments, flat_tensors

Pair = collections.namedtuple("Pair", "first second")


class Unprintable:
    """A dict key whose str() raises: describe shows such a dict as an opaque object."""

    def __str__(self) -> str:
        raise ValueError("no str")


UNPRINTABLE = Unprintable()

tensors = st.builds(
    lambda shape, dtype: torch.zeros(shape, dtype=dtype),
    st.lists(st.integers(0, 3), max_size=3),
    st.sampled_from([torch.float32, torch.int64, torch.bool]),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.5]), st.text(max_size=70)
)
opaque = st.sampled_from([slice(None), slice(0, 2), Ellipsis, object()])
leaves = st.one_of(tensors, scalars, opaque)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", 1, UNPRINTABLE]), inner, max_size=3),
        st.tuples(inner, inner).map(lambda pair: Pair(*pair)),
        st.dictionaries(st.sampled_from("ab"), inner, max_size=2).map(collections.OrderedDict),
    ),
    max_leaves=8,
)
arguments = st.tuples(
    st.lists(values, max_size=4).map(tuple), st.dictionaries(st.sampled_from("xyz"), values)
)


def _shapes(found: object) -> list[tuple]:
    return [(tuple(tensor.shape), tensor.dtype) for tensor in found]


@given(arguments)
def test_the_recorders_descriptions_are_describe_arguments(call):
    args, kwargs = call
    log = CallLog(set(), set())
    assert log._arguments(args, kwargs) == describe_arguments(args, kwargs)
    assert log._arguments(args, kwargs) == describe_arguments(args, kwargs)  # shared ones too


@given(values)
def test_flat_tensors_follow_describes_order(value):
    listed = [(info.shape, info.dtype) for info in describe(value).tensors()]
    found = [(shape, str(dtype).removeprefix("torch.")) for shape, dtype in _shapes(flat_tensors(value))]
    assert found == listed


@given(arguments)
def test_edges_name_each_input_tensor_in_order(call):
    """One edge per tensor describe_arguments lists, in its order, each naming the call that made it."""
    args, kwargs = call
    flow = Dataflow()
    made = [tensor for value in (*args, *kwargs.values()) for tensor in flat_tensors(value, 1)]
    assert len(made) == len(list(describe_arguments(args, kwargs).tensors()))
    for index, tensor in enumerate(made):
        flow.produce(index, tensor)
    edges = flow.edges(args, kwargs)
    # a tensor passed twice is found twice; each edge names the last call that made it
    last = {id(tensor): index for index, tensor in enumerate(made)}
    assert edges == tuple((last[id(tensor)], 0) for tensor in made)


@pytest.mark.parametrize("depth", [13, 14, 15, 16, 17])
def test_deeply_nested_tensors_have_one_edge_each_as_described(depth):
    """describe stops at MAX_NESTING levels; the edges stop at the same level, so that the i-th
    edge is still the i-th tensor the inputs list."""
    value: object = torch.zeros(2)
    for _ in range(depth):
        value = [value]
    args = (torch.ones(3), value, torch.ones(4))
    flow = Dataflow()
    flow.model_inputs(args, {})
    described = [tensor.shape for tensor in describe_arguments(args, {}).tensors()]
    edges = flow.edges(args, {})
    assert len(edges) == len(described)
    assert edges[-1] == (-len(described), 0)  # the last tensor is the last model input


def test_negative_zero_keeps_its_sign():
    """0.0 == -0.0: a description shared by equality would show the first one's sign for both."""
    log = CallLog(set(), set())
    signs = [
        math.copysign(
            1, log._arguments((torch.zeros(1), (zero,)), {"fill": zero}).items[1][1].items[0][1].value
        )
        for zero in (0.0, -0.0)
    ]
    keywords = [
        math.copysign(1, log._arguments((), {"fill": zero}).items[0][1].value) for zero in (0.0, -0.0)
    ]
    assert signs == keywords == [1.0, -1.0]


def test_the_sign_of_nan_is_kept_too():
    log = CallLog(set(), set())
    tensor = torch.zeros(1)
    signs = [
        math.copysign(1, log._arguments((tensor,), {"fill": nan}).items[1][1].value) for nan in (NAN, -NAN)
    ]
    assert signs == [math.copysign(1, NAN), math.copysign(1, -NAN)] and signs[0] != signs[1]


NAN = float("nan")
