"""The notes a trace carries under its totals: what shapetrace could not see the usual way (TorchScript
layers, compiled modules) and how it counted them instead."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, Any]] = {
    "note.footer": {"en": "Note: {note}", "zh": "注: {note}"},
    "note.scripted_model": {
        "en": "{model} is a TorchScript module: its layers take no hooks and are not listed; its MACs were "
        "counted per operator by torch.utils.flop_counter.FlopCounterMode (FLOPs / 2)",
        "zh": "{model} 是 TorchScript 模块: 其中的层无法注册钩子, 不逐层列出; 其乘加数由 "
        "torch.utils.flop_counter.FlopCounterMode 按算子统计 (FLOPs / 2)",
    },
    "note.scripted_children": {
        "en": "TorchScript submodules take no hooks and are not listed: {names}; the total MACs were counted "
        "per operator over the whole pass by torch.utils.flop_counter.FlopCounterMode (FLOPs / 2)",
        "zh": "TorchScript 子模块无法注册钩子, 未列出: {names}; 总乘加数由 "
        "torch.utils.flop_counter.FlopCounterMode 在整个前向传播中按算子统计 (FLOPs / 2)",
    },
    "note.compiled_model": {
        "en": "{model} was wrapped by torch.compile: traced through its original module (_orig_mod), "
        "run uncompiled",
        "zh": "{model} 经 torch.compile 包装: 追踪的是其原始模块 (_orig_mod), 以未编译方式运行",
    },
    "note.compiled_children": {
        "en": 'submodules wrapped by torch.compile ran uncompiled (torch.compiler.set_stance("force_eager")): '
        "{names}",
        "zh": '经 torch.compile 包装的子模块以未编译方式运行 (torch.compiler.set_stance("force_eager")): '
        "{names}",
    },
    "note.packed_weights": {
        "en": "quantized layers keep their weights packed, outside parameters(), so Params leaves them out: "
        "{names}",
        "zh": "量化层的权重以打包形式保存, 不在 parameters() 之中, 因此参数量未计入: {names}",
    },
}
