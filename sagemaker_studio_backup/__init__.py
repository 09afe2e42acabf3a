"""Studio Backup: the JupyterLab extension, shipped prebuilt."""

try:
    from ._version import __version__
except ImportError:
    # Running from a source checkout that was never installed with pip.
    import warnings

    warnings.warn("Importing 'sagemaker_studio_backup' outside a proper installation.")
    __version__ = "dev"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "sagemaker-studio-backup"}]
