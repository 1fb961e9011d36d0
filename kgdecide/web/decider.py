"""The bridge from the web layer to :func:`kgdecide.pipeline.decide`.

:class:`PipelineDecider` holds one :class:`~kgdecide.pipeline.Ranker` per scorer name: the
default one is built (and its per-graph arrays prepared) at app start, others on first use and
then kept. A build without the pipeline, or a graph of a domain it does not know, gets no decider
and the decision routes answer 503.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from kgdecide.errors import InvalidQuery
from kgdecide.graph.store import GraphStore
from kgdecide.types import Decision, Query

logger = logging.getLogger(__name__)


class Decider(Protocol):
    """What the web layer needs: a case (coded findings in ``query``, free ``text`` for the
    ``linker``) and an optional scorer name in, a decision out; as :func:`kgdecide.pipeline.decide`."""

    def __call__(self, query: Query, scorer: str | None = None, *, text: str | None = None,
                 linker: Any = None) -> Decision: ...


def pipeline_available() -> bool:
    """Whether this build has the decision pipeline (issue 3)."""
    try:
        importlib.import_module("kgdecide.pipeline")
    except ImportError as e:
        if not (e.name or "").startswith(("kgdecide.pipeline", "kgdecide.explain", "kgdecide.score")):
            raise  # a dependency failing inside the pipeline is a bug to see, not a missing feature
        return False
    return True


class PipelineDecider:
    """Rankers over one store, by scorer name.

    A decider whose default was not named follows training: when ``kgdecide train`` finishes for
    the graph (``make run`` starts it in the background when no model ships for the graph), the
    new default is prepared in a background thread and answers from then on; until then the
    previous one does.
    """

    #: how often a decider that follows training looks for a newly finished model (seconds)
    FOLLOW_SECONDS = 15.0

    def __init__(self, store: GraphStore, spec: Any, home: Path, default_scorer: str) -> None:
        self.store = store
        self.spec = spec
        self.home = home
        self.default_scorer = default_scorer
        self._rankers: dict[str, Any] = {}
        self._prefix_cache: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._lock = threading.Lock()
        self._follow = False
        self._looked = time.monotonic()
        self._stamp: tuple[str, int] | None = None

    def _training_stamp(self) -> tuple[str, int] | None:
        from kgdecide.packs.clinical.models import MARKER

        marker = self._model_dir() / MARKER
        return (str(marker), marker.stat().st_mtime_ns) if marker.is_file() else None

    def _current_default(self) -> str:
        """The default scorer, after looking (at most every FOLLOW_SECONDS) for a new model."""
        if not self._follow or time.monotonic() - self._looked < self.FOLLOW_SECONDS:
            return self.default_scorer
        self._looked = time.monotonic()
        stamp = self._training_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            threading.Thread(target=self._switch, name="kgdecide-new-model", daemon=True).start()
        return self.default_scorer

    def _switch(self) -> None:
        """Prepare the newly trained default off the request path, then answer with it."""
        from kgdecide.packs.clinical.commands import default_scorer as trained_default

        name = trained_default(self._model_dir())
        ranker = self._build(name)
        ranker.scorer.prepare(ranker.graph)
        with self._lock:
            self._rankers = {name: ranker}  # the other rankers read the old models: rebuilt on use
            self.default_scorer = name
        logger.info("a trained model for this graph appeared; the default scorer is now %s", name)

    @classmethod
    def from_store(cls, store: GraphStore, home: Path, default_scorer: str | None = None
                   ) -> PipelineDecider | None:
        """A decider with its default ranker ready, or None when the pipeline or the domain is
        missing."""
        if not pipeline_available():
            return None
        from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN
        from kgdecide.packs.clinical.commands import UNTRAINED_DEFAULT_SCORER
        from kgdecide.packs.clinical.commands import default_scorer as trained_default

        if not store.counts().nodes_by_type.get(CLINICAL_DOMAIN.target_type):
            logger.warning("no %s nodes in this graph: decisions are off", CLINICAL_DOMAIN.target_type)
            return None
        decider = cls(store, CLINICAL_DOMAIN, home, default_scorer or UNTRAINED_DEFAULT_SCORER)
        if default_scorer is None:
            # What `kgdecide train` chose for this graph version; until it has run, the best
            # untrained scorer.
            decider.default_scorer = trained_default(decider._model_dir())
            decider._follow, decider._stamp = True, decider._training_stamp()
        ranker = decider.ranker(decider.default_scorer)
        ranker.scorer.prepare(ranker.graph)  # build the per-graph arrays now, not on a request
        return decider

    def _model_dir(self) -> Path:
        from kgdecide.packs.clinical.models import model_dir_for

        return model_dir_for(self.home, self.store.projection())

    def _model_file(self) -> Path:
        from kgdecide.score.attention import MODEL_FILE

        return self._model_dir() / MODEL_FILE

    def ranker(self, scorer: str) -> Any:
        """The ranker for ``scorer``, built once; ``ConfigError`` for an unknown name."""
        with self._lock:
            ranker = self._rankers.get(scorer)
            if ranker is None:
                ranker = self._rankers[scorer] = self._build(scorer)
            return ranker

    def _build(self, scorer: str) -> Any:
        from kgdecide.pipeline import Ranker
        from kgdecide.score import scorer_class
        from kgdecide.score.attention import AttentionSettings

        scorer_class(scorer)  # ConfigError listing the valid names
        settings = AttentionSettings(self._model_file()) if scorer == "attention" else None
        return Ranker.from_model_dir(self.store, self.spec, scorer, self._model_dir(),
                                     settings=settings)

    def identity(self, scorer: str | None = None) -> tuple[str, str, str, str]:
        """What a decision by ``scorer`` (None: the current default) depends on besides the
        query: (scorer name, graph version, model version with calibration, settings hash), as
        its provenance will say; the response cache keys on it. ``ConfigError`` for an unknown
        scorer name."""
        name = scorer or self._current_default()
        ranker = self.ranker(name)
        ranker.scorer.prepare(ranker.graph)  # a model's version is known once it is loaded
        return (name, str(ranker.graph.version),
                f"{ranker.scorer.model_version}+{ranker.calibration.version}",
                ranker.scorer.settings_hash)

    def __call__(self, query: Query, scorer: str | None = None, *, text: str | None = None,
                 linker: Any = None) -> Decision:
        from kgdecide.pipeline import decide

        ranker = self.ranker(scorer or self._current_default())
        if query.candidate_prefixes and not self._any_candidate(ranker.graph,
                                                                query.candidate_prefixes):
            # Found by the injection tests: with no candidate left, explaining the (empty)
            # ranking divided by zero (a 500). The client's target is what is wrong: say so.
            raise InvalidQuery("target", f"no {self.spec.target_type} id starts with "
                               f"{' or '.join(map(repr, query.candidate_prefixes))}; use a "
                               "prefix such as 'OMIM:' or 'ORPHA:', or leave target out")
        return decide(ranker, query, text=text, linker=linker)

    def _any_candidate(self, graph: Any, prefixes: tuple[str, ...]) -> bool:
        """Whether any node of the target type has an id with one of ``prefixes`` (cached for a
        bounded number of prefix sets: the prefixes come from clients)."""
        key = (graph.version, prefixes)
        found = self._prefix_cache.get(key)
        if found is None:
            ids = graph.id_list
            found = any(ids[int(row)].startswith(prefixes)
                        for row in graph.rows_of_type(self.spec.target_type))
            with self._lock:
                if len(self._prefix_cache) >= 1024:
                    self._prefix_cache.clear()
                self._prefix_cache[key] = found
        return found
