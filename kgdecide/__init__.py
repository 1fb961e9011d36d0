"""kgdecide: knowledge-graph decision support.

The request path is visible in the package: ``link`` (text to KG nodes) → ``graph`` (stores) →
``score`` (scorers) → ``explain`` → ``web`` and ``cli``; domain specifics live in ``packs``.
"""

__version__ = "0.1.0"
