"""The work contents a question can test: the skill items of seed 002's level tables (1.2 junior,
1.3 intermediate, 1.4 senior) and the five knowledge modules of 1.1. Pure data, no Flask.

A skill code is "<level letter>-<item>", e.g. "S-2.1" for the senior data-operations item 2.1; a
knowledge code is "M<module>". A question tests one work content; a skill item belongs to the level
of its table, so a question coded "S-…" is a senior question. Higher levels may draw lower levels'
items (seed 002: each level includes the requirements of the ones below)."""

from __future__ import annotations

from dataclasses import dataclass

# The platform's one table of level letters: work-content codes ("I-1.1"), question codes ("M3-I-007")
# and certificate numbers ("…2027I00042…") all take the letter from here.
LEVEL_LETTER = {"junior": "J", "intermediate": "I", "senior": "S"}
LEVEL_OF_LETTER = {letter: level for level, letter in LEVEL_LETTER.items()}


@dataclass(frozen=True)
class WorkContent:
    code: str
    level: str | None  # None for a knowledge module, which any level may test
    zh: str
    en: str


_ITEMS = [
    # 1.2 junior: 1 industrial device data collection; 2 operating the data collection systems
    ("J-1.1", "按采集方案配置工业控制器变量", "Configure controller variables to a data-collection design"),
    ("J-1.2", "按采集方案在平台上配置设备与数据", "Configure devices and data on the platform to a design"),
    ("J-1.3", "配置智能网关采集传感器与控制器数据", "Configure a smart gateway to collect sensor and controller data"),
    ("J-2.1", "监控常用工业传感器运行状态", "Monitor common industrial sensors"),
    ("J-2.2", "监控工业控制系统运行状态", "Monitor industrial control systems"),
    ("J-2.3", "监控标识数据采集系统运行状态", "Monitor identification data collection systems"),
    ("J-2.4", "维护工业网关", "Maintain industrial gateways"),
    ("J-2.5", "定期检查采集系统并记录运行状态", "Inspect collection systems on schedule and log their state"),
    # 1.3 intermediate: 1 planning and design of data collection; 2 platform operations
    ("I-1.1", "按场景与接口协议选型网关", "Select gateways for the scenario, interfaces and protocols"),
    ("I-1.2", "设备上云需求分析与数据变量规划", "Analyse device-to-cloud needs and plan data types and variables"),
    ("I-1.3", "明确平台的设备与业务数据接入、采集和存储能力",
     "Specify the platform's device and business data intake, collection and storage"),
    ("I-2.1", "编写工业互联网平台运维方案", "Write an operations plan for an industrial internet platform"),
    ("I-2.2", "日常运维平台组件与中间件", "Operate platform components and middleware day to day"),
    ("I-2.3", "诊断并恢复平台常规故障", "Diagnose and recover routine platform faults"),
    # 1.4 senior: 1 industrial big data analysis; 2 data operations management
    ("S-1.1", "制订工业大数据分析方案", "Draw up an industrial big-data analysis plan"),
    ("S-1.2", "制订分析模型与机理模型集成方案", "Plan the integration of analytical and mechanistic models"),
    ("S-1.3", "制订分析模型的技术测试与业务验证方案", "Plan technical testing and business validation of a model"),
    ("S-1.4", "设计分析模型的开发运维一体化与全生命周期管理",
     "Design DevOps and life-cycle management for analytical models"),
    ("S-2.1", "编写标识节点间数据共享建设方案", "Plan data sharing between identification nodes"),
    ("S-2.2", "制订行业级标识数据规范", "Draw up industry-level identification data specifications"),
    ("S-2.3", "规划标识数据互操作的业务模式", "Plan business models for identification data interoperation"),
]

_MODULES = [
    ("M1", "网络架构搭建", "Network architecture"),
    ("M2", "工业互联网平台集成", "Industrial internet platform integration"),
    ("M3", "数据处理、运维与分析", "Data processing, operations and analysis"),
    ("M4", "自动化控制", "Automation and control"),
    ("M5", "系统安全与职业道德", "System security and professional ethics"),
]

WORK_CONTENTS: dict[str, WorkContent] = {
    **{code: WorkContent(code, LEVEL_OF_LETTER[code[0]], zh, en) for code, zh, en in _ITEMS},
    **{code: WorkContent(code, None, zh, en) for code, zh, en in _MODULES},
}
SKILL_ITEMS = [code for code, _, _ in _ITEMS]
# Every work content of tables 1.2-1.4 needs at least this many exam questions (issue 16); the
# coverage page marks a level × work-content cell below it as thin.
MIN_EXAM_ITEMS = 8


def level_of(code: str) -> str | None:
    """The level a work content belongs to; None for a knowledge module or an unknown code."""
    item = WORK_CONTENTS.get(code)
    return item.level if item else None
