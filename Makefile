# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make play   creates .venv, installs the game and what playing needs (no test or dev tools), starts it
#   make test   creates .venv, installs the game with its test and dev tools, runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLAYED := $(VENV)/.installed-play

.PHONY: play test lint typecheck bench picture clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $(STAMP) $(PLAYED)

$(PLAYED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $(PLAYED)

play: $(PLAYED)
	$(BIN)/dualpower

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/ruff format --check engine tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict engine

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

picture: $(STAMP)
	$(BIN)/python docs/make_picture.py

clean:
	rm -rf $(VENV) build *.egg-info
