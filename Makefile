.PHONY: demo test setup screenshots bench bench-ui bench-agent clean

## Start the local demo: JupyterLab with the Backups panel, the agent and a sample home.
demo:
	bash scripts/demo.sh

## Run every check and test; ends with "N passed, N failed".
test:
	bash scripts/test.sh

## Install dependencies and build, without running anything.
setup:
	bash scripts/setup.sh

## Take the README's screenshots (light and dark) into docs/screenshots/, from a sample home with a few days of snapshots.
screenshots: setup
	bash scripts/setup.sh --browser
	cd ui-tests && STUDIO_BACKUP_SCREENSHOTS=1 PATH="$(CURDIR)/.venv/bin:$$PATH" CI=1 npx playwright test tests/screenshots.spec.ts

## Time the panel rendering 1,000 snapshots and a 10,000-entry folder; writes its section of docs/benchmarks.md.
bench-ui: setup
	bash scripts/setup.sh --browser
	cd ui-tests && PATH="$(CURDIR)/.venv/bin:$$PATH" CI=1 npx playwright test -c playwright.bench.config.js

## Time the agent's answers to the panel on S3 (versitygw) with 1,000 snapshots; writes its section of docs/benchmarks.md.
bench-agent: setup
	node bench/agent-reads.js

## Benchmark the engine against aws s3 sync and restic; writes docs/benchmarks.md (about 15 minutes).
bench: setup
	command -v restic >/dev/null || (apt-get update -qq && apt-get install -y -qq restic)
	node bench/run.js

clean:
	rm -rf lib lcc/lib backend-infra/dist sagemaker_studio_backup/labextension .test-results
