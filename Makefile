# Setup, the handout library, tests, and the translator's catalog workflow.
# `make library` and `make test` each set up everything they need first.

VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Fonts for every script, HarfBuzz subsetting (fast PDF fonts); poppler, Chromium, zbar (QR),
# Node.js (axe-core, injected into Chromium) and nginx (replicas behind a cache) for the tests.
APT_PACKAGES := fonts-noto-core fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium zbar-tools nodejs \
	nginx
DOMAINS := messages procedures

.PHONY: setup system python catalogs library test lock upgrade bench bench-service serve extract update

setup: system python catalogs node_modules/.installed

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python: $(VENV)/.installed

# Exactly the locked versions, hash-checked, in a new venv (so a package the lock
# dropped is gone too); then explainer itself, editable, with no dependency resolution.
$(VENV)/.installed: requirements.lock pyproject.toml
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

# The tests' JavaScript (axe-core), exactly as package-lock.json pins it.
node_modules/.installed: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

catalogs: python
	@for d in $(DOMAINS); do $(BIN)/pybabel compile -d locales -D $$d || exit 1; done

library: setup
	$(BIN)/explainer build

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/explainer check
	$(BIN)/pytest

# Maintainers: `make lock` re-resolves after a change to pyproject.toml, keeping every
# other pin; `make upgrade` moves every package to its newest release on purpose.
# Both print what changed, then reinstall and run `explainer check` and the tests.
# requirements-service.lock is the service's share of it (no test tools; hatchling to build
# the wheel), at the very same versions: what the Containerfile installs.
UV := uv==0.13.9
COMPILE := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command 'make lock'
LOCK := $(COMPILE) pyproject.toml --extra test -o requirements.lock

lock upgrade: python
	$(BIN)/pip install -q "$(UV)"
	cp requirements.lock $(VENV)/requirements.lock.before
	$(LOCK) $(if $(filter upgrade,$@),--upgrade)
	echo "hatchling>=1.24" | $(COMPILE) pyproject.toml - -c requirements.lock -o requirements-service.lock
	@$(BIN)/python tools/lock_changes.py $(VENV)/requirements.lock.before requirements.lock
	$(MAKE) test

# Render times per language, the full build, Chromium on the same handouts, memory.
bench: setup
	$(BIN)/python bench/library_bench.py

# Loads with wrk on loopback: the service beside a minimal Starlette app, several processes,
# two replicas behind nginx (deploy/nginx.conf), one of them killed.
bench-service: setup
	@$(MAKE) --no-print-directory system APT_PACKAGES=wrk
	$(BIN)/python bench/service_load.py

# The HTTP service on http://127.0.0.1:8000 (see README, "Serving").
serve: setup
	$(BIN)/explainer serve

# Translators: `make extract update`, translate the PO files, then `make catalogs`.
# A POT file is only rewritten when its messages change, not its date.
extract: python
	@for d in $(DOMAINS); do \
		case $$d in messages) src="explainer templates";; procedures) src=procedures;; esac; \
		$(BIN)/pybabel extract -F babel.cfg -c TRANSLATORS: --project explainer \
			--copyright-holder "explainer contributors" -o locales/$$d.pot.new $$src || exit 1; \
		if [ -f locales/$$d.pot ] && diff -q -I '^"POT-Creation-Date' locales/$$d.pot locales/$$d.pot.new >/dev/null; \
		then rm locales/$$d.pot.new; else mv locales/$$d.pot.new locales/$$d.pot; echo "updated locales/$$d.pot"; fi; \
	done

update: python
	@for d in $(DOMAINS); do \
		$(BIN)/pybabel update -i locales/$$d.pot -d locales -D $$d --ignore-pot-creation-date || exit 1; \
	done
