"""Entry point for ``python -m tools.synthetic`` and the ``bansos-synthetic`` script.

The command itself lives in ``cli``; this module only re-exports ``main`` for the script entry
point in pyproject.toml and runs it when executed as a module.
"""

from tools.synthetic.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
