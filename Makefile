# Two commands on a fresh machine:  `make run` (set up, ingest the corpus, serve)  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

VENDOR := web/static/vendor/htmx.min.js
CHROMIUM := /usr/bin/chromium
TEST_FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

.PHONY: setup run serve test lint bench bench-web corpus browser ocr clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU wheel on local disk; an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# htmx is served by the app itself and axe-core is injected by the browser tests: both come
# from the npm registry at set-up, pinned in package-lock.json, never from a CDN.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

$(VENDOR): node_modules/.package-lock.json
	mkdir -p $(dir $(VENDOR))
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)

# The interface's languages: gettext catalogs (web/translations/<lang>/LC_MESSAGES/messages.po,
# kept in git) compiled to the .mo files the app reads (not kept: built here, like the venv).
PO := $(wildcard web/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

setup: $(STAMP) $(VENDOR) $(MO) ocr

# After adding or changing a user-facing string: extract every msgid into the template and
# merge it into each language's catalog, then fill in the new msgstr lines (tests/test_i18n.py
# fails while a Swedish one is empty).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--project Erfarenhetsbanken -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations \
		--no-fuzzy-matching --ignore-obsolete --width 100
	rm web/translations/messages.pot

run: setup
	$(BIN)/kb ingest corpus/documents
	$(BIN)/kb records import corpus/records.yaml
	$(BIN)/kb serve

serve: setup
	$(BIN)/kb serve

# Headless Chromium from Debian for the browser and accessibility tests.
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Tesseract and its Swedish and English models from Debian, for the OCR of scanned PDF pages
# (ingest/readers/ocr.py); and DejaVu, the font tests/test_ocr.py draws its scans with.
ocr:
	@{ command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx swe \
		&& tesseract --list-langs 2>/dev/null | grep -qx eng && test -f $(TEST_FONT); } \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		tesseract-ocr tesseract-ocr-swe tesseract-ocr-eng fonts-dejavu-core >/dev/null; }

# The tests that reach the vector store run twice: embedded, then against a Chroma server.
# The web, API and records suites reach it through the same store calls these make, so they
# run once; the server-mode tests start a Chroma server of their own. The bad-input suite's
# hostile names and texts go over the server's HTTP too (its parsing tests skip there).
SERVER_TESTS := tests/test_search_dense.py tests/test_search.py tests/test_similar.py \
	tests/test_pipeline.py tests/test_consistency.py tests/test_reindex.py tests/test_archive.py \
	tests/test_cli.py tests/test_crash.py tests/test_bad_input.py

# The passage vectors the embedded pass computed, handed to the server pass of the same run
# (tests/conftest.py, RememberingEmbedder): the same model on the same texts, not embedded twice.
TEST_VECTORS := $(VENV)/test-vectors.pickle

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -f $(TEST_VECTORS)
	KB_TEST_VECTORS_SAVE=$(TEST_VECTORS) $(BIN)/pytest --durations=25
	KB_TEST_VECTORS_LOAD=$(TEST_VECTORS) \
		$(BIN)/python -m tests.chroma_server $(BIN)/pytest -p no:cacheprovider --durations=15 $(SERVER_TESTS)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py

bench-web: setup
	$(BIN)/python bench/web.py

corpus: setup
	$(BIN)/python corpus/build.py

clean:
	rm -rf $(VENV) .pytest_cache
