r"""Uses a trained run: writes samples, codes or reconstructions, or exports a network.

Usage (``gengan-use`` and ``python -m gengan_jax.use`` are the same command)::

  gengan-use sample --workdir=W [--num=50000] [--seed=0] [--out=FILE.npz]
  gengan-use encode --workdir=W [--split=test] [--num=N] [--out=FILE.npz]
  gengan-use reconstruct --workdir=W [--split=test] [--num=N] [--out=FILE.npz]
  gengan-use export --workdir=W [--network=generator] [--out=FILE.msgpack]

  common flags: [--step=S] [--batch_size=500] [--data=KEY=VALUE ...] [--noaverage]

``--workdir`` is a run directory of ``gengan-train`` (a population member's
is ``<workdir>/members/<i>``); the newest good checkpoint is used unless
``--step`` names one (:func:`gengan_jax.use.load`); a run that kept a
moving average of its parameters (``train.ema_decay``) is used with the
average unless ``--noaverage``.

* ``sample``: ``--num`` samples (default 10,000) into ``samples`` of the
  ``.npz``, and a picture beside it (``.png``: a grid of the first 64 images,
  or the first two coordinates over the data for vectors). Batch ``i`` of
  ``--batch_size`` draws with ``fold_in(key(--seed), i)``.
* ``encode`` / ``reconstruct``: the codes (``codes``) or reconstructions
  (``reconstructions``) of the run's data, with the inputs (``inputs``)
  (``--split`` picks another split of sources that have splits: ``tfds``,
  ``idx``, ``stacked_mnist``; for a mixture of Gaussians ``--num`` fresh draws
  with ``--seed``). ``--data=KEY=VALUE`` changes a key of the run's data
  section first, e.g. ``--data=directory=/data/mnist`` where the data lives
  elsewhere on this machine.
* ``export``: one network's variables (default: the generator, decoder or
  flow) as a Flax msgpack file and its JSON record
  (:mod:`gengan_jax.use.export`).

Default ``--out``: ``<workdir>/use/<command>-step<S>[-<split>][-seed<seed>].npz``
(``.msgpack`` for export). Every batch goes to the host and into the file
before the next one is computed, so neither device nor host memory holds
more than one batch. Errors are one ``error: ...`` line (exit 1): a
missing run or checkpoint, a damaged checkpoint, a split the data does not
have, a model without an encoder asked to encode, a file that cannot be
written.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from absl import flags
from absl import logging

from gengan_jax.train import command_line

COMMANDS = ("sample", "encode", "reconstruct", "export")
_SPLIT_SOURCES = ("tfds", "idx", "stacked_mnist")
DEFAULT_NUM = {"sample": 10_000, "toy": 2_500}


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags in ``flag_values`` (when the command runs)."""
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("workdir", None, "Run directory (of gengan-train).", **fv)
  flags.DEFINE_string("out", None, "Output file (default: <workdir>/use/...).", **fv)
  flags.DEFINE_integer("num", None, "Samples to draw (default 10,000); examples to encode or "
                       "reconstruct (default: all; 2,500 draws for a mixture).", **fv)
  flags.DEFINE_integer("seed", 0, "Seed of the samples (and of a mixture's draws).", **fv)
  flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest good one).", **fv)
  flags.DEFINE_integer("batch_size", 500, "Examples per compiled call.", **fv)
  flags.DEFINE_string("split", None, "Data split to encode or reconstruct (default: the "
                      "run's).", **fv)
  flags.DEFINE_multi_string("data", [], "KEY=VALUE: a change to the run's data section.", **fv)
  flags.DEFINE_string("network", None, "export: the network (default: the generator, "
                      "decoder or flow).", **fv)
  flags.DEFINE_bool("progress", True, "Show a progress bar (on stderr).", **fv)
  flags.DEFINE_bool(
      "average", True, "For a run with train.ema_decay > 0: use its parameters' moving "
      "average (the default, as its own evaluations did); --noaverage: the trained parameters.",
      **fv)


def _progress(total: int, desc: str, enabled: bool):
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  return tqdm(total=total, desc=desc, unit="ex", disable=not enabled, file=sys.stderr,
              dynamic_ncols=True)


def _data_section(model, fv) -> Any:
  """The run's data section with ``--split`` and ``--data`` applied."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  section = ml_collections.ConfigDict(model.config.data.to_dict())
  for item in fv.data:
    key, sep, value = item.partition("=")
    if not sep or key not in section:
      raise ValueError(f"--data={item!r} is invalid: use KEY=VALUE with a key of the run's "
                       f"data section ({', '.join(sorted(section.keys()))}).")
    old = section[key]
    section[key] = type(old)(value) if isinstance(old, (int, float)) and not isinstance(
        old, bool) else value
  if fv.split is not None:
    if section.source not in _SPLIT_SOURCES:
      raise ValueError(f"--split={fv.split!r} does not apply: data.source="
                       f"{section.source!r} has no splits (sources with splits: "
                       f"{', '.join(_SPLIT_SOURCES)}).")
    section.split = fv.split
  return section


def _examples(model, fv) -> tuple[Any, str]:
  """The host array to encode or reconstruct, and what it is."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from gengan_jax import data  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import settings  # pylint: disable=g-import-not-at-top
  section = _data_section(model, fv)
  dataset = settings.make_dataset(section, section.source)
  if isinstance(dataset, data.MixtureDataset):
    num = fv.num or DEFAULT_NUM["toy"]
    x = dataset.mixture.sample(np.random.default_rng(fv.seed), num)
    return np.asarray(x, np.float32), f"{num} draws of {dataset.name} (seed {fv.seed})"
  x = dataset.data if fv.num is None else dataset.data[:fv.num]
  if fv.num is not None and fv.num > len(dataset.data):
    raise ValueError(f"--num={fv.num} is more than the {len(dataset.data)} examples of "
                     f"{dataset.name}.")
  return x, f"{len(x)} examples of {dataset.name}"


def _default_out(model, command: str, fv) -> str:
  parts = [command, f"step{model.step}"]
  if command in ("encode", "reconstruct") and fv.split:
    parts.append(fv.split)
  if command == "sample" or (command != "export" and model.config.data.source == "toy"):
    parts.append(f"seed{fv.seed}")
  ext = ".msgpack" if command == "export" else ".npz"
  return os.path.join(model.workdir, "use", "-".join(parts) + ext)


def run(command: str, fv: flags.FlagValues) -> list[str]:
  """Runs ``command`` with the parsed flags; returns the files written."""
  from gengan_jax.use import export, files  # pylint: disable=g-import-not-at-top
  from gengan_jax.use.loading import load  # pylint: disable=g-import-not-at-top
  if not fv.workdir:
    raise ValueError("pass --workdir=<run directory of gengan-train>.")
  model = load(fv.workdir, fv.step, average=fv.average)
  out = os.path.abspath(fv.out or _default_out(model, command, fv))
  os.makedirs(os.path.dirname(out), exist_ok=True)
  written = [out]
  if command == "export":
    export.export_network(model, out, network=fv.network)
    return written + [out + ".json"]
  if command == "sample":
    num = fv.num or DEFAULT_NUM["sample"]
    with _progress(num, "sample", fv.progress) as bar:
      files.write_npz(out, {"samples": model.iter_samples(num, seed=fv.seed,
                                                          batch_size=fv.batch_size)},
                      num, progress=bar.update)
    import numpy as np  # pylint: disable=g-import-not-at-top
    with np.load(out, mmap_mode="r") as f:
      first = np.asarray(f["samples"][:2500])
    picture = files.sample_picture(os.path.splitext(out)[0] + ".png", first,
                                   title=f"{model.name}, step {model.step}, seed {fv.seed}")
    return written + ([picture] if picture else [])
  model.require(command)  # before reading any data
  x, what = _examples(model, fv)
  print(f"{command}: {what}", file=sys.stderr)
  iterate = model.iter_encode if command == "encode" else model.iter_reconstruct
  name = "codes" if command == "encode" else "reconstructions"
  inputs = (x[i:i + fv.batch_size] for i in range(0, len(x), fv.batch_size))
  with _progress(len(x), command, fv.progress) as bar:
    files.write_npz(out, {name: iterate(x, batch_size=fv.batch_size), "inputs": inputs},
                    len(x), progress=bar.update)
  return written


def main(argv: list[str]) -> None:
  """The command: ``argv[1]`` is one of :data:`COMMANDS`."""
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it reads.
  args = argv[1:]
  if len(args) != 1 or args[0] not in COMMANDS:
    got = " ".join(args) or "nothing"
    sys.exit(f"error: name one command of {', '.join(COMMANDS)} (got {got}); --help shows "
             "how.")
  from gengan_jax.core import ConfigError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.checkpoint import CheckpointError  # pylint: disable=g-import-not-at-top
  try:
    written = run(args[0], flags.FLAGS)
  except (ConfigError, FileNotFoundError, CheckpointError, ValueError) as e:
    sys.exit(f"error: {e}")
  except OSError as e:
    where = f" ({e.filename})" if getattr(e, "filename", None) else ""
    sys.exit(f"error: {args[0]}: {e.strerror or e}{where}.")
  for path in written:
    print(path)


def console_main() -> None:
  """The command (``gengan-use``, ``python -m gengan_jax.use``)."""
  command_line.run_command(__name__, __doc__, define_flags, main)
