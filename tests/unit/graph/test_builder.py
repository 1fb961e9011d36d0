from __future__ import annotations

import pytest

from kgdecide.graph.builder import UNTYPED, GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore


def test_repeated_edge_merges_properties_and_keeps_one_edge() -> None:
    b = GraphBuilder("t")
    b.add_edge("D:1", "has_phenotype", "P:1", {"frequency": 0.5, "publications": ["PMID:1"]})
    b.add_edge("D:1", "has_phenotype", "P:1", {"frequency": 0.9, "publications": ("PMID:2", "PMID:1"),
                                              "evidence": "PCS"})
    b.add_edge("D:1", "has_phenotype", "P:1")  # a plain repeat never hides the properties
    (edge,) = EmbeddedStore(b.build()).edges("D:1")
    assert dict(edge.properties) == {"frequency": 0.5, "publications": ("PMID:1", "PMID:2"),
                                     "evidence": "PCS"}


def test_plain_duplicate_edges_collapse() -> None:
    b = GraphBuilder("t")
    rows = b.intern_many(["a", "b", "c"])
    b.add_edge_rows("r", [rows[0], rows[0], rows[1]], [rows[1], rows[1], rows[2]])
    b.add_edge("a", "r", "b")
    assert len(b.build().relations["r"]) == 2


def test_add_node_fills_in_and_keeps_first_seen_order() -> None:
    b = GraphBuilder("t")
    b.add_edge("x", "r", "y")
    b.add_node("y", "Thing", "Why", ["Y", "Y", ""], {"k": 1})
    b.add_node("y", None, None, ["Wye"], {"k": 2, "j": "v"})
    g = b.build()
    assert g.id_list == ["x", "y"]
    y = g.node(g.row("y"))
    assert (y.type, y.label, y.synonyms) == ("Thing", "Why", ("Y", "Wye"))
    assert dict(y.properties) == {"k": 1, "j": "v"}
    assert g.node(g.row("x")).type == UNTYPED


def test_invalid_records_are_refused() -> None:
    b = GraphBuilder("t")
    with pytest.raises(ValueError):
        b.add_node("")
    with pytest.raises(ValueError):
        b.add_edge("a", "", "b")
    with pytest.raises(ValueError):
        b.add_edge_rows("r", [0], [])


def test_counts_while_building() -> None:
    b = GraphBuilder("t")
    b.add_edge("a", "r", "b", {"w": 1.0})
    b.add_edge("a", "s", "c")
    assert (b.node_count, b.edge_count) == (3, 2)


def test_bulk_types_and_labels_act_like_add_node() -> None:
    bulk, one_by_one = GraphBuilder("t"), GraphBuilder("t")
    rows = bulk.intern_many(["a", "b", "c"])
    bulk.set_types(rows, ["Disease", "", "Gene"])
    bulk.set_labels(rows, ["A", "B", ""])
    bulk.set_types([rows[0]], ["Gene"])  # a later type replaces the earlier one
    for node_id, node_type, label in (("a", "Disease", "A"), ("b", None, "B"), ("c", "Gene", None)):
        one_by_one.add_node(node_id, node_type, label)
    one_by_one.add_node("a", "Gene")
    got, expected = bulk.build(), one_by_one.build()
    assert [(n.id, n.type, n.label) for n in got.iter_nodes()] == [
        (n.id, n.type, n.label) for n in expected.iter_nodes()
    ]
    assert [n.type for n in got.iter_nodes()] == ["Gene", UNTYPED, "Gene"]
    with pytest.raises(ValueError):
        bulk.set_labels(rows, ["only one"])


def test_merge_properties_by_row_merges_like_add_node() -> None:
    b = GraphBuilder("t")
    row = b.add_node("a", properties={"k": 1, "t": ("x",)})
    b.merge_properties(row, {"k": 2, "t": ("y", "x"), "j": "v"})
    assert dict(b.build().node(row).properties) == {"k": 1, "t": ("x", "y"), "j": "v"}


def test_bulk_synonyms_and_property_column_act_like_one_by_one() -> None:
    bulk, one_by_one = GraphBuilder("t"), GraphBuilder("t")
    for b in (bulk, one_by_one):
        b.add_node("a", properties={"k": 1, "t": ("x",)})
        b.intern_many(["b", "c"])
    bulk.add_synonyms([0, 0, 1, 0], ["A1", "A2", "B1", "A1"])
    bulk.merge_property("t", [0, 1], [("y", "x"), ("z",)])
    bulk.merge_property("k", [0, 2], [2, 3.5])
    for row, synonym in ((0, "A1"), (0, "A2"), (1, "B1"), (0, "A1")):
        one_by_one.add_synonym(row, synonym)
    for row, props in ((0, {"t": ("y", "x"), "k": 2}), (1, {"t": ("z",)}), (2, {"k": 3.5})):
        one_by_one.merge_properties(row, props)
    got, expected = bulk.build(), one_by_one.build()
    assert [(n.synonyms, dict(n.properties)) for n in got.iter_nodes()] == [
        (n.synonyms, dict(n.properties)) for n in expected.iter_nodes()
    ]
    assert dict(got.node(0).properties) == {"k": 1, "t": ("x", "y")}
    assert got.node(0).synonyms == ("A1", "A2")
    with pytest.raises(ValueError):
        bulk.merge_property("k", [0], [])


def test_intern_many_gives_first_seen_rows_with_repeats_and_known_ids() -> None:
    b = GraphBuilder("t")
    assert b.intern_many(["x", "y"]) == [0, 1]  # all new: consecutive rows
    assert b.intern_many(["z", "x", "z", "w"]) == [2, 0, 2, 3]
    assert b.build().id_list == ["x", "y", "z", "w"]
