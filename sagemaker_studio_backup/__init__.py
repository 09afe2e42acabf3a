"""Studio Backup: the JupyterLab extension, shipped prebuilt, and the Jupyter server extension that
forwards the panel's requests to the local agent with its per-start secret (handlers.py)."""

try:
    from ._version import __version__
except ImportError:
    # Running from a source checkout that was never installed with pip.
    import warnings

    warnings.warn("Importing 'sagemaker_studio_backup' outside a proper installation.")
    __version__ = "dev"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "sagemaker-studio-backup"}]


def _jupyter_server_extension_points():
    return [{"module": "sagemaker_studio_backup"}]


def _load_jupyter_server_extension(server_app):
    """Enabled by jupyter-config/server-config/sagemaker_studio_backup.json, which pip installs."""
    from .handlers import setup_handlers

    setup_handlers(server_app)
