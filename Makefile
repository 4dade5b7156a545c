# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make play   creates .venv, installs the game, starts it
#   make test   creates .venv, installs the game with its test tools, runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: play test lint typecheck bench picture clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $(STAMP)

play: $(STAMP)
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
