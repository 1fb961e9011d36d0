"""The clinical pack: the HPO-based rare-disease knowledge graph.

Names other modules import to read the clinical KG: node types and relations as built by
:func:`kgdecide.packs.clinical.build.build_clinical_graph` and declared in
``ontology/kgdecide.ttl``. They are plain strings so importing them costs nothing.

>>> HAS_PHENOTYPE, DISEASE_TYPE, default_store_name()
('has_phenotype', 'Disease', 'clinical')
"""

from __future__ import annotations

# --- node types -----------------------------------------------------------------------------------
DISEASE_TYPE = "Disease"  #: an OMIM, ORPHA or DECIPHER disease from phenotype.hpoa
PHENOTYPE_TYPE = "PhenotypicFeature"  #: an HPO term below Phenotypic abnormality (HP:0000118)
GENE_TYPE = "Gene"  #: an NCBI gene, ``NCBIGene:<id>``, labelled with its symbol
MODE_OF_INHERITANCE_TYPE = "ModeOfInheritance"  #: an HPO term below HP:0000005
CLINICAL_COURSE_TYPE = "ClinicalCourse"  #: an HPO term below HP:0031797 (onset, progression)
FREQUENCY_TYPE = "Frequency"  #: an HPO frequency term below HP:0040279
CLINICAL_ATTRIBUTE_TYPE = "ClinicalAttribute"  #: any other live HPO term (modifiers, root, ...)
OBSOLETE_TYPE = "ObsoleteClass"  #: an obsolete HPO id; follow REPLACED_BY / CONSIDER

# --- relations ------------------------------------------------------------------------------------
HAS_PHENOTYPE = "has_phenotype"  #: Disease -> PhenotypicFeature (hpoa aspects P and H)
LACKS_PHENOTYPE = "lacks_phenotype"  #: Disease -> PhenotypicFeature, hpoa qualifier NOT
IS_A = "is_a"  #: HPO term -> parent term
HAS_MODE_OF_INHERITANCE = "has_mode_of_inheritance"  #: Disease -> ModeOfInheritance (aspect I)
HAS_CLINICAL_COURSE = "has_clinical_course"  #: Disease -> ClinicalCourse (aspect C)
HAS_CLINICAL_MODIFIER = "has_clinical_modifier"  #: Disease -> ClinicalAttribute (aspect M)
GENE_ASSOCIATED_WITH_CONDITION = "gene_associated_with_condition"  #: Gene -> Disease
REPLACED_BY = "replaced_by"  #: ObsoleteClass -> the term that replaces it
CONSIDER = "consider"  #: ObsoleteClass -> a term to consider instead
#: Disease -> PhenotypicFeature seen in published cases (``build clinical --cases``), see
#: :mod:`kgdecide.packs.clinical.enrich`
HAS_CASE_PHENOTYPE = "has_case_phenotype"
#: Disease -> Disease: the same disease in another source (ORPHA or DECIPHER -> OMIM, DECIPHER ->
#: ORPHA), see :mod:`kgdecide.packs.clinical.groups`; the ranking shows one candidate per group
SAME_DISEASE_AS = "same_disease_as"

#: Every node type the clinical build can emit.
NODE_TYPES = (
    DISEASE_TYPE, PHENOTYPE_TYPE, GENE_TYPE, MODE_OF_INHERITANCE_TYPE, CLINICAL_COURSE_TYPE,
    FREQUENCY_TYPE, CLINICAL_ATTRIBUTE_TYPE, OBSOLETE_TYPE,
)
#: Every relation the clinical build can emit.
RELATIONS = (
    HAS_PHENOTYPE, LACKS_PHENOTYPE, IS_A, HAS_MODE_OF_INHERITANCE, HAS_CLINICAL_COURSE,
    HAS_CLINICAL_MODIFIER, GENE_ASSOCIATED_WITH_CONDITION, REPLACED_BY, CONSIDER, HAS_CASE_PHENOTYPE,
    SAME_DISEASE_AS,
)


def default_store_name() -> str:
    """The store name ``kgdecide build clinical`` writes to by default."""
    return "clinical"
