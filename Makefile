.PHONY: demo test setup clean

## Start the local demo: JupyterLab with the Backups panel, the agent and a sample home.
demo:
	bash scripts/demo.sh

## Run every check and test; ends with "N passed, N failed".
test:
	bash scripts/test.sh

## Install dependencies and build, without running anything.
setup:
	bash scripts/setup.sh

clean:
	rm -rf lib lcc/lib backend-infra/dist sagemaker_studio_backup/labextension .test-results
