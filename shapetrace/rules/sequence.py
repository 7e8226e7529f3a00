"""Rules of recurrent layers, attention and transformer layers (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace import formulas
from shapetrace.messages import Refusal, msg
from shapetrace.records import Shape
from shapetrace.rules.table import Call, Derivation, NotCheckable, register_rule


def _recurrent_shape(call: Call) -> Derivation:
    """output (L, N, D·H_out) or batch-first (N, L, D·H_out); h_n (D·layers, N, H_out); LSTM's c_n
    (D·layers, N, hidden); unbatched inputs drop N. H_out is proj_size where it is set."""
    if isinstance(call.arguments.get("input"), dict):
        raise NotCheckable("check.packed_sequence")
    attrs, shape = call.attributes, call.inputs[0]
    if len(shape) not in (2, 3):
        raise Refusal("refuse.recurrent_rank", mode=attrs["mode"], shape=shape)
    if shape[-1] != attrs["input_size"]:
        raise Refusal(
            "refuse.recurrent_features", mode=attrs["mode"], expected=attrs["input_size"], got=shape[-1]
        )
    directions = 2 if attrs["bidirectional"] else 1
    hidden = attrs["hidden_size"]
    out_size = attrs.get("proj_size") or hidden
    states = directions * attrs["num_layers"]
    if len(shape) == 2:
        length, batch = shape[0], ()
        output = (length, directions * out_size)
    else:
        length, n = (shape[1], shape[0]) if attrs["batch_first"] else (shape[0], shape[1])
        batch = (n,)
        output = (
            (n, length, directions * out_size) if attrs["batch_first"] else (length, n, directions * out_size)
        )
    h_n = (states, *batch, out_size)
    values = {"output": output, "directions": directions, "size": out_size, "h_n": h_n}
    if attrs["mode"] == "LSTM":
        c_n = (states, *batch, hidden)
        return Derivation((output, h_n, c_n), msg("derive.lstm", **values, c_n=c_n))
    return Derivation((output, h_n), msg("derive.recurrent", **values))


def _sequence_input(inputs: Sequence[Shape], input_size: int) -> Shape:
    """The input sequence among a recurrent call's tensors: the first with input_size features (a
    subclass may take the hidden state first)."""
    for shape in inputs:
        if 1 <= len(shape) <= 3 and shape[-1] == input_size:
            return shape
    raise ValueError(f"no input with {input_size} features")


def _recurrent_macs(call: Call) -> int:
    attrs = call.attributes
    sequence = _sequence_input(call.inputs, attrs["input_size"])
    steps = formulas.numel(sequence) // attrs["input_size"]  # batch × length; a PackedSequence's data too
    return formulas.recurrent_macs(
        attrs["mode"], steps, attrs["input_size"], attrs["hidden_size"], attrs["num_layers"],
        attrs["bidirectional"], attrs.get("proj_size") or 0,
    )  # fmt: skip


register_rule("RNNBase", "RNN", "LSTM", "GRU", shape=_recurrent_shape, macs=_recurrent_macs, hidden_work=True)


def _cell_macs(mode: str) -> Any:
    def cell_macs(call: Call) -> int:
        attrs = call.attributes
        steps = formulas.numel(_sequence_input(call.inputs, attrs["input_size"])) // attrs["input_size"]
        return formulas.recurrent_macs(mode, steps, attrs["input_size"], attrs["hidden_size"])

    return cell_macs


for _cell, _mode in (("RNNCell", "RNN"), ("LSTMCell", "LSTM"), ("GRUCell", "GRU")):
    register_rule(_cell, macs=_cell_macs(_mode), hidden_work=True)


def _attention_lengths(
    attrs: Mapping[str, Any], query: Shape, key: Shape
) -> tuple[tuple[int, ...], int, int]:
    """(batch dims, target length, source length) of MultiheadAttention's query and key."""
    if len(query) == 2:
        return (), query[0], key[0]
    if attrs.get("batch_first"):
        return (query[0],), query[1], key[1]
    return (query[1],), query[0], key[0]


def _extra_keys(attrs: Mapping[str, Any]) -> int:
    """Key positions added by add_bias_kv and add_zero_attn: attended to, not projected."""
    return int(bool(attrs.get("add_bias_kv"))) + int(bool(attrs.get("add_zero_attn")))


def _multihead_shape(call: Call) -> Derivation:
    """attn_output has the query's shape; the weights are (N, L, S), or (N, heads, L, S) when not
    averaged, without N for an unbatched query; need_weights=False returns no weights."""
    if len(call.inputs) < 3:
        raise Refusal("refuse.attention_inputs")
    attrs, arguments = call.attributes, call.arguments
    query, key = call.inputs[0], call.inputs[1]
    if query[-1] != attrs["embed_dim"]:
        raise Refusal("refuse.attention_embed", expected=attrs["embed_dim"], got=query[-1])
    output = (*query[:-1], attrs["embed_dim"])
    if not arguments.get("need_weights", True):
        return Derivation((output,), msg("derive.attention_no_weights", output=output))
    batch, target, source = _attention_lengths(attrs, query, key)
    heads = () if arguments.get("average_attn_weights", True) else (attrs["num_heads"],)
    extra = _extra_keys(attrs)
    weights = (*batch, *heads, target, source + extra)
    keys = (
        msg("derive.keys_extra", source=source, extra=extra) if extra else msg("derive.keys", source=source)
    )
    return Derivation(
        (output, weights), msg("derive.attention", output=output, weights=weights, target=target, keys=keys)
    )


def _multihead_macs(call: Call) -> int:
    attrs = call.attributes
    batch, target, source = _attention_lengths(attrs, call.inputs[0], call.inputs[1])
    return formulas.multihead_attention_macs(
        formulas.numel(batch), target, source, attrs["embed_dim"], attrs.get("kdim"), attrs.get("vdim"),
        _extra_keys(attrs),
    )  # fmt: skip


def _multihead_read(state: Mapping[str, Any], parameters: Mapping[str, bool]) -> dict[str, Any]:
    """add_bias_kv=True adds one key position: the bias_k parameter exists."""
    return {"add_bias_kv": parameters["bias_k"]} if "bias_k" in parameters else {}


register_rule("MultiheadAttention", shape=_multihead_shape, macs=_multihead_macs, read=_multihead_read)


def _transformer_block_shape(call: Call) -> Derivation:
    return Derivation((call.inputs[0],), msg("derive.same_as_first"))


def _transformer_shape(call: Call) -> Derivation:
    if len(call.inputs) < 2:
        raise Refusal("refuse.transformer_inputs")
    return Derivation((call.inputs[1],), msg("derive.same_as_tgt"))


register_rule(
    "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
    shape=_transformer_block_shape,
)  # fmt: skip
register_rule("Transformer", shape=_transformer_shape)
