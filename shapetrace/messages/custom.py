"""The words of rules of the user's own (shapetrace.custom) and of testing them (shapetrace.testing).
A user's own text (a rule's explain= text, a refusal) is shown as given, in every language."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    # a user's rule in its own words
    "derive.given": neutral("{text}"),
    "refuse.given": neutral("{text}"),
    "derive.user_rule": {"en": "by the {layer} rule: {shapes}", "zh": "按 {layer} 的规则: {shapes}"},
    "check.rule_returned": {
        "en": "not checked: the {rule} rule returned {value}, not output shapes",
        "zh": "未验证: {rule} 的规则返回了 {value}, 而不是输出形状",
    },
    "check.explain_missing": {
        "en": "not checked: the explain text of the {rule} rule names {{{name}}}, which neither the "
        "layer's attributes nor the rule's values hold",
        "zh": "未验证: {rule} 规则的 explain 文本引用了 {{{name}}}, 但层的属性和规则返回的值中都没有它",
    },
    # registering one
    "usage.rule_not_a_layer": {
        "en": "register_rule needs a subclass of torch.nn.Module, got {layer}",
        "zh": "register_rule 需要 torch.nn.Module 的子类, 实际为 {layer}",
    },
    "usage.rule_torch_layer": {
        "en": "{layer} is one of torch's own layers, whose rules shapetrace has: register a subclass of yours",
        "zh": "{layer} 是 torch 自带的层, shapetrace 已有其规则: 请为你自己的子类注册",
    },
    "usage.rule_twice": {
        "en": "a rule for {layer} is already registered (replace=True puts the new one in its place)",
        "zh": "{layer} 的规则已经注册过 (replace=True 会用新规则替换它)",
    },
    "usage.rule_nothing": {
        "en": "the rule for {layer} needs shape= or macs=",
        "zh": "{layer} 的规则需要 shape= 或 macs=",
    },
    "usage.rule_explain": {
        "en": "explain= of the rule for {layer} must be a format string with named fields, such as "
        '"h\' = ⌊({{h}} − {{k}})/{{s}}⌋ + 1 = {{out}}", got {explain}',
        "zh": "{layer} 规则的 explain= 须为带命名字段的格式字符串, 例如 "
        '"h\' = ⌊({{h}} − {{k}})/{{s}}⌋ + 1 = {{out}}", 实际为 {explain}',
    },
    # shapetrace.testing: a rule against PyTorch
    "testing.needs_hypothesis": {
        "en": "shapetrace.testing needs hypothesis: pip install hypothesis",
        "zh": "shapetrace.testing 需要 hypothesis: pip install hypothesis",
    },
    "testing.disagrees": {
        "en": "the shape rule of {layer} disagrees with PyTorch on input {input}\n  layer:   {module}\n"
        "  PyTorch: {torch}\n  rule:    {rule}",
        "zh": "{layer} 的形状规则与 PyTorch 不一致, 输入为 {input}\n  层:      {module}\n"
        "  PyTorch: {torch}\n  规则:    {rule}",
    },
    "testing.layer_at": {"en": "{type} (layer {name})", "zh": "{type} (第 {name} 层)"},
    "testing.raises": {"en": "raises {error}", "zh": "报错 {error}"},
    "testing.gives": neutral("{shapes}   {derivation}"),
    "testing.refuses": {"en": "refuses: {refusal}", "zh": "拒绝: {refusal}"},
    "testing.cannot_tell": {"en": "cannot tell: {finding}", "zh": "无法判断: {finding}"},
    "testing.no_rule": {
        "en": "none: {type} has no shape rule (shapetrace.register_rule registers one)",
        "zh": "无: {type} 没有形状规则 (可用 shapetrace.register_rule 注册)",
    },
}
