"""Seeded generator of realistic after-sales complaint logs (Chinese, some English), with true labels.

Complaints arrive by hotline, visit, web and letter, across projects and weeks; some are inquiries or
suggestions; a few are dangerous (gas, falling glass) or threaten the media or a regulator; group
complaints (群诉) arrive as bursts of near-identical complaints from one building. Every row carries
its true category, so the categoriser, escalation and incident detection can be tested against it.
Customer names, phone numbers and e-mails are invented (for redaction tests).

Examples
--------
>>> from cs_toolkit.demo import make_complaints
>>> log = make_complaints(500, seed=1)
>>> log["category"].nunique() > 10, log["incident_true"].ne("").any()
(True, np.True_)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_toolkit.demo.places import PROJECTS

# Templates per taxonomy leaf: {b} building, {r} room, {d} days, {n} a small number.
TEMPLATES: dict[str, list[str]] = {
    "quality.leak": ["{b}栋{r}室卫生间顶棚漏水，已经{d}天了", "下雨外墙渗水，卧室墙面发霉", "阳台地漏返水，地板泡坏了",
                     "地下室车库顶板渗漏严重", "厨房吊顶一直滴水，楼上说不是他们的问题", "Water is leaking through the bathroom ceiling in unit {r}"],
    "quality.crack": ["客厅墙面出现多条裂缝", "{b}栋{r}地砖空鼓，踩上去有响声", "外墙瓷砖开裂脱落", "卧室墙皮起皮掉粉",
                      "There are cracks in the living room wall of flat {r}"],
    "quality.doors_windows": ["卧室窗户关不严，冬天漏风", "入户门变形锁不上", "推拉门轨道坏了推不动", "窗框密封条老化渗风",
                              "The balcony sliding door will not close properly"],
    "quality.plumbing_electrical": ["厨房下水道堵塞反味", "卫生间插座没电经常跳闸", "热水管水压太低", "开关面板发烫，线路有问题",
                                    "The kitchen drain has been blocked for {d} days"],
    "quality.equipment": ["{b}栋电梯经常停运", "暖气不热，室温只有{n}度", "门禁对讲坏了打不开", "楼道消防烟感一直报警",
                          "The lift in building {b} breaks down every week"],
    "design.defect": ["楼板隔音太差，楼上走路都听得见", "卧室被横梁挡光，采光很差", "户型设计不合理，管井占了衣帽间", "层高和宣传的不一样"],
    "delivery.certificate": ["交房{n}年了房产证还没办下来", "不动产证办理进度太慢", "契税交了很久还没有出证", "When will we receive the property certificate"],
    "delivery.utilities": ["燃气开户一直办不了", "水电开户要跑好几趟", "电表还在开发商名下无法过户", "水表读数不对多收水费"],
    "delivery.mortgage": ["公积金贷款迟迟不放款", "按揭银行要求补材料拖了{d}天", "贷款利率和签约时说的不一样"],
    "delivery.handover": ["开发商延期交房{n}个月没有说法", "验房发现{n}处问题整改不到位", "收房时钥匙对不上", "交付标准和合同不符"],
    "property.security": ["小区门岗不登记，陌生人随便进", "地库电动车被盗，监控看不清", "晚上没有保安巡逻", "My bike was stolen from the garage"],
    "property.cleaning": ["楼道垃圾{d}天没人清理", "垃圾站臭味很大招蚊虫", "绿化带杂草很久没修剪", "Rubbish is piling up next to building {b}"],
    "property.parking": ["车位被别人长期占用", "地库停车费涨价不合理", "消防通道乱停车没人管", "Someone keeps parking in my space"],
    "property.fees": ["物业费突然上涨没有公示", "装修押金一直不退", "公摊水电费计算不透明", "物业乱收费，要求给出收费明细"],
    "property.repair_response": ["报修{d}天了还没人上门", "维修后问题反复出现，修了又坏", "报修电话打不通，没人来修", "I reported the problem {d} days ago and nobody came"],
    "sales.broken_promise": ["销售承诺赠送的花园没有兑现", "当初说好的车位优惠不认了", "承诺的精装标准没有兑现"],
    "sales.area_dispute": ["实测面积比合同少了{n}平米", "套内面积缩水，要求退差价", "公摊面积比例太高和合同不一致"],
    "sales.misleading_ads": ["交房和样板间差别太大", "沙盘上的学校根本没有，虚假宣传", "广告说地铁口，实际走路半小时"],
    "amenities.community": ["承诺的幼儿园迟迟不开", "小区路灯坏了很久", "会所一直没有开放", "儿童乐园设施损坏没人修"],
    "staff.attitude": ["客服态度恶劣，互相推诿", "物业人员说话不耐烦", "打了{n}次电话都在踢皮球", "The staff were rude and unhelpful"],
}
INQUIRIES = {
    "delivery.certificate": ["请问房产证什么时候能办下来", "想咨询一下办证需要哪些材料"],
    "delivery.utilities": ["请问燃气开户怎么办理", "咨询一下水电过户流程"],
    "property.fees": ["请问物业费可以按月交吗", "想了解一下停车费标准"],
    "delivery.handover": ["请问交房时间确定了吗", "咨询一下验房需要带什么"],
}
SUGGESTIONS = {
    "amenities.community": ["建议小区增加快递柜", "希望能增加一些健身器材"],
    "property.cleaning": ["建议垃圾分类点增加洗手池", "希望绿化能多种一些树"],
}
DANGER = ["厨房闻到很大的燃气味", "窗户玻璃掉下来差点砸到人", "插座冒烟有电火花", "电梯困人半小时没人来"]
THREATS = ["，再不解决就找媒体曝光", "，已经打了12345", "，我们会请律师起诉", "，准备向住建局投诉"]
CHANNELS = ["hotline", "visit", "web", "letter"]
#: Who answers for each kind of complaint (the department records it when a case is assigned).
RESPONSIBLE = {"quality": "工程部（保修）", "design": "工程部（保修）", "delivery": "交付中心", "property": "物业服务中心",
               "sales": "营销部", "amenities": "物业服务中心", "staff": "客服中心"}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")


def _fill(template: str, rng: np.random.Generator) -> str:
    return template.format(b=int(rng.integers(1, 30)), r=f"{int(rng.integers(1, 33))}0{int(rng.integers(1, 5))}",
                           d=int(rng.integers(2, 20)), n=int(rng.integers(2, 9)))


def make_complaints(n: int = 2000, seed: int = 0, start: str = "2026-09-01", weeks: int = 12,
                    n_bursts: int | None = None) -> pd.DataFrame:
    """A complaint log of about ``n`` rows with true ``category``, ``request_type`` and incidents.

    Columns: ``complaint_id``, ``customer_id``, ``customer_name``, ``phone``, ``email``, ``project``,
    ``building``, ``channel``, ``created_at``, ``first_response_at``, ``resolved_at``, ``reopened``,
    ``text``, ``category``, ``request_type``, ``dangerous``, ``threat``, ``incident_true``,
    ``responsible_party``.
    """
    rng = np.random.default_rng(seed)
    cats = list(TEMPLATES)
    weights = np.array([9, 6, 6, 6, 7, 3, 4, 3, 2, 4, 4, 5, 5, 6, 8, 3, 2, 2, 3, 5], dtype=float)
    weights /= weights.sum()
    n_customers = max(n // 2, 10)
    customers = pd.DataFrame({
        "customer_id": [f"C{seed:02d}{i:06d}" for i in range(n_customers)],
        "customer_name": [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c % 2 else "") for a, b, c in
                          zip(rng.integers(0, len(SURNAMES), n_customers), rng.integers(0, len(GIVEN), n_customers),
                              rng.integers(0, len(GIVEN), n_customers), strict=True)],
        "phone": [f"1{p}{int(x):09d}" for p, x in zip(rng.choice(list("3456789"), n_customers),
                                                       rng.integers(0, 10**9, n_customers), strict=True)],
        "project": rng.choice([p for p, _, _ in PROJECTS], size=n_customers),
        "building": rng.integers(1, 25, size=n_customers),
    })
    customers["email"] = [f"owner{i}@example.com" for i in range(n_customers)]
    home_project = customers["project"].to_numpy()
    home_building = customers["building"].to_numpy()
    t0 = pd.Timestamp(start)
    span_minutes = weeks * 7 * 24 * 60
    rows = []
    n_bursts = n_bursts if n_bursts is not None else max(1, n // 400)
    burst_rows = 0
    for k in range(n_bursts):
        cat = rng.choice(["quality.leak", "quality.equipment", "property.repair_response", "property.cleaning"])
        template = rng.choice(TEMPLATES[cat][:2])
        project = rng.choice([p for p, _, _ in PROJECTS])
        building = int(rng.integers(1, 25))
        begin = t0 + pd.Timedelta(minutes=int(rng.integers(0, span_minutes - 3 * 24 * 60)))
        size = int(rng.integers(5, 12))
        base_text = _fill(template, rng).replace(f"{template[:3]}", f"{building}栋") if "{b}" in template else \
            f"{building}栋" + _fill(template, rng)
        for _ in range(size):
            who = int(rng.integers(0, n_customers))
            variant = base_text + rng.choice(["", "，很多业主都有这个问题", "，请尽快处理", "!", "，已经第二次了"])
            rows.append((who, project, building, cat, "complaint", variant,
                         begin + pd.Timedelta(minutes=int(rng.integers(0, 48 * 60))), False, False, f"B{k + 1:03d}"))
            burst_rows += 1
    for _ in range(max(n - burst_rows, 0)):
        who = int(rng.integers(0, n_customers))
        kind = rng.random()
        if kind < 0.12:
            cat = rng.choice(list(INQUIRIES))
            text, rtype = _fill(rng.choice(INQUIRIES[cat]), rng), "inquiry"
        elif kind < 0.16:
            cat = rng.choice(list(SUGGESTIONS))
            text, rtype = _fill(rng.choice(SUGGESTIONS[cat]), rng), "suggestion"
        else:
            cat = rng.choice(cats, p=weights)
            text, rtype = _fill(rng.choice(TEMPLATES[cat]), rng), "complaint"
        dangerous = rtype == "complaint" and rng.random() < 0.01
        if dangerous:
            text = rng.choice(DANGER) + "，" + text
        threat = rtype == "complaint" and rng.random() < 0.02
        if threat:
            text += rng.choice(THREATS)
        created = t0 + pd.Timedelta(minutes=int(rng.integers(0, span_minutes)))
        rows.append((who, home_project[who], int(home_building[who]), cat, rtype, text, created, dangerous, threat, ""))
    rng.shuffle(rows)
    who_idx = np.array([r[0] for r in rows], dtype=np.int64)
    out = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[who_idx],
        "customer_name": customers["customer_name"].to_numpy()[who_idx],
        "phone": customers["phone"].to_numpy()[who_idx],
        "email": customers["email"].to_numpy()[who_idx],
        "project": [r[1] for r in rows],
        "building": [f"{r[1]}-{r[2]:02d}栋" for r in rows],
        "channel": rng.choice(CHANNELS, size=len(rows), p=[0.5, 0.15, 0.3, 0.05]),
        "created_at": [r[6] for r in rows],
        "text": [r[5] for r in rows],
        "category": [r[3] for r in rows],
        "request_type": [r[4] for r in rows],
        "dangerous": [r[7] for r in rows],
        "threat": [r[8] for r in rows],
        "incident_true": [r[9] for r in rows],
    })
    out = out.sort_values("created_at", kind="stable").reset_index(drop=True)
    out.insert(0, "complaint_id", [f"T{seed:02d}{i:07d}" for i in range(1, len(out) + 1)])
    response_hours = rng.gamma(1.5, 10.0, size=len(out))
    out["first_response_at"] = out["created_at"] + pd.to_timedelta(response_hours, unit="h")
    resolve_days = rng.gamma(2.0, 3.0, size=len(out))
    resolved = out["first_response_at"] + pd.to_timedelta(resolve_days, unit="D")
    horizon = t0 + pd.Timedelta(weeks=weeks)
    out["resolved_at"] = resolved.where(resolved < horizon)
    out["reopened"] = rng.random(len(out)) < 0.06
    out["responsible_party"] = out["category"].str.split(".").str[0].map(RESPONSIBLE)
    return out
