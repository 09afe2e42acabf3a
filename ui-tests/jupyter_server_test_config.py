"""Server configuration for the integration tests.

Never use it in production: it opens the server without a token and exposes
JupyterLab's objects on `window` for Galata.
"""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# As in Studio, the server's root is the home the agent backs up, so the file
# browser's paths are the agent's paths (playwright.config.js makes the folder).
if os.environ.get("STUDIO_BACKUP_UI_HOME"):
    c.ServerApp.root_dir = os.environ["STUDIO_BACKUP_UI_HOME"]  # noqa: F821

# CI and the developers' machines run as root.
c.ServerApp.allow_root = True  # noqa: F821
