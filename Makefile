# Two commands on a fresh machine:
#   make run    install everything, build the demo DB if there is none, start the dashboard
#   make test   install what the tests need (incl. Debian's chromium) and run the whole suite

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DB     ?= data/reviews.duckdb
PORT   ?= 8501

.PHONY: run test install browser demo bench clean

run: install
	$(PY) -m pipeline demo --db $(DB) --if-missing
	REVIEW_PULSE_DB=$(DB) $(PY) -m streamlit run app.py --server.port $(PORT)

test: install browser
	$(PY) -m pytest -n 2

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

browser:
	sh scripts/install-browser.sh

demo: install
	$(PY) -m pipeline demo --db $(DB)

bench: install browser
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache test-output bench/results
