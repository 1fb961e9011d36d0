"""The finance build on the hand-written fixtures."""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.packs.finance import FINDKG_RELATIONS, HOLDS, LISTED_AS
from kgdecide.packs.finance.build import (
    Listing, NameChange, apply_name_changes, check_findkg_dir, read_findkg, read_listings,
)
from kgdecide.types import Direction
from tests.unit.packs.finance.conftest import FIXTURES


def test_findkg_entities_keep_their_types(finance_graph: ArrayGraph) -> None:
    node = finance_graph.node(finance_graph.row("FINDKG:0"))
    assert (node.type, node.label) == ("Event", "Virus Outbreak")
    assert finance_graph.node(finance_graph.row("FINDKG:6")).type == "Regulator"


def test_repeated_fact_is_one_edge_with_first_and_last_week(finance_graph: ArrayGraph) -> None:
    # Central Bank Raise Interest Rates appears in weeks 2, 5, 6 and 8.
    rel = finance_graph.relations["raise"]
    row = finance_graph.row("FINDKG:6")
    positions = list(range(rel.indptr[row], rel.indptr[row + 1]))
    assert len(positions) == 1
    props = rel.properties(positions[0])
    assert props["valid_from"] == "2018-01-15" and props["time_id"] == 2
    assert props["last_seen"] == "2018-02-26" and props["last_time_id"] == 8
    assert props["mentions"] == 4


def test_every_findkg_relation_is_mapped(finance_graph: ArrayGraph) -> None:
    assert set(FINDKG_RELATIONS.values()) <= set(finance_graph.relations) | {
        "has", "is_member_of", "participates_in", "introduce", "decrease", "positive_impact_on",
        "invests_in"}  # relations without fixture rows


def test_listings_skip_warrants_and_link_to_findkg(finance_graph: ArrayGraph) -> None:
    assert "TICKER:ACME" in finance_graph.index
    assert "TICKER:ACMEW" not in finance_graph.index
    acme = finance_graph.row("FINDKG:1")
    linked = finance_graph.neighbor_rows(acme, LISTED_AS, Direction.OUT)
    assert [finance_graph.id_list[r] for r in linked] == ["TICKER:ACME"]
    # Initech (FinDKG "Initech") matches "Initech Holdings Ltd. Ordinary Shares".
    assert finance_graph.neighbor_rows(finance_graph.row("FINDKG:9"), LISTED_AS, Direction.OUT).size == 1


def test_listing_properties_and_country_joins_findkg(finance_graph: ArrayGraph) -> None:
    node = finance_graph.node(finance_graph.row("TICKER:GLBX"))
    assert node.label == "Globex Corporation"
    assert node.properties["exchange"] == "NASDAQ" and node.properties["sector"] == "Technology"
    us = finance_graph.row("FINDKG:3")
    assert finance_graph.row("TICKER:ACME") in finance_graph.neighbor_rows(us, "domiciled_in", Direction.IN)


def test_13f_holdings_with_identifiers(finance_graph: ArrayGraph) -> None:
    glbx = finance_graph.node(finance_graph.row("TICKER:GLBX"))
    assert glbx.properties["cusip"] == "37000A104"
    assert glbx.properties["isin"] == "US37000A1048"  # Luhn check digit worked by hand
    assert glbx.properties["cik"] == "123456"
    managers = finance_graph.neighbor_rows(finance_graph.row("TICKER:GLBX"), HOLDS, Direction.IN)
    assert sorted(finance_graph.id_list[r] for r in managers) == ["CIK:1000", "CIK:1001"]
    rel = finance_graph.relations[HOLDS]
    props = rel.properties(int(rel.indptr[finance_graph.row("CIK:1000")]))
    assert props["valid_from"] == "2023-06-30" and props["valid_to"] == "2023-09-30"
    # An issuer no listing matches keeps its CIK, and a single-row CUSIP gives no identifiers.
    private = finance_graph.node(finance_graph.row("CIK:654321"))
    assert private.type == "Company" and "isin" not in private.properties


def test_name_changes_become_synonyms_and_former_tickers() -> None:
    listings = [Listing("META", "NASDAQ", "Meta Platforms Inc. Class A Common Stock")]
    apply_name_changes(listings, [NameChange("2022-06-09", "FB", "META", "Facebook", "Meta Platforms")])
    assert listings[0].former_names == ["Facebook"] and listings[0].former_tickers == ["FB"]


def test_missing_findkg_file_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "entity2id.txt").write_text("A\t0\tCOMP\t2\n")
    with pytest.raises(ConfigError, match="relation2id.txt"):
        check_findkg_dir(tmp_path)


def test_malformed_quadruple_names_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("entity2id.txt", "relation2id.txt", "valid.txt", "test.txt"):
        (tmp_path / name).write_text((FIXTURES / "findkg" / name).read_text())
    (tmp_path / "train.txt").write_text("0\t1\t2\t0\t0\n0\t1\tx\t0\t0\n")
    with pytest.raises(IngestError) as info:
        read_findkg(tmp_path)
    assert info.value.line == 2 and info.value.path.name == "train.txt"


def test_out_of_range_entity_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("entity2id.txt", "relation2id.txt", "valid.txt", "test.txt"):
        (tmp_path / name).write_text((FIXTURES / "findkg" / name).read_text())
    (tmp_path / "train.txt").write_text("0\t1\t99\t0\t0\n")
    with pytest.raises(IngestError, match="out of range"):
        read_findkg(tmp_path)


def test_listing_reader_needs_all_exchanges(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="nasdaq"):
        read_listings(tmp_path)


def test_quadruple_counts_match_files() -> None:
    kg = read_findkg(FIXTURES / "findkg")
    assert {s: len(q) for s, q in kg.quads.items()} == {"train": 16, "valid": 4, "test": 4}
    assert np.array_equal(kg.all_quads[:, 3].max(keepdims=True), [9])


def test_builder_unchanged_for_unknown_type(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kgdecide.packs.finance.build import FinDKG, add_findkg

    kg = FinDKG(("X",), ("ALIEN",), ("Relate_To",), {"train": np.zeros((0, 4), np.int64)})
    with pytest.raises(IngestError, match="ALIEN"):
        add_findkg(GraphBuilder("t"), kg)
