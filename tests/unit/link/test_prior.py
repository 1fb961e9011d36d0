"""A commonness prior re-ranks weak cross-lingual candidates."""

import numpy as np

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker


class NearEncoder:
    """Both labels at one point; the Chinese phrase at cosine 0.9 from them."""

    name = "near"

    def encode(self, texts, kind):  # type: ignore[no-untyped-def]
        return np.array([[0.9, np.sqrt(1 - 0.81)] if t == "癫痫发作" else [1.0, 0.0] for t in texts],
                        dtype=np.float32)


def _store() -> EmbeddedStore:
    b = GraphBuilder("prior")
    b.add_node("HP:0001250", "PhenotypicFeature", "Seizure", [])
    b.add_node("HP:9", "PhenotypicFeature", "Fits", [])  # rare look-alike with a shorter label
    for i in range(3):
        b.add_node(f"D:{i}", "Disease", f"Disease {i}", [])
        b.add_edge(f"D:{i}", "has_phenotype", "HP:0001250")
    return EmbeddedStore(b.build())


def _linker(tmp_path, prior_relation: str) -> Linker:  # type: ignore[no-untyped-def]
    config = LinkerConfig(node_types=("PhenotypicFeature",), prior_relation=prior_relation)
    return Linker.from_store(_store(), config, home=tmp_path,
                             english_encoder=NearEncoder(), multilingual_encoder=NearEncoder())


def test_the_common_reading_wins_a_tie(tmp_path) -> None:  # type: ignore[no-untyped-def]
    [without] = _linker(tmp_path, "").link("癫痫发作").mentions
    [with_prior] = _linker(tmp_path, "has_phenotype").link("癫痫发作").mentions
    assert without.node_id == "HP:9"  # a tie goes to the shorter label
    assert with_prior.node_id == "HP:0001250"
    assert "HP:9" in [a[0] for a in with_prior.alternatives]


def test_prior_is_scaled_to_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = _linker(tmp_path, "has_phenotype")._dense.multilingual()
    assert index is not None and index.bias is not None
    assert np.isclose(index.bias.max(), 0.08) and np.isclose(index.bias.min(), 0.0)
