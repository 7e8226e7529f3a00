"""The words of `shapetrace formula`: the workings of an output size (calc.*), its options' help
(help.formula_*) and its usage errors (usage.formula_*). Arithmetic reads the same in both languages."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    # the workings (shapetrace.formulas.workings), laid out by shapetrace.cli.formula
    "calc.torch": {"en": "PyTorch:", "zh": "PyTorch 写法:"},
    "calc.d2l": {"en": "d2l:", "zh": "教材写法:"},
    "calc.output": {"en": "output: {inputs} → {outputs}", "zh": "输出: {inputs} → {outputs}"},
    "calc.refused": neutral("{label}: {reason}"),
    "calc.kind": {
        "en": "kind must be one of {kinds}, got {kind}",
        "zh": "kind 须为 {kinds} 之一, 实际为 {kind}",
    },
    "calc.padding_word": {
        "en": "padding={padding} is a convolution's; a {kind} takes whole numbers",
        "zh": "padding={padding} 只适用于卷积; {kind} 的填充须为整数",
    },
    "calc.same": {
        "en": "{y} = {n} (padding='same' pads d·(k−1) = {total}: {left} before, {right} after)",
        "zh": "{y} = {n} (padding='same' 共填充 d·(k−1) = {total}: 前 {left}, 后 {right})",
    },
    "calc.adaptive_line": {
        "en": "{y} = o = {o}; window i covers ⌊i·{n}/{o}⌋ to ⌈(i+1)·{n}/{o}⌉, {widths} wide",
        "zh": "{y} = o = {o}; 第 i 个窗口从 ⌊i·{n}/{o}⌋ 到 ⌈(i+1)·{n}/{o}⌉, 宽 {widths}",
    },
    "calc.adaptive_empty": neutral("{y} = o = 0"),
    "calc.adaptive_textbook": {
        "en": "{y} = {line}: a pool with k = s = {n}/{o} = {k}",
        "zh": "{y} = {line}: 即 k = s = {n}/{o} = {k} 的池化",
    },
    "calc.adaptive_uneven": {
        "en": "{n} is not a multiple of {o}: no pool with k = s gives these windows",
        "zh": "{n} 不是 {o} 的倍数: 没有 k = s 的池化能给出这些窗口",
    },
    "calc.general_conv": neutral("n' = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1"),
    "calc.general_ceil": {
        "en": "n' = ⌈(n + 2p − d·(k−1) − 1)/s⌉ + 1, less 1 when the last window would start in the right padding",
        "zh": "n' = ⌈(n + 2p − d·(k−1) − 1)/s⌉ + 1, 若最后一个窗口将从右侧填充中开始则减 1",
    },
    "calc.general_same": {
        "en": "n' = n, with d·(k−1) padded in all (stride 1 only)",
        "zh": "n' = n, 共填充 d·(k−1) (仅限步幅 1)",
    },
    "calc.general_textbook": neutral("n' = ⌊(n − k + p + s)/s⌋"),
    "calc.general_no_ceil": {
        "en": "the textbook's formula rounds down; it has no ceil_mode",
        "zh": "教材的公式只向下取整, 没有 ceil_mode",
    },
    "calc.general_transpose": neutral("n' = (n−1)·s − 2p + d·(k−1) + op + 1"),
    "calc.general_textbook_transpose": neutral("n' = (n−1)·s + k − p + op"),
    "calc.general_adaptive": {
        "en": "n' = o; window i covers ⌊i·n/o⌋ to ⌈(i+1)·n/o⌉",
        "zh": "n' = o; 第 i 个窗口从 ⌊i·n/o⌋ 到 ⌈(i+1)·n/o⌉",
    },
    "calc.general_adaptive_textbook": {
        "en": "when n is a multiple of o: a pool with k = s = n/o",
        "zh": "当 n 是 o 的倍数时: 即 k = s = n/o 的池化",
    },
    "calc.legend": {"en": "where {items}", "zh": "其中 {items}"},
    "calc.sym_n": {"en": "n: input size ({labels})", "zh": "n: 输入尺寸 ({labels})"},
    "calc.sym_k": {"en": "k: kernel size", "zh": "k: 卷积核 (窗口) 大小"},
    "calc.sym_s": {"en": "s: stride", "zh": "s: 步幅"},
    "calc.sym_s_pool": {"en": "s: stride (default k)", "zh": "s: 步幅 (默认为 k)"},
    "calc.sym_p": {
        "en": "p: padding (PyTorch: per side, d2l: both sides)",
        "zh": "p: 填充 (PyTorch 为每侧, 教材为两侧合计)",
    },
    "calc.sym_d": {"en": "d: dilation", "zh": "d: 膨胀系数"},
    "calc.sym_d_none": {"en": "d = 1 (no dilation in average pools)", "zh": "d = 1 (平均池化没有膨胀)"},
    "calc.sym_op": {"en": "op: output_padding", "zh": "op: 输出填充 output_padding"},
    "calc.sym_o": {"en": "o: output_size", "zh": "o: 输出尺寸 output_size"},
    "calc.sym_k_dilated": {
        "en": "d2l's k: the dilated span d·(k−1) + 1",
        "zh": "教材的 k: 膨胀后的跨度 d·(k−1) + 1",
    },
    "calc.groups": {
        "en": "groups={groups} splits the channels into groups; it does not change the sizes",
        "zh": "groups={groups} 只把通道分组, 不改变尺寸",
    },
    # usage errors, in the command line's terms
    "usage.formula_no_size": {
        "en": "give the input size: --h N and/or --w N, or --size N[,N[,N]]",
        "zh": "请给出输入尺寸: --h N 和/或 --w N, 或 --size N[,N[,N]]",
    },
    "usage.formula_both_sizes": {
        "en": "give the input size with --h/--w or with --size, not both",
        "zh": "输入尺寸请用 --h/--w 或 --size 之一给出, 不要同时使用",
    },
    "usage.formula_dims": {
        "en": "--size {text}: give one to three sizes (l; h,w; d,h,w)",
        "zh": "--size {text}: 应给出一到三个尺寸 (l; h,w; d,h,w)",
    },
    "usage.formula_number": {
        "en": "{flag} {text}: expected whole numbers separated by commas, e.g. 3 or 3,5",
        "zh": "{flag} {text}: 应为以逗号分隔的整数, 如 3 或 3,5",
    },
    "usage.formula_count": {
        "en": "{flag} {text}: give one value, or one for each of the {dims} input sizes",
        "zh": "{flag} {text}: 请给出一个值, 或为 {dims} 个输入尺寸各给一个",
    },
    "usage.formula_needs": {"en": "formula {kind} needs {flag}", "zh": "formula {kind} 需要 {flag}"},
    "usage.formula_option": {
        "en": "{flag} does not apply to formula {kind}",
        "zh": "{flag} 不适用于 formula {kind}",
    },
    "usage.formula_padding_word": {
        "en": "--padding {text} applies to conv only",
        "zh": "--padding {text} 只适用于 conv",
    },
    "usage.formula_groups": {
        "en": "--groups {text}: expected a whole number of at least 1",
        "zh": "--groups {text}: 应为不小于 1 的整数",
    },
    # shapetrace formula --help
    "help.formula_description": {
        "en": "Work out a layer's output size from the formula, numbers put in, in PyTorch's notation and "
        "in the textbook's (d2l), without PyTorch.",
        "zh": "按公式算出一层的输出尺寸, 代入具体数值, 同时给出 PyTorch 写法与教材 (d2l) 写法; 不需要 PyTorch。",
    },
    "help.formula_epilog": {
        "en": "KIND and the settings it takes:\n"
        "  conv           -k -s -p (a number, same or valid) --d --groups\n"
        "  convtranspose  -k -s -p --d --op --groups\n"
        "  pool           -k -s -p --d --ceil (max pooling)\n"
        "  avgpool        -k -s -p --ceil\n"
        "  adaptive       --out\n"
        "Each setting is one number for every input size, or one per size: -k 3,5.\n\n"
        "examples:\n"
        "  shapetrace formula conv --h 224 --k 11 --s 4 --p 1\n"
        "  shapetrace formula pool --h 13 --w 13 --k 3 --s 2 --ceil\n"
        "  shapetrace calc conv --size 32,32 -k 5 -p same --lang zh\n\n"
        "exit status: 0 success, 2 bad usage or settings PyTorch refuses (the reason on one line).",
        "zh": "KIND 及其可用的设置:\n"
        "  conv           -k -s -p (整数、same 或 valid) --d --groups\n"
        "  convtranspose  -k -s -p --d --op --groups\n"
        "  pool           -k -s -p --d --ceil (最大池化)\n"
        "  avgpool        -k -s -p --ceil\n"
        "  adaptive       --out\n"
        "每个设置可以是一个数 (用于所有尺寸), 也可以每个尺寸各一个: -k 3,5。\n\n"
        "示例:\n"
        "  shapetrace formula conv --h 224 --k 11 --s 4 --p 1\n"
        "  shapetrace formula pool --h 13 --w 13 --k 3 --s 2 --ceil\n"
        "  shapetrace calc conv --size 32,32 -k 5 -p same --lang zh\n\n"
        "退出码: 0 成功, 2 用法错误或 PyTorch 不接受的设置 (原因写在一行中)。",
    },
    "help.formula_kind": {
        "en": "conv, convtranspose, pool (max), avgpool or adaptive",
        "zh": "conv、convtranspose、pool (最大池化)、avgpool 或 adaptive",
    },
    "help.formula_h": {"en": "input height", "zh": "输入高度"},
    "help.formula_w": {"en": "input width", "zh": "输入宽度"},
    "help.formula_size": {
        "en": "input sizes, one to three: l, or h,w, or d,h,w",
        "zh": "输入尺寸, 一到三个: l, 或 h,w, 或 d,h,w",
    },
    "help.formula_kernel": {
        "en": "kernel (window) size: one value, or one per input size (3 or 3,5)",
        "zh": "卷积核 (窗口) 大小: 一个值, 或每个输入尺寸各一个 (3 或 3,5)",
    },
    "help.formula_stride": {
        "en": "stride (default 1; a pool's: its kernel size)",
        "zh": "步幅 (默认 1; 池化默认等于窗口大小)",
    },
    "help.formula_padding": {
        "en": "padding on each side (default 0); conv also takes same or valid",
        "zh": "每侧的填充 (默认 0); conv 还可取 same 或 valid",
    },
    "help.formula_dilation": {"en": "dilation (default 1)", "zh": "膨胀系数 (默认 1)"},
    "help.formula_output_padding": {
        "en": "convtranspose: output_padding (default 0)",
        "zh": "convtranspose: output_padding (默认 0)",
    },
    "help.formula_ceil_mode": {
        "en": "pools: round up (ceil_mode=True)",
        "zh": "池化: 向上取整 (ceil_mode=True)",
    },
    "help.formula_output_size": {"en": "adaptive: the output size", "zh": "adaptive: 输出尺寸"},
    "help.formula_lang": {"en": "language of the workings and the errors", "zh": "推导与错误信息所用的语言"},
    "help.formula_groups": {
        "en": "conv, convtranspose: groups (they do not change the sizes)",
        "zh": "conv、convtranspose: 分组数 (不改变尺寸)",
    },
}
