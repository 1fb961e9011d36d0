"""Graph reads through /api/v1: nodes, neighbours (pagination, filters, counts), paths, search."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kgdecide.web import schemas
from tests.web.conftest import auth


def get(client: FlaskClient, url: str, key: str) -> tuple[int, dict]:
    response = client.get(url, headers=auth(key))
    return response.status_code, response.get_json()


def test_node_has_its_properties_and_synonyms(client: FlaskClient, keys: dict[str, str]) -> None:
    status, body = get(client, "/api/v1/nodes/HP:0001250", keys["explorer"])
    assert status == 200
    node = schemas.NodeOut.model_validate(body)
    assert (node.label, node.type) == ("Seizure", "PhenotypicFeature")
    assert node.synonyms == ["Seizures", "Fits"]
    assert node.properties["alt_ids"] == ["HP:0002279"]


def test_unknown_node_is_404_naming_the_id(client: FlaskClient, keys: dict[str, str]) -> None:
    status, body = get(client, "/api/v1/nodes/HP:1234567", keys["explorer"])
    assert status == 404
    assert body["error"]["code"] == "node_not_found" and "HP:1234567" in body["error"]["message"]


def test_neighbour_pages_cover_every_edge_once(client: FlaskClient, keys: dict[str, str],
                                               store) -> None:
    expected = {(e.subject, e.relation, e.object) for d in ("out", "in")
                for e in store.edges("HP:0001250", None, d)}
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/nodes/HP:0001250/neighbors?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, body = get(client, url, keys["explorer"])
        assert status == 200
        page = schemas.NeighborsOut.model_validate(body)
        assert len(page.items) <= 2 and page.total == len(expected)
        seen += [(i.edge.subject, i.edge.relation, i.edge.object) for i in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert pages == -(-len(expected) // 2)


def test_neighbour_filters_and_counts(client: FlaskClient, keys: dict[str, str]) -> None:
    status, body = get(client, "/api/v1/nodes/HP:0001250/neighbors?direction=in&type=Disease",
                       keys["explorer"])
    assert status == 200
    # Into Seizure: OMIM:100100 and ORPHA:300 has_phenotype, ORPHA:300 lacks_phenotype.
    assert body["counts"] == {"has_phenotype": 2, "lacks_phenotype": 1}
    assert {i["neighbor"]["id"] for i in body["items"]} == {"OMIM:100100", "ORPHA:300"}
    assert all(i["direction"] == "in" and i["neighbor"]["type"] == "Disease" for i in body["items"])
    status, body = get(client, "/api/v1/nodes/HP:0001250/neighbors?direction=in&relation=lacks_phenotype",
                       keys["explorer"])
    assert [i["neighbor"]["id"] for i in body["items"]] == ["ORPHA:300"]
    assert body["counts"]["has_phenotype"] == 2  # counts ignore the relation filter, for the UI
    provenance = [i["edge"]["properties"] for i in get(
        client, "/api/v1/nodes/OMIM:100100/neighbors?relation=has_phenotype&direction=out",
        keys["explorer"])[1]["items"]]
    assert {"frequency": 0.9, "evidence": "PCS", "publications": ["PMID:1", "PMID:2"]} in provenance


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjogMSwgImYiOiAieCJ9"])
def test_bad_or_foreign_cursor_is_400(client: FlaskClient, keys: dict[str, str], cursor: str) -> None:
    status, body = get(client, f"/api/v1/nodes/HP:0001250/neighbors?cursor={cursor}", keys["explorer"])
    assert status == 400 and body["error"]["field"] == "cursor"


def test_cursor_from_other_filters_is_refused(client: FlaskClient, keys: dict[str, str]) -> None:
    _, first = get(client, "/api/v1/nodes/HP:0001250/neighbors?limit=1", keys["explorer"])
    status, body = get(client, f"/api/v1/nodes/HP:0001250/neighbors?limit=1&direction=in&cursor="
                       f"{first['next_cursor']}", keys["explorer"])
    assert status == 400 and body["error"]["field"] == "cursor"


def test_paths_carry_the_stored_edges(client: FlaskClient, keys: dict[str, str]) -> None:
    status, body = get(client, "/api/v1/paths?source=HP:0001250&target=NCBIGene:1&max_hops=3",
                       keys["explorer"])
    assert status == 200
    paths = schemas.PathsOut.model_validate(body).paths
    assert paths and all(len(p.nodes) == len(p.edges) + 1 for p in paths)
    first = paths[0]
    assert [n.id for n in first.nodes] == ["HP:0001250", "OMIM:100100", "NCBIGene:1"]
    assert first.edges[0].properties["evidence"] == "PCS" and first.forward == [False, False]


def test_paths_name_the_unknown_end(client: FlaskClient, keys: dict[str, str]) -> None:
    status, body = get(client, "/api/v1/paths?source=HP:0001250&target=HP:7777777", keys["explorer"])
    assert status == 404 and body["error"]["field"] == "target"
    status, body = get(client, "/api/v1/paths?source=HP:0001250&target=NCBIGene:1&relations=nope",
                       keys["explorer"])
    assert status == 400 and body["error"]["code"] == "invalid_query"


def test_search_finds_labels_synonyms_ids_and_words(client: FlaskClient, keys: dict[str, str]) -> None:
    def ids(q: str, extra: str = "") -> list[str]:
        status, body = get(client, f"/api/v1/search?q={q}{extra}", keys["clinician"])
        assert status == 200
        return [h.id for h in schemas.SearchOut.model_validate(body).items]
    assert ids("seiz")[0] == "HP:0001250"
    assert set(ids("fits")) == {"HP:0001250", "HP:0000252"}  # a shared synonym
    assert ids("omim:100") == ["OMIM:100100", "OMIM:100200"]
    assert ids("omim:1001") == ["OMIM:100100"]
    assert "HP:0001263" in ids("developmental")  # a later word of the label
    assert ids("micro", "&type=Disease") == ["OMIM:100200"]
    assert ids("zzzz") == []
