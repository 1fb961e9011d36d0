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

from urllib.parse import quote, unquote

#: Our schema's namespace (node types, relations, property keys).
KGD = "https://w3id.org/kgdecide/schema#"

_FIBO = "https://spec.edmcouncil.org/fibo/ontology/"
_OMG = "https://www.omg.org/spec/"

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

# The prefixes the FIBO RDF/XML files declare, as "prefix-without-fibo- path-under-ontology/".
_FIBO_TABLE = """
actus-act ACTUS/ACTUSContractTerms/
actus-actm ACTUS/ACTUSContractTermMapping/
actus-acv ACTUS/ACTUSTaxonomy/
actus-mod ACTUS/MetadataACTUS/
be-all BE/AllBE/
be-corp-corp BE/Corporations/Corporations/
be-corp-mod BE/Corporations/MetadataBECorporations/
be-fct-fct BE/FunctionalEntities/FunctionalEntities/
be-fct-mod BE/FunctionalEntities/MetadataBEFunctionalEntities/
be-fct-pub BE/FunctionalEntities/Publishers/
be-ge-caj BE/GovernmentEntities/NorthAmericanJurisdiction/CAGovernmentEntitiesAndJurisdictions/
be-ge-casj BE/GovernmentEntities/AsianJurisdiction/CentralAsiaGovernmentEntitiesAndJurisdictions/
be-ge-cbj BE/GovernmentEntities/NorthAmericanJurisdiction/CaribbeanGovernmentEntitiesAndJurisdictions/
be-ge-ctlaj BE/GovernmentEntities/LatinAmericanJurisdiction/CentralAmericanGovernmentEntitiesAndJurisdictions/
be-ge-easj BE/GovernmentEntities/AsianJurisdiction/EasternAsiaGovernmentEntitiesAndJurisdictions/
be-ge-eeuj BE/GovernmentEntities/EuropeanJurisdiction/EasternEuropeGovernmentEntitiesAndJurisdictions/
be-ge-euj BE/GovernmentEntities/EuropeanJurisdiction/EUGovernmentEntitiesAndJurisdictions/
be-ge-ge BE/GovernmentEntities/GovernmentEntities/
be-ge-mod BE/GovernmentEntities/MetadataBEGovernmentEntities/
be-ge-mxj BE/GovernmentEntities/NorthAmericanJurisdiction/MXGovernmentEntitiesAndJurisdictions/
be-ge-neuj BE/GovernmentEntities/EuropeanJurisdiction/NorthernEuropeGovernmentEntitiesAndJurisdictions/
be-ge-saj BE/GovernmentEntities/LatinAmericanJurisdiction/SouthAmericanGovernmentEntitiesAndJurisdictions/
be-ge-sasj BE/GovernmentEntities/AsianJurisdiction/SouthernAsiaGovernmentEntitiesAndJurisdictions/
be-ge-seasj BE/GovernmentEntities/AsianJurisdiction/SoutheasternAsiaGovernmentEntitiesAndJurisdictions/
be-ge-seuj BE/GovernmentEntities/EuropeanJurisdiction/SouthernEuropeGovernmentEntitiesAndJurisdictions/
be-ge-ukj BE/GovernmentEntities/EuropeanJurisdiction/UKGovernmentEntitiesAndJurisdictions/
be-ge-usj BE/GovernmentEntities/NorthAmericanJurisdiction/USGovernmentEntitiesAndJurisdictions/
be-ge-wasj BE/GovernmentEntities/AsianJurisdiction/WesternAsiaGovernmentEntitiesAndJurisdictions/
be-ge-weuj BE/GovernmentEntities/EuropeanJurisdiction/WesternEuropeGovernmentEntitiesAndJurisdictions/
be-le-cb BE/LegalEntities/CorporateBodies/
be-le-fbo BE/LegalEntities/FormalBusinessOrganizations/
be-le-lei BE/LegalEntities/LEIEntities/
be-le-lp BE/LegalEntities/LegalPersons/
be-le-mod BE/LegalEntities/MetadataBELegalEntities/
be-mod BE/MetadataBE/
be-oac-cctl BE/OwnershipAndControl/CorporateControl/
be-oac-cown BE/OwnershipAndControl/CorporateOwnership/
be-oac-cpty BE/OwnershipAndControl/ControlParties/
be-oac-exec BE/OwnershipAndControl/Executives/
be-oac-mod BE/OwnershipAndControl/MetadataBEOwnershipAndControl/
be-oac-opty BE/OwnershipAndControl/OwnershipParties/
be-plc-mod BE/PrivateLimitedCompanies/MetadataBEPrivateLimitedCompanies/
be-plc-plc BE/PrivateLimitedCompanies/PrivateLimitedCompanies/
be-ptr-mod BE/Partnerships/MetadataBEPartnerships/
be-ptr-ptr BE/Partnerships/Partnerships/
be-sps-mod BE/SoleProprietorships/MetadataBESoleProprietorships/
be-sps-sps BE/SoleProprietorships/SoleProprietorships/
be-tr-mod BE/Trusts/MetadataBETrusts/
be-tr-tr BE/Trusts/Trusts/
beeu-all BE/AllBE-Europe/
bena-all BE/AllBE-NorthAmerica/
beref-all BE/AllBE-ReferenceIndividuals/
bp-iss-ambs BP/SecuritiesIssuance/AgencyMBSIssuance/
bp-iss-dbti BP/SecuritiesIssuance/DebtIssuance/
bp-iss-doc BP/SecuritiesIssuance/IssuanceDocuments/
bp-iss-ipo BP/SecuritiesIssuance/EquitiesIPOIssuance/
bp-iss-mbs BP/SecuritiesIssuance/MBSIssuance/
bp-iss-mod BP/SecuritiesIssuance/MetadataBPSecuritiesIssuance/
bp-iss-muni BP/SecuritiesIssuance/MuniIssuance/
bp-iss-pmbs BP/SecuritiesIssuance/PrivateLabelMBSIssuance/
bp-iss-prc BP/SecuritiesIssuance/IssuanceProcess/
bp-mod BP/MetadataBP/
bp-prc-fcp BP/Process/FinancialContextAndProcess/
bp-prc-mod BP/Process/MetadataBPProcess/
cae-all CAE/AllCAE/
cae-ce-15022 CAE/CorporateEvents/ISO15022-CorporateActionIndividuals/
cae-ce-GLEIF CAE/CorporateEvents/GLEIF-CorporateActionIndividuals/
cae-ce-act CAE/CorporateEvents/CorporateActions/
cae-ce-mod CAE/CorporateEvents/MetadataCAECorporateEvents/
cae-ce-srca CAE/CorporateEvents/SecurityRelatedCorporateActions/
cae-mod CAE/MetadataCAE/
der-all DER/AllDER/
der-cr-cds DER/CreditDerivatives/CreditDefaultSwaps/
der-cr-mod DER/CreditDerivatives/MetadataDERCreditDerivatives/
der-drc-bsc DER/DerivativesContracts/DerivativesBasics/
der-drc-comm DER/DerivativesContracts/CommoditiesContracts/
der-drc-cur DER/DerivativesContracts/CurrencyContracts/
der-drc-exo DER/DerivativesContracts/ExoticOptions/
der-drc-ff DER/DerivativesContracts/FuturesAndForwards/
der-drc-ma DER/DerivativesContracts/DerivativesMasterAgreements/
der-drc-mod DER/DerivativesContracts/MetadataDERDerivativesContracts/
der-drc-opt DER/DerivativesContracts/Options/
der-drc-raw DER/DerivativesContracts/RightsAndWarrants/
der-drc-str DER/DerivativesContracts/StructuredInstruments/
der-drc-swp DER/DerivativesContracts/Swaps/
der-drc-swpind DER/DerivativesContracts/SwapsIndividuals/
der-mod DER/MetadataDER/
der-rat-mod DER/RateDerivatives/MetadataDERRateDerivatives/
der-rtd-irswp DER/RateDerivatives/IRSwaps/
der-rtd-rtd DER/RateDerivatives/RateDerivatives/
der-sbd-eqs DER/SecurityBasedDerivatives/EquitySwaps/
der-sbd-mod DER/SecurityBasedDerivatives/MetadataDERSecurityBasedDerivatives/
der-sbd-sbd DER/SecurityBasedDerivatives/SecurityBasedDerivatives/
derri-all DER/AllDER-ReferenceIndividuals/
dev AboutFIBODev/
dev-tbox AboutFIBODev-TBoxOnly/
exmp-le-djiac EXMP/LegalEntities/DowJonesIndustrialAverageCompanies/
exmp-le-djiaex EXMP/LegalEntities/DowJonesIndustrialAverageExecutives/
exmp-le-finst EXMP/LegalEntities/FinancialInstitutionExamples/
exmp-le-mktex EXMP/LegalEntities/MarketsAndExchangesExamples/
exmp-le-mod EXMP/LegalEntities/MetadataEXMPLegalEntities/
exmp-mod EXMP/MetadataEXMP/
exmp-sec-eqex EXMP/Securities/EquitiesExamples/
exmp-sec-eqind EXMP/Securities/EquityIndexExamples/
exmp-sec-irsex EXMP/Securities/IRSwapExamples/
exmp-sec-mod EXMP/Securities/MetadataEXMPSecurities/
fbc-all FBC/AllFBC/
fbc-dae-cre FBC/DebtAndEquities/CreditEvents/
fbc-dae-crt FBC/DebtAndEquities/CreditRatings/
fbc-dae-dbt FBC/DebtAndEquities/Debt/
fbc-dae-gty FBC/DebtAndEquities/Guaranty/
fbc-dae-mod FBC/DebtAndEquities/MetadataFBCDebtAndEquities/
fbc-fct-bc FBC/FunctionalEntities/BusinessCenters/
fbc-fct-bci FBC/FunctionalEntities/BusinessCentersIndividuals/
fbc-fct-breg FBC/FunctionalEntities/BusinessRegistries/
fbc-fct-cafse FBC/FunctionalEntities/NorthAmericanEntities/CAFinancialServicesEntities/
fbc-fct-cajrga FBC/FunctionalEntities/NorthAmericanEntities/CARegulatoryAgencies/
fbc-fct-cra FBC/FunctionalEntities/CommercialRegistrationAuthorities/
fbc-fct-eufse FBC/FunctionalEntities/EuropeanEntities/EUFinancialServicesEntities/
fbc-fct-eufseind FBC/FunctionalEntities/EuropeanEntities/EuropeanFinancialServicesEntitiesIndividuals/
fbc-fct-eurga FBC/FunctionalEntities/EuropeanEntities/EURegulatoryAgencies/
fbc-fct-fse FBC/FunctionalEntities/FinancialServicesEntities/
fbc-fct-ireg FBC/FunctionalEntities/InternationalRegistriesAndAuthorities/
fbc-fct-mkt FBC/FunctionalEntities/Markets/
fbc-fct-mkti FBC/FunctionalEntities/MarketsIndividuals/
fbc-fct-mod FBC/FunctionalEntities/MetadataFBCFunctionalEntities/
fbc-fct-rga FBC/FunctionalEntities/RegulatoryAgencies/
fbc-fct-usfse FBC/FunctionalEntities/NorthAmericanEntities/USFinancialServicesEntities/
fbc-fct-usjrga FBC/FunctionalEntities/NorthAmericanEntities/USRegulatoryAgencies/
fbc-fct-usnic FBC/FunctionalEntities/NorthAmericanEntities/USNationalInformationCenterControlledVocabularies/
fbc-fi-fi FBC/FinancialInstruments/FinancialInstruments/
fbc-fi-ip FBC/FinancialInstruments/InstrumentPricing/
fbc-fi-mod FBC/FinancialInstruments/MetadataFBCFinancialInstruments/
fbc-fi-stl FBC/FinancialInstruments/Settlement/
fbc-mod FBC/MetadataFBC/
fbc-pas-caa FBC/ProductsAndServices/ClientsAndAccounts/
fbc-pas-fpas FBC/ProductsAndServices/FinancialProductsAndServices/
fbc-pas-mod FBC/ProductsAndServices/MetadataFBCProductsAndServices/
fbceu-all FBC/AllFBC-Europe/
fbceuna-all FBC/AllFBC-EuropeAndNorthAmerica/
fbcna-all FBC/AllFBC-NorthAmerica/
fbcnaex-all FBC/AllFBC-NorthAmericanExamples/
fbcri-all FBC/AllFBC-ReferenceIndividuals/
fbcrm-all FBC/AllFBC-ReferenceMarkets/
fnd-aap-agt FND/AgentsAndPeople/Agents/
fnd-aap-mod FND/AgentsAndPeople/MetadataFNDAgentsAndPeople/
fnd-aap-ppl FND/AgentsAndPeople/People/
fnd-acc-4217 FND/Accounting/ISO4217-CurrencyCodes/
fnd-acc-aeq FND/Accounting/AccountingEquity/
fnd-acc-csf FND/Accounting/CashFlows/
fnd-acc-cur FND/Accounting/CurrencyAmount/
fnd-acc-mod FND/Accounting/MetadataFNDAccounting/
fnd-agr-agr FND/Agreements/Agreements/
fnd-agr-ctr FND/Agreements/Contracts/
fnd-agr-mod FND/Agreements/MetadataFNDAgreements/
fnd-all FND/AllFND/
fnd-arr-arr FND/Arrangements/Arrangements/
fnd-arr-asmt FND/Arrangements/Assessments/
fnd-arr-cls FND/Arrangements/ClassificationSchemes/
fnd-arr-doc FND/Arrangements/Documents/
fnd-arr-id FND/Arrangements/IdentifiersAndIndices/
fnd-arr-lif FND/Arrangements/Lifecycles/
fnd-arr-mod FND/Arrangements/MetadataFNDArrangements/
fnd-arr-rep FND/Arrangements/Reporting/
fnd-arr-rt FND/Arrangements/Ratings/
fnd-dt-bd FND/DatesAndTimes/BusinessDates/
fnd-dt-fd FND/DatesAndTimes/FinancialDates/
fnd-dt-mod FND/DatesAndTimes/MetadataFNDDatesAndTimes/
fnd-dt-oc FND/DatesAndTimes/Occurrences/
fnd-gao-mod FND/GoalsAndObjectives/MetadataFNDGoalsAndObjectives/
fnd-gao-obj FND/GoalsAndObjectives/Objectives/
fnd-law-cor FND/Law/LegalCore/
fnd-law-lcap FND/Law/LegalCapacity/
fnd-law-mod FND/Law/MetadataFNDLaw/
fnd-mod FND/MetadataFND/
fnd-oac-ctl FND/OwnershipAndControl/Control/
fnd-oac-mod FND/OwnershipAndControl/MetadataFNDOwnershipAndControl/
fnd-oac-oac FND/OwnershipAndControl/OwnershipAndControl/
fnd-oac-own FND/OwnershipAndControl/Ownership/
fnd-org-fm FND/Organizations/FormalOrganizations/
fnd-org-mod FND/Organizations/MetadataFNDOrganizations/
fnd-pas-mod FND/ProductsAndServices/MetadataFNDProductsAndServices/
fnd-pas-pas FND/ProductsAndServices/ProductsAndServices/
fnd-pas-psch FND/ProductsAndServices/PaymentsAndSchedules/
fnd-plc-adr FND/Places/Addresses/
fnd-plc-fac FND/Places/Facilities/
fnd-plc-mod FND/Places/MetadataFNDPlaces/
fnd-plc-rp FND/Places/RealProperty/
fnd-plc-uspsa FND/Places/NorthAmerica/USPostalServiceAddresses/
fnd-plc-uspsai FND/Places/NorthAmerica/USPostalServiceAddressesIndividuals/
fnd-plc-vrt FND/Places/VirtualPlaces/
fnd-pty-mod FND/Parties/MetadataFNDParties/
fnd-pty-pty FND/Parties/Parties/
fnd-rel-mod FND/Relations/MetadataFNDRelations/
fnd-rel-rel FND/Relations/Relations/
fnd-txn-mkt FND/TransactionsExt/MarketTransactions/
fnd-txn-mod FND/TransactionsExt/MetadataFNDTransactionsExt/
fnd-txn-rea FND/TransactionsExt/REATransactions/
fnd-txn-sec FND/TransactionsExt/SecuritiesTransactions/
fnd-utl-alx FND/Utilities/Analytics/
fnd-utl-av FND/Utilities/AnnotationVocabulary/
fnd-utl-mod FND/Utilities/MetadataFNDUtilities/
fndna-all FND/AllFND-NorthAmerica/
ind-all IND/AllIND/
ind-ei-caei IND/EconomicIndicators/NorthAmericanIndicators/CAEconomicIndicators/
ind-ei-ei IND/EconomicIndicators/EconomicIndicators/
ind-ei-mod IND/EconomicIndicators/MetadataINDEconomicIndicators/
ind-ei-usei IND/EconomicIndicators/NorthAmericanIndicators/USEconomicIndicators/
ind-fx-fx IND/ForeignExchange/ForeignExchange/
ind-fx-mod IND/ForeignExchange/MetadataINDForeignExchange/
ind-ind-ind IND/Indicators/Indicators/
ind-ind-mod IND/Indicators/MetadataINDIndicators/
ind-ir-cm IND/InterestRates/CommonInterestRates/
ind-ir-ir IND/InterestRates/InterestRates/
ind-ir-mdp IND/InterestRates/MarketDataProviders/
ind-ir-mod IND/InterestRates/MetadataINDInterestRates/
ind-mkt-bas IND/MarketIndices/BasketIndices/
ind-mkt-mod IND/MarketIndices/MetadataINDMarketIndices/
ind-mod IND/MetadataIND/
indna-all IND/AllIND-NorthAmerica/
indrr-all IND/AllIND-ReferenceRates/
loan-all LOAN/AllLOAN/
loan-ln-app LOAN/LoansGeneral/LoanApplications/
loan-ln-ev LOAN/LoansGeneral/LoanEvents/
loan-ln-ln LOAN/LoansGeneral/Loans/
loan-ln-mod LOAN/LoansGeneral/MetadataLOANLoansGeneral/
loan-ln-reg LOAN/LoansGeneral/LoansRegulatory/
loan-mod LOAN/MetadataLOAN/
loan-reln-cnst LOAN/RealEstateLoans/ConstructionLoans/
loan-reln-hmda LOAN/RealEstateLoans/HomeMortgageDisclosureActCoveredMortgages/
loan-reln-mod LOAN/RealEstateLoans/MetadataLOANRealEstateLoans/
loan-reln-mtg LOAN/RealEstateLoans/Mortgages/
loan-reln-org LOAN/RealEstateLoans/MortgageOrigination/
loan-spc-cns LOAN/LoansSpecific/ConsumerLoans/
loan-spc-com LOAN/LoansSpecific/CommercialLoans/
loan-spc-crd LOAN/LoansSpecific/CardAccounts/
loan-spc-grn LOAN/LoansSpecific/GreenLoans/
loan-spc-mar LOAN/LoansSpecific/MarineFinance/
loan-spc-mod LOAN/LoansSpecific/MetadataLOANLoansSpecific/
loan-spc-prod LOAN/LoansSpecific/LoanProducts/
loan-spc-stu LOAN/LoansSpecific/StudentLoans/
md-civx-fun MD/CIVTemporal/FundsTemporal/
md-civx-mod MD/CIVTemporal/MetadataMDCIVTemporal/
md-dbtx-aly MD/DebtTemporal/DebtAnalytics/
md-dbtx-mod MD/DebtTemporal/MetadataMDDebtTemporal/
md-der-fut MD/DerivativesTemporal/FuturesTemporal/
md-derx-eto MD/DerivativesTemporal/ETOptionsTemporal/
md-derx-mod MD/DerivativesTemporal/MetadataMDDerivativesTemporal/
md-mod MD/MetadataMD/
md-temx-crs MD/TemporalCore/SecurityCreditStatuses/
md-temx-mod MD/TemporalCore/MetadataMDTemporalCore/
md-temx-trs MD/TemporalCore/SecurityTradingStatuses/
prod AboutFIBOProd/
prod-ref AboutFIBOProd-IncludingReferenceData/
prod-tbox AboutFIBOProd-TBoxOnly/
sec-all SEC/AllSEC/
sec-dbt-abs SEC/Debt/AssetBackedSecurities/
sec-dbt-bnd SEC/Debt/Bonds/
sec-dbt-cdo SEC/Debt/CollateralizedDebtObligations/
sec-dbt-dbti SEC/Debt/DebtInstruments/
sec-dbt-dln SEC/Debt/DistributedLoans/
sec-dbt-ex SEC/Debt/ExerciseConventions/
sec-dbt-mbs SEC/Debt/MortgageBackedSecurities/
sec-dbt-mod SEC/Debt/MetadataSECDebt/
sec-dbt-pbs SEC/Debt/PoolBackedSecurities/
sec-dbt-syn SEC/Debt/SyntheticCDOs/
sec-dbt-tstd SEC/Debt/TradedShortTermDebt/
sec-eq-10962 SEC/Equities/EquityCFIClassificationIndividuals/
sec-eq-dr SEC/Equities/DepositaryReceipts/
sec-eq-eq SEC/Equities/EquityInstruments/
sec-eq-mod SEC/Equities/MetadataSECEquities/
sec-fnd-mod SEC/Funds/MetadataSECFunds/
sec-fund-civ SEC/Funds/CollectiveInvestmentVehicles/
sec-fund-fund SEC/Funds/Funds/
sec-mod SEC/MetadataSEC/
sec-sec-ast SEC/Securities/SecurityAssets/
sec-sec-bsk SEC/Securities/Baskets/
sec-sec-cls SEC/Securities/SecuritiesClassification/
sec-sec-eurst SEC/Securities/EuropeanSecurities/EUSecuritiesRestrictions/
sec-sec-id SEC/Securities/SecuritiesIdentification/
sec-sec-idind SEC/Securities/SecuritiesIdentificationIndividuals/
sec-sec-iss SEC/Securities/SecuritiesIssuance/
sec-sec-lst SEC/Securities/SecuritiesListings/
sec-sec-mod SEC/Securities/MetadataSECSecurities/
sec-sec-pls SEC/Securities/Pools/
sec-sec-rst SEC/Securities/SecuritiesRestrictions/
sec-sec-sch SEC/Securities/ParametricSchedules/
sec-sec-usrst SEC/Securities/NorthAmericanSecurities/USSecuritiesRestrictions/
seceu-all SEC/AllSEC-Europe/
secna-all SEC/AllSEC-NorthAmerica/
secri-all SEC/AllSEC-ReferenceIndividuals/
spec MetadataFIBO/
tst-fnd-ctl FND/OwnershipAndControl/TestControl/
tst-fnd-org-fm FND/Organizations/TestFormalOrganizations/
tst-fnd-own FND/OwnershipAndControl/TestOwnership/"""

# The OMG Commons and Languages-Countries-Codes prefixes FIBO imports, as "prefix path-under-spec/".
_OMG_TABLE = """
cmns-av Commons/AnnotationVocabulary/
cmns-bauth Commons/BusinessAuthorizations/
cmns-cds Commons/CodesAndCodeSets/
cmns-cls Commons/Classifiers/
cmns-col Commons/Collections/
cmns-cxtdsg Commons/ContextualDesignators/
cmns-cxtid Commons/ContextualIdentifiers/
cmns-doc Commons/Documents/
cmns-dsg Commons/Designators/
cmns-dt Commons/DatesAndTimes/
cmns-id Commons/Identifiers/
cmns-loc Commons/Locations/
cmns-org Commons/Organizations/
cmns-pts Commons/PartiesAndSituations/
cmns-qtu Commons/QuantitiesAndUnits/
cmns-ra Commons/RegistrationAuthorities/
cmns-rga Commons/RegulatoryAgencies/
cmns-rlcmp Commons/RolesAndCompositions/
cmns-sfc Commons/SitesAndFacilities/
cmns-txt Commons/TextDatatype/
lcc-3166-1 LCC/Countries/ISO3166-1-CountryCodes/
lcc-3166-2 LCC/Countries/ISO3166-2-SubdivisionCodes/
lcc-3166-2-ca LCC/Countries/Regions/ISO3166-2-SubdivisionCodes-CA/
lcc-3166-2-gb LCC/Countries/Regions/ISO3166-2-SubdivisionCodes-GB/
lcc-3166-2-mx LCC/Countries/Regions/ISO3166-2-SubdivisionCodes-MX/
lcc-3166-2-us LCC/Countries/Regions/ISO3166-2-SubdivisionCodes-US/
lcc-cr LCC/Countries/CountryRepresentation/"""

for _line in _FIBO_TABLE.split("\n"):
    if _line:
        _prefix, _path = _line.split()
        PREFIXES[f"fibo-{_prefix}"] = _FIBO + _path
for _line in _OMG_TABLE.split("\n"):
    if _line:
        _prefix, _path = _line.split()
        PREFIXES[_prefix] = _OMG + _path

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
