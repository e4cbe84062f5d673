"""`python -m iamcore.emulator [options]` (or `python3 tests/emulator`): run the emulator."""

import sys

if __package__:
    from .iam_emulator import main

    prog = "python -m " + __package__
else:  # the directory run as a script: its modules are top-level
    from iam_emulator import main

    prog = None

sys.exit(main(prog=prog))
