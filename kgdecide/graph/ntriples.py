"""N-Triples terms and literals, as the RDF store (:mod:`kgdecide.graph.rdf`) and the N-Triples
export (:mod:`kgdecide.export`) both write them.

>>> nt_term("HP:0001250"), nt_string('say "hi"')
('<http://purl.obolibrary.org/obo/HP_0001250>', '"say \\\\"hi\\\\""')
"""

from __future__ import annotations

import math

from kgdecide.curie import node_iri

_DOUBLE = "^^<http://www.w3.org/2001/XMLSchema#double>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def nt_term(node_id: str) -> str:
    """A node as an N-Triples term: ``<iri>``, or ``_:b`` for a blank node.

    >>> nt_term("HP:0001250")
    '<http://purl.obolibrary.org/obo/HP_0001250>'
    """
    iri = node_iri(node_id)
    return iri if iri.startswith("_:") else f"<{iri}>"


def nt_double(number: float) -> str:
    """An ``xsd:double`` literal; NaN and the infinities in their XSD spelling.

    >>> nt_double(0.5), nt_double(float("inf")).split("^^")[0]
    ('"0.5"^^<http://www.w3.org/2001/XMLSchema#double>', '"INF"')
    """
    text = "NaN" if math.isnan(number) else ("INF" if number > 0 else "-INF") \
        if math.isinf(number) else repr(number)
    return f'"{text}"{_DOUBLE}'


def nt_string(text: str) -> str:
    """A plain string literal, escaped for N-Triples."""
    return '"' + text.translate(_ESCAPES) + '"'
