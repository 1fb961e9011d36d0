"""KGX TSV, the Biolink Model's exchange format: a nodes file and an edges file.

``kgdecide ingest kgx nodes.tsv edges.tsv`` (either order): a file is an edges file when its
header has ``subject``, ``predicate`` and ``object``, a nodes file when it has ``id``.

Nodes: ``id`` is the node id; the first ``category`` gives the node type
(:func:`~kgdecide.curie.type_name`: ``biolink:Disease`` gives ``Disease``, ``biolink:NamedThing``
the untyped ``Entity``, an unmapped category stays a CURIE) and further categories are kept in the
property ``category``; ``name`` is the label, ``synonym`` the synonyms, ``description`` the
property ``definition``; every other column is a property under its own name.

Edges: ``predicate`` gives the relation (:func:`~kgdecide.curie.relation_name`:
``biolink:has_phenotype`` gives ``has_phenotype``, ``biolink:subclass_of`` gives ``is_a``); every
other column (``id``, ``knowledge_source``, ``primary_knowledge_source``, ``publications``,
qualifiers, ...) is an edge property under its own name.

Values: cells of the multivalued Biolink slots (:data:`MULTIVALUED`) and any cell holding a ``|``
become tuples; a column whose every cell is a number becomes floats; empty cells are absent. So a
one-element tuple in a column outside :data:`MULTIVALUED` comes back from a round trip as a plain
string.
"""

from __future__ import annotations

from pathlib import Path

from kgdecide.curie import relation_name, type_name
from kgdecide.errors import IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions, IngestReport
from kgdecide.ingest.table import cell_value, numeric_columns, read_rows
from kgdecide.types import PropertyValue

#: Biolink slots that hold lists (pipe-separated in KGX TSV).
MULTIVALUED = frozenset(
    "category synonym xref provided_by publications knowledge_source aggregator_knowledge_source "
    "same_as in_taxon has_evidence supporting_data_source qualifiers".split()
)
#: Node columns with a place of their own in our model.
NODE_COLUMNS = ("id", "category", "name", "synonym", "description")
EDGE_COLUMNS = ("subject", "predicate", "object")


def read_kgx(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read a KGX nodes or edges TSV file, recognised by its header."""
    path = Path(path)
    report = IngestReport(path, "kgx")
    header, rows = read_rows(path, options, report, delimiter=options.delimiter or "\t")
    if all(column in header for column in EDGE_COLUMNS):
        _read_edges(builder, path, header, rows, options, report)
    elif "id" in header:
        _read_nodes(builder, path, header, rows, options, report)
    else:
        raise IngestError(
            path, 1, "neither a KGX nodes header (with id) nor an edges header (with subject, "
            f"predicate, object); the header is: {', '.join(header)}"
        )
    return report


def _properties(
    header: list[str], cells: list[str], skip: tuple[str, ...], numeric: set[int]
) -> dict[str, PropertyValue]:
    properties = {}
    for col, name in enumerate(header):
        if name in skip:
            continue
        text = cells[col]
        value = cell_value(text, col in numeric, name in MULTIVALUED or "|" in text)
        if value is not None:
            properties[name] = value
    return properties


def _read_nodes(builder, path, header, rows, options, report) -> None:  # type: ignore[no-untyped-def]
    col = {name: i for i, name in enumerate(header)}
    numeric = numeric_columns(rows, [i for i, n in enumerate(header) if n not in NODE_COLUMNS and n not in MULTIVALUED])
    for line, cells in rows:
        node = cells[col["id"]].strip()
        if not node:
            if not options.skip_bad:
                raise IngestError(path, line, "empty id")
            report.skip(line, "empty id")
            continue
        categories = _split(cells[col["category"]]) if "category" in col else []
        properties = _properties(header, cells, NODE_COLUMNS, numeric)
        if len(categories) > 1:
            properties["category"] = tuple(categories[1:])
        if "description" in col and cells[col["description"]]:
            properties["definition"] = cells[col["description"]]
        builder.add_node(
            node,
            type_name(categories[0]) if categories else None,
            cells[col["name"]] if "name" in col else None,
            _split(cells[col["synonym"]]) if "synonym" in col else (),
            properties,
        )
        report.records += 1


def _read_edges(builder, path, header, rows, options, report) -> None:  # type: ignore[no-untyped-def]
    s, p, o = (header.index(name) for name in EDGE_COLUMNS)
    numeric = numeric_columns(rows, [i for i, n in enumerate(header) if n not in EDGE_COLUMNS and n not in MULTIVALUED])
    for line, cells in rows:
        subject, predicate, obj = cells[s].strip(), cells[p].strip(), cells[o].strip()
        if not (subject and predicate and obj):
            if not options.skip_bad:
                raise IngestError(path, line, "an edge needs a subject, a predicate and an object")
            report.skip(line, "empty subject, predicate or object")
            continue
        properties = _properties(header, cells, EDGE_COLUMNS, numeric)
        builder.add_edge(subject, relation_name(predicate), obj, properties or None)
        report.records += 1


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]
