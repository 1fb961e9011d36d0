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
