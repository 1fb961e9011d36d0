"""Clinical cases in: JSON lines ``{id, observed, excluded}`` or a folder of GA4GH phenopackets.

:func:`read_cases` gives only what a ranker may see (id, observed, excluded): diagnosis fields are
never read there. :func:`read_labelled_cases` is for evaluation and training only and also returns
the diagnosis, publication and leak flag of the development cases.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kgdecide.errors import IngestError
from kgdecide.packs.clinical import (
    CONSIDER, DISEASE_TYPE, HAS_CASE_PHENOTYPE, HAS_PHENOTYPE, IS_A, LACKS_PHENOTYPE, PHENOTYPE_TYPE, REPLACED_BY,
    SAME_DISEASE_AS,
)
from kgdecide.score.base import DomainSpec

#: What the clinical pack decides over (names from the clinical KG schema).
CLINICAL_DOMAIN = DomainSpec(
    target_type=DISEASE_TYPE,
    finding_type=PHENOTYPE_TYPE,
    finding_relation=HAS_PHENOTYPE,
    hierarchy_relation=IS_A,
    excluded_relation=LACKS_PHENOTYPE,
    frequency_key="frequency",
    replacement_relations=(REPLACED_BY, CONSIDER),
    evidence_relations=(HAS_CASE_PHENOTYPE,),  # only in graphs built with --cases
    equivalence_relation=SAME_DISEASE_AS,  # absent from graphs built before disease grouping
)

#: ``--diseases`` choices: id prefixes of the candidates ranked.
DISEASE_PREFIXES = {"omim": ("OMIM:",), "orpha": ("ORPHA:",), "all": ()}


@dataclass(frozen=True, slots=True)
class CaseInput:
    """What a ranker may see of a case."""

    id: str
    observed: tuple[str, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LabelledCase:
    """A development case with its answer (evaluation and training only)."""

    case: CaseInput
    diagnosis: tuple[str, ...]  #: disease ids (OMIM)
    publication: str  #: PMID; splits are made by publication, never by case
    leaky: bool  #: the publication was used to build the KG's annotations of its disease


def read_cases(path: Path | str) -> Iterator[CaseInput]:
    """Cases from a JSON-lines file or a folder of phenopacket JSON files.

    Raises:
        IngestError: a line or file that is not a case, naming it.
    """
    path = Path(path)
    if path.is_dir():
        yield from _read_phenopackets(path)
    else:
        for line_no, record in _json_lines(path):
            yield _case_from_record(record, path, line_no)


def read_labelled_cases(path: Path | str) -> list[LabelledCase]:
    """Development cases with diagnosis, publication and leak flag."""
    path = Path(path)
    out = []
    for line_no, record in _json_lines(path):
        case = _case_from_record(record, path, line_no)
        diagnosis = record.get("diagnosis") or []
        out.append(LabelledCase(case, tuple(diagnosis), str(record.get("pmid", "")),
                                bool(record.get("leaky", False))))
    return out


def file_digest(path: Path | str) -> str:
    """SHA-256 of a file's bytes (hex), to tell whether two case files are the same."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publication_split(publication: str, salt: str = "kgdecide") -> str:
    """``train`` (60 %), ``validation`` (20 %) or ``test`` (20 %), fixed per publication.

    >>> publication_split("PMID:1") in {"train", "validation", "test"}
    True
    """
    bucket = zlib.crc32(f"{salt}:{publication}".encode()) % 10
    return "train" if bucket < 6 else "validation" if bucket < 8 else "test"


def _json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as e:
        raise IngestError(path, None, f"cannot open: {e.strerror}") from e
    with handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise IngestError(path, line_no, f"not JSON ({e.msg})") from e
            if not isinstance(record, dict):
                raise IngestError(path, line_no, "expected a JSON object per line")
            yield line_no, record


def _case_from_record(record: dict, path: Path, line_no: int) -> CaseInput:
    case_id = record.get("id")
    observed, excluded = record.get("observed", []), record.get("excluded", [])
    if not isinstance(case_id, str) or not case_id:
        raise IngestError(path, line_no, 'each case needs a non-empty string "id"')
    for name, ids in (("observed", observed), ("excluded", excluded)):
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise IngestError(path, line_no, f'"{name}" must be a list of id strings')
    return CaseInput(case_id, tuple(observed), tuple(excluded))


def _read_phenopackets(folder: Path) -> Iterator[CaseInput]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise IngestError(folder, None, "no *.json phenopacket files in this folder")
    for file in files:
        try:
            packet = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise IngestError(file, None, f"not a readable JSON phenopacket ({e})") from e
        yield _case_from_phenopacket(packet, file)


def _case_from_phenopacket(packet: dict, file: Path) -> CaseInput:
    """Observed and excluded phenotypic features of a GA4GH Phenopacket v2 (the ``interpretations``
    and ``diseases`` sections hold the answer and are never read)."""
    features = packet.get("phenotypicFeatures")
    if not isinstance(features, list):
        raise IngestError(file, None, 'no "phenotypicFeatures" list: is this a GA4GH phenopacket?')
    observed, excluded = [], []
    for feature in features:
        term = feature.get("type", {}).get("id") if isinstance(feature, dict) else None
        if not isinstance(term, str):
            raise IngestError(file, None, "a phenotypic feature without type.id")
        (excluded if feature.get("excluded") else observed).append(term)
    case_id = packet.get("id") if isinstance(packet.get("id"), str) else file.stem
    return CaseInput(case_id, tuple(observed), tuple(excluded))
