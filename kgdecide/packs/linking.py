"""Which linker settings a graph gets, and the ``kgdecide link`` command wired to them.

A pack's settings apply when the graph holds its node types (HPO phenotypes: the clinical
ones); any other graph gets the generic :class:`~kgdecide.link.config.LinkerConfig`. This module
sits above both ``link`` and the packs, so ``link`` never imports a pack.
"""

from __future__ import annotations

from typing import Any

from kgdecide.graph.store import GraphStore
from kgdecide.link.command import make_link_command
from kgdecide.link.config import LinkerConfig


def linker_config_for(store: GraphStore, **overrides: Any) -> LinkerConfig:
    """The clinical settings for an HPO graph; generic ones for any other graph.

    >>> from kgdecide.graph.builder import GraphBuilder
    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> b = GraphBuilder("demo")
    >>> _ = b.add_node("HP:0001250", "PhenotypicFeature", "Seizure")
    >>> linker_config_for(EmbeddedStore(b.build()), dense=True).stop_names[:2]
    ('all', 'large')
    """
    from kgdecide.packs.clinical import PHENOTYPE_TYPE

    if store.counts().nodes_by_type.get(PHENOTYPE_TYPE):
        from kgdecide.packs.clinical.linking import clinical_linker_config

        return clinical_linker_config(**overrides)
    return LinkerConfig(**overrides)  # type: ignore[arg-type]


#: ``kgdecide link``, choosing the settings by the graph it links to.
link_command = make_link_command(linker_config_for)
