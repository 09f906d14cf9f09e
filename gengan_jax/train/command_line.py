"""The absl plumbing of the library's commands (``gengan-evaluate``, ``gengan-use``).

``--help`` exits 0 with the command module's docstring and flags; a bad
flag is one ``error:`` line (exit 1), never a traceback.
"""

from __future__ import annotations

import sys
from typing import Callable

from absl import app
from absl import flags


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing, with ``--help`` exiting 0 and a bad flag one ``error:`` line.

  absl's help flags (``--help``, ``--helpshort``, ``--helpfull``,
  ``--helpxml``) print the help and exit with status 1 while the flags are
  parsed; asking for help is no error, so that becomes status 0.
  """
  try:
    return flags.FLAGS(argv)
  except SystemExit as e:
    sys.exit(0 if e.code == 1 else e.code)
  except flags.Error as e:
    sys.exit(f"error: {' '.join(str(e).split())} (--help lists the flags).")


def run_command(module_name: str, doc: str, define_flags: Callable[[], None],
                main: Callable[[list[str]], None]) -> None:
  """Defines a command's flags, then runs ``main`` under ``absl.app``.

  ``--help`` prints the ``__main__`` module's docstring and key flags: here
  ``doc`` and the flags ``module_name`` defines, whichever script started the
  command (the console script, ``python -m ...``).
  """
  main_module = sys.modules.get("__main__")
  if main_module is not None:
    main_module.__doc__ = doc
  define_flags()
  for flag in flags.FLAGS.get_flags_for_module(module_name):
    flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
  app.run(main, flags_parser=parse_flags)
