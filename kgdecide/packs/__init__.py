"""Domain packs: how to build a domain's knowledge graph and what its answers are.

Each pack (``clinical``, later ``finance``) owns its node types, relation names and build
function; nothing domain-specific leaks into ``graph/`` or ``score/``. The schema every pack
uses is declared in ``ontology/kgdecide.ttl`` with mappings to Biolink Model and FIBO.
"""
