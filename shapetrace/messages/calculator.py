"""The calculator's words: why the formulas refuse a call (formula.*, refuse.*) and each rule's
derivation (derive.*). Arithmetic reads the same in both languages."""

from __future__ import annotations

from typing import Any


def neutral(text: str) -> dict[str, str]:
    """A text that reads the same in every language (arithmetic, code)."""
    return {"en": text, "zh": text}


MESSAGES: dict[str, dict[str, Any]] = {
    # shapetrace.formulas: what PyTorch refuses, in its terms
    "formula.kernel_min": {
        "en": "kernel size must be at least 1, got {kernel}",
        "zh": "卷积核大小至少为 1, 实际为 {kernel}",
    },
    "formula.stride_min": {
        "en": "stride must be at least 1, got {stride}",
        "zh": "步幅至少为 1, 实际为 {stride}",
    },
    "formula.dilation_min": {
        "en": "dilation must be at least 1, got {dilation}",
        "zh": "膨胀系数至少为 1, 实际为 {dilation}",
    },
    "formula.size_min": {
        "en": "input size must be at least 1, got {size}",
        "zh": "输入尺寸至少为 1, 实际为 {size}",
    },
    "formula.same_strided": {
        "en": "padding='same' is not supported for strided convolutions",
        "zh": "步幅大于 1 的卷积不支持 padding='same'",
    },
    "formula.padding_type": {
        "en": "padding must be an integer, 'same' or 'valid', got {padding}",
        "zh": "padding 须为整数、'same' 或 'valid', 实际为 {padding}",
    },
    "formula.padding_negative": {
        "en": "negative padding is not supported, got {padding}",
        "zh": "不支持负的填充, 实际为 {padding}",
    },
    "formula.span": {
        "en": "the padded input ({size} + 2*{padding} = {padded}) is smaller than the kernel's span "
        "({dilation}*({kernel}-1) + 1 = {span})",
        "zh": "填充后的输入 ({size} + 2*{padding} = {padded}) 小于卷积核的跨度 "
        "({dilation}*({kernel}-1) + 1 = {span})",
    },
    "formula.output_padding_negative": {
        "en": "negative output_padding is not supported, got {output_padding}",
        "zh": "不支持负的 output_padding, 实际为 {output_padding}",
    },
    "formula.output_padding_large": {
        "en": "output_padding ({output_padding}) must be smaller than either stride ({stride}) "
        "or dilation ({dilation})",
        "zh": "output_padding ({output_padding}) 须小于步幅 ({stride}) 或膨胀系数 ({dilation}) 之一",
    },
    "formula.transpose_below_one": {
        "en": "output size ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 "
        "= {result} is below 1",
        "zh": "输出尺寸 ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 "
        "= {result} 小于 1",
    },
    "formula.pool_below_one": {
        "en": "output size floor(({size} + 2*{padding} - {span}{ceil})/{stride}) + 1 = {result} is below 1: "
        "the window ({span}) does not fit in the padded input ({padded})",
        "zh": "输出尺寸 floor(({size} + 2*{padding} - {span}{ceil})/{stride}) + 1 = {result} 小于 1: "
        "窗口 ({span}) 放不进填充后的输入 ({padded})",
    },
    "formula.pool_padding_half": {
        "en": "padding ({padding}) should be at most half of the kernel size ({kernel})",
        "zh": "填充 ({padding}) 不应超过窗口大小 ({kernel}) 的一半",
    },
    "formula.kernel_larger": {
        "en": "the input ({size}) is smaller than the kernel ({kernel})",
        "zh": "输入 ({size}) 小于窗口 ({kernel})",
    },
    "formula.output_size_negative": {
        "en": "output size must not be negative, got {output_size}",
        "zh": "输出尺寸不能为负, 实际为 {output_size}",
    },
    "formula.broadcast_batch": {
        "en": "{what}: batch dims {first} and {second} cannot be broadcast",
        "zh": "{what}: 批量维 {first} 与 {second} 无法广播",
    },
    "formula.matmul_rank": {
        "en": "matmul needs tensors of at least 1 dim, got {a} and {b}",
        "zh": "matmul 需要至少 1 维的张量, 实际为 {a} 与 {b}",
    },
    "formula.matmul_inner": {
        "en": "matmul: {a} @ {b} needs the last size of the first ({last}) to equal the second-to-last size "
        "of the second ({inner})",
        "zh": "matmul: {a} @ {b} 要求第一个的最后一维 ({last}) 等于第二个的倒数第二维 ({inner})",
    },
    "formula.matmul_inner_vector": {
        "en": "matmul: {a} @ {b} needs the last size of the first ({last}) to equal the only size of the "
        "second ({inner})",
        "zh": "matmul: {a} @ {b} 要求第一个的最后一维 ({last}) 等于第二个 (向量) 的长度 ({inner})",
    },
    "formula.einsum_operands": {
        "en": "einsum: the equation has {terms} operand(s) but {tensors} tensor(s) were given",
        "zh": "einsum: 方程有 {terms} 个操作数, 但给了 {tensors} 个张量",
    },
    "formula.einsum_bad": {"en": "einsum: bad subscripts {term}", "zh": "einsum: 下标 {term} 无效"},
    "formula.einsum_ellipses": {
        "en": "einsum: more than one ellipsis in {term}",
        "zh": "einsum: {term} 中有多于一个省略号",
    },
    "formula.einsum_too_many": {
        "en": "einsum: {term} has more subscripts than the {rank} dims of its operand",
        "zh": "einsum: {term} 的下标多于其操作数的 {rank} 个维度",
    },
    "formula.einsum_count": {
        "en": "einsum: {term} has {count} subscripts for an operand of {rank} dims",
        "zh": "einsum: {term} 有 {count} 个下标, 而操作数有 {rank} 个维度",
    },
    "formula.einsum_bad_output": {
        "en": "einsum: bad output {output}",
        "zh": "einsum: 输出下标 {output} 无效",
    },
    "formula.einsum_output_repeat": {
        "en": "einsum: a subscript repeats in the output {output}",
        "zh": "einsum: 输出 {output} 中有重复的下标",
    },
    "formula.einsum_output_unknown": {
        "en": "einsum: output subscript {letter} appears in no operand",
        "zh": "einsum: 输出下标 {letter} 不在任何操作数中",
    },
    "formula.einsum_repeated": {
        "en": "einsum: subscript {name} is repeated for operand {position} with sizes {first} and {size}",
        "zh": "einsum: 下标 {name} 在操作数 {position} 中重复出现, 尺寸分别为 {first} 与 {size}",
    },
    "formula.einsum_broadcast": {
        "en": "einsum: subscript {name} has size {size} for operand {position}, which does not broadcast with "
        "the size {seen} seen before",
        "zh": "einsum: 下标 {name} 在操作数 {position} 中的尺寸为 {size}, 无法与之前的尺寸 {seen} 广播",
    },
    "formula.multi_dot_rank": {
        "en": "multi_dot takes 1-d or 2-d tensors, got {shape}",
        "zh": "multi_dot 只接受 1 维或 2 维张量, 实际为 {shape}",
    },
    "formula.multi_dot_follow": {
        "en": "multi_dot: {shape} does not follow a {columns}-column matrix",
        "zh": "multi_dot: {shape} 接不上一个 {columns} 列的矩阵",
    },
    # shape rules: the arithmetic of each layer, and why a call cannot work
    "derive.dims": neutral("{labels} = {line}"),
    "derive.lines": neutral("{lines}"),
    "derive.conv_line": neutral("⌊({n} + 2·{p} − {d}·({k}−1) − 1)/{s}⌋ + 1 = {result}"),
    "derive.textbook_unit_stride": neutral("{n} − {k} + {p} + 1 = {result}"),
    "derive.textbook_line": neutral("⌊({n} − {k} + {p} + {s})/{s}⌋ = {result}"),
    "derive.same_padding": neutral("{n} (padding='{padding}') = {result}"),
    "derive.ceil_line": neutral("⌈({n} + 2·{p} − {d}·({k}−1) − 1)/{s}⌉ + 1 = {result}"),
    "derive.ceil_dropped": {
        "en": "{line}, but the last window would start at ({rounded}−1)·{s} ≥ {n} + {p}: {result}",
        "zh": "{line}, 但最后一个窗口将从 ({rounded}−1)·{s} ≥ {n} + {p} 处开始, 被舍去: {result}",
    },
    "derive.adaptive": {"en": "output_size {targets} → {sizes}", "zh": "输出尺寸 {targets} → {sizes}"},
    "refuse.transpose_requested": {
        "en": "output_size {requested} is outside [{smallest}, {largest}]",
        "zh": "output_size {requested} 不在 [{smallest}, {largest}] 之内",
    },
    "derive.transpose_requested": {
        "en": "output_size {requested} (within {smallest}..{largest})",
        "zh": "输出尺寸 {requested} (在 {smallest}..{largest} 之内)",
    },
    "derive.transpose_line": neutral("({n}−1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {result}"),
    "derive.textbook_transpose": neutral("({n}−1)·{s} + {k} − {p} + {op} = {result}"),
    "derive.unpool_requested": {"en": "output_size {sizes}", "zh": "输出尺寸 {sizes}"},
    "derive.unpool_line": neutral("({n}−1)·{s} − 2·{p} + {k} = {result}"),
    "refuse.upsample_rank": {
        "en": "Upsample expects a batched input with spatial sizes, got {shape}",
        "zh": "Upsample 需要带批量维和空间维的输入, 实际为 {shape}",
    },
    "derive.upsample_size": {"en": "size {size}", "zh": "尺寸 {size}"},
    "refuse.upsample_below_one": {
        "en": "Upsample to a size below 1: {sizes}",
        "zh": "Upsample 的目标尺寸小于 1: {sizes}",
    },
    "derive.upsample_scale": neutral("⌊{n}·{factor}⌋ = {result}"),
    "refuse.pixel_shuffle": {
        "en": "PixelShuffle({r}) needs channels divisible by {r}² = {rr}, got {channels}",
        "zh": "PixelShuffle({r}) 要求通道数能被 {r}² = {rr} 整除, 实际为 {channels}",
    },
    "derive.pixel_shuffle": neutral("c' = {c}/{r}² = {out}; h' = {h}·{r}; w' = {w}·{r}"),
    "refuse.pixel_unshuffle": {
        "en": "PixelUnshuffle({r}) needs height and width divisible by {r}, got {h}x{w}",
        "zh": "PixelUnshuffle({r}) 要求高和宽能被 {r} 整除, 实际为 {h}x{w}",
    },
    "derive.pixel_unshuffle": neutral("c' = {c}·{r}² = {out}; h' = {h}/{r}; w' = {w}/{r}"),
    "refuse.reflection_pad": {
        "en": "reflection padding ({before}, {after}) must be below the size {size}",
        "zh": "反射填充 ({before}, {after}) 须小于尺寸 {size}",
    },
    "refuse.circular_pad": {
        "en": "circular padding ({before}, {after}) must be at most the size {size}",
        "zh": "循环填充 ({before}, {after}) 不能超过尺寸 {size}",
    },
    "refuse.pad_negative": {
        "en": "padding ({before}, {after}) removes more than the {size} elements",
        "zh": "填充 ({before}, {after}) 去掉的元素多于现有的 {size} 个",
    },
    "derive.pad_line": neutral("{size} + {before} + {after} = {result}"),
    "refuse.unfold_rank": {
        "en": "Unfold expects a 4-d (or 3-d unbatched) input, got {shape}",
        "zh": "Unfold 需要 4 维 (或无批量维的 3 维) 输入, 实际为 {shape}",
    },
    "derive.unfold": {
        "en": "{c}·{k0}·{k1} = {values} values × {b0}·{b1} = {blocks} blocks",
        "zh": "{c}·{k0}·{k1} = {values} 个值 × {b0}·{b1} = {blocks} 个块",
    },
    "refuse.fold_rank": {
        "en": "Fold expects a 3-d (or 2-d unbatched) input, got {shape}",
        "zh": "Fold 需要 3 维 (或无批量维的 2 维) 输入, 实际为 {shape}",
    },
    "refuse.fold": {
        "en": "Fold needs a multiple of {k0}·{k1} values and {b0}·{b1} blocks, got {values} and {count}",
        "zh": "Fold 需要 {k0}·{k1} 的整数倍个值和 {b0}·{b1} 个块, 实际为 {values} 与 {count}",
    },
    "derive.fold": {
        "en": "{values}/({k0}·{k1}) = {channels} channels; output_size {size}",
        "zh": "{values}/({k0}·{k1}) = {channels} 个通道; 输出尺寸 {size}",
    },
    "refuse.rank": {
        "en": "{name} expects a {batched}-d (batched) or {unbatched}-d (unbatched) input, got {rank}-d {shape}",
        "zh": "{name} 需要 {batched} 维 (带批量维) 或 {unbatched} 维 (无批量维) 输入, 实际为 {rank} 维 {shape}",
    },
    "refuse.channels": {
        "en": "{name} expects {expected} input channels, got {got}",
        "zh": "{name} 需要 {expected} 个输入通道, 实际为 {got}",
    },
    "refuse.linear_features": {
        "en": "Linear expects {expected} input features (the last size), got {got}",
        "zh": "Linear 需要 {expected} 个输入特征 (最后一维), 实际为 {got}",
    },
    "derive.linear": neutral("[…, {features}] × W[{inputs}→{outputs}] → {shape}"),
    "refuse.bilinear_inputs": {"en": "Bilinear takes two inputs", "zh": "Bilinear 需要两个输入"},
    "refuse.bilinear_features": {
        "en": "Bilinear expects {in1} and {in2} features, got {got1} and {got2}",
        "zh": "Bilinear 需要 {in1} 与 {in2} 个特征, 实际为 {got1} 与 {got2}",
    },
    "derive.bilinear": neutral("x1[…, {first}]ᵀ A x2[…, {second}] → {shape}"),
    "derive.flatten": neutral("{product} = {merged} → {shape}"),
    "derive.scalar_flatten": {"en": "a scalar becomes [1]", "zh": "标量变为 [1]"},
    "refuse.flatten_scalar": {
        "en": "Flatten dims {start}..{end} do not fit a 0-d input",
        "zh": "Flatten 的维度 {start}..{end} 不适用于 0 维输入",
    },
    "refuse.flatten_dims": {
        "en": "Flatten dims {start}..{end} do not fit a {rank}-d input",
        "zh": "Flatten 的维度 {start}..{end} 不适用于 {rank} 维输入",
    },
    "refuse.unflatten_zero": {
        "en": "Unflatten cannot infer -1 next to a size 0 in {parts}",
        "zh": "Unflatten 无法在含尺寸 0 的 {parts} 中推断 -1",
    },
    "refuse.unflatten": neutral("Unflatten: {parts} ≠ {size}"),
    "derive.unflatten": neutral("{size} = {parts} → {shape}"),
    "derive.same_shape": {"en": "same shape", "zh": "形状不变"},
    "derive.embedding": {
        "en": "{shape} indices → each a vector of {dim} → {out}",
        "zh": "{shape} 个索引 → 各取一个 {dim} 维向量 → {out}",
    },
    "derive.embedding_bags": {
        "en": "{bags} bags of {count} indices → {bags} vectors of {dim} → {out}",
        "zh": "{bags} 个袋, 每袋 {count} 个索引 → {bags} 个 {dim} 维向量 → {out}",
    },
    "derive.embedding_offsets": {
        "en": "{offsets} offsets → {bags} bags of {dim} → {out}",
        "zh": "{offsets} 个偏移 → {bags} 个 {dim} 维的袋 → {out}",
    },
    "refuse.embedding_bag_rank": {
        "en": "EmbeddingBag expects a 2-d input, or a 1-d input with offsets, got {shape}",
        "zh": "EmbeddingBag 需要 2 维输入, 或带 offsets 的 1 维输入, 实际为 {shape}",
    },
    "refuse.recurrent_rank": {
        "en": "{mode} expects a 3-d (or 2-d unbatched) input, got {shape}",
        "zh": "{mode} 需要 3 维 (或无批量维的 2 维) 输入, 实际为 {shape}",
    },
    "refuse.recurrent_features": {
        "en": "{mode} expects input_size {expected} features, got {got}",
        "zh": "{mode} 需要 input_size {expected} 个特征, 实际为 {got}",
    },
    "derive.recurrent": {
        "en": "output {output} (D·H_out = {directions}·{size}); h_n {h_n}",
        "zh": "输出 {output} (D·H_out = {directions}·{size}); h_n {h_n}",
    },
    "derive.lstm": {
        "en": "output {output} (D·H_out = {directions}·{size}); h_n {h_n}; c_n {c_n}",
        "zh": "输出 {output} (D·H_out = {directions}·{size}); h_n {h_n}; c_n {c_n}",
    },
    "refuse.attention_inputs": {
        "en": "MultiheadAttention takes query, key and value",
        "zh": "MultiheadAttention 需要 query、key 和 value",
    },
    "refuse.attention_embed": {
        "en": "MultiheadAttention expects embed_dim {expected}, got {got}",
        "zh": "MultiheadAttention 需要 embed_dim {expected}, 实际为 {got}",
    },
    "derive.attention_no_weights": {
        "en": "attn_output {output}; need_weights=False: no weights",
        "zh": "attn_output {output}; need_weights=False: 不返回权重",
    },
    "derive.attention": {
        "en": "attn_output {output}; weights {weights} (L = {target}, {keys})",
        "zh": "attn_output {output}; 权重 {weights} (L = {target}, {keys})",
    },
    "derive.keys": neutral("S = {source}"),
    "derive.keys_extra": neutral("S = {source} + {extra} (add_bias_kv, add_zero_attn)"),
    "derive.same_as_first": {
        "en": "same shape as its first input (src or tgt)",
        "zh": "与第一个输入 (src 或 tgt) 形状相同",
    },
    "refuse.transformer_inputs": {"en": "Transformer takes src and tgt", "zh": "Transformer 需要 src 和 tgt"},
    "derive.same_as_tgt": {"en": "same shape as tgt", "zh": "与 tgt 形状相同"},
    "refuse.dim_range": {
        "en": "dim {dim} is out of range for {rank}-d tensors",
        "zh": "维度 {dim} 超出 {rank} 维张量的范围",
    },
    "refuse.cat_rank": {
        "en": "torch.cat needs tensors of one rank, got {first} and {other}",
        "zh": "torch.cat 需要维数相同的张量, 实际为 {first} 与 {other}",
    },
    "refuse.cat_sizes": {
        "en": "torch.cat along dim {dim} needs equal sizes in every other dim: {first} and {other} differ in "
        "dim {axis} ({a} vs {b})",
        "zh": "torch.cat 沿第 {dim} 维拼接, 要求其余各维尺寸相等: {first} 与 {other} 在第 {axis} 维不同 "
        "({a} vs {b})",
    },
    "derive.cat": {
        "en": "dim {dim}: {parts} = {total} → {shape}",
        "zh": "第 {dim} 维: {parts} = {total} → {shape}",
    },
    "refuse.stack_shapes": {
        "en": "torch.stack needs equal shapes, got {first} and {other}",
        "zh": "torch.stack 需要形状相同的张量, 实际为 {first} 与 {other}",
    },
    "derive.stack": {
        "en": "{count} × {shape} stacked at dim {dim} → {out}",
        "zh": "{count} × {shape} 在第 {dim} 维堆叠 → {out}",
    },
    "word.and": {"en": " and ", "zh": " 与 "},
    "refuse.broadcast": {
        "en": "{shapes} cannot be broadcast: dim {dim} has sizes {sizes}",
        "zh": "{shapes} 无法广播: 第 {dim} 维的尺寸为 {sizes}",
    },
    "derive.broadcast": {"en": "broadcast {shapes} → {shape}", "zh": "广播 {shapes} → {shape}"},
    "derive.matmul": {
        "en": "{a} @ {b} → {out} (inner size {inner})",
        "zh": "{a} @ {b} → {out} (内维 {inner})",
    },
    "derive.inner_scalar": {"en": "a scalar times {shape} → {out}", "zh": "标量乘以 {shape} → {out}"},
    "refuse.inner": {
        "en": "inner needs equal last sizes, got {a} and {b}",
        "zh": "inner 要求最后一维相等, 实际为 {a} 与 {b}",
    },
    "derive.inner": {"en": "last dims ({size}) contracted → {out}", "zh": "最后一维 ({size}) 被缩并 → {out}"},
    "refuse.f_linear": {
        "en": "F.linear: the input {shape} needs last size {size} (weight {weight})",
        "zh": "F.linear: 输入 {shape} 的最后一维须为 {size} (权重 {weight})",
    },
    "derive.f_linear": {"en": "last dim {size} → {to}: {out}", "zh": "最后一维 {size} → {to}: {out}"},
    "derive.f_linear_dropped": {
        "en": "last dim {size} → dropped: {out}",
        "zh": "最后一维 {size} → 被消去: {out}",
    },
    "derive.einsum": {"en": "{equation} over {shapes} → {out}", "zh": "{equation} 作用于 {shapes} → {out}"},
    "refuse.attention_shapes": {
        "en": "attention needs query and key of one head size and key and value of one length, got "
        "{q}, {k}, {v}",
        "zh": "注意力要求 query 与 key 的头维相同、key 与 value 的长度相同, 实际为 {q}, {k}, {v}",
    },
    "derive.sdpa": {
        "en": "(L = {target}) × (S = {source}) weights times V → {out}",
        "zh": "(L = {target}) × (S = {source}) 的权重乘以 V → {out}",
    },
    "derive.scalar_transpose": {"en": "a scalar stays a scalar", "zh": "标量仍是标量"},
    "derive.transpose": {
        "en": "dims {first} and {second} swapped → {shape}",
        "zh": "交换第 {first} 维与第 {second} 维 → {shape}",
    },
    "refuse.t_rank": {
        "en": "t() expects a tensor of at most 2 dims, got {shape}",
        "zh": "t() 需要至多 2 维的张量, 实际为 {shape}",
    },
    "derive.t": {"en": "transposed → {shape}", "zh": "转置 → {shape}"},
    "refuse.permute": {
        "en": "permute needs each of the {rank} dims once, got {dims}",
        "zh": "permute 需要 {rank} 个维度各出现一次, 实际为 {dims}",
    },
    "derive.permute": {"en": "dims in order {order} → {out}", "zh": "按 {order} 重排维度 → {out}"},
    "refuse.view_unknowns": {
        "en": "only one size may be -1, got {sizes}",
        "zh": "只能有一个尺寸为 -1, 实际为 {sizes}",
    },
    "refuse.view_size": {
        "en": "shape {sizes} is invalid for an input of size {total} ({shape})",
        "zh": "形状 {sizes} 不适用于大小为 {total} 的输入 ({shape})",
    },
    "derive.view": {"en": "{total} elements as {out}", "zh": "{total} 个元素排成 {out}"},
    "derive.view_inferred": {
        "en": "{total} elements as {out} (-1 = {total} / {known} = {inferred})",
        "zh": "{total} 个元素排成 {out} (-1 = {total} / {known} = {inferred})",
    },
    "derive.unsqueeze": {
        "en": "a size-1 dim inserted at {dim} → {out}",
        "zh": "在第 {dim} 维插入大小为 1 的维 → {out}",
    },
    "derive.squeeze": {"en": "size-1 dims removed → {out}", "zh": "去掉大小为 1 的维 → {out}"},
    "derive.reduce": {"en": "dims {dims} reduced → {out}", "zh": "在维度 {dims} 上归约 → {out}"},
    "derive.reduce_kept": {
        "en": "dims {dims} reduced (kept as 1) → {out}",
        "zh": "在维度 {dims} 上归约 (保留为 1) → {out}",
    },
    # a call the rules cannot check
    "check.packed_sequence": {
        "en": "not checked: a PackedSequence input, whose shapes depend on the lengths",
        "zh": "未验证: 输入是 PackedSequence, 其形状取决于各序列长度",
    },
    "check.einsum_equation": {
        "en": "not checked: the einsum equation was not recorded",
        "zh": "未验证: 没有记录到 einsum 方程",
    },
    "check.view_sizes": {
        "en": "not checked: the new shape is not a list of sizes (view(dtype), view_as?)",
        "zh": "未验证: 新形状不是尺寸列表 (view(dtype), view_as?)",
    },
    "check.named_dims": {"en": "not checked: reduced over named dims", "zh": "未验证: 在命名维度上归约"},
}
