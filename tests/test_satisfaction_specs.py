"""Model specifications in the survey's YAML config (``satisfaction_models``), and the research
notebook run through the report runner (papermill)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import cs_toolkit as cs
from cs_toolkit import demo
from cs_toolkit.errors import ConfigError, ReportFailed
from cs_toolkit.satisfaction import parse_model_specs, read_model_specs
from cs_toolkit.satisfaction.demo import make_csi_survey, make_kano_survey, make_servqual_survey
from cs_toolkit.satisfaction.specs import KanoSpec, KeyDriverSpec, PLSSpec, ServqualSpec

ROOT = Path(__file__).resolve().parents[1]
MOBI = ROOT.parent / "shared" / "data" / "surveys" / "ecsi_mobi" / "mobi.csv"

CONFIG = """
survey: 售后服务满意度
satisfaction_models:
  csi:
    kind: pls
    scheme: centroid
    index_scale: [1, 10]
    target: satisfaction
    constructs:
      quality: {items: [qual_1, qual_2, qual_3, qual_4], label: 感知质量}
      value: {items: [valu_1, valu_2, valu_3], label: 感知价值}
      satisfaction: {items: [sati_1, sati_2, sati_3], label: 满意度}
      loyalty: [loya_1, loya_2, loya_3]
    paths:
      - quality -> value
      - quality -> satisfaction
      - [value, satisfaction]
      - satisfaction -> loyalty
  drivers:
    kind: key_drivers
    outcome: sat_overall
    drivers: [sat_staff, sat_speed, sat_quality]
    scales: [1, 5]
    labels: {sat_staff: 人员态度, sat_speed: 处理速度, sat_quality: 维修质量}
  features:
    kind: kano
    features:
      app_progress: {functional: app_progress_f, dysfunctional: app_progress_d, label: 手机查看维修进度}
      repair_quality: [repair_quality_f, repair_quality_d]
  gaps:
    kind: servqual
    pairs: {expectation: E_, perception: P_}
    dimensions:
      tangibles: [tan1, tan2, tan3, tan4]
      reliability: [rel1, rel2, rel3, rel4, rel5]
      responsiveness: [res1, res2, res3, res4]
      assurance: [ass1, ass2, ass3, ass4]
      empathy: [emp1, emp2, emp3, emp4, emp5]
    importance: {tangibles: imp_tangibles, reliability: imp_reliability, responsiveness: imp_responsiveness,
                 assurance: imp_assurance, empathy: imp_empathy}
"""


@pytest.fixture(scope="module")
def specs():
    return parse_model_specs(yaml.safe_load(CONFIG))


def test_parse_kinds_and_run(specs, tmp_path):
    assert isinstance(specs["csi"], PLSSpec) and isinstance(specs["drivers"], KeyDriverSpec)
    assert isinstance(specs["features"], KanoSpec) and isinstance(specs["gaps"], ServqualSpec)
    csi = make_csi_survey(n=200, seed=0)
    model = specs["csi"].model().fit(csi.data)
    assert model.scheme == "centroid" and specs["csi"].labels["quality"] == "感知质量"
    assert list(model.path_coefficients_["to"]) == ["value", "satisfaction", "satisfaction", "loyalty"]
    survey = demo.make_survey(seed=0)
    design = cs.SurveyDesign(survey.data, weights="weight", strata="project", psu="building")
    drivers = specs["drivers"].run(design)
    assert list(drivers["label"]) == ["人员态度", "处理速度", "维修质量"]
    kano = specs["features"].run(make_kano_survey(n=200, seed=0).data)
    assert list(kano["label"]) == ["手机查看维修进度", "repair_quality"]
    gaps = specs["gaps"].run(make_servqual_survey(n=200, seed=0).data)
    assert "weighted overall" in set(gaps["level"])
    path = tmp_path / "survey.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    assert read_model_specs(path).keys() == specs.keys()
    assert specs["gaps"].columns()[:2] == ["E_tan1", "P_tan1"] and "loya_3" in specs["csi"].columns()


@pytest.mark.parametrize(("change", "key", "message"), [
    (lambda m: m["csi"].update(kind="sem"), "satisfaction_models.csi.kind", "kind must be one of"),
    (lambda m: m["csi"]["constructs"]["value"].update(items=[]), "satisfaction_models.csi.constructs.value.items",
     "has no items"),
    (lambda m: m["csi"]["paths"].append("loyalty -> quality"), "satisfaction_models.csi", "cycle"),
    (lambda m: m["csi"]["paths"].append("loyalty"), "satisfaction_models.csi.paths[4]", "From -> To"),
    (lambda m: m["csi"]["constructs"]["value"]["items"].append("qual_1"), "satisfaction_models.csi", "two blocks"),
    (lambda m: m["csi"].update(target="trust"), "satisfaction_models.csi.target", "not one of the constructs"),
    (lambda m: m["csi"].update(schem="path"), "satisfaction_models.csi.schem", "unknown key"),
    (lambda m: m["drivers"].update(method="lmg"), "satisfaction_models.drivers.method", "method must be"),
    (lambda m: m["drivers"].update(scales=[5, 1]), "satisfaction_models.drivers.scales", "low < high"),
    (lambda m: m["features"]["features"].update(x={"functional": "a"}), "satisfaction_models.features.features.x",
     "both 'functional' and 'dysfunctional'"),
    (lambda m: m["gaps"].update(pairs={"tan1": ["E_tan1"]}), "satisfaction_models.gaps.pairs.tan1", r"no \[expectation"),
    (lambda m: m["gaps"].update(importance={"tangibles": 100}), "satisfaction_models.gaps.importance",
     "each dimension"),
])
def test_errors_name_the_key(change, key, message):
    raw = yaml.safe_load(CONFIG)
    change(raw["satisfaction_models"])
    with pytest.raises(ConfigError, match=message) as err:
        parse_model_specs(raw)
    assert err.value.key == key


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("satisfaction_models:\n  m: {kind: pls, constructs: {}, paths: []}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml: satisfaction_models.m.constructs"):
        read_model_specs(path)
    assert parse_model_specs({"survey": "x"}) == {}


# ---------------------------------------------------------------------------------------------- notebook
@pytest.mark.slow
@pytest.mark.shared_data
def test_research_notebook_runs(tmp_path):
    if not MOBI.exists():
        pytest.skip(f"shared data {MOBI} not available (expected beside the project in ../shared/data)")
    from cs_toolkit.reports.runner import run_report

    result = run_report("ecsi_satisfaction_index", "study", reports_dir=tmp_path,
                        templates=ROOT / "notebooks" / "research",
                        parameters={"data_path": str(MOBI), "n_boot": 100})
    html = result.html.read_text(encoding="utf-8")
    for phrase in ("顾客满意度指数为", "优势区", "Cronbach", "HTMT", "给管理者的结论", "data:image/png;base64"):
        assert phrase in html, phrase
    index = pd.read_csv(result.folder / "ecsi_index.csv").set_index("construct")
    assert np.isclose(index.loc["Satisfaction", "index"], 72.45, atol=0.05)
    assert "def " not in html  # code is hidden from managers


@pytest.mark.slow
def test_research_notebook_fails_clearly_without_data(tmp_path):
    from cs_toolkit.reports.runner import run_report

    with pytest.raises(ReportFailed, match="FileNotFoundError.*找不到 ECSI 数据文件") as err:
        run_report("ecsi_satisfaction_index", "study", reports_dir=tmp_path,
                   templates=ROOT / "notebooks" / "research",
                   parameters={"data_path": str(tmp_path / "absent.csv")})
    assert err.value.failed_notebook is not None


def test_notebook_is_stored_without_outputs_and_has_parameters():
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "research" / "ecsi_satisfaction_index.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("data_path", "output_dir = None", "period = None"):
        assert name in params[0].source
