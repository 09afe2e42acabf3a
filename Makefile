.PHONY: demo test setup screenshots bench bench-reference bench-ui bench-journeys bench-agent clean

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
	cd ui-tests && PATH="$(CURDIR)/.venv/bin:$$PATH" CI=1 npx playwright test -c playwright.bench.config.js bench/render.bench.ts

## Walk the eleven journeys of issue #16 (actions and time to the result); writes its section of docs/benchmarks.md,
## with the panel of 0b56d64^ from ui-tests/bench/journeys-before.json.
bench-journeys: setup
	bash scripts/setup.sh --browser
	cd ui-tests && PATH="$(CURDIR)/.venv/bin:$$PATH" CI=1 npx playwright test -c playwright.bench.config.js bench/journeys.bench.ts

## Time the agent's answers to the panel on S3 (versitygw) with 1,000 snapshots; writes its section of docs/benchmarks.md.
bench-agent: setup
	node bench/agent-reads.js

## Benchmark the engine against restic, rustic and the cp/tar floors, local and on S3 (versitygw), then
## the measurements behind the engine's choices (zstd, allocator, lstat), then the agent's answers to
## the panel on S3; writes docs/benchmarks.md and docs/benchmarks-engine.svg.
## Builds what is missing first (rustic with cargo: about 20 minutes once); then about 30 minutes.
bench: setup
	node bench/engine.js --install
	node bench/engine-choices.js
	node bench/agent-reads.js

## The engine against the reference LCC's `aws s3 sync`, on moto; writes its part of docs/benchmarks.md.
bench-reference: setup
	command -v restic >/dev/null || (apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq restic)
	node bench/run.js

clean:
	rm -rf lib lcc/lib backend-infra/dist sagemaker_studio_backup/labextension .test-results
