"""The hook tracer: what it records, what it counts once, and that it leaves the model as it found it."""

from __future__ import annotations

import copy
from collections import namedtuple

import pytest
import torch
from torch import nn

import shapetrace
from shapetrace.pipeline import trace


def _state(model: nn.Module) -> dict:
    return {
        "tensors": {k: v.clone() for k, v in model.state_dict(keep_vars=True).items()},
        "objects": {k: id(v) for k, v in model.state_dict(keep_vars=True).items()},
        "training": [m.training for m in model.modules()],
        "hooks": [
            (
                len(m._forward_hooks),
                len(m._forward_pre_hooks),
                len(m._forward_hooks_with_kwargs),
                len(m._forward_pre_hooks_with_kwargs),
            )
            for m in model.modules()
        ],
        "grad": [p.requires_grad for p in model.parameters()],
    }


def _assert_unchanged(model: nn.Module, before: dict) -> None:
    after = _state(model)
    assert after["objects"] == before["objects"]
    assert after["training"] == before["training"]
    assert after["hooks"] == before["hooks"]
    assert after["grad"] == before["grad"]
    for key, tensor in before["tensors"].items():
        assert torch.equal(after["tensors"][key], tensor), key


def _bn_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(288, 4))


def test_train_mode_batchnorm_statistics_are_restored():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Dropout(0.5)).train()
    before = _state(model)
    result = trace(model, (4, 3, 16, 16))
    assert result.layers[1].type == "BatchNorm2d"
    _assert_unchanged(model, before)
    assert model[1].num_batches_tracked.item() == 0
    assert model.training and model[2].training


def test_mixed_modes_are_restored():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Dropout())
    model[1].eval()
    before = _state(model)
    trace(model, (2, 3))
    _assert_unchanged(model, before)


class _FailsLate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        return self.head(self.bn(x))  # bn updates its statistics, then head raises


def test_model_is_restored_after_a_failing_forward():
    model = _FailsLate().train()
    before = _state(model)
    with pytest.raises(shapetrace.ShapeError) as info:
        trace(model, (3, 4))
    _assert_unchanged(model, before)
    error = info.value
    assert error.layer == "head"
    assert "4" in str(error) and "5" in str(error)
    assert [layer.name for layer in error.trace.layers] == ["bn", "head"]
    assert error.trace.layers[0].output_shapes == ((3, 4),)
    assert error.trace.layers[1].failed and error.trace.layers[1].input_shapes == ((3, 4),)
    assert error.trace.error.layer_type == "Linear"
    assert "[3, 4]" in error.hint


def test_error_in_the_root_forward_itself_is_attributed_to_it():
    class Root(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x).view(7, -1)

    with pytest.raises(shapetrace.ShapeError) as info:
        trace(Root(), (2, 4))
    # the functional view (switched on after the failure) finds the failing call in Root.forward
    failing = info.value.trace.layers[-1]
    assert info.value.layer == "view" and failing.type == "function:view" and failing.failed
    assert failing.input_shapes == ((2, 4),) and "[2, 4]" in info.value.hint


def test_an_error_in_plain_python_code_is_attributed_to_the_forward():
    class Root(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            self.fc(x)
            raise KeyError("missing head")

    with pytest.raises(shapetrace.ShapeError) as info:
        trace(Root(), (2, 4))
    assert info.value.layer == "Root.forward" and "fc returned" in info.value.hint


def test_forward_that_reassigns_a_buffer_or_parameter_is_undone():
    class Sneaky(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("count", torch.zeros(1))
            self.weight = nn.Parameter(torch.ones(2))

        def forward(self, x):
            self.count += 1
            self.register_buffer("count", torch.full((1,), 9.0))
            self.weight = nn.Parameter(torch.zeros(2))
            self.training = not self.training
            return x * 2

    model = Sneaky()
    before = _state(model)
    trace(model, (1, 2))
    _assert_unchanged(model, before)
    assert model.count.item() == 0.0 and model.weight.sum().item() == 2.0


def test_rng_state_is_not_consumed():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).train()
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    trace(model, (2, 4))
    assert torch.equal(torch.rand(3), expected)


def test_a_reused_module_appears_once_per_call_and_counts_once():
    class Siamese(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Linear(8, 4)

        def forward(self, a, b):
            return (self.encoder(a) - self.encoder(b)).abs()

    result = trace(Siamese(), [(2, 8), (2, 8)])
    calls = [layer for layer in result.layers if layer.name == "encoder"]
    assert [layer.call_number for layer in calls] == [1, 2]
    assert [layer.index for layer in calls] == [0, 1]
    assert result.totals.params == 8 * 4 + 4
    assert result.totals.macs == 2 * 2 * 8 * 4
    assert "*2" in str(result)


def test_tied_weights_count_once():
    class TiedLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(100, 16)
            self.head = nn.Linear(16, 100, bias=False)
            self.head.weight = self.embed.weight

        def forward(self, tokens):
            return self.head(self.embed(tokens))

    result = trace(TiedLM(), (2, 5), dtypes=torch.int64)
    assert result.totals.params == 100 * 16
    assert result.layers[1].params == 100 * 16  # the head still owns the (shared) weight
    assert result.output_shapes == ((2, 5, 100),)


def test_bare_parameters_on_the_root_and_in_containers_count():
    class WithBare(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(3))
            self.extras = nn.ParameterList([nn.Parameter(torch.ones(2, 2)), nn.Parameter(torch.ones(5))])
            self.frozen = nn.Parameter(torch.ones(7), requires_grad=False)
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(x * self.scale) + self.extras[1].sum()

    result = trace(WithBare(), (1, 3))
    assert result.totals.params == 3 + 4 + 5 + 7 + 12
    assert result.totals.trainable_params == 3 + 4 + 5 + 12
    assert result.totals.non_trainable_params == 7


def test_linear_macs_count_every_position_of_an_nd_input():
    result = trace(nn.Sequential(nn.Linear(32, 64)), (2, 10, 32))
    assert result.layers[0].macs == result.totals.macs == 2 * 10 * 32 * 64


def test_a_root_that_is_itself_a_leaf_is_not_listed_but_counted():
    result = trace(nn.Conv2d(3, 8, 3), (2, 3, 10, 10))
    assert result.layers == ()
    assert result.totals.macs == 2 * 8 * 8 * 8 * 3 * 3 * 3
    assert result.output_shapes == ((2, 8, 8, 8),)


def test_nested_outputs_keep_their_structure():
    Pair = namedtuple("Pair", "left right")

    class Structured(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(4, 6, batch_first=True)

        def forward(self, x):
            output, (h, c) = self.lstm(x)
            return {"seq": output, "state": Pair(h, c), "none": None, "count": 3}

    result = trace(Structured(), (2, 5, 4))
    lstm = result.layers[0]
    assert lstm.output_shapes == ((2, 5, 6), (1, 2, 6), (1, 2, 6))
    assert str(result.outputs.items[1][1].type_name) == "Pair"
    assert result.output_shapes == ((2, 5, 6), (1, 2, 6), (1, 2, 6))
    from shapetrace.render.common import format_value

    assert format_value(lstm.outputs) == "([2, 5, 6], ([1, 2, 6], [1, 2, 6]))"
    assert format_value(result.outputs) == (
        "{seq: [2, 5, 6], state: Pair(left=[1, 2, 6], right=[1, 2, 6]), none: None, count: int}"
    )


def test_keyword_and_several_inputs_are_recorded_in_order():
    class TwoInputs(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, query, memory):
            return self.attn(query, memory, memory, need_weights=False)[0]

    result = trace(TwoInputs(), input_data={"query": torch.randn(1, 3, 8), "memory": torch.randn(1, 5, 8)})
    assert result.input_shapes == ((1, 3, 8), (1, 5, 8))
    assert result.layers[0].input_shapes == ((1, 3, 8), (1, 5, 8), (1, 5, 8))
    assert result.output_shapes == ((1, 3, 8),)


def test_input_data_as_tensor_and_tuple():
    model = nn.Linear(3, 2)
    assert trace(model, input_data=torch.randn(4, 3)).output_shapes == ((4, 2),)
    assert trace(model, input_data=(torch.randn(5, 3),)).output_shapes == ((5, 2),)
    with pytest.raises(ValueError):
        trace(model)


def test_meta_device_traces_without_allocating():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
    result = trace(model, (1, 3, 4096, 4096))
    assert result.device == "meta"
    assert result.layers[0].output_shapes == ((1, 64, 4096, 4096),)
    assert result.totals.activation_bytes == 2 * 64 * 4096 * 4096 * 4 + 64 * 4


def test_records_hold_no_tensors():
    result = trace(_bn_net().eval(), (1, 3, 8, 8))
    seen = []

    def walk(value, depth=0):
        assert not isinstance(value, torch.Tensor | nn.Module)
        if depth > 12:
            return
        if isinstance(value, tuple | list):
            for item in value:
                walk(item, depth + 1)
        elif hasattr(value, "__dataclass_fields__"):
            seen.append(type(value).__name__)
            for name in value.__dataclass_fields__:
                walk(getattr(value, name), depth + 1)

    walk(result)
    assert "LayerRecord" in seen and "TensorInfo" in seen


def test_the_records_are_frozen():
    result = trace(nn.Sequential(nn.Linear(2, 2)), (1, 2))
    with pytest.raises(AttributeError):
        result.layers[0].name = "x"  # type: ignore[misc]


def test_tracing_twice_gives_equal_traces_and_copy_is_unaffected():
    model = _bn_net().eval()
    twin = copy.deepcopy(model)
    first = trace(model, (1, 3, 8, 8))
    second = trace(model, (1, 3, 8, 8))
    assert first == second
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), twin.state_dict().values(), strict=True)
    )


def test_float16_and_bfloat16_inputs_are_recorded_with_their_dtype():
    model = nn.Sequential(nn.Linear(4, 2)).to(torch.bfloat16)
    result = trace(model, (1, 4), dtypes=torch.bfloat16)
    assert result.dtype == "bfloat16"
    assert result.layers[0].outputs.tensor.dtype == "bfloat16"
    assert result.totals.param_bytes == (4 * 2 + 2) * 2


def test_lazy_modules_stay_lazy_and_their_parameters_are_counted():
    model = nn.Sequential(nn.LazyConv2d(8, 3), nn.Flatten(), nn.LazyLinear(4))
    result = trace(model, (1, 3, 10, 10))
    assert type(model[0]) is nn.LazyConv2d and type(model[2]) is nn.LazyLinear
    assert isinstance(model[2].weight, nn.parameter.UninitializedParameter)
    assert result.totals.params == (8 * 3 * 9 + 8) + (8 * 8 * 8 * 4 + 4)
    assert result.layers[2].output_shapes == ((1, 4),)


def test_a_forward_that_writes_its_parameters_is_warned_of():
    class Writer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            self.fc.weight.add_(1.0)
            return self.fc(x)

    with pytest.warns(RuntimeWarning, match="fc.weight"):
        trace(Writer(), (1, 2))


class _Raises(nn.Module):
    def forward(self, x):
        raise RuntimeError("nope")


class _Fallback(nn.Module):
    """Catches its first branch's failure and goes on: the trace must stay well nested."""

    def __init__(self, fail_at_end: bool = False) -> None:
        super().__init__()
        self.a = _Raises()
        self.b = nn.Linear(3, 4)
        self.c = nn.Linear(4, 5)
        self.fail_at_end = fail_at_end

    def forward(self, x):
        try:
            return self.a(x)
        except RuntimeError:
            pass
        y = self.c(self.b(x))
        if self.fail_at_end:
            raise ValueError("late failure in the root")
        return y


def test_an_exception_the_model_catches_leaves_the_trace_well_nested():
    result = trace(_Fallback(), (1, 3))
    by_name = {layer.name: layer for layer in result.layers}
    assert by_name["a"].failed and by_name["a"].macs == 0
    assert by_name["b"].parent is None and by_name["c"].parent is None
    assert by_name["c"].output_shapes == ((1, 5),)
    assert result.totals.macs == 3 * 4 + 4 * 5
    assert result.error is None


def test_a_failure_after_a_caught_one_is_blamed_on_the_root():
    with pytest.raises(shapetrace.ShapeError) as info:
        trace(_Fallback(fail_at_end=True), (1, 3))
    assert info.value.layer == "_Fallback.forward"
    assert "late failure" in str(info.value)


def test_a_failure_wrapped_by_the_model_is_blamed_on_the_inner_module():
    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(4, 2)

        def forward(self, x):
            try:
                return self.inner(x)
            except RuntimeError as error:
                raise ValueError("the inner layer failed") from error

    with pytest.raises(shapetrace.ShapeError) as info:
        trace(Wrapper(), (1, 3))
    assert info.value.layer == "inner"


def test_sys_exit_in_forward_is_a_failed_forward():
    class Exits(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            raise SystemExit(0)

    with pytest.raises(shapetrace.ShapeError, match="sys.exit"):
        trace(Exits(), (1, 2))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_models_trace_and_are_unchanged():
    scripted = torch.jit.trace(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), torch.randn(1, 3))
    before = {k: v.clone() for k, v in scripted.state_dict().items()}
    result = trace(scripted, (4, 3))
    assert result.output_shapes == ((4, 2),)
    assert result.totals.params == 8
    assert all(torch.equal(scripted.state_dict()[k], v) for k, v in before.items())


def test_submodules_created_in_forward_are_removed_again():
    class Grows(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = None

        def forward(self, x):
            x = self.conv(x).flatten(1)
            if self.fc is None:
                self.fc = nn.Linear(x.shape[1], 10)
            self.cache = x
            return self.fc(x)

    model = Grows()
    result = trace(model, (1, 1, 5, 5))
    assert model.fc is None and set(dict(model.named_children())) == {"conv"}
    assert not hasattr(model, "cache")
    assert result.totals.params == 20 + (18 * 10 + 10)  # as the forward pass left it
    assert result.output_shapes == ((1, 10),)


def test_sparse_buffers_do_not_break_tracing():
    class Sparse(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("adjacency", torch.eye(3).to_sparse())
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(torch.sparse.mm(self.adjacency, x))

    assert trace(Sparse(), (3, 3)).output_shapes == ((3, 3),)


def test_odd_outputs_never_break_the_recorder():
    import dataclasses

    @dataclasses.dataclass
    class HalfBuilt:
        a: torch.Tensor
        b: int = dataclasses.field(init=False)

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return HalfBuilt(self.fc(x))

    class Root(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.odd = Odd()

        def forward(self, x):
            return self.odd(x).a

    result = trace(Root(), (1, 2))
    assert result.layers[0].outputs.type_name == "HalfBuilt"
    assert result.output_shapes == ((1, 2),)


def test_a_leaf_root_counts_its_activation():
    result = trace(nn.Conv2d(3, 8, 3), (2, 3, 10, 10))
    assert result.totals.activation_bytes == 2 * 8 * 8 * 8 * 4


def test_input_sizes_accept_integer_like_numbers_and_refuse_others():
    numpy = pytest.importorskip("numpy")
    model = nn.Sequential(nn.Linear(3, 2))
    assert trace(model, (numpy.int64(4), 3)).output_shapes == ((4, 2),)
    assert trace(model, torch.Size([5, 3])).output_shapes == ((5, 2),)
    with pytest.raises(shapetrace.UsageError, match="whole numbers"):
        trace(model, (1.0, 3))
    with pytest.raises(shapetrace.UsageError, match="cannot create an input"):
        trace(model, (10**12, 10**12))


def test_a_modules_own_hooks_run_before_it_is_recorded_and_stay():
    """A module with hooks of its own is recorded with the inputs and outputs its hooks leave it."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(18, 4))
    model[1].register_forward_pre_hook(lambda module, args: (args[0].flatten(1),))
    model[1].register_forward_hook(lambda module, args, output: output[:, :3])
    before = _state(model)
    result = trace(model, (1, 1, 5, 5))
    assert result.layers[1].input_shapes == ((1, 18),) and result.layers[1].output_shapes == ((1, 3),)
    assert result.layers[1].check == "mismatch"  # Linear(18, 4) gives 4 features: the hook cut them
    _assert_unchanged(model, before)


def test_tracing_leaves_no_global_hook_and_no_keyword_flag_behind():
    from torch.nn.modules import module as torch_module

    tables = ("_global_forward_pre_hooks", "_global_forward_hooks", "_global_forward_hooks_always_called")
    model = _bn_net()
    before = _state(model)
    trace(model, (1, 3, 8, 8))
    with pytest.raises(shapetrace.ShapeError):
        trace(model, (1, 3, 9, 9), suggest_sizes=False)
    assert [len(getattr(torch_module, table)) for table in tables] == [0, 0, 0]
    assert all(not module._forward_pre_hooks_with_kwargs for module in model.modules())
    assert nn.Module.__call__ is torch_module.Module._wrapped_call_impl
    assert not any("_call_impl" in module.__dict__ for module in model.modules())
    _assert_unchanged(model, before)


def test_a_module_outside_the_model_called_in_forward_is_not_recorded():
    outside = nn.Linear(4, 4)

    class UsesAnother(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return outside(self.fc(x))

    result = trace(UsesAnother(), (2, 4))
    assert [layer.name for layer in result.layers] == ["fc"]


def test_tensors_passed_by_keyword_are_recorded_with_their_sources():
    class ByKeyword(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, query, memory):
            return self.attn(query, key=memory, value=memory, need_weights=False)[0]

    result = trace(ByKeyword(), input_data={"query": torch.randn(1, 3, 8), "memory": torch.randn(1, 5, 8)})
    attn = result.layers[0]
    assert attn.input_shapes == ((1, 3, 8), (1, 5, 8), (1, 5, 8))
    assert [source.input for source in attn.sources] == [0, 1, 1]


def test_more_inputs_than_forward_takes_is_a_usage_error_naming_its_parameters():
    class Two(nn.Module):
        def forward(self, first, second=None):
            return first

    for _ in range(2):  # the class's signature is read once and kept
        with pytest.raises(shapetrace.UsageError, match=r"Two\.forward\(first, second\) cannot take 3 input"):
            trace(Two(), [(1, 3), (1, 3), (1, 3)])
    assert trace(Two(), [(1, 3), (1, 3)]).input_shapes == ((1, 3), (1, 3))

    instance = Two()
    instance.forward = lambda only: only  # a forward set on the instance: its own signature
    with pytest.raises(shapetrace.UsageError, match=r"forward\(only\) cannot take 2 input"):
        trace(instance, [(1, 3), (1, 3)])


def test_a_class_with_its_own_call_is_recorded():
    class Doubled(nn.Linear):
        def __call__(self, *args, **kwargs):
            return super().__call__(*args, **kwargs) * 2

    result = trace(nn.Sequential(Doubled(3, 4), nn.ReLU()), (1, 3))
    assert [layer.name for layer in result.layers] == ["0", "1"]
    assert result.layers[0].output_shapes == ((1, 4),) and result.layers[0].check == "ok"


def test_the_processs_global_hooks_run_before_a_module_is_recorded():
    from torch.nn.modules import module as torch_module

    def flatten_for_linear(module, args):
        return (args[0].flatten(1),) if isinstance(module, nn.Linear) else None

    handle = torch_module.register_module_forward_pre_hook(flatten_for_linear)
    try:
        result = trace(nn.Sequential(nn.Linear(6, 2)), (1, 2, 3))
    finally:
        handle.remove()
    assert result.layers[0].input_shapes == ((1, 6),) and result.output_shapes == ((1, 2),)


def test_a_layer_copied_in_forward_runs_as_its_copy():
    """A forward that deep-copies a layer and changes the copy: the copy computes with its own
    weights, as without tracing (the recorder's wrapper of the layer is not copied with it)."""

    class Copies(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            twin = copy.deepcopy(self.fc)
            with torch.no_grad():
                twin.weight.zero_()
                twin.bias.fill_(1.0)
            return self.fc(x) + twin(x)

    model = Copies()
    x = torch.randn(1, 2)
    with torch.no_grad():
        expected = model(x)
    result = trace(model, input_data=x, functional=True)
    assert result.output_shapes == ((1, 2),) and "fc" in [layer.name for layer in result.layers]
    with torch.no_grad():
        assert torch.equal(model(x), expected)
    seen = []
    model.register_forward_hook(lambda module, args, output: seen.append(output.clone()))
    trace(model, input_data=x)
    assert torch.equal(seen[0], expected), "the copy ran the original layer"
