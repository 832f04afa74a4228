"""``python -m sensorkit``: the same command line as the ``sensorkit`` command."""

import sys

from sensorkit.cli.main import main

sys.exit(main())
