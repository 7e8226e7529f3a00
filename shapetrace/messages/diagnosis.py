"""The words of the cross-check's findings and of the diagnosis of a failed forward pass."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    # the cross-check's findings
    "check.formulas_explain": {"en": "the formulas explain the failure", "zh": "公式说明了失败的原因"},
    "check.rewrites": {
        "en": "not checked: {type} rewrites {base}.forward ({refusal})",
        "zh": "未验证: {type} 重写了 {base}.forward ({refusal})",
    },
    "check.refused": {
        "en": "PyTorch ran this call, yet the formulas refuse it ({refusal})",
        "zh": "PyTorch 执行了此调用, 但公式判定其不可行 ({refusal})",
    },
    "check.differs": {"en": "the output differs from the formulas", "zh": "输出与公式不符"},
    "check.overrides": {
        "en": "{type} overrides {base}.forward, and its output differs from {base}'s formulas",
        "zh": "{type} 重写了 {base}.forward, 其输出与 {base} 的公式不符",
    },
    "check.time_major": {
        "en": "reads its {shape} input as {steps} time steps of a batch of {batch} (batch_first=False); "
        "batch_first=True reads dim 0 as the batch",
        "zh": "把输入 {shape} 读作 {steps} 个时间步、批量为 {batch} (batch_first=False); "
        "batch_first=True 才把第 0 维读作批量",
    },
    "check.rule_failed": {
        "en": "not checked: the {base} rule failed ({error})",
        "zh": "未验证: {base} 的规则出错 ({error})",
    },
    # where a forward pass failed, and what to change
    "hint.received": {"en": "{layer} ({type}) received {received}", "zh": "{layer} ({type}) 收到 {received}"},
    "word.no_tensors": {"en": "no tensors", "zh": "无张量"},
    "hint.in_forward": {
        "en": "the error is in {model}.forward itself",
        "zh": "错误出在 {model}.forward 本身",
    },
    "hint.in_forward_after": {
        "en": "the error is in {model}.forward itself after {layer} returned",
        "zh": "错误出在 {model}.forward 本身, 在 {layer} 返回之后",
    },
    "hint.linear": {
        "en": "{layer} ({type}) expects {expected:,} input features but receives {got:,} (its input is {shape}). "
        "Fix: set in_features={got}, or change what feeds it.",
        "zh": "{layer} ({type}) 需要 {expected:,} 个输入特征, 但收到 {got:,} 个 (其输入为 {shape})。"
        "修正: 设 in_features={got}, 或修改它前面的层。",
    },
    "hint.linear_flatten": {
        "en": "{layer} ({type}) expects {expected:,} input features but receives {got:,}: {producer} (Flatten) "
        "turned {source} into {dims} = {got:,}. Fix: set in_features={got}.",
        "zh": "{layer} ({type}) 需要 {expected:,} 个输入特征, 但收到 {got:,} 个: {producer} (Flatten) "
        "把 {source} 展平为 {dims} = {got:,}。修正: 设 in_features={got}。",
    },
    "hint.linear_flatten_square": {
        "en": "{layer} ({type}) expects {expected:,} input features but receives {got:,}: {producer} (Flatten) "
        "turned {source} into {dims} = {got:,}. Fix: set in_features={got}, or feed an input that leaves a "
        "{side}×{side} feature map before {producer} ({channels}·{side}·{side} = {expected:,}).",
        "zh": "{layer} ({type}) 需要 {expected:,} 个输入特征, 但收到 {got:,} 个: {producer} (Flatten) "
        "把 {source} 展平为 {dims} = {got:,}。修正: 设 in_features={got}, 或换一个输入, 使 {producer} "
        "之前的特征图为 {side}×{side} ({channels}·{side}·{side} = {expected:,})。",
    },
    "hint.chain_input": {"en": "input {size}", "zh": "输入 {size}"},
    "hint.window": {
        "en": "the spatial size ran out at {layer} ({type}): it receives {received} and {formula}. "
        "Sizes on the way: {chain}. Fix: use a larger input.",
        "zh": "空间尺寸在 {layer} ({type}) 处耗尽: 它收到 {received}, 而{formula}。"
        "途经的尺寸: {chain}。修正: 使用更大的输入。",
    },
    "hint.window_padding": {
        "en": "the spatial size ran out at {layer} ({type}): it receives {received} and {formula}. "
        "Sizes on the way: {chain}. Fix: use a larger input, or padding={padding} on {layer} ({type}) so that "
        "the window fits.",
        "zh": "空间尺寸在 {layer} ({type}) 处耗尽: 它收到 {received}, 而{formula}。"
        "途经的尺寸: {chain}。修正: 使用更大的输入, 或给 {layer} ({type}) 设 padding={padding}, 使窗口放得下。",
    },
    "word.channel": {"en": "{count} channel", "zh": "{count} 个通道"},
    "word.channels": {"en": "{count} channels", "zh": "{count} 个通道"},
    "hint.channels_input": {
        "en": "{layer} ({type}) expects {expected} but receives {got}. Fix: give an input with {expected} "
        "(input_size={input_size}) or build it with in_channels={got}.",
        "zh": "{layer} ({type}) 需要 {expected}, 但收到 {got} 个。修正: 给出 {expected}的输入 "
        "(input_size={input_size}), 或以 in_channels={got} 构建该层。",
        "cli": {
            "en": "{layer} ({type}) expects {expected} but receives {got}. Fix: give an input with {expected} "
            "(--input {cli_input}) or build it with in_channels={got}.",
            "zh": "{layer} ({type}) 需要 {expected}, 但收到 {got} 个。修正: 给出 {expected}的输入 "
            "(--input {cli_input}), 或以 in_channels={got} 构建该层。",
        },
    },
    "hint.channels_inner": {
        "en": "{layer} ({type}) expects {expected} but receives {got}. Fix: build it with in_channels={got}, "
        "or make the layer before it give {expected}.",
        "zh": "{layer} ({type}) 需要 {expected}, 但收到 {got} 个。修正: 以 in_channels={got} 构建该层, "
        "或让它前面的层输出 {expected}。",
    },
    "hint.unbatched": {
        "en": "the input {shape} has no batch dimension: {first} ({first_type}) ran it as one unbatched sample, "
        "and later layers read the channels as the batch{then}. Fix: add the batch dimension: "
        "input_size={input_size}.",
        "zh": "输入 {shape} 没有批量维: {first} ({first_type}) 把它当作一个不带批量维的样本处理, "
        "其后的层便把通道维当成了批量维{then}。修正: 加上批量维: input_size={input_size}。",
        "cli": {
            "en": "the input {shape} has no batch dimension: {first} ({first_type}) ran it as one unbatched "
            "sample, and later layers read the channels as the batch{then}. Fix: add the batch dimension: "
            "--input {cli_input}.",
            "zh": "输入 {shape} 没有批量维: {first} ({first_type}) 把它当作一个不带批量维的样本处理, "
            "其后的层便把通道维当成了批量维{then}。修正: 加上批量维: --input {cli_input}。",
        },
    },
    "hint.unbatched_then": {
        "en": ": {layer} ({type}) receives {received}",
        "zh": ": {layer} ({type}) 收到 {received}",
    },
    "hint.features_elsewhere": {
        "en": "{layer} ({type}) takes its input_size={features} features on the last dim but receives {shape}: "
        "the {features} features are on dim {dim}. Fix: {move} before {layer} ({type}), which gives {moved}.",
        "zh": "{layer} ({type}) 在最后一维上接收 input_size={features} 个特征, 却收到 {shape}: "
        "这 {features} 个特征在第 {dim} 维。修正: 在 {layer} ({type}) 之前做 {move}, 得到 {moved}。",
    },
    "hint.channels_source": {
        "en": "{layer} ({type}) expects {expected} but receives {got}. Fix: build it with in_channels={got}, "
        "or build {settings}.",
        "zh": "{layer} ({type}) 需要 {expected}, 但收到 {got} 个。修正: 以 in_channels={got} 构建该层, "
        "或{settings}。",
    },
    "hint.setting": {
        "en": "{layer} ({type}) with {key}={count}",
        "zh": "以 {key}={count} 构建 {layer} ({type})",
    },
    "hint.settings_and": {"en": " and ", "zh": ", 并"},
    "hint.embedding_input": {
        "en": "{layer} ({type}) looks up rows by integer index but receives {dtype}. Fix: give integer token "
        "ids: dtypes=torch.int64, or input_data as an int64 tensor of shape {input_size}.",
        "zh": "{layer} ({type}) 按整数索引查表, 却收到 {dtype}。修正: 给出整数 token id: "
        "dtypes=torch.int64, 或以形状为 {input_size} 的 int64 张量作 input_data。",
        "cli": {
            "en": "{layer} ({type}) looks up rows by integer index but receives {dtype}. Fix: give integer "
            "token ids: --dtype int64, or a typed input such as --input {cli_input}:int64.",
            "zh": "{layer} ({type}) 按整数索引查表, 却收到 {dtype}。修正: 给出整数 token id: "
            "--dtype int64, 或带类型的输入, 如 --input {cli_input}:int64。",
        },
    },
    "hint.embedding_inner": {
        "en": "{layer} ({type}) looks up rows by integer index but receives {dtype}. Fix: convert what feeds "
        "it to integer indices (.long()).",
        "zh": "{layer} ({type}) 按整数索引查表, 却收到 {dtype}。修正: 把送入它的张量转为整数索引 (.long())。",
    },
    "hint.where": neutral("{layer} ({type})"),
    "word.model_forward": {"en": "the model's forward", "zh": "模型的 forward"},
    "hint.function": {
        "en": "{function} in {where}: {formula}. Its inputs: {sources}.",
        "zh": "{where} 中的 {function}: {formula}。其输入: {sources}。",
    },
    "hint.function_fix": {
        "en": "{function} in {where}: {formula}. Its inputs: {sources}. Fix: make dim {dim} equal: {sides}; "
        "{tail}.",
        "zh": "{where} 中的 {function}: {formula}。其输入: {sources}。修正: 使第 {dim} 维相等: {sides}; "
        "{tail}。",
    },
    "hint.side_gives": {"en": "{side} gives {size}", "zh": "{side} 为 {size}"},
    "hint.sides_and": {"en": " and ", "zh": ", "},
    "hint.side_input_of": {"en": "the input of {where}", "zh": "{where} 的输入"},
    "hint.side_model_input": {"en": "model input {index}", "zh": "模型输入 {index}"},
    "hint.side_operand": {"en": "operand {index}", "zh": "操作数 {index}"},
    "hint.tail_spatial": {
        "en": "pad or crop one of them, or change the padding or stride of a layer that makes them",
        "zh": "对其中之一做填充或裁剪, 或修改产生它们的层的 padding 或 stride",
    },
    "hint.tail_channels": {
        "en": "change the out_channels of a layer that makes them",
        "zh": "修改产生它们的层的 out_channels",
    },
    "hint.tail_other": {
        "en": "change a layer that makes them, or reshape one of them",
        "zh": "修改产生它们的层, 或改变其中之一的形状",
    },
    "hint.source_input_of": {"en": "{shape}, the input of {where}", "zh": "{shape}, 即 {where} 的输入"},
    "hint.source_layer": {"en": "{shape} from {layer}", "zh": "{shape} 来自 {layer}"},
    "hint.source_model_input": {"en": "{shape}, model input {index}", "zh": "{shape}, 模型输入 {index}"},
    "hint.at": {"en": " at {location}", "zh": " (位于 {location})"},
    "hint.context": neutral(" ({hint})"),
    "hint.code_assert": {
        "en": "an assert in the model's code failed{where}{context}.",
        "zh": "模型代码中的 assert 失败{where}{context}。",
    },
    "hint.code_exit": {
        "en": "the model's code called sys.exit{where}{context}.",
        "zh": "模型代码调用了 sys.exit{where}{context}。",
    },
    "hint.code": {
        "en": "not a shape problem: {exception}{where}, a bug in the model's code rather than a size that does "
        "not fit{context}.",
        "zh": "不是形状问题: {exception}{where}, 这是模型代码的错误, 而非尺寸不匹配{context}。",
    },
    "hint.size_works": {"en": "Input {sizes} (H = W) works.", "zh": "输入 {sizes} (H = W) 可以运行。"},
    "hint.sizes_work": {"en": "Inputs {sizes} (H = W) work.", "zh": "输入 {sizes} (H = W) 可以运行。"},
    "hint.sizes_none": {
        "en": "No square input from {lo} to {hi} works.",
        "zh": "从 {lo} 到 {hi} 的正方形输入都无法运行。",
    },
    "hint.sizes_partial": {
        "en": "{sizes} (Only sizes {lo}..{checked} were checked: the search stopped after {budget} s.)",
        "zh": "{sizes} (只检查了尺寸 {lo}..{checked}: 搜索在 {budget} 秒后停止。)",
    },
    "hint.with_sizes": neutral("{hint} {sizes}"),
}
