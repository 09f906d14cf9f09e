"""Validating an experiment config before anything is built or compiled.

An experiment config (see ``experiments/configs/``) has five top-level keys:
``algorithm``, ``seed``, ``model`` (the algorithm's ``Config``, checked by
the algorithm), ``data`` and ``train``. This module checks the rest: the top
level, the ``train`` section (:class:`TrainConfig`), the keys every ``data``
section has (:class:`DataConfig`) and each source's own keys, the data itself
(read, so that a missing or damaged file fails here) and whether the
networks fit it. Every problem is one :class:`~gengan_jax.core.ConfigError`
line naming the setting and what is valid.
"""

from __future__ import annotations

import dataclasses
import os

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import algorithms, data
from gengan_jax.core import ConfigError, check, check_choice, check_int, check_keys, from_mapping
from gengan_jax.train import nonfinite

TOP_LEVEL_KEYS = ("algorithm", "seed", "model", "data", "train")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """The ``train`` section: how long to run, and what to write on the way.

  The defaults are those of ``experiments/configs/common.py``.

  Attributes:
    steps: training steps in all (a resumed run continues up to it), >= 1.
    log_every: steps between metrics records, >= 1.
    checkpoint_every: steps between checkpoints, >= 1 (there is one at the
      end, and one on SIGTERM, too).
    keep_checkpoints: how many of the newest checkpoints to keep, >= 1.
    plot_every: steps between pictures and evaluations, >= 0 (0: only at the
      end).
    eval_samples: samples for the scatter plots and the mode coverage of
      vector data, >= 1.
    progress: whether process 0 shows a progress bar.
    nonfinite: what a NaN/Inf step does: ``'stop'`` or ``'skip'`` (see
      :mod:`.nonfinite`).
    max_consecutive_skips: with ``'skip'``, the run stops as ``'stop'``
      would once this many steps in a row were skipped, >= 1 (a run whose
      every step is non-finite would otherwise skip forever; the count
      restarts on resume).
    steps_per_call: steps per compiled call (a ``lax.scan``, see
      :mod:`.multistep`), >= 1; ``log_every``, ``checkpoint_every`` and
      ``plot_every`` must be multiples of it (checked by
      :func:`train_config`, which names them in the config).
    ema_decay: ``beta`` of an exponential moving average of every network's
      parameters (Yazici et al. 2019), in ``[0, 1)``; when above 0, samples,
      evaluations, pictures and ``gengan_jax.use.load`` use the average,
      training the parameters themselves (see
      :mod:`gengan_jax.core.averaging`). 0: no average (the default). A run
      resumes only with the same choice (on or off).
  """

  steps: int = 5000
  log_every: int = 100
  checkpoint_every: int = 1000
  keep_checkpoints: int = 3
  plot_every: int = 0
  eval_samples: int = 2500
  progress: bool = True
  nonfinite: str = "stop"
  max_consecutive_skips: int = 100
  steps_per_call: int = 1
  ema_decay: float = 0.0

  def __post_init__(self):
    for name in ("steps", "log_every", "checkpoint_every", "keep_checkpoints", "eval_samples",
                 "max_consecutive_skips", "steps_per_call"):
      check_int(name, getattr(self, name), 1)
    check_int("plot_every", self.plot_every, 0)
    check_choice("nonfinite", self.nonfinite, nonfinite.POLICIES)
    check(0.0 <= self.ema_decay < 1.0, "ema_decay", self.ema_decay,
          "a number in [0, 1) (0: no average of the parameters)")


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """The keys every ``data`` section has; each source adds its own
  (``gengan_jax.data.SOURCES``, checked by :func:`make_dataset`).

  Attributes:
    source: where the examples come from, a key of ``gengan_jax.data.SOURCES``.
    batch_size: the global batch (split over all devices), >= 1.
  """

  source: str
  batch_size: int

  def __post_init__(self):
    check_choice("source", self.source, sorted(data.SOURCES))
    check_int("batch_size", self.batch_size, 1)


DATA_KEYS = tuple(f.name for f in dataclasses.fields(DataConfig))


def check_top_level(config) -> None:
  """Checks the top-level keys, ``algorithm``'s type, ``seed`` and the sections' types."""
  check_keys(config, TOP_LEVEL_KEYS)
  for k in TOP_LEVEL_KEYS:
    if k not in config:
      raise ConfigError(f"config is missing the key {k!r}; a config has the keys "
                        f"{', '.join(TOP_LEVEL_KEYS)}.")
  if not isinstance(config.algorithm, str):
    raise ConfigError(f"config value algorithm={config.algorithm!r} has the wrong type: "
                      f"expected one of {', '.join(sorted(algorithms.REGISTRY))}.")
  check_int("seed", config.seed, 0)
  for k in ("model", "data", "train"):
    if not hasattr(config[k], "keys"):
      raise ConfigError(f"config value {k}={config[k]!r} has the wrong type: "
                        "expected a mapping (ConfigDict).")


def train_config(section) -> TrainConfig:
  """The ``train`` section as a :class:`TrainConfig`.

  Raises:
    ConfigError: an unknown key, a wrong type or an invalid value, or an
      interval that is not a multiple of ``steps_per_call``.
  """
  t = from_mapping(TrainConfig, section, prefix="train.")
  k = t.steps_per_call
  for name in ("log_every", "checkpoint_every", "plot_every"):
    if getattr(t, name) % k:
      raise ConfigError(
          f"config value train.{name}={getattr(t, name)} is not a multiple of "
          f"train.steps_per_call={k}: logging, checkpoints and pictures happen "
          f"between calls, so make train.{name} a multiple of {k} (or set "
          "train.steps_per_call=1).")
  return t


def data_config(section) -> DataConfig:
  """The keys of the ``data`` section that every source has, as a :class:`DataConfig`."""
  for k in DATA_KEYS:
    if section.get(k) is None:
      valid = ("one of " + ", ".join(sorted(data.SOURCES)) if k == "source"
               else "an integer >= 1")
      raise ConfigError(f"config is missing data.{k}: set it to {valid}.")
  return from_mapping(DataConfig, {k: section.get(k) for k in DATA_KEYS}, prefix="data.")


# Every key some data source reads, and the key naming the source whose keys a
# config file set (experiments/configs/common.data).
_SOURCE_KEYS = tuple(sorted({k for required, optional in data.SOURCES.values()
                             for k in required + optional}))
_DEFAULT_SOURCE = "default_source"


def make_dataset(section, source: str):
  """``data.make_dataset(section)`` with every failure turned into one ConfigError line.

  A data section may carry every source's keys: those ``source`` does not
  read must be unset (``None``), except the keys of ``data.default_source``
  (the source the config file set them for), which a command line that
  switches ``data.source`` leaves behind and which are then ignored.

  Args:
    section: the ``data`` section of a config.
    source: its ``source``, already checked (:func:`data_config`).
  """
  required, optional = data.SOURCES[source]
  own = DATA_KEYS + required + optional
  default = section.get(_DEFAULT_SOURCE)
  if default is not None:
    check_choice(f"data.{_DEFAULT_SOURCE}", default, sorted(data.SOURCES))
  left_behind = sum(data.SOURCES[default], ()) if default not in (None, source) else ()
  values = dict(section.items())
  unknown = sorted(set(values) - set(own + _SOURCE_KEYS + (_DEFAULT_SOURCE,)))
  if unknown:
    raise ConfigError(f"unknown config key(s) {', '.join('data.' + k for k in unknown)}; "
                      f"valid keys are: {', '.join(own)} (for data.source={source!r}), "
                      f"{_DEFAULT_SOURCE}, and the other sources' keys, unset.")
  for k, value in values.items():
    if k in _SOURCE_KEYS and k not in own + left_behind and value is not None:
      readers = [s for s, (r, o) in data.SOURCES.items() if k in r + o]
      raise ConfigError(f"config value data.{k}={value!r} does not apply to "
                        f"data.source={source!r}, whose keys are {', '.join(own)}: leave "
                        f"data.{k} unset or choose a source that reads it "
                        f"({', '.join(readers)}).")
  for k in required:
    if section.get(k) is None:
      raise ConfigError(f"config is missing data.{k}: source {source!r} needs "
                        f"{', '.join('data.' + r for r in required)}.")
  for k in ("directory", "path", "data_dir"):
    if k in required + optional and section.get(k) is not None:
      value = section[k]
      if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"config value data.{k}={value!r} has the wrong type: "
                          "expected a path.")
      exists = os.path.isfile if k == "path" else os.path.isdir
      if not exists(value):
        what = "an existing file" if k == "path" else "an existing directory"
        raise ConfigError(f"config value data.{k}={value!r} is invalid: must be {what} "
                          "(no such file or directory).")
  # Blame the source's first required key (its file, directory or name).
  where = required[0]
  try:
    dataset = data.make_dataset(section)
  except (ValueError, TypeError, OSError, KeyError) as e:
    text = " ".join(str(e).split())
    raise ConfigError(f"config value data.{where}={section.get(where)!r} is invalid: "
                      f"{text}") from None
  check_finite_data(dataset, f"data.{where}={section.get(where)!r}")
  return dataset


# Examples checked at a time: the check never holds more than this many
# examples' flags (a large image set would double its memory otherwise).
_FINITE_CHUNK = 4096


def check_finite_data(dataset, where: str) -> None:
  """Refuses in-memory data with NaN or Inf, naming the count and the first example.

  Non-finite data would otherwise be found by the step guard as if training
  had diverged (:mod:`.nonfinite`), after compilation. Generated data (the
  mixtures) has no array to check and is finite by construction.

  Args:
    dataset: the dataset; its ``data`` array is checked when it has one.
    where: the config value that named the data, for the message.

  Raises:
    ConfigError: the data holds NaN or Inf.
  """
  x = getattr(dataset, "data", None)
  if x is None:
    return
  bad_values, bad_examples, first = 0, 0, None
  for start in range(0, len(x), _FINITE_CHUNK):
    flags = ~np.isfinite(x[start:start + _FINITE_CHUNK].reshape(
        min(_FINITE_CHUNK, len(x) - start), -1))
    per_example = flags.sum(axis=1)
    if per_example.any():
      bad_values += int(per_example.sum())
      bad_examples += int(np.count_nonzero(per_example))
      if first is None:
        first = start + int(np.flatnonzero(per_example)[0])
  if bad_values:
    raise ConfigError(
        f"config value {where} is invalid: the data holds {bad_values:,} non-finite "
        f"value(s) (NaN or Inf) in {bad_examples:,} of {len(x):,} examples; the first is "
        f"example {first}. Clean or drop them before training.")


def check_fit(algorithm, algo_config, element_shape: tuple[int, ...], data_name: str) -> None:
  """Checks, without computing anything, that the algorithm's networks fit the data.

  Traces ``algorithm.init`` on an abstract batch of two examples
  (``jax.eval_shape``: no arrays, no compilation), so every network an
  algorithm builds is asked, by its own factory (a GAN discriminator has no
  MLP for images; a likelihood decoder flattens them).
  """
  arch = getattr(algo_config, "arch", None)
  if arch is None:
    return
  example = jax.ShapeDtypeStruct((2, *element_shape), jnp.float32)
  try:
    jax.eval_shape(lambda x: algorithm.init(jax.random.key(0), algo_config, x), example)
  except (ValueError, TypeError) as e:
    text = " ".join(str(e).split())
    raise ConfigError(f"config value model.arch={arch!r} does not fit the data "
                      f"{data_name!r} (one example has shape {element_shape}): {text}"
                      ) from None
