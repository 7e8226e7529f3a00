"""The words of bad usage (exit 2) and of the command line's own lines: inputs, options, loading a
model, warnings."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    # the inputs of a trace
    "usage.device": {
        "en": "{device} is not a device torch knows ({detail})",
        "zh": "{device} 不是 torch 认识的设备 ({detail})",
    },
    "usage.sizes_whole": {
        "en": "input sizes must be whole numbers, got {sizes}",
        "zh": "输入尺寸必须是整数, 实际为 {sizes}",
    },
    "usage.sizes_negative": {
        "en": "input sizes must not be negative, got {sizes}",
        "zh": "输入尺寸不能为负, 实际为 {sizes}",
    },
    "usage.no_input": {
        "en": "trace() needs input_size or input_data",
        "zh": "trace() 需要 input_size 或 input_data",
    },
    "usage.input_both": {
        "en": "give input_size or input_data, not both",
        "zh": "请给出 input_size 或 input_data, 不要同时给出",
    },
    "usage.input_size_type": {
        "en": "input_size must be a shape, such as (1, 3, 224, 224), or a list of shapes, got {kind}",
        "zh": "input_size 须为一个形状, 如 (1, 3, 224, 224), 或形状的列表, 实际为 {kind}",
    },
    "usage.dtypes": {
        "en": "dtypes takes torch dtypes (torch.int64) or tensor types (torch.LongTensor), got {got}",
        "zh": "dtypes 只接受 torch 的 dtype (torch.int64) 或张量类型 (torch.LongTensor), 实际为 {got}",
    },
    "usage.dtypes_count": {
        "en": "dtypes has {dtypes} entries for {inputs} input(s): give one per input",
        "zh": "dtypes 有 {dtypes} 项, 而输入有 {inputs} 个: 请每个输入给一个",
    },
    "usage.make_input": {
        "en": "cannot create an input of shape {shapes} on {device}: {detail}",
        "zh": "无法在 {device} 上创建形状为 {shapes} 的输入: {detail}",
    },
    "usage.arity": {
        "en": "{model}.forward({parameters}) cannot take {count} input(s) ({detail}); give one shape in "
        "input_size (or one tensor in input_data) per tensor argument, in order",
        "zh": "{model}.forward({parameters}) 不能接受 {count} 个输入 ({detail}); 请为每个张量参数按顺序"
        "在 input_size 中给一个形状 (或在 input_data 中给一个张量)",
        "cli": {
            "en": "{model}.forward({parameters}) cannot take {count} input(s) ({detail}); give one --input "
            "per tensor argument, in order",
            "zh": "{model}.forward({parameters}) 不能接受 {count} 个输入 ({detail}); 请为每个张量参数"
            "按顺序给一个 --input",
        },
    },
    "usage.solve_range": {
        "en": "solve() needs 1 <= lo <= hi, got lo={lo}, hi={hi}",
        "zh": "solve() 需要 1 <= lo <= hi, 实际为 lo={lo}, hi={hi}",
        "cli": {
            "en": "--solve needs 1 <= LO <= HI, got {lo}:{hi}",
            "zh": "--solve 需要 1 <= LO <= HI, 实际为 {lo}:{hi}",
        },
    },
    "usage.solve_spatial": {
        "en": "solving needs an input with spatial sizes (N, C, ...), got {shape}",
        "zh": "求解需要带空间维的输入 (N, C, ...), 实际为 {shape}",
    },
    # the command line's options
    "usage.argparse": {"en": "{detail}", "zh": "命令行参数有误: {detail}"},
    "usage.input_dtype": {
        "en": "--input {text}: unknown dtype {dtype} (choose from {choices})",
        "zh": "--input {text}: 未知的 dtype {dtype} (可选 {choices})",
    },
    "usage.input_empty": {
        "en": "--input is empty: give sizes such as 1,1,224,224",
        "zh": "--input 为空: 请给出尺寸, 如 1,1,224,224",
    },
    "usage.input_missing_size": {
        "en": "--input {text} is malformed: a size is missing (two separators in a row, or one at an end); "
        "expected sizes such as 1,1,224,224",
        "zh": "--input {text} 格式有误: 缺少一个尺寸 (连续两个分隔符, 或分隔符在末尾); 应为 1,1,224,224 这样的尺寸",
    },
    "usage.input_not_number": {
        "en": "--input {text} is malformed: {part} is not a whole number (expected sizes such as 1,1,224,224)",
        "zh": "--input {text} 格式有误: {part} 不是整数 (应为 1,1,224,224 这样的尺寸)",
    },
    "usage.input_below_one": {
        "en": "--input {text}: every size must be at least 1, got {size}",
        "zh": "--input {text}: 每个尺寸至少为 1, 实际为 {size}",
    },
    "usage.kwargs_json": {
        "en": "--kwargs is not valid JSON: {detail}",
        "zh": "--kwargs 不是合法的 JSON: {detail}",
    },
    "usage.kwargs_deep": {
        "en": "--kwargs is nested too deeply to read",
        "zh": "--kwargs 嵌套太深, 无法读取",
    },
    "usage.kwargs_object": {
        "en": "--kwargs must be a JSON object, e.g. '{{\"num_classes\": 100}}'",
        "zh": "--kwargs 必须是 JSON 对象, 如 '{{\"num_classes\": 100}}'",
    },
    "usage.solve_dim_needs_solve": {
        "en": "--solve-dim needs --solve",
        "zh": "--solve-dim 需要与 --solve 一起使用",
    },
    "usage.budget_positive": {
        "en": "the budget must be a positive number of seconds, got {budget}",
        "zh": "时间预算必须是正的秒数, 实际为 {budget}",
        "cli": {
            "en": "--budget must be a positive number of seconds, got {budget}",
            "zh": "--budget 必须是正的秒数, 实际为 {budget}",
        },
    },
    "usage.depth": {
        "en": "--depth must be at least 1, got {depth}",
        "zh": "--depth 至少为 1, 实际为 {depth}",
    },
    "usage.output_empty": {"en": "-o/--output needs a file name", "zh": "-o/--output 需要文件名"},
    "usage.output_format": {
        "en": "cannot tell the format of {path}; add --format",
        "zh": "无法判断 {path} 的格式; 请加上 --format",
    },
    "usage.no_default_input": {
        "en": "{spec} has no default input: give one with --input, e.g. --input 1,3,32,32",
        "zh": "{spec} 没有默认输入: 请用 --input 给出, 如 --input 1,3,32,32",
    },
    "usage.solve_format": {
        "en": "--solve {text}: expected LO:HI, e.g. 1:256",
        "zh": "--solve {text}: 应为 LO:HI, 如 1:256",
    },
    "usage.solve_order": {
        "en": "--solve {text}: need 1 <= LO <= HI",
        "zh": "--solve {text}: 需要 1 <= LO <= HI",
    },
    "usage.solve_many": {
        "en": "--solve {text}: at most 100,000 sizes at once",
        "zh": "--solve {text}: 一次至多 100,000 个尺寸",
    },
    "usage.solve_one_input": {
        "en": "--solve takes a model with one input",
        "zh": "--solve 只适用于单输入模型",
    },
    "usage.solve_dim_shape": {
        "en": "--solve-dim needs an input with two spatial sizes (N, C, H, W)",
        "zh": "--solve-dim 需要有两个空间维的输入 (N, C, H, W)",
    },
    "usage.solve_output": {"en": "--solve prints a table or JSON", "zh": "--solve 只输出表格或 JSON"},
    "usage.cuda": {
        "en": "--device cuda: CUDA is not available on this machine",
        "zh": "--device cuda: 本机没有可用的 CUDA",
    },
    "usage.no_model": {
        "en": "give a MODEL to trace, e.g. shapetrace alexnet (see --list)",
        "zh": "请给出要追踪的模型 MODEL, 如 shapetrace alexnet (见 --list)",
    },
    "usage.quiz_one_model": {"en": "--quiz takes one model", "zh": "--quiz 只适用于单个模型"},
    "usage.quiz_output": {
        "en": "--quiz writes a worksheet and its answer key: give -o FILE.md or -o FILE.html",
        "zh": "--quiz 会写出练习和答案两个文件: 请给出 -o FILE.md 或 -o FILE.html",
    },
    "usage.d2l_table": {
        "en": "--style d2l prints one model's table (no --format, and one MODEL)",
        "zh": "--style d2l 只输出单个模型的表格 (不加 --format, 且只给一个 MODEL)",
    },
    "usage.write": {"en": "cannot write {path}: {detail}", "zh": "无法写入 {path}: {detail}"},
    "usage.no_torch": {
        "en": "PyTorch is not installed: pip install torch",
        "zh": "未安装 PyTorch: pip install torch",
    },
    # loading a model
    "usage.zoo_kwargs": {
        "en": "zoo model '{name}' takes no --kwargs",
        "zh": "内置模型 '{name}' 不接受 --kwargs",
    },
    "usage.unknown_model": {
        "en": "unknown model '{spec}'{close} Give a zoo name ({names}), torchvision:NAME, FILE.py:NAME or "
        "package.module:NAME",
        "zh": "未知模型 '{spec}'{close} 请给出内置模型名 ({names})、torchvision:NAME、FILE.py:NAME "
        "或 package.module:NAME",
    },
    "usage.did_you_mean": {"en": "; did you mean '{name}'?", "zh": "; 您是想用 '{name}' 吗?"},
    "usage.full_stop": {"en": ".", "zh": "。"},
    "usage.no_file": {"en": "no such file: {path}", "zh": "文件不存在: {path}"},
    "usage.not_python": {
        "en": "{path} is not a Python file (expected FILE.py:NAME)",
        "zh": "{path} 不是 Python 文件 (应为 FILE.py:NAME)",
    },
    "usage.cannot_load": {"en": "cannot load {path} as Python", "zh": "无法作为 Python 加载 {path}"},
    "usage.syntax": {"en": "{file}{line}: syntax error: {detail}", "zh": "{file}{line}: 语法错误: {detail}"},
    "usage.line": {"en": ", line {line}", "zh": ", 第 {line} 行"},
    "usage.file_exit": {
        "en": "running {path} called sys.exit({code})",
        "zh": "运行 {path} 时调用了 sys.exit({code})",
    },
    "usage.file_raised": {
        "en": "running {path} raised {exception}: {detail}",
        "zh": "运行 {path} 时抛出 {exception}: {detail}",
    },
    "usage.cannot_import": {"en": "cannot import {module}: {detail}", "zh": "无法导入 {module}: {detail}"},
    "usage.import_exit": {
        "en": "importing {module} called sys.exit({code})",
        "zh": "导入 {module} 时调用了 sys.exit({code})",
    },
    "usage.import_raised": {
        "en": "importing {module} raised {exception}: {detail}",
        "zh": "导入 {module} 时抛出 {exception}: {detail}",
    },
    "usage.no_attribute": {
        "en": "{source} has no '{name}'{close}{defines}",
        "zh": "{source} 中没有 '{name}'{close}{defines}",
    },
    "usage.defines": {"en": " It defines: {names}", "zh": " 其中定义了: {names}"},
    "usage.defines_nothing": {
        "en": " It defines no nn.Module class or function",
        "zh": " 其中没有定义 nn.Module 类或函数",
    },
    "usage.kind_class": {"en": "{name} (nn.Module class)", "zh": "{name} (nn.Module 类)"},
    "usage.kind_function": {"en": "{name} (function)", "zh": "{name} (函数)"},
    "usage.built_kwargs": {
        "en": "{name} is an already built module; it takes no --kwargs",
        "zh": "{name} 是已构建的模块, 不接受 --kwargs",
    },
    "word.a": {"en": "a {type}", "zh": "{type}"},
    "word.an": {"en": "an {type}", "zh": "{type}"},
    "usage.not_callable": {
        "en": "{name} is {kind}, not an nn.Module class or a function returning one",
        "zh": "{name} 是 {kind}, 不是 nn.Module 类, 也不是返回 nn.Module 的函数",
    },
    "usage.not_a_factory": {
        "en": "{name} is neither an nn.Module class nor a function that {source} itself defines; shapetrace "
        "calls nothing else (not a function a module imports, nor one of the standard library)",
        "zh": "{name} 既不是 nn.Module 类, 也不是 {source} 自己定义的函数; shapetrace 不会调用其他任何东西 "
        "(既不调用模块导入的函数, 也不调用标准库的函数)",
    },
    "usage.class_not_module": {
        "en": "{name} is a class but not an nn.Module subclass",
        "zh": "{name} 是一个类, 但不是 nn.Module 的子类",
    },
    "usage.factory_exit": {
        "en": "{name}({call}) called sys.exit({code})",
        "zh": "{name}({call}) 调用了 sys.exit({code})",
    },
    "usage.factory_raised": {
        "en": "{name}({call}) raised {exception}: {detail}",
        "zh": "{name}({call}) 抛出 {exception}: {detail}",
    },
    "usage.returned_not_module": {
        "en": "{name}() returned {kind}, not an nn.Module",
        "zh": "{name}() 返回了 {kind}, 不是 nn.Module",
    },
    "usage.no_torchvision": {
        "en": "torchvision is not installed (pip install torchvision); it is needed for torchvision:NAME",
        "zh": "未安装 torchvision (pip install torchvision); torchvision:NAME 需要它",
    },
    "usage.torchvision_unknown": {
        "en": "torchvision has no model '{name}'{close}",
        "zh": "torchvision 中没有模型 '{name}'{close}",
    },
    "usage.did_you_mean_any": {"en": "; did you mean {names}?", "zh": "; 您是想用 {names} 吗?"},
    # the command line's own lines
    "cli.error": {"en": "shapetrace: error: {message}", "zh": "shapetrace: 错误: {message}"},
    "cli.interrupted": {"en": "shapetrace: interrupted", "zh": "shapetrace: 已中断"},
    "cli.warning": {"en": "shapetrace: warning: {message}", "zh": "shapetrace: 警告: {message}"},
    "cli.failed": {
        "en": "shapetrace: {model}: forward pass failed in {layer}: {message}",
        "zh": "shapetrace: {model}: 前向传播在 {layer} 失败: {message}",
    },
    "cli.strict": {
        "en": "shapetrace: {model}: --strict: shapes differ from the formulas at {names}",
        "zh": "shapetrace: {model}: --strict: {names} 的形状与公式不符",
    },
    "warn.parameters_written": {
        "en": "the model's forward wrote parameter(s) {names} in place; shapetrace cannot undo that",
        "zh": "模型的 forward 原地修改了参数 {names}; shapetrace 无法撤销",
    },
    # the zoo (--list)
    "list.model": {"en": "model", "zh": "模型"},
    "list.default_input": {"en": "default input", "zh": "默认输入"},
    "list.params": {"en": "params", "zh": "参数量"},
    "list.what": {"en": "what it is", "zh": "简介"},
    "zoo.lenet": {
        "en": "LeNet-5 (1998): two conv + sigmoid + avg-pool stages, three Linear layers",
        "zh": "LeNet-5 (1998): 两个 卷积 + sigmoid + 平均池化 单元, 三个全连接层",
    },
    "zoo.alexnet": {
        "en": "AlexNet (2012): five convs, three max-pools, two 4096-wide Linear layers",
        "zh": "AlexNet (2012): 五个卷积层, 三个最大池化层, 两个 4096 宽的全连接层",
    },
    "zoo.vgg11": {
        "en": "VGG-11 (2014): five blocks of 3x3 convs, 25088 -> 4096 -> 4096 -> 10",
        "zh": "VGG-11 (2014): 五个 3x3 卷积块, 25088 -> 4096 -> 4096 -> 10",
    },
    "zoo.nin": {
        "en": "Network in Network (2013): 1x1-conv blocks, global average pooling, no Linear",
        "zh": "网络中的网络 NiN (2013): 1x1 卷积块, 全局平均池化, 没有全连接层",
    },
    "zoo.googlenet": {
        "en": "GoogLeNet (2014): nine Inception blocks of parallel 1x1/3x3/5x5/pool paths",
        "zh": "GoogLeNet (2014): 九个 Inception 块, 每块有 1x1/3x3/5x5/池化 四条并行路径",
    },
    "zoo.resnet18": {
        "en": "ResNet-18 (2015): eight residual blocks with BatchNorm and 1x1 shortcuts",
        "zh": "ResNet-18 (2015): 八个带批量规范化和 1x1 捷径的残差块",
    },
    "neutral.text": neutral("{text}"),
    # --help
    "help.description": {
        "en": "Trace a PyTorch model: every layer's input and output shapes, parameters and MACs.",
        "zh": "追踪 PyTorch 模型: 每一层的输入输出形状、参数量与乘加数 (MACs)。",
    },
    "help.epilog": {
        "en": "MODEL is a zoo name (lenet, alexnet, vgg11, nin, googlenet, resnet18; see --list),\n"
        "torchvision:NAME (when torchvision is installed; no weights are downloaded),\n"
        "FILE.py:NAME or package.module:NAME, where NAME is an nn.Module class or a function that\n"
        "file or module defines, returning one; nothing else is called. Loading FILE.py or\n"
        "package.module runs its code: only load files you trust.\n\n"
        "examples:\n"
        "  shapetrace alexnet --input 1,1,224,224\n"
        "  shapetrace examples/cifar_cnn.py:CifarCNN --input 1,3,32,32 --format json\n"
        "  shapetrace vgg11 --input 1,1,8192,8192     # too big for the CPU: traced on meta\n\n"
        "A layer's output size worked out by hand, without a model (see shapetrace formula --help):\n"
        "  shapetrace formula conv --h 224 --k 11 --s 4 --p 1\n\n"
        "exit status: 0 success, 1 the forward pass failed, 2 bad usage.",
        "zh": "MODEL 可以是内置模型名 (lenet, alexnet, vgg11, nin, googlenet, resnet18; 见 --list)、\n"
        "torchvision:NAME (需安装 torchvision; 不下载权重)、\n"
        "FILE.py:NAME 或 package.module:NAME, 其中 NAME 是 nn.Module 类, 或该文件/模块自己定义的、返回 nn.Module 的函数;\n"
        "其他任何东西都不会被调用。\n"
        "加载 FILE.py 或 package.module 会运行其中的代码: 只加载你信任的文件。\n\n"
        "示例:\n"
        "  shapetrace alexnet --input 1,1,224,224\n"
        "  shapetrace examples/cifar_cnn.py:CifarCNN --input 1,3,32,32 --format json\n"
        "  shapetrace vgg11 --input 1,1,8192,8192     # CPU 放不下: 自动在 meta 设备上追踪\n\n"
        "不用模型, 按公式算出一层的输出尺寸 (见 shapetrace formula --help):\n"
        "  shapetrace formula conv --h 224 --k 11 --s 4 --p 1\n\n"
        "退出码: 0 成功, 1 前向传播失败, 2 用法错误。",
    },
    "help.usage": {"en": "usage: ", "zh": "用法: "},
    "help.positionals": {"en": "positional arguments", "zh": "位置参数"},
    "help.optionals": {"en": "options", "zh": "选项"},
    "help.help": {"en": "show this help message and exit", "zh": "显示本帮助并退出"},
    "help.version": {"en": "show shapetrace's version and exit", "zh": "显示 shapetrace 的版本并退出"},
    "help.models": {"en": "the model(s) to trace", "zh": "要追踪的模型 (可多个)"},
    "help.list": {"en": "list the zoo models and exit", "zh": "列出内置模型后退出"},
    "help.input": {
        "en": "input shape, e.g. 1,1,224,224, optionally with a dtype: 1,16:int64; repeat for a model with "
        "several inputs (default: the zoo model's own)",
        "zh": "输入形状, 如 1,1,224,224, 可附带 dtype: 1,16:int64; 多输入模型可重复给出 (默认: 内置模型自带的输入)",
    },
    "help.dtype": {"en": "input dtype", "zh": "输入的 dtype"},
    "help.device": {
        "en": "auto (default): the CPU where a pass there is cheap, else meta, chosen by cost before "
        "anything is allocated (the output says which and why); meta: model and input on the meta "
        "device, allocating nothing; cpu, cuda: there",
        "zh": "auto (默认): 在分配任何内存之前按开销选择: CPU 上运行代价小时用 CPU, 否则用 meta "
        "(输出会说明选择及原因); meta: 在 meta 设备上构建模型与输入, 不分配任何内存; cpu, cuda: 在该设备上运行",
    },
    "help.format": {"en": "output format (default: table)", "zh": "输出格式 (默认: table)"},
    "help.output": {"en": "write to FILE", "zh": "写入文件 FILE"},
    "help.depth": {
        "en": "show containers down to depth N and fold the rest into them (table, markdown, html; JSON and "
        "CSV keep every call)",
        "zh": "只显示到第 N 层深度的容器, 更深的层并入其中 (table、markdown、html; JSON 与 CSV 保留所有调用)",
    },
    "help.kwargs": {
        "en": "keyword arguments for the model's constructor",
        "zh": "传给模型构造函数的关键字参数",
    },
    "help.explain": {
        "en": "add each layer's shape derivation from the formulas, numbers put in (with d2l's notation)",
        "zh": "给出每层形状的公式推导, 代入具体数值 (并附教材写法)",
    },
    "help.lang": {"en": "language of the table and derivations", "zh": "表格与推导所用的语言"},
    "help.strict": {
        "en": "exit 1 when any layer's shapes disagree with the formulas",
        "zh": "任何一层的形状与公式不符时以退出码 1 退出",
    },
    "help.solve": {
        "en": "list the input sizes (spatial, square by default) for which the model runs (default 1:256)",
        "zh": "列出模型能运行的输入尺寸 (空间尺寸, 默认取正方形; 默认范围 1:256)",
    },
    "help.solve_dim": {
        "en": "with --solve: vary only the height or only the width",
        "zh": "与 --solve 一起: 只改变高度或只改变宽度",
    },
    "help.budget": {
        "en": "stop a search after this many seconds and say how far it got: --solve's (default 60), "
        "and the one for the input sizes that work after a failed pass (default 5)",
        "zh": "搜索在这么多秒后停止, 并说明检查到哪里: --solve 的搜索 (默认 60), "
        "以及前向传播失败后对可用输入尺寸的搜索 (默认 5)",
    },
    "help.quiet": {
        "en": "no progress bar (one is drawn on stderr, when it is a terminal, for work past 2 s)",
        "zh": "不显示进度条 (当 stderr 是终端且工作超过 2 秒时, 会在 stderr 上显示进度条)",
    },
    "help.functional": {
        "en": "also list the torch functions called inside forward (cat, +, flatten, F.relu, ...)",
        "zh": "同时列出 forward 中调用的 torch 函数 (cat、+、flatten、F.relu 等)",
    },
    "help.style": {
        "en": "d2l: print each layer as d2l does, 'Conv2d output shape:\\t torch.Size([1, 6, 28, 28])' "
        "(with --explain, the derivation as a comment)",
        "zh": "d2l: 按 d2l 的方式逐层打印, 'Conv2d output shape:\\t torch.Size([1, 6, 28, 28])' (加 --explain 时附推导注释)",
    },
    "help.quiz": {
        "en": "write a worksheet that hides each layer's output shape (params: and its parameter count) to "
        "-o FILE.md or FILE.html, and its answer key to FILE.key.md or FILE.key.html",
        "zh": "把隐去每层输出形状 (params: 以及参数量) 的练习写到 -o FILE.md 或 FILE.html, 答案写到 FILE.key.md 或 FILE.key.html",
    },
    "help.train": {
        "en": "trace in train mode (default: eval mode, as for inference)",
        "zh": "在训练模式下追踪 (默认: eval 模式, 即推理)",
    },
}
