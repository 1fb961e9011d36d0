"""Neo4jStore against the real test server, answer for answer against EmbeddedStore.

The graphs here are built with GraphBuilder, loaded with ``load_graph`` over Bolt, and every
protocol method's answer is compared with the embedded store's on the same graph. Nodes are added
in id order, so the embedded store's row order is id order and even the order of unsorted answers
(edges, subgraph nodes, paths) must agree.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kgdecide.errors import ConfigError, InvalidQuery, NodeNotFound, StoreUnavailable
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.neo4j import Neo4jStore
from kgdecide.graph.neo4j_load import load_graph
from kgdecide.graph.neo4j_mapping import Neo4jMapping
from kgdecide.types import Direction
from tests.contract.factory_neo4j import shared_driver, wipe
from tests.neo4j_server import Neo4jConnection, require_neo4j

pytestmark = pytest.mark.neo4j

RELATIONS = ("has_phenotype", "is_a", "associated_with", "treats")
TYPES = ("Disease", "PhenotypicFeature", "Gene", "Drug")


def random_graph(seed: int, n: int = 40, m: int = 120) -> ArrayGraph:
    """A small random typed graph with properties of every kind, parallel edges of two
    relations, self-loops, untyped endpoint-only nodes and shared synonyms."""
    rng = random.Random(seed)
    ids = sorted(f"{TYPES[i % 4][:3].upper()}:{i:04d}" for i in range(n))
    b = GraphBuilder("parity", f"seed{seed}")
    for i, node_id in enumerate(ids):
        synonyms = [f"name {i % 7}"] if i % 3 == 0 else []
        props = {"score": rng.random()} if i % 2 else {"tags": ("a", f"t{i % 5}")}
        b.add_node(node_id, TYPES[i % 4], f"Label {i}", synonyms, props)
    extra = sorted(f"ZZZ:{k}" for k in range(3))  # endpoint only: untyped
    b.intern_many(extra)  # rows in id order, like the typed nodes before them
    for _ in range(m):
        s, o = rng.choice(ids), rng.choice(ids + extra)
        relation = rng.choice(RELATIONS)
        props = {"frequency": round(rng.random(), 3), "evidence": rng.choice(["PCS", "TAS"])} if rng.random() < 0.6 else None
        b.add_edge(s, relation, o, props)
    b.add_edge(ids[0], "has_phenotype", ids[1], {"frequency": 0.5})
    b.add_edge(ids[0], "associated_with", ids[1])  # parallel edge of another relation
    b.add_edge(ids[2], "is_a", ids[2])  # self-loop
    return b.build()


@pytest.fixture(scope="module")
def server() -> Neo4jConnection:
    return require_neo4j()


@pytest.fixture()
def driver(server: Neo4jConnection):
    return shared_driver(server)


@pytest.fixture()
def pair(server: Neo4jConnection, driver, tmp_path: Path) -> tuple[EmbeddedStore, Neo4jStore]:
    graph = random_graph(7)
    embedded = EmbeddedStore.write(graph, tmp_path / "store")
    wipe(driver)
    load_graph(embedded, driver, batch=25)
    return embedded, Neo4jStore(server.uri, (server.user, server.password), driver=driver)


def test_every_answer_matches_the_embedded_store(pair: tuple[EmbeddedStore, Neo4jStore]) -> None:
    embedded, neo = pair
    assert neo.version == embedded.version
    assert neo.counts() == embedded.counts()
    ids = [n.id for n in embedded.iter_nodes()]
    assert list(neo.iter_nodes()) == list(embedded.iter_nodes())
    assert list(neo.iter_nodes("Gene")) == list(embedded.iter_nodes("Gene"))
    assert list(neo.iter_edges()) == list(embedded.iter_edges())
    assert list(neo.iter_edges("is_a")) == list(embedded.iter_edges("is_a"))
    assert neo.get_nodes(ids[::-1]) == embedded.get_nodes(ids[::-1])
    for node_type in (*TYPES, "Entity", "Nothing"):
        assert neo.nodes_by_type(node_type) == embedded.nodes_by_type(node_type)
    for node_id in ids:
        assert neo.has_node(node_id)
        for relation in (None, *RELATIONS):
            for direction in Direction:
                assert neo.neighbors(node_id, relation, direction) == embedded.neighbors(node_id, relation, direction)
                assert neo.edges(node_id, relation, direction) == embedded.edges(node_id, relation, direction), (
                    node_id, relation, direction)
        assert neo.neighbors(node_id, None, Direction.BOTH, "Disease") == embedded.neighbors(
            node_id, None, Direction.BOTH, "Disease")


def test_lookup_matches(pair: tuple[EmbeddedStore, Neo4jStore]) -> None:
    embedded, neo = pair
    for text in ("Label 3", "  label   3 ", "NAME 0", "name 6", "nothing"):
        for node_type in (None, "Disease", "Gene"):
            assert neo.lookup(text, node_type) == embedded.lookup(text, node_type)
    assert neo.lookup("name 0")  # a synonym shared by several nodes


def test_subgraphs_and_paths_match(pair: tuple[EmbeddedStore, Neo4jStore]) -> None:
    embedded, neo = pair
    ids = [n.id for n in embedded.iter_nodes()]
    rng = random.Random(3)
    for _ in range(12):
        seeds = rng.sample(ids, 2)
        for hops, relations in ((0, None), (1, None), (2, ["is_a", "treats"]), (1, ["treats", "is_a"])):
            assert neo.subgraph(seeds, hops, relations) == embedded.subgraph(seeds, hops, relations)
        source, target = rng.sample(ids, 2)
        for max_hops, relations, limit in ((4, None, 10), (3, ["has_phenotype", "is_a"], 10), (4, None, 1)):
            assert neo.shortest_paths(source, target, max_hops, relations, limit) == embedded.shortest_paths(
                source, target, max_hops, relations, limit), (source, target, max_hops, relations, limit)


def test_errors_match(pair: tuple[EmbeddedStore, Neo4jStore]) -> None:
    embedded, neo = pair
    for store in pair:
        with pytest.raises(NodeNotFound, match="NOPE:1"):
            store.get_nodes(["DIS:0000", "NOPE:1"])
        with pytest.raises(NodeNotFound):
            store.edges("NOPE:1", direction=Direction.BOTH)
        with pytest.raises(NodeNotFound):
            store.shortest_paths("DIS:0000", "NOPE:1")
        with pytest.raises(InvalidQuery, match="known: associated_with, has_phenotype, is_a, treats"):
            store.neighbors("DIS:0000", "no_such_relation")
        with pytest.raises(InvalidQuery, match="relation"):
            list(store.iter_edges("no_such_relation"))
        with pytest.raises(InvalidQuery, match="max_nodes"):
            store.subgraph(["DIS:0000"], hops=3, max_nodes=5)
        with pytest.raises(InvalidQuery, match="hops"):
            store.subgraph(["DIS:0000"], hops=-1)
    assert not neo.has_node("NOPE:1")


def test_relation_names_cannot_inject_cypher(pair: tuple[EmbeddedStore, Neo4jStore], driver) -> None:
    _, neo = pair
    hostile = "is_a`]->() DETACH DELETE n //"
    with pytest.raises(InvalidQuery, match="unknown relation"):
        neo.neighbors("DIS:0000", hostile)
    with pytest.raises(InvalidQuery):
        neo.subgraph(["DIS:0000"], relations=[hostile])
    assert neo.nodes_by_type("Gene`) DETACH DELETE n //") == ()
    assert neo.neighbors("DIS:0000", node_type="Gene`) DETACH DELETE n //") == ()
    assert neo.counts().nodes == 43  # nothing was deleted


def test_projection_is_cached_per_version_and_rebuilt_on_change(
    pair: tuple[EmbeddedStore, Neo4jStore], driver, server: Neo4jConnection
) -> None:
    embedded, neo = pair
    first = neo.projection()
    assert neo.projection() is first  # same version: no second pull
    assert first.version == embedded.version
    assert first.counts() == embedded.counts()
    a, b = first.adjacency("has_phenotype"), embedded.projection().adjacency("has_phenotype")
    assert (a != b).nnz == 0  # the same rows (id order) and the same edges

    # A change made behind kgdecide's back (plain Cypher) is detected through the counts.
    driver.execute_query("CREATE (:KgNode:Gene {id: 'GEN:9999', label: 'late gene'})")
    changed = neo.projection()
    assert changed is not first and len(changed) == len(first) + 1
    assert neo.version != embedded.version

    # A new load writes a new version.
    other = random_graph(8)
    load_graph(other, driver, batch=1000)
    reloaded = neo.projection()
    assert reloaded.meta["source_version"] == "seed8" and len(reloaded) == len(other)
    assert neo.lookup("late gene") == ()


def test_load_graph_replaces_only_kgdecide_data(driver, server: Neo4jConnection) -> None:
    wipe(driver)
    driver.execute_query("CREATE (:Unrelated {x: 1})")
    progress: list[int] = []
    graph = random_graph(9, n=12, m=20)
    version = load_graph(graph, driver, batch=5, advance=progress.append)
    load_graph(graph, driver, batch=5)  # twice: no duplicates
    store = Neo4jStore(server.uri, (server.user, server.password), driver=driver)
    assert store.counts() == graph.counts()
    assert sum(progress) == graph.counts().nodes + graph.counts().edges
    assert max(progress) <= 5
    assert version.startswith("parity/seed9/") and store.version == version
    records, _, _ = driver.execute_query("MATCH (u:Unrelated) RETURN count(u) AS k")
    assert records[0]["k"] == 1
    records, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD labelsOrTypes, properties")
    assert {"labelsOrTypes": ["KgNode"], "properties": ["id"]} in [dict(r) for r in records]


HETIONET_CYPHER = """
CREATE (d1:Disease {identifier: 'DOID:1324', name: 'lung cancer'})
CREATE (d2:Disease {identifier: 'DOID:9352', name: 'type 2 diabetes mellitus'})
CREATE (g1:Gene {identifier: 1017, name: 'CDK2'})
CREATE (g2:Gene {identifier: 3630, name: 'INS'})
CREATE (s1:Symptom {identifier: 'D003371', name: 'Cough'})
CREATE (s2:Symptom {identifier: 'D005221', name: 'Fatigue'})
CREATE (c1:Compound {identifier: 'DB00331', name: 'Metformin'})
CREATE (d1)-[:PRESENTS_DpS {source: 'MEDLINE', unbiased: false, weight: 0.8}]->(s1)
CREATE (d1)-[:PRESENTS_DpS {source: 'MEDLINE', weight: 0.4}]->(s2)
CREATE (d2)-[:PRESENTS_DpS {source: 'MEDLINE', weight: 0.6}]->(s2)
CREATE (d1)-[:ASSOCIATES_DaG {sources: ['DISEASES']}]->(g1)
CREATE (d2)-[:ASSOCIATES_DaG {sources: ['DISEASES', 'GWAS']}]->(g2)
CREATE (c1)-[:TREATS_CtD]->(d2)
"""

HETIONET_MAPPING = {
    "node_label": None,
    "id": "identifier",
    "label": "name",
    "synonyms": None,
    "types": {"Disease": "Disease", "Gene": "Gene", "Symptom": "PhenotypicFeature"},
    "relations": {"PRESENTS_DpS": "has_phenotype", "ASSOCIATES_DaG": "associated_with_gene"},
    "edge_properties": {"frequency": "weight"},
    "meta_label": None,
}


@pytest.fixture()
def hetionet(server: Neo4jConnection, driver, tmp_path: Path) -> Iterator[Neo4jStore]:
    """A graph in Hetionet's shape, loaded with plain Cypher (not by kgdecide), read through a
    mapping file."""
    wipe(driver)
    driver.execute_query(HETIONET_CYPHER)
    path = tmp_path / "hetionet.json"
    path.write_text(json.dumps(HETIONET_MAPPING), encoding="utf-8")
    store = Neo4jStore.from_settings(server.uri, server.user, server.password,
                                     mapping=Neo4jMapping.from_path(path))
    yield store
    store.close()


def test_a_graph_kgdecide_did_not_create_reads_through_a_mapping(hetionet: Neo4jStore) -> None:
    store = hetionet
    cough = store.get_node("D003371")
    assert (cough.type, cough.label, cough.properties) == ("PhenotypicFeature", "Cough", {})
    gene = store.get_node("1017")  # Hetionet keeps gene ids as integers
    assert (gene.id, gene.type, gene.label) == ("1017", "Gene", "CDK2")
    assert store.nodes_by_type("Disease") == ("DOID:1324", "DOID:9352")
    assert store.nodes_by_type("PhenotypicFeature") == ("D003371", "D005221")
    assert store.neighbors("DOID:1324", "has_phenotype") == ("D003371", "D005221")
    assert store.neighbors("D005221", "has_phenotype", Direction.IN) == ("DOID:1324", "DOID:9352")
    assert store.neighbors("DOID:9352", direction=Direction.BOTH) == ("3630", "D005221")  # TREATS unmapped
    edge = store.edges("DOID:1324", "has_phenotype")[0]
    assert (edge.subject, edge.relation, edge.object) == ("DOID:1324", "has_phenotype", "D003371")
    assert edge.properties == {"frequency": 0.8, "source": "MEDLINE", "unbiased": False}
    genes = store.edges("DOID:9352", "associated_with_gene")
    assert genes[0].object == "3630" and genes[0].properties["sources"] == ("DISEASES", "GWAS")
    assert dict(store.counts().edges_by_relation) == {"associated_with_gene": 2, "has_phenotype": 3}
    assert store.lookup("type 2  DIABETES mellitus") == ("DOID:9352",)
    paths = store.shortest_paths("DOID:1324", "DOID:9352")
    assert [(p.nodes, p.relations, p.forward) for p in paths] == [
        (("DOID:1324", "D005221", "DOID:9352"), ("has_phenotype", "has_phenotype"), (True, False))]
    with pytest.raises(InvalidQuery, match="known: associated_with_gene, has_phenotype"):
        store.neighbors("DOID:1324", "TREATS_CtD")


def test_projection_of_a_mapped_graph_scores_like_a_built_one(hetionet: Neo4jStore) -> None:
    graph = hetionet.projection()
    frequency = graph.relations["has_phenotype"].columns["frequency"]
    a = graph.adjacency("has_phenotype")
    s, o = graph.row("DOID:1324"), graph.row("D003371")
    position = a.indptr[s] + list(a.indices[a.indptr[s]:a.indptr[s + 1]]).index(o)
    assert frequency.get(int(position)) == pytest.approx(0.8)
    assert graph.version.startswith("neo4j/unversioned/")
    assert hetionet.projection() is graph


def test_bad_mapping_files_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"id": "identifier", "lables": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key.*lables"):
        Neo4jMapping.from_path(path)
    path.write_text('{"id": ', encoding="utf-8")
    with pytest.raises(ConfigError, match="m.json:1: not valid JSON"):
        Neo4jMapping.from_path(path)
    with pytest.raises(ConfigError, match="does not exist"):
        Neo4jMapping.from_path(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="'types' must be an object"):
        Neo4jMapping.from_dict({"types": ["Disease"]})


# --- failures ---------------------------------------------------------------------------------


def test_wrong_password_is_a_config_error_naming_the_fix(server: Neo4jConnection) -> None:
    with pytest.raises(ConfigError, match="KGDECIDE_NEO4J_PASSWORD"):
        Neo4jStore.from_settings(server.uri, server.user, server.password + "-wrong")


def test_unreachable_server_is_store_unavailable() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        Neo4jStore.from_settings(f"bolt://127.0.0.1:{port}", "neo4j", "whatever-password")


def test_constructor_does_no_io() -> None:
    store = Neo4jStore("bolt://127.0.0.1:1", ("neo4j", "x"))
    assert store.uri == "bolt://127.0.0.1:1"
    store.close()


class _Proxy:
    """A loopback TCP relay in front of the test server, so a test can cut the connection."""

    def __init__(self, target_port: int, port: int = 0) -> None:
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        try:  # wakes the accept() blocked in the other thread; close() alone would not
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()


def test_connection_loss_is_store_unavailable_and_the_next_call_reconnects(
    server: Neo4jConnection, driver
) -> None:
    wipe(driver)
    load_graph(random_graph(10, n=8, m=10), driver)
    target = int(server.uri.rsplit(":", 1)[1])
    proxy = _Proxy(target)
    store = Neo4jStore.from_settings(f"bolt://127.0.0.1:{proxy.port}", server.user, server.password)
    try:
        assert store.has_node("DIS:0000")
        proxy.close()
        with pytest.raises(StoreUnavailable) as excinfo:
            store.get_node("DIS:0000")
        assert excinfo.value.retry_after > 0
        proxy = _Proxy(target, proxy.port)  # the server is back
        assert store.get_node("DIS:0000").type == "Disease"
    finally:
        proxy.close()
        store.close()
