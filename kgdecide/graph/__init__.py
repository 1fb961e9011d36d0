"""Graph stores: one :class:`~kgdecide.graph.store.GraphStore` protocol, one module per backend."""

from kgdecide.graph.store import GraphStore

__all__ = ["GraphStore"]
