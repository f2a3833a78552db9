"""``python -m knowledge``: see knowledge/cli.py."""

import sys

from knowledge.cli import main

sys.exit(main())
