"""The words of `shapetrace.summary()`, the torchinfo-style summary: its headers, totals and memory
estimate, and the usage errors of torchinfo's arguments."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, Any]] = {
    "summary.layer": {"en": "Layer (type)", "zh": "层 (类型)"},
    "summary.layer_depth": {"en": "Layer (type:depth-idx)", "zh": "层 (类型:深度-序号)"},
    "summary.layer_var": {"en": "Layer (type (var_name))", "zh": "层 (类型 (变量名))"},
    "summary.layer_var_depth": {
        "en": "Layer (type (var_name):depth-idx)",
        "zh": "层 (类型 (变量名):深度-序号)",
    },
    "summary.col_input_size": {"en": "Input Shape", "zh": "输入形状"},
    "summary.col_output_size": {"en": "Output Shape", "zh": "输出形状"},
    "summary.col_num_params": {"en": "Param #", "zh": "参数量"},
    "summary.col_params_percent": {"en": "Param %", "zh": "参数占比"},
    "summary.col_kernel_size": {"en": "Kernel Shape", "zh": "卷积核形状"},
    "summary.col_groups": {"en": "Groups", "zh": "分组数"},
    "summary.col_mult_adds": {"en": "Mult-Adds", "zh": "乘加数"},
    "summary.col_trainable": {"en": "Trainable", "zh": "可训练"},
    "summary.col_check": {"en": "Check", "zh": "核对"},
    "summary.col_formula": {"en": "Formula", "zh": "公式"},
    "summary.col_receptive_field": {"en": "Receptive field", "zh": "感受野"},
    "summary.failed": {"en": "failed", "zh": "失败"},
    "summary.recursive": {"en": "(recursive)", "zh": "(重复调用)"},
    "summary.trainable_all": {"en": "True", "zh": "是"},
    "summary.trainable_none": {"en": "False", "zh": "否"},
    "summary.trainable_partial": {"en": "Partial", "zh": "部分"},
    "summary.total_params": {"en": "Total params: {count}", "zh": "参数总量: {count}"},
    "summary.trainable_params": {"en": "Trainable params: {count}", "zh": "可训练参数: {count}"},
    "summary.frozen_params": {"en": "Non-trainable params: {count}", "zh": "不可训练参数: {count}"},
    "summary.mult_adds": {
        "en": "Total mult-adds ({unit}): {value} ({count} MACs)",
        "zh": "乘加总数 ({unit}): {value} ({count} 次乘加)",
    },
    "summary.no_mult_adds": {
        "en": "Total mult-adds: -- (no input given)",
        "zh": "乘加总数: -- (未给出输入)",
    },
    "summary.input_size": {"en": "Input size (MB): {size}", "zh": "输入大小 (MB): {size}"},
    "summary.pass_size": {
        "en": "Forward/backward pass size (MB): {size}",
        "zh": "前向/反向传播大小 (MB): {size}",
    },
    "summary.params_size": {"en": "Params size (MB): {size}", "zh": "参数大小 (MB): {size}"},
    "summary.total_size": {"en": "Estimated Total Size (MB): {size}", "zh": "估计总大小 (MB): {size}"},
    "summary.convention": {
        "en": "MB = 10^6 bytes, as torchinfo prints them. Forward/backward pass: twice (outputs and their\n"
        "gradients) the outputs of the layers that hold parameters, torchinfo's estimate. Parameters:\n"
        "each tensor once (tied weights too). Mult-adds: multiply-accumulates as PyTorch counts them,\n"
        "bias excluded, every batch element and position counted.",
        "zh": "MB = 10^6 字节, 与 torchinfo 相同。前向/反向传播: 含参数的层的输出的两倍 (输出及其梯度),\n"
        "即 torchinfo 的估计。参数: 每个张量只计一次 (共享权重亦然)。乘加数: 按 PyTorch 的计数,\n"
        "不含偏置, 计入每个批次元素和每个位置。",
    },
    "summary.no_input_note": {
        "en": "No input given: shapes, mult-adds and the pass size need one (input_size or input_data).",
        "zh": "未给出输入: 形状、乘加数和传播大小都需要输入 (input_size 或 input_data)。",
    },
    "usage.batch_dim": {
        "en": "batch_dim takes a whole number (the dim to insert a batch of one at) or None, got {batch_dim}",
        "zh": "batch_dim 只接受整数 (插入大小为 1 的批次维的位置) 或 None, 实际为 {batch_dim}",
    },
    "usage.batch_dim_range": {
        "en": "batch_dim={batch_dim} is outside input_size {sizes}",
        "zh": "batch_dim={batch_dim} 超出 input_size {sizes} 的范围",
    },
    "usage.forward_kwargs": {
        "en": "forward's keyword arguments must be a mapping of names to values, got {kind}",
        "zh": "forward 的关键字参数必须是名称到值的映射, 实际为 {kind}",
    },
    "usage.mode": {
        "en": 'mode takes "train", "eval" or "same", got {mode}',
        "zh": 'mode 只接受 "train"、"eval" 或 "same", 实际为 {mode}',
    },
    "usage.summary_column": {
        "en": "unknown column {column}; the columns are {choices}",
        "zh": "未知的列 {column}; 可选的列为 {choices}",
        "cli": {
            "en": "--columns: unknown column {column}; the columns are {choices}",
            "zh": "--columns: 未知的列 {column}; 可选的列为 {choices}",
        },
    },
    "usage.summary_row_setting": {
        "en": "unknown row setting {setting}; the row settings are {choices}",
        "zh": "未知的行设置 {setting}; 可选的行设置为 {choices}",
    },
    "usage.summary_verbose": {
        "en": "verbose takes 0, 1 or 2, got {verbose}",
        "zh": "verbose 只接受 0、1 或 2, 实际为 {verbose}",
    },
    "usage.summary_col_width": {
        "en": "col_width must be a whole number of at least 1, got {col_width}",
        "zh": "col_width 必须是不小于 1 的整数, 实际为 {col_width}",
    },
    "usage.summary_depth": {
        "en": "depth must be a whole number of at least 0, got {depth}",
        "zh": "depth 必须是不小于 0 的整数, 实际为 {depth}",
    },
    "usage.summary_table": {
        "en": "--columns and --ascii shape the summary table: use them with --format table (the default), "
        "not with --style d2l or --quiz",
        "zh": "--columns 和 --ascii 只作用于摘要表格: 请用 --format table (默认), 不要与 --style d2l 或 --quiz 同用",
    },
    "help.columns": {
        "en": "print a torchinfo-style summary with these columns, comma-separated: input_size, output_size, "
        "num_params, params_percent, kernel_size, groups, mult_adds, trainable, check, formula, "
        "receptive_field",
        "zh": "按 torchinfo 的样式打印摘要, 列用逗号分隔: input_size、output_size、num_params、params_percent、"
        "kernel_size、groups、mult_adds、trainable、check、formula、receptive_field",
    },
    "help.ascii": {
        "en": "draw the torchinfo-style summary with ASCII characters only (with or without --columns)",
        "zh": "只用 ASCII 字符绘制 torchinfo 样式的摘要 (可与 --columns 同用)",
    },
}
