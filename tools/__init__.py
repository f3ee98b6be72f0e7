"""Developer tools that live in the checkout, never in the installed package.

``tools.synthetic`` writes the synthetic extracts, ``tools.devstack`` runs the local stack behind
``make demo``. Run from the checkout's root (``python -m tools.devstack demo``); they locate the
checkout from their own folder, which only they may do.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
