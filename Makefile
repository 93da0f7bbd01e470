# vote: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
WORKERS ?= 2
JUNIT ?=

.PHONY: demo test install serve bench vendor messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)  ## create the virtualenv and install vote with its test tools

demo: $(STAMP)  ## run the demo community on SQLite at http://127.0.0.1:8000
	$(BIN)/vote demo

# Two runs: the browser tests need a process of their own (Playwright's sync API keeps an event loop
# running in the main thread), the rest is spread over $(WORKERS) processes.
test: $(STAMP)  ## run the whole test suite (SQLite, PostgreSQL, browser)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not browser" $(if $(JUNIT),--junitxml=$(JUNIT)-main.xml) $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m browser $(if $(JUNIT),--junitxml=$(JUNIT)-browser.xml) $(PYTEST_ARGS)

serve: $(STAMP)  ## migrate and serve with the VOTE_* settings of the environment
	$(BIN)/vote serve --migrate

bench: $(STAMP)  ## run the benchmarks (they print their figures; PostgreSQL sections need its binaries)
	$(BIN)/python bench/tally.py
	$(BIN)/python bench/cast.py

vendor:  ## re-fetch the pinned front-end files from the npm registry and check them
	rm -rf build/vendor && mkdir -p build/vendor
	cd build/vendor && npm pack --silent htmx.org@4.0.1 @picocss/pico@2.1.1 >/dev/null
	cd build/vendor && tar xzf htmx.org-4.0.1.tgz && cp package/dist/htmx.min.js ../../src/vote/static/vendor/htmx-4.0.1.min.js && rm -rf package
	cd build/vendor && tar xzf picocss-pico-2.1.1.tgz && cp package/css/pico.min.css ../../src/vote/static/vendor/pico-2.1.1.min.css
	cd src/vote/static/vendor && sha256sum -c SHA256SUMS

messages: $(STAMP)  ## list messages that still lack a Chinese translation
	$(BIN)/python -m pytest -q tests/unit/test_i18n.py

clean:
	rm -rf build dist data/demo .pytest_cache
