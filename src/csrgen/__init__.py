"""csrgen: locked ADaM datasets in, a regulatory-style Clinical Study Report out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("csrgen")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
