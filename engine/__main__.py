"""`python -m engine` runs the `dualpower` command."""

import sys

from engine.cli import main

sys.exit(main())
