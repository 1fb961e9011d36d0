# The two commands a fresh machine needs (see README.md): `make run` and `make test`.
.PHONY: run test setup clinical finance bench

STORE_HOME ?= $(CURDIR)/var
KGDECIDE = .venv/bin/kgdecide --home "$(STORE_HOME)"
DEV_CASES = $(CURDIR)/../shared/data/clinical/phenopackets_dev.jsonl
# FinDKG (GPL-3.0, non-commercial) is read where it is kept, never copied into the repo.
FINDKG ?= $(or $(KGDECIDE_FINDKG),$(CURDIR)/../shared/data/finance/findkg)

setup:
	scripts/setup

# Build the clinical KG once, with every development case's phenotypes as case-derived evidence
# when the cases are beside the checkout (evaluation and training score each case without its own
# publication's share, so all of them can be used).
clinical: setup
	@if ! $(KGDECIDE) info >/dev/null 2>&1; then \
		if [ -f "$(DEV_CASES)" ]; then $(KGDECIDE) build clinical --cases "$(DEV_CASES)" --case-splits all; \
		else $(KGDECIDE) build clinical; fi; fi

# Build the finance KG once when the FinDKG folder is beside the checkout (or at $KGDECIDE_FINDKG);
# listings and 13F holdings come from ../shared/data/finance when present. Without FinDKG nothing
# is built, and a build that fails is reported: either way the app still serves, and its analyst
# page says how to build the graph.
finance: setup
	@if [ -f "$(FINDKG)/entity2id.txt" ]; then \
		if ! $(KGDECIDE) info --store finance >/dev/null 2>&1; then \
			$(KGDECIDE) build finance --findkg "$(FINDKG)" || \
			echo "finance: the build failed (above); the app serves without it"; fi; \
	else echo "finance: no FinDKG at $(FINDKG) (set KGDECIDE_FINDKG); the analyst page will say how to build it"; fi

# Set up, build the clinical KG (once) and the finance KG (once, when FinDKG is there), and serve
# the clinician page on http://127.0.0.1:5000 and the analyst page on /finance.
# The attention model shipped for this graph version answers at once; for any other graph the best
# untrained scorer answers while `kgdecide train` runs in the background (var/train.log), and the
# server switches when it has finished.
run: clinical finance
	@if [ -f "$(DEV_CASES)" ] && ! $(KGDECIDE) train --check >/dev/null; then \
		echo "training the attention model in the background ($(STORE_HOME)/train.log)"; \
		nohup $(KGDECIDE) train >"$(STORE_HOME)/train.log" 2>&1 & fi
	$(KGDECIDE) serve

# Every benchmark side by side with its peers (bench/run_all.py; figures into docs/BENCHMARKS.md).
# Wants a quiet machine; installs the bench-only peers (locust, rustworkx, ...) into .venv first.
bench: clinical
	.venv/bin/python -m pip install --quiet -e '.[all,dev,bench]'
	KGDECIDE_HOME="$(STORE_HOME)" .venv/bin/python bench/run_all.py

# Set up and run the whole test suite (real Neo4j and browser included); CI runs exactly this.
test:
	scripts/test
