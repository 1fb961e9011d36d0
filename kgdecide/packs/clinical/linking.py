"""Linker settings for the clinical (HPO) knowledge graph.

The clinical pack owns them; the generic linker (:mod:`kgdecide.link`) never imports a pack.
Only strings and numbers live here.
"""

from __future__ import annotations

from kgdecide.link.config import ENGLISH_FUNCTION_WORDS, LinkerConfig
from kgdecide.packs.clinical import PHENOTYPE_TYPE

#: HPO terms too general to be a finding, or that clash with ordinary words.
CLINICAL_EXCLUDE_IDS = (
    "HP:0000001",  # All
    "HP:0000118",  # Phenotypic abnormality
    "HP:0012823",  # Clinical modifier
    "HP:0040279",  # Frequency
)

#: Names that HPO uses as synonyms but that are ordinary words in a clinical note.
CLINICAL_STOP_NAMES = (
    "all", "large", "small", "tall", "short", "weak", "death", "mass", "lesion", "abnormal",
    "abnormality", "anomaly", "defect", "finding", "sign", "symptom", "disease", "disorder",
    "increased", "decreased", "reduced", "elevated", "normal", "severe", "mild", "onset",
    "progressive", "episodic", "chronic", "acute", "recurrent", "congenital", "bilateral",
    "unilateral", "generalized", "focal", "asymmetry", "fall", "falls", "stereotyped",
    "growth", "development", "hearing", "vision", "speech", "language", "behavior",
    "behaviour", "personality", "mood", "memory", "learning", "feeding", "walking", "gait",
)

#: Words of clinical reports that split phrases for dense search.
CLINICAL_FUNCTION_WORDS = ENGLISH_FUNCTION_WORDS | frozenset(
    "patient patients proband case cases individual individuals affected family families "
    "member members report reported reports described describe showed show shows presented "
    "present presents noted observed found revealed developed diagnosed diagnosis born boy "
    "girl child children infant infants adult adults male males female females man woman "
    "men women mother father sister brother sibling siblings son daughter clinical features "
    "feature findings finding associated characterized including syndrome type".split())


def clinical_linker_config(**overrides: object) -> LinkerConfig:
    """The linker settings for the clinical KG (phenotypic features of HPO).

    >>> clinical_linker_config(dense=True).node_types
    ('PhenotypicFeature',)
    """
    settings: dict[str, object] = {
        "node_types": (PHENOTYPE_TYPE,),
        "exclude_ids": CLINICAL_EXCLUDE_IDS,
        "stop_names": CLINICAL_STOP_NAMES,
        "function_words": CLINICAL_FUNCTION_WORDS,
        # Diseases annotated with a phenotype: common findings outrank rare look-alikes.
        "prior_relation": "has_phenotype",
        # Nested names sifted by the HPO hierarchy ("colitis" in "ulcerative colitis", kept as
        # implied; "carcinoma" in "basal cell carcinoma", dropped): on GSC+ dev + the tuning
        # half, strict F1 0.659 without nested names, 0.726 with (docs/EVALUATION.md). Implied
        # mentions are shown but not passed to the scorer (LinkResult.findings).
        "keep_nested": True,
        **overrides,
    }
    return LinkerConfig(**settings)  # type: ignore[arg-type]
