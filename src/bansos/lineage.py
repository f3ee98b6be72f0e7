"""``python -m bansos.lineage``: the operators' command, kept at its documented path.

The code is :mod:`bansos.publish.lineage`.
"""

import sys

from bansos.publish.lineage import main

if __name__ == "__main__":
    sys.exit(main())
