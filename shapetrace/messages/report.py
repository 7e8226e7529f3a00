"""The words of the renderings: the table and its footer, the comparison, the solver's answer and the
diagram."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    "report.title": neutral("shapetrace: {model}"),
    "report.headers": {
        "en": "Layer|Type|Config|Output shape|Params|MACs",
        "zh": "层|类型|配置|输出形状|参数量|乘加数 (MACs)",
    },
    "report.derivation": {"en": "Derivation", "zh": "推导"},
    "report.field_header": {"en": "Receptive field", "zh": "感受野"},
    "report.field": {"en": "{size} (jump {jump})", "zh": "{size} (跳步 {jump})"},
    "report.field_footer": {
        "en": "Receptive field of {name} ({type}), the last spatial layer: {size} input pixels, jump {jump}",
        "zh": "最后一个空间层 {name} ({type}) 的感受野: {size} 个输入像素, 跳步 {jump}",
    },
    "report.field_footer_partial": {
        "en": "Receptive field of {name} ({type}): {size} input pixels, jump {jump}; "
        "unknown from {unknown} on (transposed convolutions, resampling and padding layers end it)",
        "zh": "{name} ({type}) 的感受野: {size} 个输入像素, 跳步 {jump}; 自 {unknown} 起未知 "
        "(转置卷积、重采样与填充层之后不再计算)",
    },
    "report.input": {"en": "Input: {inputs} {dtype} on {device}", "zh": "输入: {inputs} {dtype} ({device})"},
    "report.output": {"en": "  ->  output: {outputs}", "zh": "  ->  输出: {outputs}"},
    "report.params": {
        "en": "Params: {total} total, {trainable} trainable, {frozen} non-trainable ({size})",
        "zh": "参数量: 共 {total}, 可训练 {trainable}, 不可训练 {frozen} ({size})",
    },
    "report.macs": {
        "en": "MACs: {macs} ({macs_si})   FLOPs = 2 x MACs = {flops} ({flops_si})",
        "zh": "乘加数 (MACs): {macs} ({macs_si})   FLOPs = 2 x MACs = {flops} ({flops_si})",
    },
    "report.activations": {
        "en": "Activations (outputs of leaf calls): {size}",
        "zh": "激活 (各叶子层输出之和): {size}",
    },
    "report.convention": {
        "en": "Convention: MACs are multiply-accumulates of convolutions, Linear, Bilinear, RNN/GRU/LSTM,\n"
        "attention and matrix products (matmul, bmm, einsum), bias excluded, every batch element and\n"
        "position counted (Linear on (B, T, in): B*T*in*out); elementwise ops are not MACs. "
        "FLOPs = 2 x MACs.",
        "zh": "约定: MACs 为卷积、Linear、Bilinear、RNN/GRU/LSTM、注意力与矩阵乘 (matmul、bmm、einsum)\n"
        "的乘加次数, 不计偏置, 计入批量中的每个样本和每个位置 (Linear 作用于 (B, T, in): B*T*in*out);\n"
        "逐元素运算不计入。FLOPs = 2 x MACs。",
    },
    "report.checks": {
        "en": "Cross-check against the formulas: {ok} ok, {mismatch} mismatch, {unchecked} unchecked "
        "(containers and layers without a formula)",
        "zh": "公式交叉验证: {ok} 项一致, {mismatch} 项不符, {unchecked} 项未验证 (容器及无公式的层)",
    },
    "report.mismatch_row": {
        "en": "{actual}  MISMATCH, expected {expected}",
        "zh": "{actual}  不符, 应为 {expected}",
    },
    "report.mismatch_inside": {"en": "{actual}  (MISMATCH inside)", "zh": "{actual}  (内部有不符)"},
    "report.mismatch_note": {"en": "MISMATCH {name}: {note}", "zh": "不符 {name}: {note}"},
    "report.layout_note": {"en": "Note on {name} ({type}): {note}", "zh": "注意 {name} ({type}): {note}"},
    "report.reused": {
        "en": "*N: the N-th call of a module used more than once; its parameters count once in the totals.",
        "zh": "*N: 被多次调用的模块的第 N 次调用; 其参数在总数中只计一次。",
    },
    "report.failed_here": {"en": "FAILED here", "zh": "在此失败"},
    "report.failed_inside": {"en": "(failed inside)", "zh": "(内部失败)"},
    "report.failure": {
        "en": "Forward pass failed in '{layer}'{kind}: {message}",
        "zh": "前向传播在 '{layer}'{kind} 失败: {message}",
    },
    "report.failure_kind": neutral(" ({type})"),
    "report.hint": {"en": "Hint: {hint}", "zh": "提示: {hint}"},
    "report.textbook": {"en": "d2l: {textbook}", "zh": "教材写法: {textbook}"},
    # two or more models side by side
    "compare.input": {"en": "input", "zh": "输入"},
    "compare.output": {"en": "output", "zh": "输出"},
    "compare.leaf_calls": {"en": "leaf calls", "zh": "叶子层调用"},
    "compare.params": {"en": "params", "zh": "参数量"},
    "compare.param_size": {"en": "param size", "zh": "参数大小"},
    "compare.macs": {"en": "MACs", "zh": "乘加数 (MACs)"},
    "compare.activations": {"en": "activations", "zh": "激活"},
    "compare.failed": {"en": "failed", "zh": "失败"},
    "compare.failure": {
        "en": "{model}: forward pass failed in {layer}: {message}",
        "zh": "{model}: 前向传播在 {layer} 失败: {message}",
    },
    # the solver's answer
    "solve.title": {
        "en": "shapetrace: {model}: input sizes {lo}..{hi} ({dims}; input {shape} otherwise)",
        "zh": "shapetrace: {model}: 输入尺寸 {lo}..{hi} ({dims}; 其余同输入 {shape})",
    },
    "solve.dims_square": neutral("H = W"),
    "solve.dims_h": neutral("H"),
    "solve.dims_w": neutral("W"),
    "solve.dims_length": {"en": "length", "zh": "长度"},
    "solve.sizes": {"en": "sizes", "zh": "尺寸"},
    "solve.output": {"en": "output", "zh": "输出"},
    "solve.fails_at": {
        "en": "fails at {layer}{example}: {reason}",
        "zh": "在 {layer} 失败{example}: {reason}",
    },
    "solve.fails": {"en": "fails{example}: {reason}", "zh": "失败{example}: {reason}"},
    "solve.example": {"en": " (at {size})", "zh": " (如 {size})"},
    "solve.works": {
        "en": "Works for {works}; the smallest is {smallest}.",
        "zh": "可运行的尺寸: {works}; 最小为 {smallest}。",
    },
    "solve.none_at_input": {
        "en": "No size in {lo}..{hi} works. At the given input: {failure}",
        "zh": "{lo}..{hi} 中没有可运行的尺寸。在给定输入下: {failure}",
    },
    "solve.none": {"en": "No size in {lo}..{hi} works.", "zh": "{lo}..{hi} 中没有可运行的尺寸。"},
    "solve.first_formula": {"en": "Output size of {layer}: {formula}", "zh": "{layer} 的输出尺寸: {formula}"},
    "solve.found_closed": {
        "en": "Found by: the closed forms of the sizes (replayed only where an outcome can change), "
        "confirmed by {passes} {where} passes.",
        "zh": "求解方法: 尺寸的闭式 (只在结果可能变化处重放), 并以 {passes} 次{where}前向传播确认。",
    },
    "solve.found_analytic": {
        "en": "Found by: replayed with the formulas, confirmed by {passes} {where} passes.",
        "zh": "求解方法: 用公式重放, 并以 {passes} 次{where}前向传播确认。",
    },
    "solve.found_nothing_ran": {
        "en": "Found by: {passes} {where} passes (no size ran, so there was nothing to replay).",
        "zh": "求解方法: {passes} 次{where}前向传播 (没有能运行的尺寸, 无从重放)。",
    },
    "solve.found_exhaustive": {
        "en": "Found by: {passes} {where} passes (the formulas could not replay this model).",
        "zh": "求解方法: {passes} 次{where}前向传播 (公式无法重放此模型)。",
    },
    "solve.stopped": {
        "en": "Stopped after {budget} s, the time budget: sizes {lo}..{checked} checked, {rest}..{hi} not.",
        "zh": "已用完时间预算 {budget} 秒, 搜索提前停止: 已检查尺寸 {lo}..{checked}, 未检查 {rest}..{hi}。",
    },
    "solve.stopped_none": {
        "en": "Stopped after {budget} s, the time budget, before any size was checked.",
        "zh": "已用完时间预算 {budget} 秒, 搜索在检查任何尺寸之前停止。",
    },
    "solve.where_meta": {"en": "meta-device", "zh": " meta 设备"},
    "solve.where_cpu": {"en": "CPU", "zh": " CPU 上的"},
    "solve.where_cuda": {"en": "CUDA", "zh": " CUDA 上的"},
    "solve.found_partial": {
        "en": "Found by: {passes} forward passes, as many as the time budget allowed.",
        "zh": "求解方法: {passes} 次前向传播, 时间预算只够这么多。",
    },
    "solve.failure": neutral("{layer}: {hint}"),
    "solve.exception": neutral("{text}"),
    # the diagram
    "diagram.title": {"en": "{model}: input {inputs}", "zh": "{model}: 输入 {inputs}"},
    "diagram.input": {"en": "input", "zh": "输入"},
    "diagram.concat": {"en": "concat", "zh": "拼接"},
    "diagram.output": {"en": "output", "zh": "输出"},
}
