"""Seeded generator of realistic after-sales satisfaction surveys, with known population values.

A finite population of households is generated first (projects/楼盘 with buildings, each household's
last service touchpoint and its answers); a stratified two-stage sample is then drawn (projects are
strata, buildings are PSUs, households are invited within sampled buildings, some respond). Because
the population is known, ``truth`` holds the exact population values that estimates must recover.

Examples
--------
>>> from cs_toolkit import demo
>>> survey = demo.make_survey(seed=1)
>>> sorted(survey.truth)[:3]
['ces_mean', 'csat_mean', 'csat_top2']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_toolkit.demo.places import CHANNELS, PROJECTS, TOUCHPOINTS

#: English column name -> Chinese column label used by exports with ``labels="zh"``.
ZH_COLUMNS = {
    "response_id": "问卷编号",
    "project": "项目",
    "building": "楼栋",
    "touchpoint": "服务触点",
    "channel": "回收渠道",
    "submitted_at": "提交时间",
    "recommend": "推荐意愿",
    "sat_overall": "总体满意度",
    "sat_staff": "人员态度满意度",
    "sat_speed": "处理速度满意度",
    "sat_quality": "维修质量满意度",
    "wait_too_long": "等待时间过长",
    "ces": "解决问题省力度",
    "resolved": "问题是否解决",
    "weight": "权重",
    "project_buildings": "项目楼栋总数",
    "customer_name": "客户姓名",
    "phone": "联系电话",
    "comment": "评价内容",
    "call_result": "回访结果",
}

#: Outcomes of the return-visit calls (with ``call_outcomes=True``): value -> (AAPOR group, share of the
#: calls that gave no interview).
CALL_RESULTS = {"完成": ("complete", 0.0), "拒访": ("refused", 0.22), "中途挂断": ("refused", 0.06),
                "无人接听": ("no_contact", 0.38), "关机": ("no_contact", 0.12), "空号": ("not_eligible", 0.08),
                "非业主本人": ("not_eligible", 0.06), "其他原因": ("other", 0.08)}

LIKERT_ITEMS = ["sat_overall", "sat_staff", "sat_speed", "sat_quality", "wait_too_long"]

# Free-text comments by how the respondent rated the service; a few carry personal data, as real ones do.
COMMENTS = {
    "bad": ["维修师傅来了三次还是没修好，太耽误时间", "报修后等了一周才有人上门", "客服电话一直打不通，问题没人跟进",
            "物业人员态度很差，说话不耐烦", "卫生间漏水到现在还没处理好，请尽快联系我{phone}", "交房时的问题整改拖了两个月",
            "{room}的墙面裂缝反映多次没有结果", "停车位被占用物业不管"],
    "mid": ["处理还算及时，但是沟通可以更主动一些", "问题解决了，就是等待时间有点长", "服务一般，希望提前告知上门时间",
            "维修质量还可以，收尾清洁不到位"],
    "good": ["师傅很专业，半天就修好了，点赞", "客服回复很快，态度很好", "管家每次都很耐心，非常满意",
             "回访很及时，问题彻底解决了"],
}
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")


def _comments(recommend: np.ndarray, rng: np.random.Generator) -> list[str]:
    out = []
    for score in recommend:
        if rng.random() < 0.45:
            out.append("")  # most respondents leave the comment blank
            continue
        pool = COMMENTS["bad" if score <= 6 else "mid" if score <= 8 else "good"]
        text = str(rng.choice(pool))
        out.append(text.format(phone=f"13{int(rng.integers(0, 10))}{int(rng.integers(0, 10**8)):08d}",
                               room=f"{int(rng.integers(1, 30))}栋{int(rng.integers(1, 4))}单元{int(rng.integers(1, 33))}0{int(rng.integers(1, 5))}室"))
    return out


@dataclass
class DemoSurvey:
    """A generated survey: the sample as exported, the population it came from, and the true values."""

    data: pd.DataFrame
    population: pd.DataFrame
    truth: dict[str, float]
    truth_by_project: pd.DataFrame
    invitations: dict[str, int]
    config: dict = field(default_factory=dict)
    attempts: pd.DataFrame = field(default_factory=pd.DataFrame)  # calls without an interview (call_outcomes)

    def export(self) -> pd.DataFrame:
        """The export as a call system writes it: interviews and, with ``call_outcomes``, the calls that gave
        none, in time order."""
        if self.attempts.empty:
            return self.data
        when = next(c for c in self.data.columns if c in ("submitted_at", ZH_COLUMNS["submitted_at"]))
        out = pd.concat([self.data, self.attempts], ignore_index=True)
        return out.sort_values(when, kind="stable").reset_index(drop=True)


def _likert(latent: np.ndarray, rng: np.random.Generator, points: int, cut_scale: float = 1.0) -> np.ndarray:
    """Map a latent satisfaction (about N(0,1)) to 1..points with noise."""
    noisy = latent + rng.normal(0, 0.6, size=latent.shape)
    cuts = np.linspace(-1.6, 1.0, points - 1) * cut_scale
    return (np.searchsorted(cuts, noisy) + 1).astype(np.int64)


def make_population(seed: int = 0, households_per_building: tuple[int, int] = (40, 160)) -> pd.DataFrame:
    """Every household of every project, with the answers it would give (one row per household)."""
    rng = np.random.default_rng(seed)
    frames = []
    project_effect = {"P01": 0.35, "P02": 0.1, "P03": -0.05, "P04": 0.25, "P05": -0.45, "P06": 0.0}
    touch_effect = np.array([0.1, -0.25, -0.05, 0.15])
    for pid, _, _ in PROJECTS:
        n_buildings = int(rng.integers(12, 30))
        sizes = rng.integers(*households_per_building, size=n_buildings)
        building = np.repeat(np.arange(1, n_buildings + 1), sizes)
        building_effect = rng.normal(0, 0.3, size=n_buildings)[building - 1]
        n = len(building)
        touch = rng.integers(0, len(TOUCHPOINTS), size=n)
        latent = project_effect[pid] + building_effect + touch_effect[touch] + rng.normal(0, 0.8, size=n)
        frames.append(
            pd.DataFrame(
                {
                    "project": pid,
                    "building": [f"{pid}-B{b:02d}" for b in building],
                    "touchpoint": np.array([t for t, _ in TOUCHPOINTS])[touch],
                    "latent": latent,
                    "project_buildings": n_buildings,
                }
            )
        )
    pop = pd.concat(frames, ignore_index=True)
    latent = pop["latent"].to_numpy()
    recommend = np.clip(np.round(7.3 + 1.9 * latent + rng.normal(0, 1.0, len(pop))), 0, 10).astype(np.int64)
    pop["recommend"] = recommend
    pop["sat_overall"] = _likert(latent, rng, 5)
    pop["sat_staff"] = _likert(latent + 0.2, rng, 5)
    pop["sat_speed"] = _likert(latent - 0.2, rng, 5)
    pop["sat_quality"] = _likert(latent, rng, 5)
    pop["wait_too_long"] = 6 - _likert(latent - 0.1, rng, 5)  # reverse-worded: agreeing is bad
    pop["ces"] = _likert(latent + 0.3, rng, 7, cut_scale=1.2)
    pop["resolved"] = np.where(latent + rng.normal(0, 0.7, len(pop)) > -0.9, "yes", "no")
    return pop.drop(columns="latent")


def population_truth(pop: pd.DataFrame) -> dict[str, float]:
    """Exact population values of the headline measures."""
    rec = pop["recommend"]
    return {
        "nps": 100 * ((rec >= 9).mean() - (rec <= 6).mean()),
        "csat_mean": pop["sat_overall"].mean(),
        "csat_top2": (pop["sat_overall"] >= 4).mean(),
        "ces_mean": pop["ces"].mean(),
        "resolved_share": (pop["resolved"] == "yes").mean(),
        "households": float(len(pop)),
    }


def draw_sample(
    pop: pd.DataFrame,
    rng: np.random.Generator,
    buildings_per_project: int = 8,
    invited_per_building: int = 30,
    response_rate: float = 0.7,
    nonrespondents: list | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Stratified two-stage sample: buildings within each project, then invited households that respond
    (the invited who did not are appended to ``nonrespondents`` when it is given)."""
    sampled_rows = []
    invitations: dict[str, int] = {}
    for pid, frame in pop.groupby("project", sort=True):
        buildings = frame["building"].unique()
        chosen = rng.choice(buildings, size=min(buildings_per_project, len(buildings)), replace=False)
        invited_total = 0
        for b in sorted(chosen):
            households = frame[frame["building"] == b]
            k = min(invited_per_building, len(households))
            invited = households.sample(n=k, random_state=int(rng.integers(1 << 31)))
            invited_total += k
            responds = rng.random(k) < response_rate
            answered = invited[responds]
            if nonrespondents is not None:
                nonrespondents.append(invited[~responds])
            if answered.empty:
                continue
            stage1 = len(buildings) / len(chosen)
            stage2 = len(households) / len(answered)  # invited share times response share
            sampled_rows.append(answered.assign(weight=stage1 * stage2))
        invitations[str(pid)] = invited_total
    data = pd.concat(sampled_rows).reset_index(names="household")
    return data, invitations


def make_survey(
    seed: int = 0,
    buildings_per_project: int = 8,
    invited_per_building: int = 30,
    response_rate: float = 0.7,
    start: str = "2026-09-07",
    weeks: int = 12,
    labels: str = "en",
    call_outcomes: bool = False,
) -> DemoSurvey:
    """Draw a stratified two-stage sample of households from a generated population.

    Parameters
    ----------
    seed : int
        Seeds both the population and the sample.
    buildings_per_project : int
        PSUs sampled per project (stratum).
    invited_per_building : int
        Households invited in each sampled building.
    response_rate : float
        Probability that an invited household answers.
    start, weeks
        Survey period: responses are spread over ``weeks`` weeks from ``start`` (a Monday).
    labels : {"en", "zh"}
        Column names in English or in Chinese (as a Chinese survey platform exports them).
    call_outcomes : bool
        Every invitation was a return-visit call with a recorded outcome (``call_result``: 完成 for the
        interviews; 拒访, 无人接听, 空号... for the invited who gave none, in ``attempts``), and the
        configuration groups the outcomes (``dispositions``). The sample itself is the same.

    Returns
    -------
    DemoSurvey
        ``data`` has one row per response with ``weight`` (inverse inclusion probability, adjusted for
        non-response within building), ``project`` (strata) and ``building`` (PSU).

    Examples
    --------
    >>> from cs_toolkit import demo
    >>> s = demo.make_survey(seed=3)
    >>> int(s.data["response_id"].is_unique)
    1
    """
    pop = make_population(seed)
    missed: list = []
    data, invitations = draw_sample(
        pop, np.random.default_rng(seed + 1), buildings_per_project, invited_per_building, response_rate, missed
    )
    rng = np.random.default_rng(seed + 2)
    n = len(data)
    week = rng.integers(0, weeks, size=n)
    day = rng.integers(0, 7, size=n)
    minute = rng.integers(8 * 60, 21 * 60, size=n)
    data["submitted_at"] = (
        pd.Timestamp(start) + pd.to_timedelta(week * 7 + day, unit="D") + pd.to_timedelta(minute, unit="min")
    )
    data["channel"] = rng.choice([c for c, _ in CHANNELS], size=n, p=[0.5, 0.3, 0.2])
    data = data.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    data.insert(0, "response_id", [f"R{seed:02d}{i:06d}" for i in range(1, n + 1)])
    # The CES question is only asked on the call; other channels leave it blank.
    data["ces"] = data["ces"].astype("Float64").where(data["channel"] == "return_visit_call")
    data["customer_name"] = [str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=int(rng.integers(1, 3))))
                             for _ in range(n)]
    data["phone"] = [f"1{rng.choice(list('3456789'))}{int(x):09d}" for x in rng.integers(0, 10**9, size=n)]
    data["comment"] = _comments(data["recommend"].to_numpy(), rng)
    columns = ["response_id", "project", "building", "touchpoint", "channel", "submitted_at", "recommend",
               *LIKERT_ITEMS, "ces", "resolved", "comment", "customer_name", "phone", "weight", "project_buildings"]
    data = data[columns]
    attempts = pd.DataFrame()
    if call_outcomes:
        data, attempts = _with_call_outcomes(data, missed, seed, start, weeks)
    truth_by_project = pop.groupby("project").apply(lambda f: pd.Series(population_truth(f)), include_groups=False)
    survey = DemoSurvey(
        data=data,
        population=pop,
        truth=population_truth(pop),
        truth_by_project=truth_by_project,
        invitations=invitations,
        config=demo_config(labels=labels, invitations=None if call_outcomes else invitations,
                           call_outcomes=call_outcomes),
        attempts=attempts,
    )
    if labels == "zh":
        survey.data = data.rename(columns=ZH_COLUMNS)
        survey.attempts = survey.attempts.rename(columns=ZH_COLUMNS)
    elif labels != "en":
        raise ValueError("labels must be 'en' or 'zh'")
    return survey


def _with_call_outcomes(data: pd.DataFrame, missed: list, seed: int, start: str,
                        weeks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The interviews marked 完成, and one call row per invited household that gave no interview (its
    outcome drawn from ``CALL_RESULTS``; no answers, no weight)."""
    rng = np.random.default_rng(seed + 3)
    data = data.assign(call_result="完成")
    pool = pd.concat(missed) if missed else pd.DataFrame(columns=["project", "building", "touchpoint"])
    n = len(pool)
    values = [v for v, (_, share) in CALL_RESULTS.items() if share]
    shares = np.array([CALL_RESULTS[v][1] for v in values])
    attempts = pd.DataFrame({c: pd.Series([pd.NA] * n, dtype=object) for c in data.columns})
    for column in ("project", "building", "touchpoint"):
        attempts[column] = pool[column].to_numpy()
    minute = rng.integers(8 * 60, 21 * 60, size=n)
    attempts["submitted_at"] = (pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, weeks * 7, size=n), unit="D")
                                + pd.to_timedelta(minute, unit="min"))
    attempts["channel"] = "return_visit_call"
    attempts["call_result"] = rng.choice(values, size=n, p=shares / shares.sum())
    attempts["response_id"] = [f"C{seed:02d}{i:06d}" for i in range(1, n + 1)]
    attempts["customer_name"] = [str(rng.choice(_SURNAMES)) + str(rng.choice(_GIVEN)) for _ in range(n)]
    attempts["phone"] = [f"1{rng.choice(list('3456789'))}{int(x):09d}" for x in rng.integers(0, 10**9, size=n)]
    attempts["project_buildings"] = pool["project"].map(data.groupby("project")["project_buildings"].first()).to_numpy()
    return data, attempts


def demo_config(labels: str = "en", invitations: dict[str, int] | None = None, call_outcomes: bool = False) -> dict:
    """The scoring configuration of the demo survey, as a dict (write it out with ``yaml.safe_dump``)."""
    name = (lambda c: ZH_COLUMNS[c]) if labels == "zh" else (lambda c: c)
    config = {
        "survey": "After-sales service satisfaction (demo)" if labels == "en" else "售后服务满意度调查(演示)",
        "id": name("response_id"),
        "items": {
            name("recommend"): {"scale": [0, 10], "label": {"zh": "推荐意愿（0–10分）", "en": "How likely to recommend (0-10)"}},
            name("sat_overall"): {"scale": [1, 5], "label": {"zh": "总体满意度", "en": "Overall satisfaction"}},
            name("sat_staff"): {"scale": [1, 5], "label": {"zh": "人员态度", "en": "Staff attitude"}},
            name("sat_speed"): {"scale": [1, 5], "label": {"zh": "处理速度", "en": "Speed of handling"}},
            name("sat_quality"): {"scale": [1, 5], "label": {"zh": "维修质量", "en": "Quality of repair"}},
            name("wait_too_long"): {"scale": [1, 5], "reverse": True, "label": {"zh": "等待时间过长（反向题）", "en": "I waited too long (agree = bad)"}},
            name("ces"): {"scale": [1, 7], "label": {"zh": "解决问题省力度", "en": "It was easy to get my issue resolved"}},
        },
        "missing_codes": ["不适用", "N/A", "NA", "无", 99],
        "nps": name("recommend"),
        "csat": [name("sat_overall")],
        "ces": name("ces"),
        "top_box": 2,
        "composites": {
            "service_quality": {
                "items": [name("sat_staff"), name("sat_speed"), name("sat_quality"), name("wait_too_long")],
                "min_items": 3,
            }
        },
        "segments": [name("project"), name("touchpoint"), name("channel")],
        "period": {"column": name("submitted_at"), "freq": "W"},
        "weights": name("weight"),
        "design": {"strata": name("project"), "psu": name("building"), "lonely_psu": "adjust"},
        "categorical": {name("resolved"): ["yes", "no"]},
    }
    # Free text and contact details pass through the reader untouched; reports find them by these names.
    if invitations:
        config["invitations"] = {"by": name("project"), "counts": dict(invitations)}
    if call_outcomes:
        groups: dict[str, list[str]] = {}
        for value, (group, _) in CALL_RESULTS.items():
            groups.setdefault(group, []).append(value)
        config["dispositions"] = {"column": name("call_result"), **groups}
    return config


def make_large_survey(n: int, seed: int = 0, n_items: int = 10, n_strata: int = 50, n_clusters: int = 2000) -> pd.DataFrame:
    """A large synthetic survey for benchmarks: ``n`` rows, ``n_items`` items, 3 segments, strata, PSUs, weights.

    Item 0 is a 0-10 recommend item; the others are 1-5 Likert items. Segments are categorical.

    Examples
    --------
    >>> from cs_toolkit import demo
    >>> demo.make_large_survey(1000, seed=1).shape
    (1000, 17)
    """
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, n_clusters, size=n)
    stratum = cluster % n_strata
    latent = rng.normal(0, 0.3, size=n_clusters)[cluster] + rng.normal(0, 1, size=n).astype(np.float32)
    out = {
        "stratum": stratum.astype(np.int32),
        "cluster": cluster.astype(np.int32),
        "weight": rng.uniform(0.5, 3.0, size=n),
        "region": pd.Categorical.from_codes(rng.integers(0, 8, size=n), [f"region_{i}" for i in range(8)]),
        "touchpoint": pd.Categorical.from_codes(rng.integers(0, 4, size=n), [t for t, _ in TOUCHPOINTS]),
        "channel": pd.Categorical.from_codes(rng.integers(0, 3, size=n), [c for c, _ in CHANNELS]),
    }
    noise = rng.normal(0, 0.8, size=(n_items, n)).astype(np.float32)
    out["item_0"] = np.clip(np.round(7 + 2 * latent + 2 * noise[0]), 0, 10)
    for j in range(1, n_items):
        out[f"item_{j}"] = np.clip(np.round(3.6 + latent + noise[j]), 1, 5)
    frame = pd.DataFrame(out)
    frame.insert(0, "response_id", np.arange(n, dtype=np.int64))
    return frame


def add_export_noise(data: pd.DataFrame, config: dict, seed: int = 0, n_bad: int = 6) -> tuple[pd.DataFrame, set[int]]:
    """Damage an export the way real ones are damaged, and say which rows must be rejected.

    Injects full-width digits (valid: read as normal digits), missing codes (valid: become missing),
    and — in ``n_bad`` distinct rows — out-of-scale values, text in numeric items, zero weights and
    duplicated response ids.

    Returns the damaged copy (all values as text) and the positions (0-based) of rows that a reader
    must reject.
    """
    rng = np.random.default_rng(seed)
    out = data.astype(object).copy()
    items = list(config["items"])
    nps_item = config.get("nps")
    likert = [i for i in items if i != nps_item]
    weight = config.get("weights")
    id_col = config.get("id")
    n = len(out)
    candidates = np.arange(1, n)
    if config.get("dispositions"):  # damage interviews: a call without one has no answers to check
        spec = config["dispositions"]
        candidates = candidates[data[spec["column"]].isin(spec["complete"]).to_numpy()[1:]]
    positions = rng.choice(candidates, size=min(n_bad + 6, len(candidates)), replace=False)
    bad_rows, harmless = positions[:n_bad], positions[n_bad:]
    kinds = ["out_of_scale", "text", "zero_weight", "duplicate_id"]
    for k, pos in enumerate(bad_rows):
        kind = kinds[k % len(kinds)]
        if kind == "zero_weight" and weight is None:
            kind = "text"
        if kind == "duplicate_id" and id_col is None:
            kind = "out_of_scale"
        col = out.columns.get_loc
        if kind == "out_of_scale":
            item = likert[k % len(likert)]
            out.iat[pos, col(item)] = config["items"][item]["scale"][1] + 3
        elif kind == "text":
            out.iat[pos, col(nps_item or likert[0])] = "很好"
        elif kind == "zero_weight":
            out.iat[pos, col(weight)] = 0
        else:
            out.iat[pos, col(id_col)] = out.iat[0, col(id_col)]
    for k, pos in enumerate(harmless):
        item = likert[k % len(likert)]
        value = out.iat[pos, out.columns.get_loc(item)]
        if k % 2 == 0 and pd.notna(value):
            out.iat[pos, out.columns.get_loc(item)] = str(int(value)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        elif config.get("missing_codes"):
            out.iat[pos, out.columns.get_loc(item)] = config["missing_codes"][0]
    return out, {int(p) for p in bad_rows}
