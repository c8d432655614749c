import copy

import pytest

from question_bank import services

SINGLE = {
    "type": "single", "module": 1, "level": "junior", "difficulty": 2,
    "stem": "工业以太网交换机上划分 VLAN 的主要目的是什么？",
    "stem_en": "What is the main purpose of dividing an industrial Ethernet switch into VLANs?",
    "options": [
        {"key": "A", "text": "提高端口的物理速率", "text_en": "Raise the ports' physical speed"},
        {"key": "B", "text": "隔离广播域，减少不必要的广播流量", "text_en": "Separate broadcast domains"},
        {"key": "C", "text": "为设备分配 IP 地址", "text_en": "Assign IP addresses to devices"},
        {"key": "D", "text": "加密交换机转发的数据", "text_en": "Encrypt the forwarded traffic"},
    ],
    "answer": "B",
    "explanation": "VLAN 在二层把一台交换机划分为多个广播域；速率、地址分配和加密由其他机制完成。",
    "explanation_en": "VLANs split one switch into several layer-2 broadcast domains.",
    "tags": ["VLAN", "交换机"], "source": "test",
}
MULTIPLE = {
    "type": "multiple", "module": 5, "level": "intermediate", "difficulty": 3,
    "stem": "下列哪些措施有助于降低工业控制网络遭受勒索软件攻击的风险？",
    "options": [
        {"key": "A", "text": "对关键系统做离线备份"},
        {"key": "B", "text": "关闭不使用的远程访问端口"},
        {"key": "C", "text": "所有操作员共用同一个管理员账号"},
        {"key": "D", "text": "按白名单限制可运行的程序"},
    ],
    "answer": ["A", "B", "D"],
    "explanation": "离线备份、减少暴露面和应用白名单都能降低风险；共用管理员账号会扩大风险。",
    "tags": ["勒索软件"], "source": "test",
}
TRUE_FALSE = {
    "type": "true_false", "module": 4, "level": "junior", "difficulty": 1,
    "stem": "PLC 的一个扫描周期包括输入采样、程序执行和输出刷新三个阶段。",
    "options": [], "answer": True,
    "explanation": "PLC 循环扫描：先读取输入映像，再执行用户程序，最后刷新输出。",
    "tags": ["PLC"], "source": "test",
}
FILL = {
    "type": "fill_blank", "module": 2, "level": "senior", "difficulty": 4,
    "stem": "OPC UA 二进制协议的默认端口是 ____，MQTT over TLS 通常使用端口 ____。",
    "options": [], "answer": [["4840"], ["8883"]],
    "explanation": "OPC UA（opc.tcp）默认端口 4840；MQTT 明文为 1883，TLS 常用 8883。",
    "tags": ["OPC UA", "MQTT"], "source": "test",
}
NUMERIC = {
    "type": "numeric", "module": 3, "level": "intermediate", "difficulty": 3,
    "stem": "一阶系统的时间常数为 5 s，阶跃输入后经过一个时间常数，输出达到终值的百分之几？",
    "stem_en": "A first-order system has a time constant of 5 s. What share of its final value does the "
               "output reach one time constant after a step?",
    "options": [], "answer": {"value": 63.2, "tolerance": 0.05, "mode": "absolute", "unit": "%"},
    "explanation": "1 − e⁻¹ ≈ 0.632，即 63.2 %。", "explanation_en": "1 − 1/e ≈ 0.632, that is 63.2 %.",
    "tags": ["时间常数"], "source": "test",
}
SAMPLES = {"single": SINGLE, "multiple": MULTIPLE, "true_false": TRUE_FALSE, "fill_blank": FILL, "numeric": NUMERIC}


@pytest.fixture
def question_data():
    """Fresh copies of one well-formed question of each type, in interchange form."""
    return copy.deepcopy(SAMPLES)


@pytest.fixture
def create_question(db):
    def make(kind="single", *, status="active", actor=None, centre=None, **overrides):
        data = copy.deepcopy(SAMPLES[kind])
        data.update(overrides)
        from question_bank.models import QuestionStatus

        question = services.create_question(db.session, data=data, actor=actor,
                                            status=QuestionStatus(status), centre=centre)
        db.session.commit()
        return question

    return make
