"""Free text to knowledge-graph nodes.

Candidate generation for recall (:mod:`~kgdecide.link.lexicon`, :mod:`~kgdecide.link.fuzzy`,
:mod:`~kgdecide.link.dense`), then a :class:`Linker` that resolves overlaps, scores, abstains and
sets each mention's assertion status (:mod:`~kgdecide.link.assertion`).
"""

from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker, LinkResult

__all__ = ["Linker", "LinkerConfig", "LinkResult"]
