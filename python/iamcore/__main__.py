"""`python -m iamcore`: the iamcore command line (see iamcore._cli, docs/cli.md)."""

import sys

from ._cli import main

sys.exit(main())
