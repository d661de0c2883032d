"""Run relmap as ``python -m relmap``."""

import sys

from relmap.cli import main

sys.exit(main())
