"""A small HPO-like graph for the linker's unit tests, built in process from a fixture."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker

FIXTURE = Path(__file__).resolve().parents[3] / "data" / "fixtures" / "link" / "mini_hpo.json"


def mini_graph_builder() -> GraphBuilder:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    builder = GraphBuilder("mini-hpo", "test")
    for node_id, label, synonyms, parents in data["nodes"]:
        props: dict[str, tuple[str, ...]] = {}
        if node_id in data["layperson"]:
            props["layperson_synonyms"] = tuple(data["layperson"][node_id])
        if node_id in data["related"]:
            props["related_synonyms"] = tuple(data["related"][node_id])
        builder.add_node(node_id, "PhenotypicFeature", label,
                         [*synonyms, *props.get("layperson_synonyms", ())], props or None)
        for parent in parents:
            builder.add_edge(node_id, "is_a", parent)
    return builder


@pytest.fixture(scope="session")
def mini_store() -> EmbeddedStore:
    return EmbeddedStore(mini_graph_builder().build())


class FakeEncoder:
    """A deterministic stand-in for a sentence model: texts it was told about map to the
    vector of their meaning; anything else to a random direction far from all of them."""

    def __init__(self, name: str, meanings: dict[str, str]) -> None:
        self.name = name
        self.meanings = meanings  # text -> canonical meaning (a label)
        self.calls = 0
        labels = sorted(set(meanings.values()))
        self._axis = {label: i for i, label in enumerate(labels)}
        self.dim = len(labels) + 8

    def encode(self, texts, kind):  # type: ignore[no-untyped-def]
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            meaning = self.meanings.get(text)
            if meaning is None:
                rng = np.random.default_rng(zlib.crc32(text.encode()))
                out[i, len(self._axis):] = rng.random(8) + 0.1
            else:
                out[i, self._axis[meaning]] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture()
def chinese_encoder() -> FakeEncoder:
    meanings = {"癫痫发作": "Seizure", "发热": "Fever", "小头畸形": "Microcephaly",
                "身材矮小": "Short stature", "肌张力低下": "Hypotonia"}
    # The graph's own labels mean themselves.
    for label in ("Seizure", "Fever", "Microcephaly", "Short stature", "Hypotonia"):
        meanings[label] = label
    return FakeEncoder("fake-ml", meanings)


@pytest.fixture(scope="session")
def linker(mini_store: EmbeddedStore) -> Linker:
    config = LinkerConfig(node_types=("PhenotypicFeature",), multilingual=False,
                          exclude_ids=("HP:0000001", "HP:0000118"), exclude_under=("HP:0012823",))
    return Linker.from_store(mini_store, config)
