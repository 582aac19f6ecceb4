# Two entry points for a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DB ?= letopis.db

# Debian packages: antiword reads .doc, Tesseract OCRs scanned pages; the tests also render PDFs
# with DejaVu fonts and drive a headless Chromium.
RUN_PACKAGES = antiword tesseract-ocr tesseract-ocr-bul
TEST_PACKAGES = fonts-dejavu-core chromium chromium-driver

.PHONY: setup serve build test evaluate evaluate-scans clean system-run system-test

# Installs what is missing with apt-get (as root, or through sudo); elsewhere it names what to install.
define install_debian
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then echo "please install: $$missing" >&2; \
	  elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
endef

system-run:
	$(call install_debian,$(RUN_PACKAGES))

system-test: system-run
	$(call install_debian,$(TEST_PACKAGES))

$(BIN)/letopis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/letopis

setup: system-run $(BIN)/letopis

# Exit status 3: built, but some files are in the failures table; serve anyway.
build: setup
	$(BIN)/letopis build corpus/documents --db $(DB) || [ $$? -eq 3 ]

serve: build
	$(BIN)/letopis serve $(DB) --host 127.0.0.1 --port 8001

test: system-test setup
	$(BIN)/python -m pytest

evaluate: setup
	$(BIN)/letopis evaluate corpus/gold corpus/documents

evaluate-scans: setup
	$(BIN)/letopis evaluate corpus/gold corpus/scans

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
