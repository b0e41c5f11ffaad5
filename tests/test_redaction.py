"""Redaction that holds up: a seeded corpus of hundreds of personal values in Chinese sentences (zero
leaks) and of ordinary numbers and words that look like them (zero false redactions)."""

from __future__ import annotations

import logging
import random

import pandas as pd
import pytest

from cs_toolkit.reports.redact import RedactingFilter, Redactor, find_personal_data, id_check_ok, luhn_ok

REGIONS = ["110105", "310104", "440305", "510107", "330106", "420102", "650102", "230103"]
FULL = str.maketrans("0123456789+@.-()", "０１２３４５６７８９＋＠．－（）")


def id18(rng: random.Random) -> str:
    body = (rng.choice(REGIONS) + f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    for check in "0123456789X":
        if id_check_ok(body + check):
            return body + check
    raise AssertionError


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("62", 16), ("62", 19), ("34", 15),
                                 ("37", 15), ("35", 16), ("6011", 16), ("81", 16)])
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError


def personal_values(rng: random.Random) -> list[tuple[str, str]]:
    """(value as written, kind) — the formats real complaint texts and exports carry."""
    out = []
    for _ in range(40):
        mobile = f"1{rng.choice('3456789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        out += [(mobile, "phone"), (f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", "phone"),
                (f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", "phone"), ("＋８６ " + mobile.translate(FULL), "phone")]
        area, number = rng.choice(["010", "021", "0755", "020", "0571"]), f"{rng.randint(2000000, 89999999)}"
        out += [(f"{area}-{number}", "phone"), (f"({area}){number}", "phone"), (f"（{area}）{number}", "phone")]
        ident = id18(rng)
        out += [(ident, "id"), (f"{ident[:6]} {ident[6:14]} {ident[14:]}", "id"), (ident.translate(FULL), "id")]
        legacy = rng.choice(REGIONS) + f"{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        out.append((legacy, "id15"))
        number = card(rng)
        out += [(number, "card"), (" ".join(number[i:i + 4] for i in range(0, len(number), 4)), "card")]
        user = rng.choice(["liu.yang", "wang_wei88", "owner2026", "zhang-san"])
        out += [(f"{user}@163.com", "email"), (f"{user}＠qq．com", "email"), ("李四@公司.中国", "email")]
        out += [(f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}室", "address"),
                (f"{rng.randint(1, 30)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}", "address"),
                (f"{rng.choice('粤京沪浙川')}{rng.choice('ABCDE')}·{rng.randint(10000, 99999)}", "plate"),
                (f"{rng.choice('粤京沪浙川')}{rng.choice('ABCDE')}D{rng.randint(10000, 99999)}", "plate"),
                (f"wxid_{rng.randint(100000, 999999)}", "wechat")]
    return out


TEMPLATES = {
    "phone": ["业主来电称联系电话{v}，请回电", "Customer asks for a call back on {v} today"],
    "id": ["身份证号：{v}，已核验", "ID {v} on file"],
    "id15": ["旧身份证{v}办理过户"],
    "card": ["退款请打到卡号{v}", "Refund to card {v} please"],
    "email": ["邮箱{v}，请发送维修报告", "send the report to {v}"],
    "address": ["我家在{v}，卫生间漏水", "住址：{v}"],
    "plate": ["车牌{v}的车位被占用", "plate {v} blocks the fire lane"],
    "wechat": ["加我微信：{v} 沟通", "my wechat: {v}"],
}

ORDINARY = [
    "订单号 6212345678901234 已退款", "订单号4012888888881881", "工单 20261123001 已派单", "投诉编号 T000123",
    "运单号 4012888888881881 已签收", "金额 12,800.00 元", "退款 1280.50 元", "2026-11-23 08:00", "2026/11/23",
    "NPS 12.5（95% CI 3.1 至 21.9）", "满意度 81.2%", "1.2万", "第47周 (11月16日–22日)", "3000 条投诉",
    "5栋电梯又坏了", "晚高峰时段排队", "高峰期停车难", "卧室漏风", "共 15 个项目", "均值 4.37 / 5",
    "T0000001234", "R00000123", "合同总价 1,285,000 元", "面积 128.6 平方米", "客服热线 400-820-8820",
    "样本量 n=989，有效样本 612", "p = 0.035", "2026年11月", "11月16日至22日", "编号 110105194912310021",
    "Complaint 2026112300123 closed", "order #4111111111111111 shipped", "0.4111111111111111", "72.1234567890123456",
    "estimate,se\n12.41303508268322,3.5919088392417403", "p = 1.3812345678e-05",
]


@pytest.fixture(scope="module")
def corpus():
    return personal_values(random.Random(20261128))


def test_hundreds_of_seeded_personal_values_never_leak(corpus):
    assert len(corpus) >= 500
    redactor = Redactor()
    leaks = []
    for k, (value, kind) in enumerate(corpus):
        template = TEMPLATES[kind][k % len(TEMPLATES[kind])]
        text = template.format(v=value)
        out = redactor.redact(text)
        digits = "".join(ch for ch in value.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if ch.isdigit())
        if value in out or (len(digits) >= 7 and digits in "".join(ch for ch in out if ch.isdigit())):
            leaks.append((kind, text, out))
    assert leaks == []


def test_ordinary_numbers_and_words_are_never_redacted():
    redactor = Redactor(names=["高峰", "欧阳娜娜"])
    changed = [(t, redactor.redact(t)) for t in ORDINARY if redactor.redact(t) != t]
    assert changed == []


def test_names_come_from_the_data_and_respect_the_text_around_them():
    r = Redactor(names=["王伟", "高峰", "欧阳娜娜", "李", None, "nan"])
    assert r.redact("业主欧阳娜娜反映") == "业主[NAME]反映"
    assert r.redact("欧阳娜娜反映楼上漏水") == "[NAME]反映楼上漏水"
    assert r.redact("客户高峰来电") == "客户[NAME]来电" and r.redact("晚高峰时段") == "晚高峰时段"
    assert r.redact("王伟 also; 李 stays") == "[NAME] also; 李 stays"
    frame = pd.DataFrame({"customer_name": ["王伟", None], "text": ["王伟先生来电 13912345678", "正常"],
                          "amount": [1280.5, 3.0]})
    out = r.redact_frame(frame)
    assert out["customer_name"].tolist()[0] == "[NAME]" and pd.isna(out["customer_name"].tolist()[1])
    assert out["text"].tolist() == ["[NAME]先生来电 [PHONE]", "正常"] and out["amount"].tolist() == [1280.5, 3.0]


def test_redaction_runs_before_cells_are_cut():
    long = "业主反映：" + "楼上漏水严重" * 8 + "，身份证 11010519491231002X，电话 13912345678"
    frame = pd.DataFrame({"text": [long]})
    shown = Redactor().redact_frame(frame).to_html()  # pandas may cut this cell at 50 characters
    assert "11010519491231002X" not in shown and "1101051949" not in shown and "13912345678" not in shown


def test_failure_messages_and_logs_are_redacted(caplog):
    logger = logging.getLogger("cs_toolkit.test_redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="cs_toolkit.test_redaction"):
        logger.info("report failed for customer %s", "13912345678")
    assert "13912345678" not in caplog.text and "[PHONE]" in caplog.text
    assert find_personal_data("工单 20261123001，电话 13912345678") == ["13912345678"]
