r"""The training command: trains one experiment config; restartable.

Usage (``gengan-train`` and ``python -m gengan_jax.train`` are the same
command; in the repository ``python -m experiments.train`` too)::

  gengan-train --config=alpha_gan:ring --workdir=workdirs/alpha_gan_ring \
      [--config.train.steps=2000 ...]
  python -m experiments.train --config=experiments/configs/alpha_gan.py:ring ...

``--config`` is a config file, or the name of one of the library's own
(``gengan_jax.configs``, the repository's ``experiments/configs``:
``alpha_gan``, ``dcgan``, ...), so an installed library needs no checkout.
The text after ``:`` picks the config's data variant (``ring``, the default,
``grid`` or ``mnist``; see ``gengan_jax.configs.common``).

Any config value can be overridden with ``--config.<path>=<value>``, and
any field of the algorithm's ``Config`` set with ``--config.model.<field>=<value>``
even where the file leaves it at its default (:func:`model_additions`). Running
the same command again with the same ``--workdir`` resumes from the latest
checkpoint (raise ``--config.train.steps`` to train for longer).

A population (several runs as one compiled program; see
``gengan_jax.train.population_spec``)::

  gengan-train --config=dcgan:grid --workdir=workdirs/dcgan_pop \
      --config.population.seeds=8 \
      --config.population.model.generator_optimizer.learning_rate=1e-4,2e-4,5e-4

trains 24 members (8 seeds x 3 learning rates); each gets a run directory
``members/<i>/``.

Faults end with one line, never a traceback: an invalid setting, a config
file that is missing or does not load, a ``--workdir`` that is a file, a
missing or malformed data file, or checkpoints from another config print
``error: ...`` and exit 1 before anything is compiled; a work directory that
a live run holds prints that run's host and process id and exits 1 (the lock
of a killed run is taken over with a ``warning:`` line); a NaN/Inf under
``train.nonfinite='stop'`` prints the step, network and quantity and exits 1;
a full disk prints what could not be written and the newest good checkpoint
and exits 1; SIGTERM (preemption) finishes the step, writes a checkpoint,
prints where it stopped and exits 75 (``EX_TEMPFAIL``: run the same command
to resume). ``--help`` exits 0.

Several processes (one per host, or several on one machine)::

  gengan-train --config=... --workdir=... \
      --coordinator_address=host0:12345 --num_processes=2 --process_id=0   # and =1

runs ``jax.distributed.initialize`` first (CPU collectives over gloo); each
process reads its own slice of every global batch, only process 0 writes
logs and pictures, and all of them write their part of the checkpoints.
``--distributed`` instead lets JAX detect the cluster (Cloud TPU, SLURM).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import sys
import warnings

from absl import app, flags
from ml_collections import config_flags

from gengan_jax.core import ConfigError

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "An experiment config file and its data variant "
    "(<file>.py[:ring|grid|mnist]), or a library config's name (dcgan:grid).",
    lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints, metrics and pictures.")
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None, "host:port of process 0, for a multi-process run.")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes in a multi-process run.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index, 0-based.")
_DISTRIBUTED = flags.DEFINE_bool(
    "distributed", False, "Call jax.distributed.initialize() with the cluster's own settings.")
flags.mark_flags_as_required(["config", "workdir"])


def _initialize_distributed() -> None:
  """Starts ``jax.distributed`` when asked to; must run before JAX uses a device."""
  import jax  # pylint: disable=g-import-not-at-top
  if _COORDINATOR.value is None and not _DISTRIBUTED.value:
    return
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  if _COORDINATOR.value is None:
    jax.distributed.initialize()
    return
  if _NUM_PROCESSES.value is None or _PROCESS_ID.value is None:
    sys.exit("error: --coordinator_address needs --num_processes and --process_id.")
  if not 0 <= _PROCESS_ID.value < _NUM_PROCESSES.value:
    sys.exit(f"error: --process_id={_PROCESS_ID.value} must be in [0, "
             f"--num_processes={_NUM_PROCESSES.value}).")
  jax.distributed.initialize(coordinator_address=_COORDINATOR.value,
                             num_processes=_NUM_PROCESSES.value,
                             process_id=_PROCESS_ID.value)


def _show_warning(message, category, filename, lineno, file=None, line=None):
  del filename, lineno, line
  from gengan_jax.train.checkpoint import CheckpointWarning  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.population_loop import MemberStoppedWarning  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.schedule_check import ScheduleWarning  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.workdir_lock import StaleLockWarning  # pylint: disable=g-import-not-at-top
  if issubclass(category, (CheckpointWarning, StaleLockWarning, MemberStoppedWarning,
                           ScheduleWarning)):
    print(f"warning: {message}", file=file or sys.stderr, flush=True)
  else:
    print(f"warning: {category.__name__}: {message}", file=file or sys.stderr, flush=True)


def config_path(value: str) -> str:
  """``--config``'s value with a bare config name made a path.

  ``'dcgan:grid'`` (no directory, no ``.py``) names the library's own config
  file ``gengan_jax/configs/dcgan.py`` (variant ``grid``); a path is kept.
  """
  name, sep, variant = value.partition(":")
  if os.sep in name or name.endswith(".py") or not name:
    return value
  from gengan_jax import configs  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(configs.__file__), name + ".py") + sep + variant


def _with_config_paths(argv: list[str]) -> list[str]:
  return [("--config=" + config_path(a[len("--config="):])) if a.startswith("--config=")
          else a for a in argv]


POPULATION_PREFIX = "--config.population."
# The ``--config.population.<path>=<value>`` arguments, set aside by _parse_flags.
_POPULATION_ARGS: dict[str, object] = {}


def population_overrides(argv: list[str]) -> tuple[list[str], dict[str, object]]:
  """Sets aside the ``--config.population.<path>=<value>`` arguments.

  A config file need not have a ``population`` section (or the keys it
  names) for these: they make or extend it. A value without a comma is read
  as a Python literal (``seeds=8``: a count of seeds; ``mode=grid``: a
  string), one with commas is kept as text (``1e-4,2e-4``: a list of
  values; ``seeds=0,3,5``: those seeds).

  Returns:
    ``(the other arguments, {dotted path under population: value})``.
  """
  rest, found = [], {}
  for a in argv:
    if a.startswith(POPULATION_PREFIX) and "=" in a:
      path, value = a[len(POPULATION_PREFIX):].split("=", 1)
      if "," not in value:
        try:
          value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
          pass
      found[path] = value
    else:
      rest.append(a)
  return rest, found


def _set_nested(cfg, section: str, overrides: dict[str, object]):
  """``cfg`` with each dotted path of ``overrides`` set under ``cfg.<section>``,
  making the section and the nodes on the way where they are missing."""
  if not overrides:
    return cfg
  import ml_collections  # pylint: disable=g-import-not-at-top
  with cfg.unlocked():
    if section not in cfg:
      cfg[section] = ml_collections.ConfigDict()
    for path, value in overrides.items():
      node = cfg[section]
      *heads, last = path.split(".")
      for h in heads:
        if h not in node:
          node[h] = ml_collections.ConfigDict()
        node = node[h]
      node[last] = value
  return cfg


def with_population(cfg, overrides: dict[str, object]):
  """``cfg`` with the ``population`` settings of :func:`population_overrides`."""
  return _set_nested(cfg, "population", overrides)


def load_config(spec: str):
  """The experiment config of ``--config``'s value ``spec`` (``file.py[:variant]``
  or a library config's name), loaded as ``ml_collections`` loads it."""
  import importlib.util  # pylint: disable=g-import-not-at-top
  path, _, variant = config_path(spec).partition(":")
  module_spec = importlib.util.spec_from_file_location("gengan_config", path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(variant or None)


MODEL_PREFIX = "--config.model."
# The ``--config.model.<path>=<value>`` arguments that add a key, set aside by _parse_flags.
_MODEL_ARGS: dict[str, object] = {}


def _literal(text: str):
  """A command-line value as a Python literal where it is one, else the text."""
  if text.lower() in ("true", "false"):
    return text.lower() == "true"
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def _has_path(section, path: str) -> bool:
  """Whether the dotted ``path`` is in ``section`` (or runs past one of its
  values, which is no key to add: ``ml_collections`` reports it)."""
  node = section
  for key in path.split("."):
    if not hasattr(node, "keys"):
      return True
    if key not in node:
      return False
    node = node[key]
  return True


def model_additions(argv: list[str], model) -> tuple[list[str], dict[str, object]]:
  """Sets aside the ``--config.model.<path>=<value>`` arguments of keys the
  config file's ``model`` section does not have.

  A config file sets only the algorithm settings it changes; every other
  field of the algorithm's ``Config`` has its default, and can be set on the
  command line too (``--config.model.adversary_updates=2``,
  ``--config.model.pack=2``). ``ml_collections`` overrides only the keys a
  file has, so these are added after parsing, as ``experiments.sweep``'s
  ``--set`` does. A value is read as a Python literal where it is one (``2``,
  ``1e-3``, ``(8, 8)``, ``true``), else kept as text; the algorithm's
  ``Config`` then checks names, types and ranges (an unknown name is one
  line listing the valid ones). A key inside a section the file has, such
  as ``--config.model.generator_optimizer.schedule=cosine`` where the file
  sets only the learning rate and betas, is added the same way.

  Args:
    argv: the command line.
    model: the config file's ``model`` section.

  Returns:
    ``(the other arguments, {dotted path under model: value})``.
  """
  rest, found = [], {}
  for a in argv:
    path, sep, value = a[len(MODEL_PREFIX):].partition("=")
    if a.startswith(MODEL_PREFIX) and sep and not _has_path(model, path):
      found[path] = _literal(value)
    else:
      rest.append(a)
  return rest, found


def _file_model(argv: list[str]):
  """The ``model`` section of ``--config``'s file, or ``None`` when it does
  not load (absl then reports why, as one line)."""
  spec = next((a[len("--config="):] for a in argv if a.startswith("--config=")), None)
  if spec is None:
    return None
  try:
    return load_config(spec).get("model", {})
  except Exception:  # pylint: disable=broad-except
    return None


def _parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing, with every error (e.g. an override of a key the
  config does not have) reported as one ``error:`` line instead of a traceback."""
  argv, population = population_overrides(_with_config_paths(argv))
  _POPULATION_ARGS.update(population)
  model = _file_model(argv)
  if model is not None:
    argv, added = model_additions(argv, model)
    _MODEL_ARGS.update(added)
  # ml_collections reads the overrides of the config from sys.argv itself.
  sys.argv = population_overrides(sys.argv)[0]
  if model is not None:
    sys.argv = model_additions(sys.argv, model)[0]
  try:
    return flags.FLAGS(argv)
  except SystemExit as e:
    # Only absl's --help, --helpshort, --helpfull and --helpxml exit while
    # parsing: after printing the help, with status 1; asking for help is no error.
    sys.exit(0 if e.code == 1 else e.code)
  except (SyntaxError, ImportError) as e:  # the config file itself does not load
    _config_file_fails(argv, e)
  except (flags.Error, OSError) as e:
    text = str(e)
    if "Error whilst parsing config file" in text:  # get_config raised: its last line.
      last = [l for l in text.splitlines() if l.strip()][-1].strip()
      sys.exit("error: " + re.sub(r"^[\w.]+(Error|Exception): ", "", last))
    if isinstance(e, OSError):
      _no_config_file(argv)
    sys.exit(f"error: {e}")
  except (KeyError, AttributeError, TypeError, ValueError) as e:
    text = str(e.args[0] if e.args else e)
    for _ in range(3):  # ml_collections nests the repr of the KeyError's message.
      try:
        text = str(ast.literal_eval(text))
      except (ValueError, SyntaxError):
        break
    if isinstance(e, AttributeError) and "get_config" in text:
      _config_file_fails(argv, e)
    lines = text.splitlines() or [""]
    key = lines[0].strip("\"' ")
    hint = " ".join(l.strip() for l in lines[1:])
    named = [a.split("=")[0] for a in argv
             if a.startswith("--config.") and key in a.split("=")[0].split(".")]
    if named:
      sys.exit(f"error: unknown config key in {named[0]}: the config has no {key!r}. "
               + (hint + " " if hint else "") + "Valid keys are those of the --config file.")
    sys.exit(f"error: a command-line override is invalid ({type(e).__name__}: "
             f"{' '.join(lines)}); keys and types are those of the --config file.")


def _no_config_file(argv: list[str]) -> None:
  given = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), "?")
  from gengan_jax import algorithms  # pylint: disable=g-import-not-at-top
  sys.exit(f"error: cannot load the config file {given.split(':')[0]!r}; --config is a "
           "config file[:variant], or the name of one of the library's configs "
           f"({', '.join(sorted(algorithms.REGISTRY))})[:ring|grid|mnist].")


def _config_file_fails(argv: list[str], e: BaseException) -> None:
  """Exits with one line for a config file that exists but does not load."""
  given = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), "?")
  given = given.split(":")[0]
  if isinstance(e, SyntaxError):
    why = f"{type(e).__name__} at line {e.lineno}: {e.msg}"
  elif isinstance(e, AttributeError):
    why = "it defines no get_config(arg)"
  else:
    why = f"{type(e).__name__}: {' '.join(str(e).split())}"
  sys.exit(f"error: cannot load the config file {given!r} ({why}); a config file defines "
           "get_config(arg) returning the experiment's ConfigDict, as the library's "
           "configs do (e.g. --config=gan:ring).")


def _unraisable(hook):
  """``sys.unraisablehook`` without tensorstore's harmless ``RuntimeError: Event
  loop is closed`` (its callbacks of a failed read or write, arriving after
  orbax closed the loop: one traceback each); other objects go to ``hook``."""
  def quiet(unraisable):
    e = unraisable.exc_value
    if isinstance(e, RuntimeError) and str(e) == "Event loop is closed":
      return
    hook(unraisable)
  return quiet


def user_errors() -> tuple[type[Exception], ...]:
  """The errors a training command reports as one ``error:`` line, not a
  traceback: a bad config, a missing file, a damaged checkpoint, a
  non-finite run, a locked work directory, a failed write (``experiments.sweep``
  reports them the same way)."""
  from gengan_jax.train.checkpoint import CheckpointError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.nonfinite import NonFiniteError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.workdir_lock import WorkdirLockedError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.write_errors import WriteError  # pylint: disable=g-import-not-at-top
  return (ConfigError, FileNotFoundError, CheckpointError, NonFiniteError, WorkdirLockedError,
          WriteError)


def main(argv):
  del argv
  logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
  logging.getLogger("absl").setLevel(logging.ERROR)
  warnings.showwarning = _show_warning
  sys.unraisablehook = _unraisable(sys.unraisablehook)
  _initialize_distributed()
  import jax  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import loop, preemption  # pylint: disable=g-import-not-at-top
  try:
    cfg = _CONFIG.value
    cfg.keys()  # raises here if the file could not be loaded
  except OSError:  # ml_collections loads the file lazily
    _no_config_file(sys.argv)
  cfg = with_population(_set_nested(cfg, "model", _MODEL_ARGS), _POPULATION_ARGS)
  try:
    summary, _ = loop.train(cfg, _WORKDIR.value)
  except user_errors() as e:
    sys.exit(f"error: {e}")
  if summary["preempted"]:
    if jax.process_index() == 0:
      print(f"Preempted by {summary['preempted_by']}: stopped after step {summary['step']} "
            f"and saved a checkpoint in {summary['checkpoints']}. Run the same command "
            "to resume.", flush=True)
    sys.exit(preemption.EXIT_CODE)
  if jax.process_index() == 0 and "members" in summary:
    _print_population(summary)
    return
  if jax.process_index() == 0:
    print(json.dumps({"evaluation": summary["evaluation"],
                      "final_metrics": summary["final_metrics"]}, indent=1))
    print(f"\nDone: step {summary['step']} of {cfg.algorithm} on {summary['data']}.")
    print(f"  work directory : {summary['workdir']}")
    for p in summary["pictures"]:
      print(f"  picture        : {p}")
    print(f"  metrics        : {summary['metrics_file']} (TensorBoard: {summary['workdir']}/tensorboard)")
    print(f"  summary        : {summary['workdir']}/summary.json")
    print(f"  checkpoints    : {summary['checkpoints']}")


def _print_population(summary) -> None:
  """The end of a population's run: one line per member, then where things are."""
  for m in summary["members"]:
    values = ", ".join(f"{k}={v:g}" for k, v in m["values"].items())
    e = m["evaluation"]
    result = ("stopped at step %d (non-finite)" % m["stopped_at"] if m["stopped"] else
              ", ".join(f"{k} {v:.4g}" for k, v in e.items()) if e else "")
    print(f"  {os.path.basename(m['workdir'])}: seed {m['seed']}"
          + (f", {values}" if values else "") + (f": {result}" if result else ""))
  print(f"\nDone: step {summary['step']} of {summary['algorithm']} on {summary['data']}, "
        f"{summary['population_size']} members.")
  print(f"  work directory : {summary['workdir']} (members/<i>/: metrics, pictures, summary)")
  print(f"  summary        : {summary['workdir']}/summary.json")
  print(f"  checkpoints    : {summary['checkpoints']}")


def console_main():
  """The ``gengan-train`` console script."""
  app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
  console_main()
