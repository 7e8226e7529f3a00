"""Messages of the closed forms: each size as a form of the input size, the flattened size, and the
inputs that fit the Linear after it."""

from __future__ import annotations

from typing import Any

__all__ = ["MESSAGES"]

MESSAGES: dict[str, dict[str, Any]] = {
    "form.header": {"en": "Closed form", "zh": "闭式"},
    "form.legend": {
        "en": "Closed form: each output size as a function of the input's {symbols} (⌊x⌋ rounds down; "
        "one form stands for every dim where they agree)",
        "zh": "闭式: 每个输出尺寸表示为输入 {symbols} 的函数 (⌊x⌋ 为向下取整; 各维相同时只写一个)",
    },
    "form.flatten": {
        "en": "Flatten {name}: {expression} features; {linear} needs {features} (its in_features)",
        "zh": "展平 {name}: {expression} 个特征; {linear} 需要 {features} 个 (其 in_features)",
    },
    "form.flatten_alone": {
        "en": "Flatten {name}: {expression} features",
        "zh": "展平 {name}: {expression} 个特征",
    },
    "form.square": {
        "en": "{equations} ⇔ {first} ≤ {symbol} ≤ {last}: square inputs from {first} to {last} fit",
        "zh": "{equations} ⇔ {first} ≤ {symbol} ≤ {last}: 边长 {first} 到 {last} 的方形输入可行",
    },
    "form.square_open": {
        "en": "{equations} for every {symbol} ≥ {first}: square inputs from {first} up fit",
        "zh": "对所有 {symbol} ≥ {first} 有 {equations}: 边长不小于 {first} 的方形输入可行",
    },
    "form.square_one": {
        "en": "{equations} ⇔ {symbol} = {first}: only square inputs of {first} fit",
        "zh": "{equations} ⇔ {symbol} = {first}: 只有边长 {first} 的方形输入可行",
    },
    "form.constant": {
        "en": "{expression} does not depend on the input size: every input with {bounds} fits",
        "zh": "{expression} 与输入尺寸无关: 所有满足 {bounds} 的输入都可行",
    },
    "form.boxes": {
        "en": "every input that fits: {boxes}",
        "zh": "所有可行的输入: {boxes}",
    },
    "form.no_square": {
        "en": "no square input fits; shapes that fit: {boxes}",
        "zh": "没有可行的方形输入; 可行的形状: {boxes}",
    },
    "form.none_multiple": {
        "en": "no input fits: {features} is not a multiple of the {channels} channels",
        "zh": "没有可行的输入: {features} 不是通道数 {channels} 的倍数",
    },
    "form.none": {
        "en": "no input fits: no sizes give {expression} = {features}",
        "zh": "没有可行的输入: 没有尺寸能使 {expression} = {features}",
    },
    "form.lowest": {
        "en": " (every window on the way needs {symbol} ≥ {lowest})",
        "zh": " (沿途每个窗口都要求 {symbol} ≥ {lowest})",
    },
    "form.jump": {
        "en": "The {m} in /{m} is the receptive field's jump at {name}: one more unit of its map takes "
        "{m} more input pixels, so each size holds for {m} input sizes",
        "zh": "/{m} 中的 {m} 就是 {name} 处感受野的跳步: 其特征图每多一个单元就要多 {m} 个输入像素, "
        "所以每个尺寸对应 {m} 个输入尺寸",
    },
    "form.stop": {
        "en": "No closed form from {name} ({type}) on: {reason}",
        "zh": "从 {name} ({type}) 起没有闭式: {reason}",
    },
    "form.no_ceil_padding": {
        "en": "a pool in ceil_mode with padding may drop a last window that starts in the padding",
        "zh": "带填充的 ceil_mode 池化可能丢弃从填充区开始的最后一个窗口",
    },
    "form.no_ceil_stride": {
        "en": "a pool in ceil_mode whose stride is larger than its window skips input, unevenly",
        "zh": "步幅大于窗口的 ceil_mode 池化会不均匀地跳过输入",
    },
    "form.no_times_floor": {
        "en": "multiplying a size that was rounded down (k·⌊x/m⌋) gives no form ⌊(n·H + a)/m⌋",
        "zh": "对向下取整过的尺寸再做乘法 (k·⌊x/m⌋) 得不到 ⌊(n·H + a)/m⌋ 形式",
    },
    "form.no_output_size": {
        "en": "forward is given the output size",
        "zh": "forward 直接给定了输出尺寸",
    },
    "form.no_scale": {
        "en": "a scale factor of {factor} is not a whole number",
        "zh": "缩放因子 {factor} 不是整数",
    },
    "form.no_weight": {
        "en": "the kernel's size cannot be read from the weight",
        "zh": "无法从权重读出卷积核大小",
    },
    "form.no_rule": {
        "en": "{type} has no closed-form rule",
        "zh": "{type} 没有闭式规则",
    },
    "form.no_merge": {
        "en": "it joins maps whose sizes are different forms of the input size",
        "zh": "它合并的特征图尺寸是输入尺寸的不同闭式",
    },
}
