"""``python -m bansos.keys status|rotate``: the operators' command, kept at its documented path.

The code is :mod:`bansos.merge.keys`.
"""

import sys

from bansos.merge.keys import main

if __name__ == "__main__":
    sys.exit(main())
