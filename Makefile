# The two commands of the README are `make run` and `make test`; the rest are habits.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test fmt lint ci migrate messages bench bench-pipeline bench-review bench-upload \
	guide-screenshots stack stack-up stack-down stack-status stack-test

$(STAMP): pyproject.toml scripts/opencv-headless.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,precheck]"
	sh scripts/opencv-headless.sh $(PY)
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest

# Retakes the pictures of docs/operator-guide.md (a normal test run checks the same pages
# but writes its pictures to a temporary directory, leaving the work tree clean).
guide-screenshots: install
	YISHEN_GUIDE_SCREENSHOTS=1 $(PY) -m pytest tests/docs/test_operator_guide_screenshots.py

# The translation catalogues (README, "Translations"): extract the marked strings again into
# locale/ (root templates/, config/) and each app's <app>/locale/ (needs gettext's tools:
# development only), then compile every .po with polib (scripts/catalogues.py).
CATALOGUE_APPS := accounts materials review notifications demo
MESSAGES_IGNORE := --ignore=tests --ignore=bench --ignore=docs --ignore=var --ignore=deploy \
	--ignore=docker --ignore=scripts --ignore=static --ignore=node_modules

messages: install
	for app in $(CATALOGUE_APPS); do mkdir -p $$app/locale; done
	$(PY) manage.py makemessages --locale=en --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(PY) scripts/catalogues.py compile
	$(PY) scripts/catalogues.py check || true

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: bench-pipeline bench-review bench-upload

bench-pipeline: install
	$(PY) bench/pipeline.py

# Needs PostgreSQL on 127.0.0.1:5432 (see bench/README.md); seeds its own database once.
bench-review: install
	$(PY) bench/review.py

# Needs PostgreSQL and Redis on 127.0.0.1 and wrk (installed with apt-get when missing).
bench-upload: install
	$(PY) bench/upload.py

ci:
	bash .ci/run

# The production stack on this machine (deploy/stack.sh; needs nginx, redis-server and
# PostgreSQL, as .ci/run installs them). STACK_MODE=s3 (default) or filesystem.
STACK_MODE ?= s3

stack: install
	bash deploy/stack.sh up $(STACK_MODE) && bash deploy/stack.sh pytest; \
	status=$$?; bash deploy/stack.sh down; exit $$status

stack-up: install
	bash deploy/stack.sh up $(STACK_MODE)

stack-test:
	bash deploy/stack.sh pytest

stack-status:
	bash deploy/stack.sh status

stack-down:
	bash deploy/stack.sh down
