# Two commands: `make demo` (set up and run the demo plant + assistant + web UI) and `make test`.
.PHONY: demo test setup setup-dev lint bench

setup:
	scripts/setup.sh

setup-dev:
	IIOT_SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)" scripts/setup.sh dev,train

# Debian packages the test suite uses (installed by `make test` when missing, as root)
TEST_SYSTEM_PACKAGES := clickhouse-server chromium espeak-ng sox nodejs

demo: setup
	.venv/bin/iiot-assistant demo

test: setup-dev
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -q

lint: setup-dev
	.venv/bin/ruff check .
