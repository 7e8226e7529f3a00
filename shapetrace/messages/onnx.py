"""The words of the ONNX export and its cross-check against the trace."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, Any]] = {
    "usage.onnx_missing": {
        "en": 'ONNX export needs the onnx extra: pip install "shapetrace[onnx]"',
        "zh": '导出 ONNX 需要 onnx 扩展: pip install "shapetrace[onnx]"',
    },
    "usage.onnx_meta": {
        "en": "ONNX export needs real weights: a model on the meta device has none (trace on cpu)",
        "zh": "导出 ONNX 需要真实的权重: meta 设备上的模型没有权重 (请在 cpu 上追踪)",
        "cli": {
            "en": "--onnx needs real weights: a model on --device meta has none (use --device cpu)",
            "zh": "--onnx 需要真实的权重: --device meta 上的模型没有权重 (请用 --device cpu)",
        },
    },
    "usage.onnx_write": {
        "en": "cannot write the ONNX file {path}: {detail}",
        "zh": "无法写入 ONNX 文件 {path}: {detail}",
    },
    "usage.onnx_one_model": {"en": "--onnx takes one model", "zh": "--onnx 只适用于单个模型"},
    "usage.onnx_solve": {
        "en": "--onnx exports a trace; --solve makes none",
        "zh": "--onnx 导出一次追踪的结果; --solve 不做追踪",
    },
    "usage.onnx_dynamic_dims": {
        "en": "dynamic={names}: the input has {spatial} spatial dims (after batch and channels), "
        "name each once",
        "zh": "dynamic={names}: 输入有 {spatial} 个空间维度 (批量和通道之后), 每个维度给一个名字",
        "cli": {
            "en": "--onnx-dynamic {names}: the input has {spatial} spatial dims (after batch and channels), "
            "name each once (H,W for an image)",
            "zh": "--onnx-dynamic {names}: 输入有 {spatial} 个空间维度 (批量和通道之后), "
            "每个维度给一个名字 (图像为 H,W)",
        },
    },
    "usage.onnx_dynamic_names": {
        "en": "dynamic={names}: the names must be distinct identifiers",
        "zh": "dynamic={names}: 名字必须是互不相同的标识符",
        "cli": {
            "en": "--onnx-dynamic {names}: the names must be distinct identifiers, such as H,W",
            "zh": "--onnx-dynamic {names}: 名字必须是互不相同的标识符, 例如 H,W",
        },
    },
    "usage.onnx_dynamic_needs_onnx": {
        "en": "--onnx-dynamic names the symbolic sizes of an export: it needs --onnx FILE",
        "zh": "--onnx-dynamic 给导出的符号尺寸命名: 需要同时使用 --onnx FILE",
    },
    "help.onnx_dynamic": {
        "en": "with --onnx: export the input's spatial dims as symbols with these names (H,W), "
        "so that the file accepts other sizes",
        "zh": "与 --onnx 一起用: 把输入的空间维度以这些名字 (H,W) 导出为符号, 使文件接受其他尺寸",
    },
    "usage.onnx_no_model": {
        "en": "to_onnx() needs the model: the traced one is gone, pass it as model=",
        "zh": "to_onnx() 需要模型: 追踪过的模型已不存在, 请以 model= 传入",
    },
    "help.onnx": {
        "en": "export to ONNX (every value shaped, checked) and cross-check its shapes against the trace",
        "zh": "导出为 ONNX (每个值都带形状, 已校验), 并与追踪结果交叉验证形状",
    },
    # the exporter's failures: one line each
    "onnx.op_refused": {
        "en": "ONNX export failed: the exporter cannot convert {op} (called in {module}, {type}) to ONNX opset {opset}",
        "zh": "ONNX 导出失败: 导出器无法把 {op} (在 {module} ({type}) 中调用) 转换为 ONNX opset {opset}",
    },
    "onnx.op_refused_top": {
        "en": "ONNX export failed: the exporter cannot convert {op} (called in the model's own forward) to ONNX opset {opset}",
        "zh": "ONNX 导出失败: 导出器无法把 {op} (在模型自身的 forward 中调用) 转换为 ONNX opset {opset}",
    },
    "onnx.export_failed": {
        "en": "ONNX export failed: {message}",
        "zh": "ONNX 导出失败: {message}",
    },
    "onnx.check_failed": {
        "en": "ONNX export failed: the exported file does not pass shape inference or the checker: {message}",
        "zh": "ONNX 导出失败: 导出的文件未通过形状推断或校验: {message}",
    },
    # the cross-check
    "onnx.header": {"en": "ONNX", "zh": "ONNX"},
    "onnx.agree": {"en": "ok", "zh": "一致"},
    "onnx.agree_symbolic": {"en": "ok (symbolic: {names})", "zh": "一致 (符号: {names})"},
    "onnx.differ": {"en": "differs: {shape}", "zh": "不同: {shape}"},
    "onnx.absent": {"en": "none", "zh": "无"},
    "onnx.fused": {
        "en": "fused into the convolution before it by the exporter ({type} in eval mode)",
        "zh": "被导出器融合进它之前的卷积 (eval 模式下的 {type})",
    },
    "onnx.folded": {
        "en": "folded away by the exporter ({type} is an identity in eval mode)",
        "zh": "被导出器折叠掉 (eval 模式下的 {type} 是恒等映射)",
    },
    "onnx.no_node": {
        "en": "no ONNX node carries its name: fused or folded away by the exporter",
        "zh": "没有 ONNX 节点带有它的名字: 被导出器融合或折叠掉",
    },
    "onnx.footer": {
        "en": "ONNX ({path}, opset {opset}, {nodes} nodes, {shaped} of {values} values shaped): "
        "{agree} of {compared} layers agree",
        "zh": "ONNX ({path}, opset {opset}, {nodes} 个节点, {values} 个值中 {shaped} 个带形状): "
        "{compared} 层中 {agree} 层一致",
    },
    "onnx.footer_differ": {
        "en": "ONNX: {name} ({type}) is {shape} in the exported graph ({node}), {traced} in the trace",
        "zh": "ONNX: {name} ({type}) 在导出的图中 ({node}) 为 {shape}, 追踪结果为 {traced}",
    },
    "onnx.footer_absent": {
        "en": "ONNX: no node for {names}: {reason}",
        "zh": "ONNX: {names} 没有对应节点: {reason}",
    },
    "onnx.footer_symbolic": {
        "en": "ONNX: the input's {names} exported symbolic; {count} of the agreeing layers have symbolic "
        "dims, not compared (their fixed dims agree)",
        "zh": "ONNX: 输入的 {names} 以符号导出; 一致的层中 {count} 层带符号维度, 不参与比较 (固定的维度一致)",
    },
    "onnx.in_memory": {"en": "not saved", "zh": "未保存"},
    # the handout's section
    "handout.onnx": {"en": "The exported ONNX graph", "zh": "导出的 ONNX 图"},
    "handout.onnx_intro": {
        "en": "The graph in {path} as Netron draws it, every value with the shape onnx.shape_inference "
        "gave it; the table lists the values on the data path.",
        "zh": "{path} 中的图, 与 Netron 所画相同, 每个值都带有 onnx.shape_inference 推断出的形状; "
        "下表列出数据通路上的各个值。",
    },
    "handout.onnx_value": {"en": "ONNX value", "zh": "ONNX 值"},
    "handout.onnx_shape": {"en": "Shape", "zh": "形状"},
    "handout.onnx_node": {"en": "Made by", "zh": "产生它的节点"},
    "handout.onnx_closed": {"en": "shapetrace's closed form", "zh": "shapetrace 的闭式"},
}
