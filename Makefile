# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make play   creates .venv, installs the game and what playing needs (no test or dev tools), starts it
#   make test   creates .venv, installs the game with its test and dev tools, runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLAYED := $(VENV)/.installed-play

.PHONY: play test lint typecheck bench picture clean browser serve screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev,serve]'
	@touch $(STAMP) $(PLAYED)

$(PLAYED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $(PLAYED)

play: $(PLAYED)
	$(BIN)/dualpower

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The browser test needs Debian's chromium and chromedriver: installed here when missing, as root, with apt-get.
# Never fails the build: without them that one test is skipped and says why.
browser:
	@if ! command -v chromedriver >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing chromium and chromium-driver for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	    || echo "Could not install chromium: the browser test will be skipped"; \
	fi

# A lesson in the browser: make serve ASSIGNMENT=story/assignments/worker-february.yaml [DB=class.db]
ASSIGNMENT ?= story/assignments/worker-february.yaml
DB ?= class.db
serve: $(STAMP)
	$(BIN)/dualpower serve --assignment $(ASSIGNMENT) --db $(DB)

# docs/web-scene.png and docs/web-dashboard.png, taken by the browser test
screenshots: $(STAMP) browser
	DUALPOWER_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_browser.py

lint: $(STAMP)
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/ruff format --check engine tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict engine

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/serve_bench.py
	$(BIN)/python benchmarks/ssh_bench.py

picture: $(STAMP)
	$(BIN)/python docs/make_picture.py

clean:
	rm -rf $(VENV) build *.egg-info
