# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
DEMO_DB := sqlite:///data/demo.db
# Labels' QR codes and passport links use this address: the port the app runs on,
# unless WORKSHOP_BASE_URL says where the public reaches it.
BASE_URL := $${WORKSHOP_BASE_URL:-http://localhost:$(PORT)}

.PHONY: run test lint demo install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python -m workshop migrate
	WORKSHOP_BASE_URL=$(BASE_URL) $(BIN)/streamlit run asgi.py --server.port $(PORT) --server.headless true

demo: install
	WORKSHOP_DATABASE_URL=$(DEMO_DB) $(BIN)/python -m workshop migrate
	WORKSHOP_DATABASE_URL=$(DEMO_DB) $(BIN)/python -m workshop seed-demo
	WORKSHOP_DATABASE_URL=$(DEMO_DB) WORKSHOP_BASE_URL=$(BASE_URL) $(BIN)/streamlit run asgi.py --server.port $(PORT) --server.headless true

test: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workshop

clean:
	rm -rf $(VENV)
