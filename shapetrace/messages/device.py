"""Why `--device auto` chose the device it did: shown under the totals and in the JSON."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, Any]] = {
    "device.footer": {
        "en": "Device: {device}, chosen by cost: {reason}",
        "zh": "设备: {device}, 按开销选定: {reason}",
    },
    "device.weights": {
        "en": "a CPU pass would need {need} for the weights and input alone, more than half the memory free",
        "zh": "CPU 前向传播仅权重和输入就需要 {need}, 超过可用内存的一半",
    },
    "device.memory": {
        "en": "a CPU pass would need {need}, more than half the memory free",
        "zh": "CPU 前向传播需要 {need}, 超过可用内存的一半",
    },
    "device.slow": {
        "en": "a CPU pass would need {need} and about {seconds} s of arithmetic; meta gives the same shapes "
        "without it",
        "zh": "CPU 前向传播需要 {need} 和约 {seconds} 秒的计算; meta 设备无需计算即可给出相同的形状",
    },
    "device.traced": {
        "en": "the module tree did not tell what a CPU pass costs, so a meta pass sized it ({need}, about "
        "{seconds} s) and gave the answer",
        "zh": "无法从模块树估计 CPU 前向传播的开销, 因此先在 meta 设备上运行一次 ({need}, 约 {seconds} 秒), "
        "它已给出结果",
    },
    "device.unsized": {
        "en": "the module tree does not tell what a CPU pass costs, and the input or the weights ({weights}) "
        "are too big to find out by trying",
        "zh": "无法从模块树估计 CPU 前向传播的开销, 而输入或权重 ({weights}) 太大, 不宜试运行",
    },
    "device.cheap": {
        "en": "a CPU pass needs {need} and about {seconds} s",
        "zh": "CPU 前向传播需要 {need}, 约 {seconds} 秒",
    },
    "device.small": {
        "en": "the input and the weights ({weights}) are small",
        "zh": "输入和权重 ({weights}) 都很小",
    },
    "device.meta_failed": {
        "en": "the meta device cannot run this forward ({detail}); the CPU pass fits in memory",
        "zh": "meta 设备无法运行此前向传播 ({detail}); CPU 前向传播的内存足够",
    },
    "device.not_on_meta": {
        "en": "the model cannot be built on the meta device",
        "zh": "该模型无法在 meta 设备上构建",
    },
}
