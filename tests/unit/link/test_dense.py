from pathlib import Path

import numpy as np

from kgdecide.link.dense import DenseIndex, embedding_cache_path
from kgdecide.link.linker import _chinese_chunks

from .conftest import FakeEncoder


def test_cache_path_beside_snapshot_or_under_home(tmp_path: Path) -> None:
    encoder = FakeEncoder("fake", {})
    beside = embedding_cache_path(tmp_path / "snap", tmp_path, "g/v1/abc", encoder, ["a"])
    assert beside.parent == tmp_path / "snap" and beside.name.startswith("embeddings-fake-")
    home = embedding_cache_path(None, tmp_path, "g/v1/abc", encoder, ["a"])
    assert home.parent == tmp_path / "cache" / "embeddings" / "g_v1_abc"
    # other names (other settings) get another file
    assert embedding_cache_path(None, tmp_path, "g/v1/abc", encoder, ["b"]) != home


def test_a_cache_that_does_not_fit_is_rebuilt(tmp_path: Path) -> None:
    encoder = FakeEncoder("fake", {"Fever": "Fever", "Seizure": "Seizure"})
    cache = tmp_path / "e.npy"
    np.save(cache, np.zeros((5, 3), dtype=np.float16))  # written for other names
    index = DenseIndex.build(encoder, [0, 1], ["Fever", "Seizure"], cache)
    assert encoder.calls == 1 and np.load(cache).shape[0] == 2
    assert [h.row for h in index.search(["Seizure"], k=1)[0]] == [1]


def test_chinese_chunks_strip_cues_and_split_at_connectives() -> None:
    cues = ("无", "否认", "母亲", "患者", "有", "疑似")
    text = "患者有癫痫发作伴小头畸形，无发热。母亲身材矮小；疑似白内障"
    assert [text[s:e] for s, e in _chinese_chunks(text, cues)] == [
        "癫痫发作", "小头畸形", "发热", "身材矮小", "白内障"]
