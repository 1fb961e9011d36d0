# The two commands a fresh machine needs (see README.md): `make run` and `make test`.
.PHONY: run test setup clinical bench

STORE_HOME ?= $(CURDIR)/var
KGDECIDE = .venv/bin/kgdecide --home "$(STORE_HOME)"
DEV_CASES = $(CURDIR)/../shared/data/clinical/phenopackets_dev.jsonl

setup:
	scripts/setup

# Build the clinical KG once (with the development cases' phenotypes as case-derived evidence, from
# their training publications, when the cases are beside the checkout); train the attention scorer
# and calibrate every scorer once (a few minutes; without the cases probabilities are shown
# uncalibrated).
clinical: setup
	@if ! $(KGDECIDE) info >/dev/null 2>&1; then \
		if [ -f "$(DEV_CASES)" ]; then $(KGDECIDE) build clinical --cases "$(DEV_CASES)"; \
		else $(KGDECIDE) build clinical; fi; fi
	@if [ -f "$(DEV_CASES)" ] && [ -z "$$(ls "$(STORE_HOME)"/models/*/calibration.json 2>/dev/null)" ]; then \
		$(KGDECIDE) train; fi

# Set up, build the clinical KG (once), and serve the clinician page on http://127.0.0.1:5000
run: clinical
	$(KGDECIDE) serve

# Every benchmark side by side with its peers (bench/run_all.py; figures into docs/BENCHMARKS.md).
# Wants a quiet machine; installs the bench-only peers (locust, rustworkx, ...) into .venv first.
bench: clinical
	.venv/bin/python -m pip install --quiet -e '.[all,dev,bench]'
	KGDECIDE_HOME="$(STORE_HOME)" .venv/bin/python bench/run_all.py

# Set up and run the whole test suite (real Neo4j and browser included); CI runs exactly this.
test:
	scripts/test
