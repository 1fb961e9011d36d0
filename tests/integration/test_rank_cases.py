"""``kgdecide rank-cases`` and ``kgdecide train`` end to end on a small clinical-schema store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kgdecide.cli import main
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.score import SCORERS
from kgdecide.settings import Settings

_TERMS = {  # child -> parent, under Phenotypic abnormality
    "HP:0000010": "HP:0000118", "HP:0000011": "HP:0000010", "HP:0000012": "HP:0000010",
    "HP:0000020": "HP:0000118", "HP:0000021": "HP:0000020", "HP:0000022": "HP:0000020",
    "HP:0000030": "HP:0000118", "HP:0000031": "HP:0000030",
}
_DISEASES = {
    "OMIM:100001": {"HP:0000011": 0.9, "HP:0000012": 0.5},
    "OMIM:100002": {"HP:0000021": 1.0, "HP:0000022": None},
    "OMIM:100003": {"HP:0000031": 0.8, "HP:0000012": 0.2},
    "OMIM:100004": {"HP:0000022": 0.7, "HP:0000031": 0.3},
    "ORPHA:1": {"HP:0000011": 0.6, "HP:0000031": 0.6},
}


def _write_store(home: Path) -> None:
    b = GraphBuilder("clinical", "fixture")
    b.add_node("HP:0000118", "PhenotypicFeature", "Phenotypic abnormality")
    for child, parent in _TERMS.items():
        b.add_node(child, "PhenotypicFeature", f"term {child[-2:]}")
        b.add_edge(child, "is_a", parent)
    for disease, annotations in _DISEASES.items():
        b.add_node(disease, "Disease", f"disease {disease}")
        for term, freq in annotations.items():
            b.add_edge(disease, "has_phenotype", term, {"source": "fixture",
                                                        **({"frequency": freq} if freq else {})})
    b.add_node("HP:0009999", "ObsoleteClass", "obsolete term")
    b.add_edge("HP:0009999", "replaced_by", "HP:0000021")
    b.add_node("NCBIGene:1", "Gene", "G1")
    b.add_edge("NCBIGene:1", "gene_associated_with_condition", "OMIM:100001")
    b.add_edge("ORPHA:1", "same_disease_as", "OMIM:100001")  # one disease, two ids
    EmbeddedStore.write(b.build(), Settings(home).store_dir("clinical"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Path:
    home = tmp_path_factory.mktemp("home")
    _write_store(home)
    result = _invoke(home, ["train", "--cases", str(fixtures_dir / "cases" / "labelled.jsonl"),
                            "--simulated", "60", "--max-minutes", "0.5"])
    assert result.exit_code == 0, result.output
    return home


def _invoke(home: Path, args: list[str]) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _lines(path: Path) -> dict[str, dict]:
    return {line["id"]: line for line in map(json.loads, path.read_text().splitlines())}


def test_train_writes_a_model_calibrations_and_the_default_for_the_graph_version(home: Path) -> None:
    models = list((home / "models").iterdir())
    assert len(models) == 1
    assert {p.name for p in models[0].iterdir()} >= {"attention.npz", "calibration.json",
                                                      "conformal.json", "answers.json",
                                                      "default.json"}
    assert set(json.loads((models[0] / "conformal.json").read_text())) == {"attention", "lr",
                                                                            "resnik"}
    assert set(json.loads((models[0] / "calibration.json").read_text())) == {"attention", "lr",
                                                                              "resnik"}
    default = json.loads((models[0] / "default.json").read_text())
    assert default["scorer"] in {"attention", "resnik"} and default["reason"]


@pytest.mark.parametrize("scorer", sorted(SCORERS))
def test_rank_cases_jsonl_for_every_scorer(scorer: str, home: Path, fixtures_dir: Path,
                                           tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = _invoke(home, ["rank-cases", str(fixtures_dir / "cases" / "cases.jsonl"),
                            "--out", str(out), "--scorer", scorer, "--top", "3"])
    assert result.exit_code == 0, result.output
    lines = _lines(out)
    assert list(lines) == ["heart", "with-diagnosis", "obsolete", "unknown", "nothing-known",
                           "contradictory"]
    heart = lines["heart"]["ranking"]
    assert len(heart) == 3 and heart[0]["id"] == "OMIM:100001"
    assert all(set(r) == {"id", "label", "score", "probability", "equivalent"} for r in heart)
    assert heart[0]["equivalent"] == ["ORPHA:1"]  # one item per disease, with its other ids
    assert "ORPHA:1" not in {r["id"] for r in heart}
    assert all(0 <= r["probability"] <= 1 for r in heart)
    assert [r["score"] for r in heart] == sorted((r["score"] for r in heart), reverse=True)
    assert lines["obsolete"]["mapped"] == [["HP:0009999", "HP:0000021"]]
    assert lines["unknown"]["unknown"] == ["HP:7777777"] and lines["unknown"]["ranking"]
    assert lines["nothing-known"]["ranking"] == [] and "no present finding" in lines["nothing-known"]["error"]
    assert lines["contradictory"]["contradictory"] == ["HP:0000022"]
    assert "1 with unknown ids" in result.output or "1 with unknown ids" in (result.stderr or "")


def test_diseases_choose_the_id_shown_for_a_disease_with_two(home: Path, fixtures_dir: Path,
                                                              tmp_path: Path) -> None:
    rankings = {}
    for kind in ("omim", "orpha"):
        out = tmp_path / f"{kind}.jsonl"
        result = _invoke(home, ["rank-cases", str(fixtures_dir / "cases" / "cases.jsonl"),
                                "--out", str(out), "--scorer", "lr", "--diseases", kind])
        assert result.exit_code == 0, result.output
        rankings[kind] = _lines(out)["heart"]["ranking"]
    assert [(r["id"], r["equivalent"]) for r in rankings["orpha"]] == [("ORPHA:1", ["OMIM:100001"])]
    assert rankings["omim"][0]["id"] == "OMIM:100001" and rankings["omim"][0]["equivalent"] == ["ORPHA:1"]
    assert all(r["id"].startswith("OMIM:") for r in rankings["omim"])
    # The disease's score and probability do not depend on which of its ids is shown.
    assert rankings["orpha"][0]["score"] == rankings["omim"][0]["score"]


def test_the_default_scorer_is_the_one_training_chose_else_resnik(
        home: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    cases = str(fixtures_dir / "cases" / "cases.jsonl")
    (models,) = (home / "models").iterdir()
    chosen = json.loads((models / "default.json").read_text())["scorer"]
    trained = _invoke(home, ["rank-cases", cases, "--out", str(tmp_path / "a.jsonl")])
    assert f"ranked with {chosen}" in trained.output
    untrained = tmp_path / "untrained"
    _write_store(untrained)
    fresh = _invoke(untrained, ["rank-cases", cases, "--out", str(tmp_path / "b.jsonl")])
    assert "ranked with resnik" in fresh.output


def test_diagnosis_fields_are_never_read(home: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    source = (fixtures_dir / "cases" / "cases.jsonl").read_text().splitlines()
    with_dx, without_dx = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    with_dx.write_text(source[1] + "\n")
    record = json.loads(source[1])
    record["diagnosis"] = ["OMIM:100003"]  # a different "answer" must change nothing
    without_dx.write_text(json.dumps(record) + "\n")
    outs = []
    for i, path in enumerate((with_dx, without_dx)):
        out = tmp_path / f"out{i}.jsonl"
        assert _invoke(home, ["rank-cases", str(path), "--out", str(out), "--scorer", "lr"]).exit_code == 0
        outs.append(out.read_text())
    assert outs[0] == outs[1]


def test_phenopacket_folder_and_disease_filter(home: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    result = _invoke(home, ["rank-cases", str(fixtures_dir / "cases" / "phenopackets"), "--out",
                            str(out), "--scorer", "resnik", "--diseases", "orpha"])
    assert result.exit_code == 0, result.output
    lines = _lines(out)
    assert set(lines) == {"p1", "p2"}
    assert [r["id"] for r in lines["p1"]["ranking"]] == ["ORPHA:1"]
    assert lines["p2"]["mapped"] == [["HP:0009999", "HP:0000021"]]


def test_unknown_scorer_is_a_clear_error(home: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(home), "rank-cases",
                                       str(fixtures_dir / "cases" / "cases.jsonl"),
                                       "--out", str(tmp_path / "x.jsonl"), "--scorer", "bm25"])
    assert result.exit_code == 1
    assert "valid scorers" in result.output and "Traceback" not in result.output


def test_a_malformed_case_line_is_named(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "observed": ["HP:0000011"]}\n{"id": "b", "observed": "HP:1"}\n')
    result = CliRunner().invoke(main, ["--home", str(home), "rank-cases", str(bad),
                                       "--out", str(tmp_path / "o.jsonl"), "--scorer", "lr"])
    assert result.exit_code == 1
    message = result.output
    assert "bad.jsonl:2" in message and "observed" in message
    assert not list(tmp_path.glob("o.jsonl*"))  # nothing half-written


def test_rank_cases_gives_the_prediction_set_at_the_coverage_asked(home: Path, fixtures_dir: Path,
                                                                   tmp_path: Path) -> None:
    for coverage in ("0.5", "0.9"):
        out = tmp_path / f"r{coverage}.jsonl"
        result = _invoke(home, ["rank-cases", str(fixtures_dir / "cases" / "cases.jsonl"),
                                "--out", str(out), "--scorer", "lr", "--top", "100",
                                "--coverage", coverage])
        assert result.exit_code == 0, result.output
        heart = _lines(out)["heart"]
        assert heart["coverage"] == float(coverage)
        ids = [r["id"] for r in heart["ranking"]]
        # a set is the head of the ranking, never empty
        assert 1 <= len(heart["set"]) <= len(ids) and heart["set"] == ids[:len(heart["set"])]
    bad = CliRunner().invoke(main, ["--home", str(home), "rank-cases",
                                    str(fixtures_dir / "cases" / "cases.jsonl"), "--out",
                                    str(tmp_path / "x.jsonl"), "--coverage", "1.5"])
    assert bad.exit_code == 2 and "--coverage" in bad.output


def test_calibrate_only_rewrites_the_maps_and_leaves_the_model_alone(home: Path, fixtures_dir: Path,
                                                                     tmp_path: Path) -> None:
    import shutil

    models = next((home / "models").iterdir())
    copy = tmp_path / "model"
    shutil.copytree(models, copy)
    (copy / "conformal.json").unlink()
    weights, default = (copy / "attention.npz").read_bytes(), (copy / "default.json").read_bytes()
    result = _invoke(home, ["train", "--cases", str(fixtures_dir / "cases" / "labelled.jsonl"),
                            "--calibrate-only", "--model-dir", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "conformal.json").is_file() and (copy / "answers.json").is_file()
    assert (copy / "attention.npz").read_bytes() == weights
    assert (copy / "default.json").read_bytes() == default
    missing = _invoke(home, ["train", "--calibrate-only", "--model-dir", str(tmp_path / "none"),
                             "--cases", str(fixtures_dir / "cases" / "labelled.jsonl")])
    assert missing.exit_code != 0 and "no attention model" in missing.output
