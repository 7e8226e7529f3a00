"""Shape rules of recurrent layers, attention and transformer layers (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapetrace.records import Shape
from shapetrace.rules import Derivation, NotCheckable, rule, with_arguments


@rule("RNN", "LSTM", "GRU")
@with_arguments
def _recurrent(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    """output (L, N, D·H_out) or batch-first (N, L, D·H_out); h_n (D·layers, N, H_out); LSTM's c_n
    (D·layers, N, hidden); unbatched inputs drop N. H_out is proj_size where it is set."""
    if isinstance(arguments.get("input"), dict):
        raise NotCheckable("not checked: a PackedSequence input, whose shapes depend on the lengths")
    shape = inputs[0]
    if len(shape) not in (2, 3):
        raise ValueError(f"{attrs['mode']} expects a 3-d (or 2-d unbatched) input, got {list(shape)}")
    if shape[-1] != attrs["input_size"]:
        raise ValueError(
            f"{attrs['mode']} expects input_size {attrs['input_size']} features, got {shape[-1]}"
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
    shapes = [output, (states, *batch, out_size)]
    formula = f"output {list(output)} (D·H_out = {directions}·{out_size}); h_n {list(shapes[1])}"
    if attrs["mode"] == "LSTM":
        shapes.append((states, *batch, hidden))
        formula += f"; c_n {list(shapes[2])}"
    return Derivation(tuple(shapes), formula)


@rule("MultiheadAttention")
@with_arguments
def _attention(attrs: Mapping[str, Any], inputs: Sequence[Shape], arguments: Mapping[str, Any]) -> Derivation:
    """attn_output has the query's shape; the weights are (N, L, S), or (N, heads, L, S) when not
    averaged, without N for an unbatched query; need_weights=False returns no weights."""
    if len(inputs) < 3:
        raise ValueError("MultiheadAttention takes query, key and value")
    query, key = inputs[0], inputs[1]
    if query[-1] != attrs["embed_dim"]:
        raise ValueError(f"MultiheadAttention expects embed_dim {attrs['embed_dim']}, got {query[-1]}")
    output = (*query[:-1], attrs["embed_dim"])
    formula = f"attn_output {list(output)}"
    if not arguments.get("need_weights", True):
        return Derivation((output,), formula + "; need_weights=False: no weights")
    if len(query) == 2:
        target, source, batch = query[0], key[0], ()
    elif attrs.get("batch_first"):
        target, source, batch = query[1], key[1], (query[0],)
    else:
        target, source, batch = query[0], key[0], (query[1],)
    heads = () if arguments.get("average_attn_weights", True) else (attrs["num_heads"],)
    extra = int(bool(attrs.get("add_bias_kv"))) + int(bool(attrs.get("add_zero_attn")))
    weights = (*batch, *heads, target, source + extra)
    keys = f"S = {source}" if not extra else f"S = {source} + {extra} (add_bias_kv, add_zero_attn)"
    return Derivation((output, weights), formula + f"; weights {list(weights)} (L = {target}, {keys})")


@rule("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder")
def _transformer_block(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    return Derivation((inputs[0],), "same shape as its first input (src or tgt)")


@rule("Transformer")
def _transformer(attrs: Mapping[str, Any], inputs: Sequence[Shape]) -> Derivation:
    if len(inputs) < 2:
        raise ValueError("Transformer takes src and tgt")
    return Derivation((inputs[1],), "same shape as tgt")
