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
}
