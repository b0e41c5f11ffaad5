"""Model files are data, never code: tampered payloads built from a real saved model are refused before
anything runs; model cards are validated; the taxonomy version is always recorded and checked; English,
Chinese and mixed corpora train, save, load and predict through the command line."""

from __future__ import annotations

import functools
import io
import json
import operator
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cs_toolkit import demo
from cs_toolkit.complaints import ComplaintClassifier, load_model, save_model
from cs_toolkit.complaints.payload import payload_nodes
from cs_toolkit.errors import ModelFileError

CLI = str(Path(sys.executable).with_name("cs-toolkit"))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    log = demo.make_complaints(300, seed=0)
    path = tmp_path_factory.mktemp("model") / "good.model"
    save_model(ComplaintClassifier(cv=3).fit(log["text"], log["category"]), path, taxonomy_version="2026.1")
    return path


def _parts(path: Path) -> tuple[dict, bytes]:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("card.json")), zf.read("model.skops")


def _write(path: Path, card: dict, blob: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("card.json", json.dumps(card))
        zf.writestr("model.skops", blob)
    return path


def _with_schema(blob: bytes, edit) -> bytes:
    """The payload with its schema.json edited (the arrays and other entries unchanged)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "schema.json":
                schema = json.loads(data)
                edit(schema)
                data = json.dumps(schema).encode()
            dst.writestr(item, data)
    return out.getvalue()


def _json(value) -> dict:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": json.dumps(value),
            "is_json": True, "__id__": 1}


def _call(module: str, name: str, *args) -> dict:
    """A node that, when skops constructs it, calls ``module.name(*args)``."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode", "__id__": 2,
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "__id__": 3,
                        "content": [_json(a) for a in args]}}


def _inject(node: dict):
    def edit(schema):
        schema["content"]["evil"] = node
        schema["key_types"]["content"].append(dict(schema["key_types"]["content"][0]))
    return edit


def _dumped_payloads(blob: bytes, marker: Path, evil_module: str) -> dict[str, bytes]:
    """Payloads made by skops itself from the real model's state plus one hostile object."""
    import skops.io as sio

    state = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    evil = __import__(evil_module)
    objects = {
        "functools.partial(os.system)": functools.partial(os.system, f"touch {marker}"),
        "operator.attrgetter": operator.attrgetter("system"),
        "custom class with __setstate__": evil.Evil(str(marker)),
        "os.system function": os.system,
    }
    return {name: sio.dumps({**state, "evil": obj}) for name, obj in objects.items()}


def test_tampered_payloads_are_refused_before_anything_runs(saved, tmp_path, monkeypatch):
    card, blob = _parts(saved)
    marker = tmp_path / "pwned"
    evil_dir = tmp_path / "evil_pkg"
    evil_dir.mkdir()
    (evil_dir / "cs_evil_payload.py").write_text(
        "class Evil:\n"
        "    def __init__(self, path):\n        self.path = path\n"
        "    def __setstate__(self, state):\n        open(state['path'], 'w').write('ran')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(evil_dir))
    calls = {
        "builtins.exec": _call("builtins", "exec", f"open({str(marker)!r}, 'w').write('exec')"),
        "builtins.eval": _call("builtins", "eval", f"open({str(marker)!r}, 'w').write('eval')"),
        "os.system": _call("os", "system", f"touch {marker}"),
        "subprocess.getoutput": _call("subprocess", "getoutput", f"touch {marker}"),
        "posix.system": _call("posix", "system", f"touch {marker}"),
    }
    payloads = {name: _with_schema(blob, _inject(node)) for name, node in calls.items()}
    payloads.update(_dumped_payloads(blob, marker, "cs_evil_payload"))

    import skops.io as sio

    # the hand-made payloads are live: a loader that trusted them would run them
    sio.loads(payloads["builtins.exec"], trusted=sio.get_untrusted_types(data=payloads["builtins.exec"]))
    assert marker.read_text() == "exec"
    marker.unlink()

    for name, payload in payloads.items():
        path = _write(tmp_path / f"{name.replace(' ', '_')}.model", card, payload)
        with pytest.raises(ModelFileError, match="refused before loading") as info:
            load_model(path)
        assert not marker.exists(), f"{name} ran code"
        assert info.value.refused and str(path) in str(info.value)
    # through the command line as well: one line, no traceback, nothing ran
    texts = tmp_path / "in.csv"
    texts.write_text("text\n漏水\n", encoding="utf-8")
    out = subprocess.run([CLI, "complaints", "predict", str(texts), "--text", "text", "--out", str(tmp_path / "o.csv"),
                          "--model", str(tmp_path / "builtins.exec.model")], capture_output=True, text=True)
    assert out.returncode == 2 and "refused" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()


def test_every_node_of_a_real_model_is_allowed_and_nothing_else_is_needed(saved):
    from cs_toolkit.complaints.payload import ALLOWED

    _, blob = _parts(saved)
    nodes = set(payload_nodes(blob))
    assert nodes <= ALLOWED
    assert not any(loader in ("FunctionNode", "MethodNode", "PartialNode", "OperatorFuncNode",
                              "ConstructorFromReduceNode") for loader, _, _ in ALLOWED)
    assert not any(module in ("os", "posix", "subprocess", "operator", "functools") for _, module, _ in ALLOWED)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(surprise=1), "unknown key"),
    (lambda c: c["params"].update(evil="x"), "unknown parameter"),
    (lambda c: c.update(classes="not a list"), "'classes'"),
    (lambda c: c["review"].update(threshold="high"), "review.threshold"),
    (lambda c: c.pop("params"), "missing key"),
])
def test_model_cards_are_validated(saved, tmp_path, edit, message):
    card, blob = _parts(saved)
    edit(card)
    path = _write(tmp_path / "edited.model", card, blob)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_the_taxonomy_version_is_always_recorded_and_checked(saved, tmp_path):
    model, card = load_model(saved, taxonomy_version="2026.1")
    assert card["taxonomy_version"] == "2026.1"
    with pytest.raises(ModelFileError, match="taxonomy version '2026.1', not '2027.1'"):
        load_model(saved, taxonomy_version="2027.1")
    old_card, blob = _parts(saved)
    old_card["taxonomy_version"] = None  # a file from before versions were always recorded
    old = _write(tmp_path / "old.model", old_card, blob)
    assert load_model(old)[0].classes_.size  # loads when no version is asked for
    with pytest.raises(ModelFileError, match="None"):
        load_model(old, taxonomy_version="2026.1")
    unnamed = tmp_path / "unnamed.model"
    save_model(model, unnamed)
    assert load_model(unnamed)[1]["taxonomy_version"].startswith("labels-")


CORPORA = {
    "english": ["The lift in building {i} is broken again", "Rubbish piles up next to block {i}",
                "Water leaks through the bathroom ceiling of flat {i}", "The staff were rude on call {i}"],
    "chinese": ["{i}栋电梯又坏了", "{i}号楼旁边垃圾堆积", "{i}室卫生间顶棚漏水", "第{i}次打电话客服态度恶劣"],
    "mixed": ["{i}栋电梯又坏了", "Rubbish piles up next to block {i}", "{i}室卫生间顶棚漏水",
              "The staff were rude on call {i}"],
}


@pytest.mark.parametrize("language", sorted(CORPORA))
def test_cli_trains_saves_loads_and_predicts_any_language(tmp_path, language):
    labels = ["equipment", "cleaning", "leak", "staff"]
    rows = [(t.format(i=i), lab) for i in range(1, 16) for t, lab in zip(CORPORA[language], labels, strict=True)]
    data = tmp_path / "train.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(data, index=False)
    model = tmp_path / "m.model"
    train = subprocess.run([CLI, "complaints", "train", str(data), "--text", "text", "--label", "label",
                            "--model", str(model)], capture_output=True, text=True)
    assert train.returncode == 0, train.stderr[-2000:]
    new = tmp_path / "new.csv"
    pd.DataFrame({"text": [t.format(i=99) for t in CORPORA[language]]}).to_csv(new, index=False)
    out = tmp_path / "out.csv"
    predict = subprocess.run([CLI, "complaints", "predict", str(new), "--text", "text", "--model", str(model),
                              "--out", str(out)], capture_output=True, text=True)
    assert predict.returncode == 0, predict.stderr[-2000:]
    assert pd.read_csv(out)["category"].tolist() == labels
    assert json.loads(zipfile.ZipFile(model).read("card.json"))["taxonomy_version"]


def test_the_payload_is_plain_data_and_predicting_imports_neither_sklearn_nor_skops(saved, tmp_path):
    _, blob = _parts(saved)
    loaders = {loader for loader, _, _ in payload_nodes(blob)}
    assert loaders <= {"DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode", "TypeNode"}
    code = ("import sys\nfrom cs_toolkit.complaints import load_model\n"
            f"model, card = load_model({str(saved)!r})\n"
            "print(model.predict_with_confidence(['卫生间漏水']).iloc[0]['category'])\n"
            "print(sorted(m for m in ('sklearn', 'skops') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    category, imported = out.stdout.strip().splitlines()
    assert category and imported == "[]"


def test_a_model_file_of_the_older_format_asks_for_retraining(saved, tmp_path):
    card, blob = _parts(saved)
    card["format"] = "cs_toolkit.complaint_model/1"
    with pytest.raises(ModelFileError, match="older cs_toolkit.*retrain"):
        load_model(_write(tmp_path / "old.model", card, blob))


def test_format_2_files_still_load_and_a_newer_format_is_named(saved, tmp_path):
    from cs_toolkit.complaints import ComplaintClassifier

    # what a format-2 file holds: ngram features, no offsets, neither new parameter nor training key
    log = demo.make_complaints(300, seed=0)
    model = ComplaintClassifier(cv=3, text_features="ngrams", tune_biases=False).fit(log["text"], log["category"])
    path = save_model(model, tmp_path / "v3.model")
    card, blob = _parts(path)
    card["format"] = "cs_toolkit.complaint_model/2"
    for key in ("text_features", "tune_biases"):
        del card["params"][key]
    for key in ("text_features", "selection", "biases"):
        del card["training"][key]
    old, _ = load_model(_write(tmp_path / "v2.model", card, blob))
    assert old.text_features_ == "ngrams" and not old.biases_.any()
    assert (old.predict(log["text"]) == model.predict(log["text"])).all()
    card, blob = _parts(saved)
    card["format"] = "cs_toolkit.complaint_model/4"
    with pytest.raises(ModelFileError, match="newer cs_toolkit"):
        load_model(_write(tmp_path / "v4.model", card, blob))


def test_a_payload_whose_parts_do_not_fit_is_refused(saved, tmp_path):
    import skops.io as sio

    card, blob = _parts(saved)
    state = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    state["coef"] = state["coef"][:, :3]
    with pytest.raises(ModelFileError, match="do not fit together"):
        load_model(_write(tmp_path / "odd.model", card, sio.dumps(state)))
