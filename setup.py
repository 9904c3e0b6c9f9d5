"""Build hook: the pinned front-end packages (tools/assets.py) are installed and placed before
the Python files are collected, for wheels and editable installs alike. Everything else about
the package is in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
        import assets

        assets.build()
        super().run()


setup(cmdclass={"build_py": BuildPyWithAssets})
