# The two commands (see README):  make run  |  make test
# Everything goes through scripts/uv, which installs uv (from PyPI) when it is missing.
UV := scripts/uv

.PHONY: run test schemas migrations bench demo lint chaos

run:  ## start the whole platform: broker, five services, gateway, demo data
	@$(UV) sync --all-packages --quiet
	@$(UV) run --no-sync devstack up

test:  ## install what is missing (uv, Python packages, the test browser, pdfsig), then run every test
	@$(UV) sync --all-packages --quiet
	@scripts/system-packages
	@$(UV) run --no-sync ruff check --quiet .
	@$(UV) run --no-sync pytest $(PYTEST_ARGS)

schemas:  ## regenerate the committed event JSON Schemas and AsyncAPI document
	@$(UV) run contracts-schema-generate

bench:  ## run every benchmark, then print one table of every figure against its target (bench/README.md; ~35 min, BENCH_ARGS=--quick ~15)
	@$(UV) sync --all-packages --quiet
	@$(UV) run --no-sync python bench/report.py $(BENCH_ARGS)

chaos:  ## SIGKILL each service and the broker after each event-making step of manual 1.2 and 1.3, finish every flow, print the table (tests/chaos.py; CHAOS_ARGS="--sample 5")
	@$(UV) sync --all-packages --quiet
	@$(UV) run --no-sync python tests/chaos.py $(CHAOS_ARGS)

GATEWAY_URL ?= http://127.0.0.1:8000
demo:  ## walk through a secondary bidding (manual 1.3) on the platform `make run` started (GATEWAY_URL)
	@$(UV) run --no-sync devstack demo --gateway $(GATEWAY_URL)
