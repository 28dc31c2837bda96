import sys

from rtxreview.cli import main

sys.exit(main())
