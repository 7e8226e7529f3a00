"""The recorder's shortcuts describe arguments exactly as `describe_arguments` does, and find tensors in
the order `describe` lists them, whatever the nesting (the shortcuts take flat tuples and lists of
tensors, scalars and slices; anything else goes the long way)."""

from __future__ import annotations

import collections
import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from shapetrace.calls import CallLog
from shapetrace.dataflow import Dataflow
from shapetrace.values import describe, describe_arguments, flat_tensors

Pair = collections.namedtuple("Pair", "first second")

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
    args, kwargs = call
    flow = Dataflow()
    made = list(flat_tensors((args, kwargs)))
    for index, tensor in enumerate(made):
        flow.produce(index, tensor)
    edges = flow.edges(args, kwargs)
    # a tensor passed twice is found twice; each edge names the last call that made it
    last = {id(tensor): index for index, tensor in enumerate(made)}
    assert edges == tuple((last[id(tensor)], 0) for tensor in made)


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
