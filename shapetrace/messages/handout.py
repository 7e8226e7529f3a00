"""The words of the handout: section titles, the lineage of the zoo's networks (after the seed notes),
where parameters and work concentrate, the comparison, the d2l lines and the quiz."""

from __future__ import annotations

from typing import Any

from shapetrace.messages.calculator import neutral

MESSAGES: dict[str, dict[str, Any]] = {
    "handout.lineage": {"en": "Where it comes from", "zh": "来龙去脉"},
    "handout.definition": {"en": "1. The definition", "zh": "1. 网络定义"},
    "handout.definition_folded": {
        "en": "… {count} more lines (the whole definition: print(model))",
        "zh": "… 另有 {count} 行 (完整定义: print(model))",
    },
    "handout.shapes": {"en": "2. Shapes, layer by layer", "zh": "2. 逐层形状推导"},
    "handout.shapes_intro": {
        "en": "Input {inputs}. Each row is one call; under it, its output size worked out from the formulas, in "
        "PyTorch's notation and, in brackets, the textbook's (d2l).",
        "zh": "输入 {inputs}。每行是一次调用; 其下是由公式推出的输出尺寸, 先用 PyTorch 的写法, 方括号中是教材 (d2l) 的写法。",
    },
    "handout.derivations": {"en": "Derivations", "zh": "推导"},
    "handout.concentration": {"en": "Where the parameters and the work are", "zh": "参数与计算量集中在哪里"},
    "handout.top_params": {"en": "Most parameters", "zh": "参数量最多的层"},
    "handout.top_macs": {"en": "Most multiply-accumulates", "zh": "乘加数最多的层"},
    "handout.share": {"en": "share", "zh": "占比"},
    "handout.largest_params": {
        "en": "{layer} ({type}) holds {share} of all parameters.",
        "zh": "{layer} ({type}) 占全部参数的 {share}。",
    },
    "handout.largest_macs": {
        "en": "{layer} ({type}) does {share} of all multiply-accumulates.",
        "zh": "{layer} ({type}) 承担了全部乘加运算的 {share}。",
    },
    "handout.fields": {"en": "Receptive field, layer by layer", "zh": "感受野的增长"},
    "handout.fields_intro": {
        "en": "How many input pixels each output unit sees (size) and how far apart neighbouring units look "
        "(jump, the product of the strides so far).",
        "zh": "每个输出单元能看到多少个输入像素 (大小), 以及相邻单元在输入上相隔多远 (跳步, 即此前各步幅之积)。",
    },
    "handout.field_size": {"en": "size", "zh": "大小"},
    "handout.field_jump": {"en": "jump", "zh": "跳步"},
    "handout.diagram": {"en": "3. The architecture", "zh": "3. 架构图"},
    "handout.diagram_folded": {
        "en": "Blocks deeper than depth {depth} are drawn as one box each; their insides follow.",
        "zh": "深于第 {depth} 层的块各画成一个方框; 其内部结构见下图。",
    },
    "handout.block": {"en": "Inside {name} ({type})", "zh": "{name} ({type}) 的内部"},
    "handout.totals": {"en": "Totals", "zh": "总计"},
    "handout.failure": {"en": "Where the forward pass fails", "zh": "前向传播在哪里失败"},
    "handout.generated": {
        "en": "Made by shapetrace from one forward pass, every shape checked against the formulas.",
        "zh": "由 shapetrace 根据一次前向传播生成, 每个形状都经公式验证。",
    },
    # the zoo's lineage, after the seed notes
    "lineage.lenet": {
        "en": "LeNet (LeCun et al., 1998) is where the line starts: two convolutional units (convolution, "
        "sigmoid, average pooling), then three fully connected layers; (conv + activation + pool) × 2, "
        "(Linear + activation) × 3.",
        "zh": "LeNet (LeCun 等, 1998) 是这条脉络的起点: 两个卷积单元 (卷积、sigmoid、平均池化), 之后是三个全连接层; "
        "即 (卷积 + 激活 + 池化) × 2, (线性层 + 激活) × 3。",
    },
    "lineage.alexnet": {
        "en": "Against LeNet, AlexNet (2012) is larger and deeper: 2 convolutional units become 5, the fully "
        "connected layers are fattened to 4096 features, ReLU replaces the sigmoid, max pooling replaces "
        "average pooling, and Dropout regularises the Linear layers; it was trained with data augmentation. "
        "It began a new wave of neural networks: features learned by the machine instead of designed by hand.",
        "zh": "AlexNet (2012) 相较于 LeNet 稍微加大 (线性层)、加深 (卷积层): 由 2 个卷积单元扩展到 5 个, 最后的全连接层"
        "“变胖”(4096 个特征); 用 ReLU 代替 sigmoid, 用最大池化代替平均池化, 并用 Dropout 约束全连接层; "
        "还使用了数据增强技术。AlexNet 标志着新一轮神经网络热潮的开始, 提取特征从手工设计变为机器学习。",
    },
    "lineage.vgg11": {
        "en": "VGG (2014) builds the network from blocks: each repeats 3×3 convolutions (padding 1, keeping the "
        "size) and ends with a 2×2 max pool that halves it. VGG-11 has 5 such blocks and 3 fully connected "
        "layers, hence its name. LeNet → AlexNet (larger, deeper) → VGG (larger, deeper, modular): no new kind "
        "of layer, only more of them and more parameters, held in check by regularisation and data augmentation.",
        "zh": "VGG (2014) 用块来搭建网络: 每个块重复 3×3 卷积 (padding 1, 尺寸不变), 最后以 2×2 最大池化把宽高减半。"
        "vgg11 由 5 个卷积块 + 3 个全连接层组成, 故名 vgg11。从 LeNet → AlexNet (加大加深) → VGG (加大加深、模块化) "
        "并没有提出太多新结构, 只是增大了模型规模和参数量, 再用正则化限制模型复杂度、避免过拟合, 用数据增强提高精度。",
    },
    "lineage.nin": {
        "en": "NiN (2013) also uses blocks, but drops the fully connected layers: each block is a convolution and "
        "two 1×1 convolutions (a small per-pixel network across channels), the last block gives one channel per "
        "class, and global average pooling shrinks each channel to 1×1 whatever its size, with no learnable "
        "parameters. Most of AlexNet's parameters sit in its Linear layers, so NiN has far fewer; it may train "
        "more slowly.",
        "zh": "NiN (2013) 也使用了块的概念, 但取消了全连接层: 每个块是一个卷积加两个 1×1 卷积 (在通道间逐像素的小网络), "
        "最后一个块每个类别输出一个通道, 再用全局平均池化把每个通道不管多大都压缩成 1×1, 且没有可学习的参数。"
        "AlexNet 的大量参数都在全连接层, 所以 NiN 的参数量大大减少, 但可能带来训练变慢的问题。",
    },
    "lineage.googlenet": {
        "en": "GoogLeNet (2014; the capital L honours LeNet) runs paths in parallel: each Inception block applies "
        "1×1, 3×3 and 5×5 convolutions and a 3×3 max pool side by side and concatenates their channels. The "
        "kernel size matters a great deal; Inception tries several at once, with little computation. From "
        "input to output, height and width halve while the channels grow. GoogLeNet stacks 9 Inception blocks.",
        "zh": "GoogLeNet (2014; 名字中的 L 大写致敬 LeNet) 让多条路径并行: 每个 Inception 块并联 1×1、3×3、5×5 卷积和 "
        "3×3 最大池化, 再把各路的通道拼接起来。卷积核大小的选取对结果影响较大, Inception 同时尝试多种尺寸, 计算量却不大。"
        "设计思想: 从数据到输出, 宽高减半、通道数增加, 不断提取特征。GoogLeNet 使用了 9 个 Inception 块。",
    },
    "lineage.resnet18": {
        "en": "ResNet (2015) adds residual connections: a block computes f(x) and adds its input, y = x + f(x), "
        "so the gradient flows through a sum (the addition rule of derivatives) rather than only through "
        "products, and much deeper networks train. Where a block halves the size or changes the channels, a 1×1 "
        "convolution on the skip path matches the shapes. ResNet-18: a first convolution, 4 modules of 2 "
        "residual blocks (4 convolutions each, the 1×1 ones aside) and a fully connected layer: 1 + 16 + 1 = 18.",
        "zh": "ResNet (2015) 引入了残差块: 块计算 f(x) 再加上它的输入, y = x + f(x), 类似导数的加法法则, "
        "求导时变乘法为加法, 避免梯度相乘过大, 从而可以大大加深模型。块需要把尺寸减半或改变通道数时, 在捷径上加一个 "
        "1×1 卷积使形状一致。ResNet-18: 第一个卷积层、4 个模块 (每个含 2 个残差块、4 个卷积层, 不计 1×1 卷积) 和最后的"
        "全连接层, 共 1 + 16 + 1 = 18 层。",
    },
    # two or more models side by side
    "compare.title": neutral("{models}"),
    "compare.totals": {"en": "Totals", "zh": "总计"},
    "compare.stages": {"en": "Stage by stage", "zh": "逐阶段对比"},
    "compare.stages_intro": {
        "en": "Each model's layers in order, layers that act pointwise (activations, normalisation, dropout) "
        "drawn with the layer before them; a stage one model lacks leaves its cell empty.",
        "zh": "各模型的层按顺序排列, 逐元素作用的层 (激活、规范化、dropout) 并入其前一层; 某模型没有的阶段留空。",
    },
    "compare.changes": {"en": "What changed", "zh": "有哪些变化"},
    "compare.from_to": {"en": "From {first} to {second}", "zh": "从 {first} 到 {second}"},
    "compare.side_by_side": {"en": "The architectures side by side", "zh": "架构并排对比"},
    "compare.stage_column": neutral("#"),
    "compare.nothing_changed": {"en": "nothing the comparison looks at", "zh": "所比较的方面没有变化"},
    "compare.change_convs": {
        "en": "convolutional layers: {before} → {after}",
        "zh": "卷积层: {before} → {after}",
    },
    "compare.change_linears": {
        "en": "Linear layers (output features): {before} → {after}",
        "zh": "全连接层 (输出特征数): {before} → {after}",
    },
    "compare.change_activations": {
        "en": "activations: {before} → {after}",
        "zh": "激活函数: {before} → {after}",
    },
    "compare.change_pools": {"en": "pooling: {before} → {after}", "zh": "池化: {before} → {after}"},
    "compare.change_dropout": {"en": "dropout: {before} → {after}", "zh": "Dropout 层: {before} → {after}"},
    "compare.dropout": {"en": "{count} Dropout ({settings})", "zh": "{count} 个 Dropout ({settings})"},
    "compare.change_blocks": {"en": "blocks: {before} → {after}", "zh": "块: {before} → {after}"},
    "compare.change_concat": {
        "en": "concatenations of parallel paths: {before} → {after}",
        "zh": "并行路径的拼接: {before} → {after}",
    },
    "compare.change_add": {
        "en": "additions (residual connections): {before} → {after}",
        "zh": "相加 (残差连接): {before} → {after}",
    },
    "compare.change_params": {
        "en": "parameters: {before} → {after} ({ratio})",
        "zh": "参数量: {before} → {after} ({ratio})",
    },
    "compare.change_macs": {
        "en": "multiply-accumulates: {before} → {after} ({ratio})",
        "zh": "乘加数: {before} → {after} ({ratio})",
    },
    "word.none": {"en": "none", "zh": "无"},
    # d2l's print lines, and the quiz
    "d2l.line": {"en": "{type} output shape:\t {size}", "zh": "{type} 输出形状:\t {size}"},
    "quiz.title": {"en": "Worksheet: {model}", "zh": "练习: {model}"},
    "quiz.key_title": {"en": "Answer key: {model}", "zh": "答案: {model}"},
    "quiz.fill_shapes": {
        "en": "The input is {inputs}. Fill in each layer's output shape.",
        "zh": "输入为 {inputs}。请填写每一层的输出形状。",
    },
    "quiz.fill_both": {
        "en": "The input is {inputs}. Fill in each layer's output shape and its number of parameters.",
        "zh": "输入为 {inputs}。请填写每一层的输出形状和参数量。",
    },
    "quiz.reminder": {
        "en": "For a convolution or a pool, each spatial size: h' = ⌊(h − k + 2p)/s⌋ + 1 (kernel k, padding p, "
        "stride s); a Linear layer has in·out weights and out biases; a convolution out·in·k·k weights and out "
        "biases.",
        "zh": "卷积或池化的每个空间尺寸: h' = ⌊(h − k + 2p)/s⌋ + 1 (核大小 k、填充 p、步幅 s); 全连接层有 in·out "
        "个权重和 out 个偏置; 卷积层有 out·in·k·k 个权重和 out 个偏置。",
    },
}
