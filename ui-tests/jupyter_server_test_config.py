"""Server configuration for the integration tests.

Never use it in production: it opens the server without a token and exposes
JupyterLab's objects on `window` for Galata.
"""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821


# CI and the developers' machines run as root.
c.ServerApp.allow_root = True  # noqa: F821
