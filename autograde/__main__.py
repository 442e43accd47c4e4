"""``python -m autograde``."""

import sys

from .cli import main

sys.exit(main())
