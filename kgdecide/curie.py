"""CURIEs: compact ids such as ``HP:0001250`` for the IRIs RDF files use, and back.

The rule (it round-trips: ``expand(compress(iri)) == iri`` for every IRI):

* An IRI that starts with a namespace of :data:`PREFIXES` becomes ``prefix:local``; when several
  namespaces fit, the longest wins (``obo:`` vs ``HP:``).
* Any other IRI is kept as it is, without angle brackets (``https://example.org/x``), because
  ``expand`` leaves a string whose part before the first colon is not a known prefix unchanged.
* The one clash, an IRI whose scheme is itself a known prefix (``HP:...`` as an IRI), is written
  in angle brackets (``<HP:...>``), which ``expand`` strips.

Our own schema terms live in the ``kgd:`` namespace (:data:`KGD`): node types (``kgd:Disease``),
relations (``kgd:has_phenotype``) and property keys (``kgd:definition``). Inside the graph they
carry their local name only (``Disease``); :func:`schema_name` and :func:`schema_curie` convert.

>>> compress("http://purl.obolibrary.org/obo/HP_0001250")
'HP:0001250'
>>> expand("HP:0001250")
'http://purl.obolibrary.org/obo/HP_0001250'
>>> compress("https://example.org/x"), expand("https://example.org/x")
('https://example.org/x', 'https://example.org/x')
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote, unquote

#: Our schema's namespace (node types, relations, property keys).
KGD = "https://w3id.org/kgdecide/schema#"

#: prefix -> namespace. Alternative prefixes for one namespace (``dct``/``dcterms``) expand
#: alike; ``compress`` uses the one listed first.
PREFIXES: dict[str, str] = {
    "kgd": KGD,
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    # OMIM, ORPHA and DECIPHER as in the Biolink Model's JSON-LD context.
    "OMIM": "http://purl.obolibrary.org/obo/OMIM_",
    "ORPHA": "http://www.orpha.net/ORDO/Orphanet_",
    "DECIPHER": "http://purl.obolibrary.org/obo/DECIPHER_",
    "NCBIGene": "http://identifiers.org/ncbigene/",
    "obo": "http://purl.obolibrary.org/obo/",
    "biolink": "https://w3id.org/biolink/vocab/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "dct": "http://purl.org/dc/terms/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "schema": "http://schema.org/",
    "sm": "http://www.omg.org/techprocess/ab/SpecificationMetadata/",
}


def _read_prefix_file(name: str) -> dict[str, str]:
    """The ``prefix<TAB>namespace`` lines of a file in ``kgdecide/data``, in file order."""
    text = resources.files("kgdecide").joinpath("data", name).read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {prefix: namespace for prefix, namespace in rows}


# The ~320 prefixes the FIBO RDF/XML files declare, and the OMG vocabularies they import: data,
# not code, so they live in a file (read once, after the core prefixes above).
PREFIXES.update(_read_prefix_file("prefixes.tsv"))

#: namespace -> the prefix ``compress`` writes (the first one listed for it).
_BY_NAMESPACE: dict[str, str] = {}
for _prefix, _namespace in PREFIXES.items():
    _BY_NAMESPACE.setdefault(_namespace, _prefix)


def compress(iri: str) -> str:
    """The CURIE of an IRI, or the IRI itself when no prefix fits (see the module rule).

    Cached per namespace: the work per call is two string searches and a dict look-up.

    >>> compress("http://www.w3.org/2000/01/rdf-schema#label")
    'rdfs:label'
    >>> compress("https://spec.edmcouncil.org/fibo/ontology/FND/Relations/Relations/hasName")
    'fibo-fnd-rel-rel:hasName'
    >>> compress("HP:0001250")  # an IRI whose scheme is a prefix keeps its brackets
    '<HP:0001250>'
    """
    head = iri[: max(iri.rfind("/"), iri.rfind("#")) + 1]
    found = _CACHE.get(head)
    if found is None:
        if len(_CACHE) > _CACHE_SIZE:  # IRIs with ever-new paths: keep memory bounded
            _CACHE.clear()
        found = _CACHE[head] = _candidates(head)
    longer, best = found
    for namespace, prefix in longer:  # namespaces that end inside the local part (``obo/HP_``)
        if iri.startswith(namespace):
            return prefix + ":" + iri[len(namespace) :]
    if best is not None:
        return best[1] + ":" + iri[len(best[0]) :]
    scheme = iri.partition(":")[0]
    return f"<{iri}>" if scheme in PREFIXES else iri


def expand(curie: str) -> str:
    """The IRI of a CURIE; a string that is not one (an IRI, a blank node) comes back unchanged.

    >>> expand("rdfs:label")
    'http://www.w3.org/2000/01/rdf-schema#label'
    >>> expand("<HP:0001250>"), expand("_:b1")
    ('HP:0001250', '_:b1')
    """
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    prefix, sep, local = curie.partition(":")
    namespace = PREFIXES.get(prefix) if sep else None
    return curie if namespace is None else namespace + local


def is_curie(text: str) -> bool:
    """True when ``text`` starts with a known prefix and a colon.

    >>> is_curie("HP:1"), is_curie("http://x.org/a"), is_curie("Disease")
    (True, False, False)
    """
    prefix, sep, _ = text.partition(":")
    return bool(sep) and prefix in PREFIXES


#: IRI head (up to its last ``/`` or ``#``) -> what :func:`_candidates` says about it.
_CACHE: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, str] | None]] = {}
_CACHE_SIZE = 100_000


def _candidates(head: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, str] | None]:
    """For an IRI's part up to its last ``/`` or ``#``: the namespaces that extend past it (longest
    first), and the longest namespace that ``head`` itself starts with."""
    longer = sorted(
        ((ns, p) for ns, p in _BY_NAMESPACE.items() if len(ns) > len(head) and ns.startswith(head)),
        key=lambda item: -len(item[0]),
    )
    fitting = [(ns, p) for ns, p in _BY_NAMESPACE.items() if head.startswith(ns)]
    best = max(fitting, key=lambda item: len(item[0])) if fitting else None
    return tuple(longer), best


# --- our schema's names -----------------------------------------------------------------------

#: Predicates with a name in our schema, whatever vocabulary the source uses.
RELATIONS: dict[str, str] = {
    "rdfs:subClassOf": "is_a",
    "biolink:subclass_of": "is_a",
    "biolink:has_phenotype": "has_phenotype",
    "biolink:has_mode_of_inheritance": "has_mode_of_inheritance",
    "biolink:gene_associated_with_condition": "gene_associated_with_condition",
}

#: Biolink categories with a node type in our schema. ``biolink:NamedThing`` is the untyped node.
CATEGORIES: dict[str, str] = {
    "biolink:Disease": "Disease",
    "biolink:PhenotypicFeature": "PhenotypicFeature",
    "biolink:Gene": "Gene",
    "biolink:NamedThing": "Entity",
}


#: Our node type -> Biolink category, relation -> Biolink predicate (the inverses, for export).
CATEGORY_OF: dict[str, str] = {ours: category for category, ours in CATEGORIES.items()}
PREDICATE_OF: dict[str, str] = {ours: p for p, ours in RELATIONS.items() if p.startswith("biolink:")}


def schema_name(curie: str) -> str:
    """Our name for a term: ``kgd:`` terms by their local name, anything else as given.

    >>> schema_name("kgd:Disease"), schema_name("owl:Class")
    ('Disease', 'owl:Class')
    """
    return curie[4:] if curie.startswith("kgd:") else curie


def schema_curie(name: str) -> str:
    """Inverse of :func:`schema_name`: a plain name is a ``kgd:`` term.

    >>> schema_curie("Disease"), schema_curie("owl:Class")
    ('kgd:Disease', 'owl:Class')
    """
    return name if ":" in name else "kgd:" + name


def relation_name(predicate: str) -> str:
    """The relation an edge with this predicate CURIE gets.

    >>> relation_name("rdfs:subClassOf"), relation_name("kgd:has_phenotype"), relation_name("skos:exactMatch")
    ('is_a', 'has_phenotype', 'skos:exactMatch')
    """
    return RELATIONS.get(predicate) or schema_name(predicate)


def type_name(category: str) -> str:
    """The node type for a class or Biolink category CURIE.

    >>> type_name("biolink:Disease"), type_name("kgd:Gene"), type_name("owl:Class")
    ('Disease', 'Gene', 'owl:Class')
    """
    return CATEGORIES.get(category) or schema_name(category)


def category_of(node_type: str) -> str:
    """The Biolink category (or CURIE) a node type is exported as; inverse of :func:`type_name`.

    >>> category_of("Disease"), category_of("Entity"), category_of("Pathway"), category_of("owl:Class")
    ('biolink:Disease', 'biolink:NamedThing', 'kgd:Pathway', 'owl:Class')
    """
    return CATEGORY_OF.get(node_type) or schema_curie(node_type)


def predicate_of(relation: str) -> str:
    """The predicate CURIE a relation is exported as in KGX; inverse of :func:`relation_name`.

    >>> predicate_of("is_a"), predicate_of("has_phenotype"), predicate_of("treats"), predicate_of("skos:exactMatch")
    ('biolink:subclass_of', 'biolink:has_phenotype', 'kgd:treats', 'skos:exactMatch')
    """
    return PREDICATE_OF.get(relation) or schema_curie(relation)


#: Where node ids that are neither CURIEs nor IRIs (``gene42`` from a CSV file) live as IRIs.
KGD_ID = "https://w3id.org/kgdecide/id/"


def node_iri(node_id: str) -> str:
    """The IRI a node id is written as in RDF (blank nodes ``_:x`` stay as they are).

    >>> node_iri("HP:0001250"), node_iri("gene 42")
    ('http://purl.obolibrary.org/obo/HP_0001250', 'https://w3id.org/kgdecide/id/gene%2042')
    """
    if node_id.startswith("_:"):
        return node_id
    iri = expand(node_id)
    return iri if ":" in iri else KGD_ID + quote(iri, safe="")


def node_id(iri: str) -> str:
    """Inverse of :func:`node_iri`.

    >>> node_id(node_iri("gene 42")), node_id("http://purl.obolibrary.org/obo/HP_0001250")
    ('gene 42', 'HP:0001250')
    """
    if iri.startswith(KGD_ID):
        return unquote(iri[len(KGD_ID) :])
    return compress(iri)
