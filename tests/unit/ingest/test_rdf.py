"""RDF readers: the four formats agree, bad lines are named, the fast N-Triples path matches
pyoxigraph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgdecide.errors import IngestError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions
from kgdecide.ingest import rdf

READERS = {
    "tiny.nt": rdf.read_ntriples,
    "tiny.ttl": rdf.read_turtle,
    "tiny.rdf": rdf.read_rdfxml,
    "tiny.jsonld": rdf.read_jsonld,
}


def _read(reader, path: Path, skip_bad: bool = False) -> tuple[ArrayGraph, object]:  # type: ignore[no-untyped-def]
    builder = GraphBuilder("t")
    report = reader(builder, path, IngestOptions(skip_bad=skip_bad))
    return builder.build(), report


def _snapshot(graph: ArrayGraph) -> tuple[set, set]:  # type: ignore[type-arg]
    nodes = {
        (n.id, n.type, n.label, frozenset(n.synonyms), frozenset(n.properties.items()))
        for n in graph.iter_nodes()
    }
    edges = {(e.subject, e.relation, e.object) for e in graph.iter_edges()}
    return nodes, edges


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_format_gives_the_same_graph(fixtures_dir: Path, name: str) -> None:
    graph, report = _read(READERS[name], fixtures_dir / "rdf" / name)
    expected, _ = _read(rdf.read_turtle, fixtures_dir / "rdf" / "tiny.ttl")
    assert report.records == 18
    assert _snapshot(graph) == _snapshot(expected)


def test_mapping_of_the_tiny_graph(fixtures_dir: Path) -> None:
    graph, _ = _read(rdf.read_ntriples, fixtures_dir / "rdf" / "tiny.nt")
    seizure = graph.node(graph.row("HP:0001250"))
    assert (seizure.type, seizure.label) == ("PhenotypicFeature", "Seizure")
    assert set(seizure.synonyms) == {"Seizures", "Epileptic seizure"}
    assert seizure.properties["obo:IAO_0000115"].startswith('A "seizure" is')
    assert "\n" in seizure.properties["obo:IAO_0000115"]
    disease = graph.node(graph.row("OMIM:619340"))
    assert disease.type == "Disease"
    assert disease.properties["prevalence"] == pytest.approx(0.001)
    assert set(disease.properties["source"]) == {"OMIM", "HPO"}
    gene = graph.node(graph.row("NCBIGene:2"))
    assert gene.properties["https://example.org/vocab/weight"] == 3.0
    edges = {(e.subject, e.relation, e.object) for e in graph.iter_edges()}
    assert edges == {
        ("HP:0001250", "is_a", "HP:0000118"),
        ("OMIM:619340", "has_phenotype", "HP:0001250"),
        ("OMIM:619340", "associated_gene", "NCBIGene:2"),
    }


BAD_NT = (
    "<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n"
    "<http://a.org/s> <http://a.org/p> \"unterminated .\n"
    "<http://a.org/s> <http://a.org/p> <http://a.org/o2> .\n"
    "<s> <http://a.org/p> <http://a.org/o> .\n"
    "<http://a.org/s> <http://a.org/p> <http://a.org/o3>\n"
)


def test_malformed_ntriples_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.nt"
    path.write_text(BAD_NT)
    with pytest.raises(IngestError) as caught:
        _read(rdf.read_ntriples, path)
    assert caught.value.line == 2
    assert caught.value.path == path
    assert "bad.nt:2" in str(caught.value)


def test_skip_bad_counts_every_bad_ntriples_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.nt"
    path.write_text(BAD_NT)
    graph, report = _read(rdf.read_ntriples, path, skip_bad=True)
    assert (report.records, report.skipped) == (2, 3)
    assert [e.split(":")[0] for e in report.skipped_examples] == ["line 2", "line 4", "line 5"]
    assert {e.object for e in graph.iter_edges()} == {"http://a.org/o", "http://a.org/o2"}


def test_malformed_line_in_a_later_block_has_its_file_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdf, "BLOCK_BYTES", 200)  # many blocks: line numbers must add up
    good = "<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n"
    path = tmp_path / "big.nt"
    path.write_text(good * 40 + "<http://a.org/s> <http://a.org/p> .\n" + good * 3)
    with pytest.raises(IngestError) as caught:
        _read(rdf.read_ntriples, path)
    assert caught.value.line == 41


def test_malformed_turtle_line_is_named_and_skip_bad_resumes(tmp_path: Path) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text(
        "@prefix ex: <http://a.org/> .\n"
        "ex:a ex:p ex:b .\n"
        "ex:c ex:p \"broken .\n"
        "ex:d ex:p ex:e .\n"
    )
    with pytest.raises(IngestError) as caught:
        _read(rdf.read_turtle, path)
    assert caught.value.line == 3
    graph, report = _read(rdf.read_turtle, path, skip_bad=True)
    assert report.skipped == 1
    edges = {(e.subject, e.object) for e in graph.iter_edges()}
    assert ("http://a.org/a", "http://a.org/b") in edges
    assert ("http://a.org/d", "http://a.org/e") in edges


def test_malformed_rdfxml_raises(tmp_path: Path) -> None:
    path = tmp_path / "bad.rdf"
    path.write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<broken\n')
    with pytest.raises(IngestError):
        _read(rdf.read_rdfxml, path)


def test_blank_nodes_get_stable_ids_per_file(tmp_path: Path) -> None:
    path = tmp_path / "b.nt"
    path.write_text(
        "_:x <http://a.org/p> _:y .\n_:y <http://a.org/p> <http://a.org/o> .\n"
        "_:x <http://www.w3.org/2000/01/rdf-schema#label> \"X\" .\n"
    )
    builder = GraphBuilder("t")
    rdf.read_ntriples(builder, path, IngestOptions())
    rdf.read_ntriples(builder, path, IngestOptions())
    graph = builder.build()
    blank = sorted(i for i in graph.id_list if i.startswith("_:"))
    assert len(blank) == 4  # two per file, never merged across files
    first = {i for i in blank if "." not in i}
    assert first == {"_:b0", "_:b1"}
    labelled = [n.id for n in graph.iter_nodes() if n.label == "X"]
    assert len(labelled) == 2


FAST_PATH_CASES = (
    '<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n'
    '<http://a.org/s> <http://a.org/p> "plain" .\n'
    '<http://a.org/s> <http://a.org/p> "with space, <tag>, {x} ^ |" .\n'
    '<http://a.org/s> <http://a.org/p> "chat"@fr .\n'
    '<http://a.org/s> <http://a.org/p> "1.5"^^<http://www.w3.org/2001/XMLSchema#double> .\n'
    '<http://a.org/s> <http://a.org/p> "esc \\" q\\n\\u00e9"@en-GB .\n'
    '_:x <http://a.org/p> _:y .\n'
    '# comment\n'
    '\n'
    '<http://a.org/s>\t<http://a.org/p>  <http://a.org/o2> . # trailing\n'
    '<http://a.org/s> <http://a.org/p> <http://a.org/o3> .\r\n'
    '<http://a.org/s> <http://a.org/p> "caf\u00e9 \u2615" .\n'
    '<http://a.org/s> <http://a.org/p> "tab\tin" .\n'
    '<http://a.org/s> <http://a.org/p> "" .\n'
)


def _triples(block: rdf._Block) -> set[tuple[str, str, object]]:
    out: set[tuple[str, str, object]] = set()
    for s, p, o in zip(block.edge_s, block.edge_p, block.edge_o):
        out.add((block.terms[s], block.predicates[p], block.terms[o]))
    for s, p, v, suffix in zip(block.lit_s, block.lit_p, block.lit_value, block.lit_suffix):
        out.add((block.terms[s], block.predicates[p], (v, suffix)))
    return out


def test_fast_path_reads_what_pyoxigraph_reads() -> None:
    data = FAST_PATH_CASES.encode()
    block = rdf._parse_nt_block(data)
    collector = rdf._Collector()
    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        collector.add(0, triple)
    assert block.bad == []
    assert _triples(block) == _triples(collector.block(0))
    fast = len(rdf._parse_nt_block(b'<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n').edge_s)
    assert fast == 1


@pytest.mark.parametrize(
    "line",
    [
        b"<http://a.org/s> <http://a.org/p> <http://a.org/o>\n",  # no dot
        b"<rel> <http://a.org/p> <http://a.org/o> .\n",  # relative IRI
        b"<http://a.org/s> <http://a.org/p> <http://a.org/o o> .\n",  # space in an IRI
        b'<http://a.org/s> <http://a.org/p> "x"@ .\n',  # empty language tag
        b'<http://a.org/s> <http://a.org/p> "x""y" .\n',  # stray quote
        b"<http://a.org/s> <http://a.org/p> <http://a.org/{o}> .\n",  # forbidden character
        b'<http://a.org/s> <http://a.org/p> "\xff" .\n',  # not UTF-8
    ],
)
def test_fast_path_rejects_what_pyoxigraph_rejects(line: bytes) -> None:
    with pytest.raises(SyntaxError):
        list(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))
    block = rdf._parse_nt_block(b"<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n" + line)
    assert [line_no for line_no, _ in block.bad] == [1]


@pytest.mark.shared_data
def test_reads_a_real_fibo_file(shared_data: Path) -> None:
    path = shared_data / "finance" / "fibo" / "FND" / "Relations" / "Relations.rdf"
    graph, report = _read(rdf.read_rdfxml, path)
    assert report.records > 100 and report.skipped == 0
    referent = graph.node(graph.row("fibo-fnd-rel-rel:Referent"))
    assert (referent.type, referent.label) == ("owl:Class", "referent")
    causes = graph.node(graph.row("fibo-fnd-rel-rel:causes"))
    assert (causes.type, causes.label) == ("owl:ObjectProperty", "causes")


def test_two_triples_on_one_line_fall_back_line_by_line() -> None:
    data = (b"<http://a.org/s> <http://a.org/p> <http://a.org/o> . "
            b"<http://a.org/s> <http://a.org/p> <http://a.org/o2> .\n"
            b"<http://a.org/s> <http://a.org/p> \"x\" .\n")
    try:
        expected = len(list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES)))
    except SyntaxError:
        expected = None
    block = rdf._parse_nt_block(data)
    if expected is None:
        assert [line for line, _ in block.bad] == [0]
    else:
        assert block.bad == [] and len(block.edge_s) + len(block.lit_s) == expected
