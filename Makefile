# The two commands a fresh machine needs (see README.md): `make run` and `make test`.
.PHONY: run test setup clinical bench eval

STORE_HOME ?= $(CURDIR)/var

setup:
	scripts/setup

clinical: setup
	@if ! .venv/bin/kgdecide --home "$(STORE_HOME)" info >/dev/null 2>&1; then \
		.venv/bin/kgdecide --home "$(STORE_HOME)" build clinical; fi

# Set up, build the clinical KG (once), and serve the app on http://127.0.0.1:5000
run: clinical
	.venv/bin/kgdecide --home "$(STORE_HOME)" serve

# Set up and run the whole test suite (real Neo4j and browser included); CI runs exactly this.
test:
	scripts/test

bench: setup
	.venv/bin/python bench/ingest.py
