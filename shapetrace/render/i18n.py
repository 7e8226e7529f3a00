"""The words of the renderings in English and Chinese: one template per message, as data."""

from __future__ import annotations

from typing import Any

__all__ = ["LANGUAGES", "say", "translate_formula"]

LANGUAGES = ("en", "zh")

_MESSAGES: dict[str, dict[str, str]] = {
    "headers": {
        "en": "Layer|Type|Config|Output shape|Params|MACs",
        "zh": "层|类型|配置|输出形状|参数量|乘加数 (MACs)",
    },
    "derivation": {"en": "Derivation", "zh": "推导"},
    "field_header": {"en": "Receptive field", "zh": "感受野"},
    "field": {"en": "{size} (jump {jump})", "zh": "{size} (跳步 {jump})"},
    "field_footer": {
        "en": "Receptive field of {name} ({type}), the last spatial layer: {size} input pixels, jump {jump}",
        "zh": "最后一个空间层 {name} ({type}) 的感受野: {size} 个输入像素, 跳步 {jump}",
    },
    "field_footer_partial": {
        "en": "Receptive field of {name} ({type}): {size} input pixels, jump {jump}; "
        "unknown from {unknown} on (transposed convolutions, resampling and padding layers end it)",
        "zh": "{name} ({type}) 的感受野: {size} 个输入像素, 跳步 {jump}; 自 {unknown} 起未知 "
        "(转置卷积、重采样与填充层之后不再计算)",
    },
    "input": {"en": "Input: {inputs} {dtype} on {device}", "zh": "输入: {inputs} {dtype} ({device})"},
    "output": {"en": "  ->  output: {outputs}", "zh": "  ->  输出: {outputs}"},
    "params": {
        "en": "Params: {total} total, {trainable} trainable, {frozen} non-trainable ({size})",
        "zh": "参数量: 共 {total}, 可训练 {trainable}, 不可训练 {frozen} ({size})",
    },
    "macs": {
        "en": "MACs: {macs} ({macs_si})   FLOPs = 2 x MACs = {flops} ({flops_si})",
        "zh": "乘加数 (MACs): {macs} ({macs_si})   FLOPs = 2 x MACs = {flops} ({flops_si})",
    },
    "activations": {
        "en": "Activations (outputs of leaf calls): {size}",
        "zh": "激活 (各叶子层输出之和): {size}",
    },
    "convention": {
        "en": "Convention: MACs are multiply-accumulates of convolutions, Linear, Bilinear, RNN/GRU/LSTM,\n"
        "attention and matrix products (matmul, bmm, einsum), bias excluded, every batch element and\n"
        "position counted (Linear on (B, T, in): B*T*in*out); elementwise ops are not MACs. "
        "FLOPs = 2 x MACs.",
        "zh": "约定: MACs 为卷积、Linear、Bilinear、RNN/GRU/LSTM、注意力与矩阵乘 (matmul、bmm、einsum)\n"
        "的乘加次数, 不计偏置, 计入批量中的每个样本和每个位置 (Linear 作用于 (B, T, in): B*T*in*out);\n"
        "逐元素运算不计入。FLOPs = 2 x MACs。",
    },
    "checks": {
        "en": "Cross-check against the formulas: {ok} ok, {mismatch} mismatch, {unchecked} unchecked "
        "(containers and layers without a formula)",
        "zh": "公式交叉验证: {ok} 项一致, {mismatch} 项不符, {unchecked} 项未验证 (容器及无公式的层)",
    },
    "mismatch_row": {
        "en": "{actual}  MISMATCH, expected {expected}",
        "zh": "{actual}  不符, 应为 {expected}",
    },
    "mismatch_inside": {"en": "{actual}  (MISMATCH inside)", "zh": "{actual}  (内部有不符)"},
    "mismatch_note": {"en": "MISMATCH {name}: {note}", "zh": "不符 {name}: {note}"},
    "overrides": {
        "en": "{type} overrides {base}.forward, and its output differs from {base}'s formulas",
        "zh": "{type} 重写了 {base}.forward, 其输出与 {base} 的公式不符",
    },
    "differs": {"en": "the output differs from the formulas", "zh": "输出与公式不符"},
    "refused": {
        "en": "PyTorch ran this call, yet the formulas refuse it",
        "zh": "PyTorch 执行了此调用, 但公式判定其不可行",
    },
    "reused": {
        "en": "*N: the N-th call of a module used more than once; its parameters count once in the totals.",
        "zh": "*N: 被多次调用的模块的第 N 次调用; 其参数在总数中只计一次。",
    },
    "failed_here": {"en": "FAILED here", "zh": "在此失败"},
    "failed_inside": {"en": "(failed inside)", "zh": "(内部失败)"},
    "failure": {
        "en": "Forward pass failed in '{layer}'{kind}: {message}",
        "zh": "前向传播在 '{layer}'{kind} 失败: {message}",
    },
    "hint": {"en": "Hint: {hint}", "zh": "提示: {hint}"},
    "textbook": {"en": "d2l: {textbook}", "zh": "教材写法: {textbook}"},
}

# Words that appear inside formulas, and their Chinese.
_FORMULA_WORDS = {
    "same shape": "形状不变",
    "output_size": "输出尺寸",
    "a scalar becomes": "标量变为",
    "same shape as its first input (src or tgt)": "与第一个输入 (src 或 tgt) 形状相同",
    "same shape as tgt": "与 tgt 形状相同",
    "broadcast": "广播",
    " and ": " 与 ",
}


def say(key: str, lang: str = "en", **values: Any) -> str:
    """The message `key` in `lang`, values filled in."""
    templates = _MESSAGES[key]
    return templates.get(lang, templates["en"]).format(**values)


def translate_formula(formula: str, lang: str) -> str:
    """A formula's few words in `lang`; the arithmetic stays as it is."""
    if lang == "en":
        return formula
    for english in sorted(_FORMULA_WORDS, key=len, reverse=True):  # longer phrases first
        formula = formula.replace(english, _FORMULA_WORDS[english])
    return formula
