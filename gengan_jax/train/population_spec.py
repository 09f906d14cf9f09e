"""A population's members: which seeds and hyper-parameter values it trains.

An experiment config with a ``population`` section trains several runs of
one algorithm as one compiled program (:mod:`.population`). The section::

  population.seeds = 8          # seeds seed, seed + 1, ..., seed + 7
                                # (or a list, or "0,3,5": those seeds)
  population.mode = "grid"      # "grid": every combination of the values
                                # below and the seeds; "list": the value
                                # lists zipped (one member per position)
  population.model.generator_optimizer.learning_rate = "1e-4,2e-4,5e-4"
  population.model.penalty_weight = (1.0, 10.0)
  population.batching = "auto"  # how one program runs the members (below)

``model`` mirrors the experiment's ``model`` section; each of its leaves is
the list of values of that setting (a list, a tuple, one number, or a
comma-separated string, as the command line gives it:
``--config.population.model.generator_optimizer.learning_rate=1e-4,2e-4``).

Only continuous settings can differ inside one compiled program: float
fields of the algorithm's ``Config`` (loss and penalty weights, ...) and
the ``learning_rate`` of an optimizer (injected with
``optax.inject_hyperparams``; with a schedule, its peak). Settings that change shapes or Python
control flow (widths, step counts, names) are separate runs: see
``python -m experiments.sweep``.

``batching``: ``"vmap"`` runs the members as a batch axis of every
operation (``jax.vmap``: what accelerators want; the members can be split
over devices); ``"map"`` runs them one after another inside the one program
(``jax.lax.map``: on a CPU, XLA's batched matrix products are slower than
P single ones -- 10.6 vs 8.1 ms for 18 three-layer MLP gradients -- so this
keeps a population as fast as P sequential runs); ``"auto"``
(default) is ``"map"`` on a CPU with the members on one device, else
``"vmap"``.

In ``"grid"`` mode the seeds vary fastest, so the members of one setting
are consecutive (member ``i`` has setting ``i // num_seeds``).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections

from gengan_jax.core import ConfigError, check_choice, check_keys
from gengan_jax.core.config import OptimizerConfig

KEYS = ("seeds", "mode", "model", "batching")
MODES = ("grid", "list")
BATCHINGS = ("auto", "vmap", "map")


@dataclasses.dataclass(frozen=True)
class Member:
  """One run of a population.

  Attributes:
    index: its position in the population, 0-based.
    seed: its seed (the whole run is a function of it and its settings).
    values: ``{dotted path under model: value}`` of the settings that vary.
  """

  index: int
  seed: int
  values: Mapping[str, float]

  def label(self) -> str:
    """E.g. ``'member 3 (seed 1, generator_optimizer.learning_rate=0.0005)'``."""
    parts = [f"seed {self.seed}"] + [f"{k}={v:g}" for k, v in self.values.items()]
    return f"member {self.index} ({', '.join(parts)})"

  def as_dict(self) -> dict[str, Any]:
    return {"index": self.index, "seed": self.seed, "values": dict(self.values),
            "directory": member_directory(self.index)}


def member_directory(index: int) -> str:
  """A member's folder under the population's work directory, e.g. ``members/003``."""
  return f"members/{index:03d}"


def _numbers(path: str, value: Any, kind: type) -> tuple:
  """The values of one population key as a tuple of ``kind`` (int or float)."""
  if isinstance(value, str):
    items = [v.strip() for v in value.split(",") if v.strip()]
  elif isinstance(value, (list, tuple)):
    items = list(value)
  else:
    items = [value]
  out = []
  for item in items:
    try:
      if isinstance(item, bool):
        raise ValueError
      number = kind(item) if isinstance(item, str) else item
      if kind is int and (not isinstance(number, int) or isinstance(number, bool)):
        raise ValueError
      if kind is float and not isinstance(number, (int, float)):
        raise ValueError
      out.append(kind(number))
    except (TypeError, ValueError):
      what = "integers" if kind is int else "numbers"
      raise ConfigError(f"config value population.{path}={value!r} is invalid: expected "
                        f"{what}, as a list or a comma-separated string.") from None
  if not out:
    raise ConfigError(f"config value population.{path}={value!r} is empty: give at "
                      "least one value.")
  return tuple(out)


def _leaves(mapping: Any, prefix: str = "") -> dict[str, Any]:
  """``{dotted path: value}`` of a nested mapping's leaves."""
  if hasattr(mapping, "to_dict"):
    mapping = mapping.to_dict()
  out = {}
  for k, v in mapping.items():
    if hasattr(v, "to_dict") or isinstance(v, Mapping):
      out.update(_leaves(v, f"{prefix}{k}."))
    else:
      out[prefix + k] = v
  return out


def check_varying(algo_config_cls: type, path: str) -> None:
  """Raises :class:`ConfigError` unless ``model.<path>`` can vary inside one program.

  Args:
    algo_config_cls: the algorithm's ``Config`` class.
    path: the setting's dotted path under ``model``.
  """
  name, _, rest = path.partition(".")
  hints = typing.get_type_hints(algo_config_cls)
  fields = {f.name for f in dataclasses.fields(algo_config_cls)}
  separate = "vary it over separate runs instead (python -m experiments.sweep)"
  if name not in fields:
    raise ConfigError(f"config key population.model.{path} names no setting of "
                      f"{algo_config_cls.__module__}.Config; its settings are: "
                      f"{', '.join(sorted(fields))}.")
  hint = hints[name]
  if hint is OptimizerConfig:
    if rest != "learning_rate":
      raise ConfigError(
          f"config key population.model.{path}: of an optimizer, a population varies only "
          f"learning_rate (injected with optax.inject_hyperparams); {separate}.")
    return
  if rest or hint is not float:
    kind = getattr(hint, "__name__", str(hint))
    raise ConfigError(
        f"config key population.model.{path}: model.{name} is of type {kind}; a "
        "population varies only float settings (weights, learning rates: one compiled "
        f"program cannot change shapes or control flow); {separate}.")


@dataclasses.dataclass(frozen=True)
class Population:
  """The members of a population and how they were chosen.

  Attributes:
    members: one :class:`Member` per run.
    paths: the varying settings' dotted paths under ``model``, in order.
    mode: ``'grid'`` or ``'list'``.
    batching: ``'auto'``, ``'vmap'`` or ``'map'``.
  """

  members: tuple[Member, ...]
  paths: tuple[str, ...]
  mode: str
  batching: str = "auto"

  @property
  def size(self) -> int:
    return len(self.members)

  @property
  def seeds(self) -> tuple[int, ...]:
    return tuple(m.seed for m in self.members)

  def member_config(self, config: Any, index: int) -> ml_collections.ConfigDict:
    """The experiment config of member ``index`` alone: its seed and values,
    no ``population`` section (a single run with it trains the same member)."""
    member = self.members[index]
    out = ml_collections.ConfigDict(copy.deepcopy(config.to_dict()))
    del out["population"]
    out.seed = member.seed
    for path, value in member.values.items():
      node = out.model
      *heads, last = path.split(".")
      for h in heads:
        node = node[h]
      node[last] = value
    return out

  def as_dict(self) -> dict[str, Any]:
    return {"mode": self.mode, "paths": list(self.paths),
            "members": [m.as_dict() for m in self.members]}


def parse(config: Any, algo_config_cls: type) -> Population:
  """The :class:`Population` of an experiment config's ``population`` section.

  Args:
    config: the experiment config (with a ``population`` section).
    algo_config_cls: the algorithm's ``Config`` class.

  Raises:
    ConfigError: an unknown key, a value that is not a number, a setting that
      cannot vary inside one program, or ``'list'`` lists of unequal lengths.
  """
  section = config.population
  check_keys(section, KEYS, prefix="population.")
  seeds_value = section.get("seeds", 1)
  if isinstance(seeds_value, int) and not isinstance(seeds_value, bool):
    if seeds_value < 1:
      raise ConfigError(f"config value population.seeds={seeds_value} is invalid: give a "
                        "count >= 1, or a list of seeds.")
    seeds = tuple(int(config.seed) + i for i in range(seeds_value))
  else:
    seeds = _numbers("seeds", seeds_value, int)
    if any(s < 0 for s in seeds):
      raise ConfigError(f"config value population.seeds={seeds_value!r} is invalid: "
                        "seeds are integers >= 0.")
  mode = section.get("mode", "grid")
  check_choice("population.mode", mode, MODES)
  batching = section.get("batching", "auto")
  check_choice("population.batching", batching, BATCHINGS)
  values = {p: _numbers(f"model.{p}", v, float)
            for p, v in _leaves(section.get("model", {})).items()}
  for p in values:
    check_varying(algo_config_cls, p)
  paths = tuple(values)
  if mode == "grid":
    combos = list(itertools.product(*(values[p] for p in paths), seeds))
    rows = [(c[-1], dict(zip(paths, c[:-1]))) for c in combos]
  else:
    lengths = {len(v) for v in values.values()} | ({len(seeds)} if len(seeds) > 1 else set())
    if len(lengths) > 1:
      raise ConfigError(
          "config value population.mode='list' needs every list of population.model (and "
          "population.seeds, unless one) to have the same length; got lengths "
          f"{', '.join(f'{p}: {len(v)}' for p, v in values.items())}, seeds: {len(seeds)}.")
    n = lengths.pop() if lengths else 1
    rows = [(seeds[i] if len(seeds) > 1 else seeds[0], {p: values[p][i] for p in paths})
            for i in range(n)]
  members = tuple(Member(i, seed, v) for i, (seed, v) in enumerate(rows))
  return Population(members=members, paths=paths, mode=mode, batching=batching)


def varying_floats(member_configs: Sequence[Any]) -> dict[str, list[float]]:
  """``{dotted path: [value of each member]}`` of the float settings that differ
  between the members' concrete ``Config`` s.

  Read off the validated configs rather than the population's own list, so
  that a float a ``Config`` derives from a named one (``wgan_gp``'s
  ``penalty_weight`` from ``gradient_penalty_weight``) varies with it.

  Raises:
    ConfigError: a setting other than a float (or an optimizer's learning
      rate) differs between members.
  """
  first = member_configs[0]
  hints = typing.get_type_hints(type(first))
  out = {}
  for f in dataclasses.fields(first):
    values = [getattr(c, f.name) for c in member_configs]
    if hints[f.name] is OptimizerConfig:
      rates = [v.learning_rate for v in values]
      values = [dataclasses.replace(v, learning_rate=rates[0]) for v in values]
      if len(set(rates)) > 1:
        out[f"{f.name}.learning_rate"] = rates
    elif hints[f.name] is float:
      if len(set(values)) > 1:
        out[f.name] = values
      continue
    if any(v != values[0] for v in values):
      raise ConfigError(
          f"population: model.{f.name} differs between members, and only float settings "
          "can vary inside one compiled program; vary it over separate runs (python -m "
          "experiments.sweep).")
  return out
