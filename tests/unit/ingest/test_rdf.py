"""RDF readers: the four formats agree, bad lines are named, the native N-Triples parser reads
what pyoxigraph reads.

N-Triples tests run twice: with the native parser (``kgdecide_native``; skipped locally when it
is not installed, failing under CI=true) and with the pyoxigraph fallback (``KGDECIDE_NATIVE=0``).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.rdf_mapping import TripleCollector, Triples
from kgdecide.ingest import IngestOptions
from kgdecide.ingest import rdf
from tests.conftest import require

PARSERS = ("native", "pyoxigraph")


def _native_installed() -> bool:
    try:
        import kgdecide_native  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which N-Triples parser ``read_ntriples`` uses: the native one is required (``=1``) so a
    test never passes on the fallback by accident."""
    if request.param == "native":
        require(_native_installed(), "kgdecide_native is not installed (pip install ./native)")
    monkeypatch.setenv(rdf.NATIVE_ENV, "1" if request.param == "native" else "0")
    return str(request.param)


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
def test_every_format_gives_the_same_graph(fixtures_dir: Path, name: str, parser: str) -> None:
    graph, report = _read(READERS[name], fixtures_dir / "rdf" / name)
    expected, _ = _read(rdf.read_turtle, fixtures_dir / "rdf" / "tiny.ttl")
    assert report.records == 18
    assert _snapshot(graph) == _snapshot(expected)


def test_mapping_of_the_tiny_graph(fixtures_dir: Path, parser: str) -> None:
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


def test_malformed_ntriples_line_is_named(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "bad.nt"
    path.write_text(BAD_NT)
    with pytest.raises(IngestError) as caught:
        _read(rdf.read_ntriples, path)
    assert caught.value.line == 2
    assert caught.value.path == path
    assert "bad.nt:2" in str(caught.value)


def test_skip_bad_counts_every_bad_ntriples_line(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "bad.nt"
    path.write_text(BAD_NT)
    graph, report = _read(rdf.read_ntriples, path, skip_bad=True)
    assert (report.records, report.skipped) == (2, 3)
    assert [e.split(":")[0] for e in report.skipped_examples] == ["line 2", "line 4", "line 5"]
    assert {e.object for e in graph.iter_edges()} == {"http://a.org/o", "http://a.org/o2"}


def test_malformed_line_in_a_later_block_has_its_file_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
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


def test_blank_nodes_get_stable_ids_per_file(tmp_path: Path, parser: str) -> None:
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


@pytest.mark.shared_data
def test_reads_a_real_fibo_file(shared_data: Path) -> None:
    path = shared_data / "finance" / "fibo" / "FND" / "Relations" / "Relations.rdf"
    graph, report = _read(rdf.read_rdfxml, path)
    assert report.records > 100 and report.skipped == 0
    referent = graph.node(graph.row("fibo-fnd-rel-rel:Referent"))
    assert (referent.type, referent.label) == ("owl:Class", "referent")
    causes = graph.node(graph.row("fibo-fnd-rel-rel:causes"))
    assert (causes.type, causes.label) == ("owl:ObjectProperty", "causes")


#: Lines where a parser could go wrong: escapes, blank nodes, language tags, datatypes, comments,
#: blank lines, odd spacing, CRLF, unicode (raw and escaped), an empty literal.
TRICKY_NT = (
    '<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n'
    '<http://a.org/s> <http://a.org/p> "plain" .\n'
    '<http://a.org/s> <http://a.org/p> "with space, <tag>, {x} ^ |" .\n'
    '<http://a.org/s> <http://a.org/p> "chat"@fr .\n'
    '<http://a.org/s> <http://a.org/p> "1.5"^^<http://www.w3.org/2001/XMLSchema#double> .\n'
    '<http://a.org/s> <http://a.org/p> "esc \\" q\\n\\u00e9 \\U0001F600 \\t"@en-GB .\n'
    '_:x <http://a.org/p> _:y .\n'
    '_:y <http://www.w3.org/2000/01/rdf-schema#label> "blank label" .\n'
    '# comment\n'
    '\n'
    '   \n'
    '<http://a.org/s>\t<http://a.org/p>  <http://a.org/o2> . # trailing\n'
    '<http://a.org/s> <http://a.org/p> <http://a.org/o3> .\r\n'
    '<http://a.org/s> <http://a.org/p> "caf\u00e9 \u2615" .\n'
    '<http://a.org/s\u00e9> <http://a.org/p> <http://a.org/\\u00e9x> .\n'
    '<http://a.org/s> <http://a.org/p> "tab\tin" .\n'
    '<http://a.org/s> <http://a.org/p> "" .\n'
    '<http://a.org/s> <http://a.org/p> "x"^^<http://example.org/custom#type> .\n'
    '<http://a.org/s> <http://a.org/p> "last line without a line end"'
    ' .'
)
#: Whole lines, for files that repeat them.
TRICKY_LINES = TRICKY_NT + "\n"


def _as_set(t: Triples) -> set[tuple[str, str, object]]:
    """Triples as (subject, predicate, object) with literals as (value, datatype, language)."""
    out: set[tuple[str, str, object]] = set()
    for s, p, o in zip(t.edge_s.tolist(), t.edge_p.tolist(), t.edge_o.tolist()):
        out.add((t.terms[s], t.predicates[p], t.terms[o]))
    for i, (s, p) in enumerate(zip(t.lit_s.tolist(), t.lit_p.tolist())):
        literal = (t.lit_value[i], t.datatypes[t.lit_datatype[i]], t.langs[t.lit_lang[i]])
        out.add((t.terms[s], t.predicates[p], literal))
    return out


def _pyoxigraph_triples(data: bytes) -> Triples:
    collector = TripleCollector()
    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        collector.add(triple)
    return collector.triples()


def _parse(parser: str, path: Path, skip_bad: bool = False) -> Triples:
    options = IngestOptions(skip_bad=skip_bad)
    if parser == "native":
        native = rdf._native_parser()
        assert native is not None
        return rdf._parse_nt_native(native, path, options)
    return rdf._parse_nt_python(path, options)


def test_both_parsers_read_what_pyoxigraph_reads(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "tricky.nt"
    path.write_bytes(TRICKY_NT.encode())
    expected = _pyoxigraph_triples(TRICKY_NT.encode())
    got = _parse(parser, path)
    assert got.bad == []
    assert _as_set(got) == _as_set(expected)
    assert len(got.edge_s) + len(got.lit_s) == 16
    assert got.terms == expected.terms  # first-seen order, blank nodes as _:label
    assert got.blank.tolist() == [t.startswith("_:") for t in got.terms]
    assert got.lit_value == expected.lit_value  # file order
    assert ("_:y", "http://www.w3.org/2000/01/rdf-schema#label",
            ("blank label", "http://www.w3.org/2001/XMLSchema#string", "")) in _as_set(got)


MALFORMED = [
    b"<http://a.org/s> <http://a.org/p> <http://a.org/o>\n",  # no dot
    b"<rel> <http://a.org/p> <http://a.org/o> .\n",  # relative IRI
    b"<http://a.org/s> <http://a.org/p> <http://a.org/o o> .\n",  # space in an IRI
    b'<http://a.org/s> <http://a.org/p> "x"@ .\n',  # empty language tag
    b'<http://a.org/s> <http://a.org/p> "x""y" .\n',  # stray quote
    b"<http://a.org/s> <http://a.org/p> <http://a.org/{o}> .\n",  # forbidden character
    b'<http://a.org/s> <http://a.org/p> "\xff" .\n',  # not UTF-8
    b"<http://a.org/s> <http://a.org/p> <<( <http://a.org/a> <http://a.org/b> <http://a.org/c> )>> .\n",
]


@pytest.mark.parametrize("line", MALFORMED)
def test_both_parsers_reject_what_pyoxigraph_rejects_with_its_reason(
    tmp_path: Path, line: bytes, parser: str
) -> None:
    good = b"<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n"
    path = tmp_path / "bad.nt"
    path.write_bytes(good + line + good)
    got = _parse(parser, path, skip_bad=True)
    assert [n for n, _ in got.bad] == [2]
    assert len(got.edge_s) + len(got.lit_s) == 2  # the good lines around it are kept
    try:
        list(ox.parse(line.rstrip(b"\n"), format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as e:  # the line alone: its own column and pyoxigraph's message
        assert got.bad[0][1] == rdf._reason(e)
    else:  # pyoxigraph reads an RDF 1.2 triple term, which the property graph cannot hold
        assert b"<<(" in line and "triple terms" in got.bad[0][1]


def test_two_triples_on_one_line_read_as_pyoxigraph_reads_them(tmp_path: Path, parser: str) -> None:
    data = (b"<http://a.org/s> <http://a.org/p> <http://a.org/o> . "
            b"<http://a.org/s> <http://a.org/p> <http://a.org/o2> .\n"
            b"<http://a.org/s> <http://a.org/p> \"x\" .\n")
    path = tmp_path / "two.nt"
    path.write_bytes(data)
    got = _parse(parser, path, skip_bad=True)
    try:
        expected = _pyoxigraph_triples(data)
    except SyntaxError:
        assert [line for line, _ in got.bad] == [1]
    else:
        assert got.bad == [] and _as_set(got) == _as_set(expected)


def test_native_and_fallback_build_the_same_graph_over_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(_native_installed(), "kgdecide_native is not installed (pip install ./native)")
    monkeypatch.setattr(rdf, "BLOCK_BYTES", 300)  # many blocks, each split over two threads
    path = tmp_path / "many.nt"
    path.write_text(TRICKY_LINES.replace("# comment", "<bad> <http://a.org/p> <http://a.org/o> .") * 30,
                    encoding="utf-8")
    graphs, reports = [], []
    for value in ("1", "0"):
        monkeypatch.setenv(rdf.NATIVE_ENV, value)
        graph, report = _read(rdf.read_ntriples, path, skip_bad=True)
        graphs.append(_snapshot(graph))
        reports.append((report.records, report.skipped, report.skipped_examples))
    assert graphs[0] == graphs[1]
    assert reports[0] == reports[1]
    assert reports[0][1] == 30 and reports[0][2][0].startswith("line 9: column 1:")


def test_progress_advances_by_the_bytes_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
    monkeypatch.setattr(rdf, "BLOCK_BYTES", 100)
    path = tmp_path / "p.nt"
    path.write_bytes(TRICKY_LINES.encode() * 3)
    steps: list[int] = []
    rdf.read_ntriples(GraphBuilder("t"), path, IngestOptions(advance=steps.append))
    assert sum(steps) == path.stat().st_size
    assert len(steps) > 3


def test_native_required_but_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kgdecide_native", None)  # makes the import fail
    monkeypatch.setenv(rdf.NATIVE_ENV, "1")
    with pytest.raises(ConfigError, match="pip install ./native"):
        rdf._native_parser()
    monkeypatch.delenv(rdf.NATIVE_ENV)
    assert rdf._native_parser() is None  # unset: fall back quietly


class _Stop(Exception):
    pass


def test_an_error_in_the_progress_callback_stops_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
    """Ctrl-C arrives this way: the read must stop and raise, never hang (the native parser's
    reader and worker threads must all end)."""
    monkeypatch.setattr(rdf, "BLOCK_BYTES", 100)
    path = tmp_path / "long.nt"
    path.write_bytes(TRICKY_LINES.encode() * 200)
    calls: list[int] = []

    def advance(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise _Stop

    outcome: list[BaseException] = []

    def read() -> None:
        try:
            rdf.read_ntriples(GraphBuilder("t"), path, IngestOptions(advance=advance))
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            outcome.append(e)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "read_ntriples hung after its progress callback raised"
    assert len(outcome) == 1 and isinstance(outcome[0], _Stop)
    assert len(calls) == 3
