"""Typed, validated algorithm configs built from plain mappings.

Each algorithm declares its hyper-parameters as a frozen dataclass (hashable,
so it can ride in a state as static metadata under ``jax.jit``). Experiment
configs are ml_collections ``ConfigDict``s; :func:`from_mapping` turns the
``model`` part of one into the algorithm's dataclass, rejecting unknown keys
and wrong types with a message that names the setting and what is valid.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import optax

T = TypeVar("T")


class ConfigError(ValueError):
  """A configuration value is unknown, of the wrong type or out of range."""


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
  """Adam (Kingma & Ba, 2015) hyper-parameters for one network.

  Attributes:
    learning_rate: step size alpha, > 0.
    b1: exponential decay of the first moment, in [0, 1).
    b2: exponential decay of the second moment, in [0, 1).
  """

  learning_rate: float = 2e-4
  b1: float = 0.5
  b2: float = 0.999

  def __post_init__(self):
    check(self.learning_rate > 0, "learning_rate", self.learning_rate, "> 0")
    check(0.0 <= self.b1 < 1.0, "b1", self.b1, "in [0, 1)")
    check(0.0 <= self.b2 < 1.0, "b2", self.b2, "in [0, 1)")

  def make(self) -> optax.GradientTransformation:
    return optax.adam(self.learning_rate, b1=self.b1, b2=self.b2)


def check(ok: bool, name: str, value: Any, valid: str) -> None:
  """Raises :class:`ConfigError` naming ``name`` unless ``ok``."""
  if not ok:
    raise ConfigError(f"config value {name}={value!r} is invalid: must be {valid}.")


def check_choice(name: str, value: Any, choices: typing.Iterable[Any]) -> None:
  choices = tuple(choices)
  if value not in choices:
    raise ConfigError(
        f"config value {name}={value!r} is invalid: valid choices are "
        f"{', '.join(repr(c) for c in choices)}.")


def check_keys(mapping: Any, valid: typing.Iterable[str], *, prefix: str = "") -> None:
  """Raises :class:`ConfigError` naming every key of ``mapping`` not in ``valid``.

  Args:
    mapping: a dict or ``ConfigDict``.
    valid: the accepted keys.
    prefix: the dotted path of ``mapping`` in the config, e.g. ``'train.'``.
  """
  if hasattr(mapping, "to_dict"):
    mapping = mapping.to_dict()
  valid = tuple(valid)
  unknown = sorted(set(mapping) - set(valid))
  if unknown:
    raise ConfigError(f"unknown config key(s) {', '.join(prefix + k for k in unknown)}; "
                      f"valid keys are: {', '.join(valid)}.")


def check_int(name: str, value: Any, lowest: int) -> None:
  """Raises :class:`ConfigError` unless ``value`` is an int (not a bool) >= ``lowest``."""
  if isinstance(value, bool) or not isinstance(value, int):
    raise ConfigError(f"config value {name}={value!r} has the wrong type: "
                      f"expected an integer >= {lowest}.")
  check(value >= lowest, name, value, f"an integer >= {lowest}")


def _convert(path: str, hint: Any, value: Any) -> Any:
  """Converts ``value`` to the annotated type ``hint`` or raises ConfigError."""
  origin = typing.get_origin(hint)
  if dataclasses.is_dataclass(hint):
    if isinstance(value, hint):
      return value
    if not isinstance(value, Mapping) and not hasattr(value, "to_dict"):
      raise ConfigError(f"config value {path} must be a mapping of "
                        f"{hint.__name__} fields, got {value!r}.")
    return from_mapping(hint, value, prefix=path + ".")
  if origin in (typing.Union, types.UnionType):
    args = typing.get_args(hint)
    if value is None and type(None) in args:
      return None
    errors = []
    for arg in args:
      if arg is type(None):
        continue
      try:
        return _convert(path, arg, value)
      except ConfigError as e:
        errors.append(str(e))
    raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                      f"expected {hint}.")
  if origin is tuple:
    if not isinstance(value, (tuple, list)):
      raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                        "expected a tuple or list.")
    args = typing.get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
      return tuple(_convert(f"{path}[{i}]", args[0], v) for i, v in enumerate(value))
    return tuple(value)
  if hint is float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
      raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                        "expected a number.")
    return float(value)
  if hint is int:
    if isinstance(value, bool) or not isinstance(value, int):
      raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                        "expected an integer.")
    return value
  if hint is bool:
    if not isinstance(value, bool):
      raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                        "expected true or false.")
    return value
  if hint is str:
    if not isinstance(value, str):
      raise ConfigError(f"config value {path}={value!r} has the wrong type: "
                        "expected a string.")
    return value
  return value


def from_mapping(cls: type[T], mapping: Any, *, prefix: str = "") -> T:
  """Builds dataclass ``cls`` from a mapping (dict or ConfigDict).

  Unknown keys, wrong types and invalid values raise :class:`ConfigError`
  with the dotted name of the offending setting.
  """
  if hasattr(mapping, "to_dict"):
    mapping = mapping.to_dict()
  mapping = dict(mapping)
  hints = typing.get_type_hints(cls)
  fields = {f.name for f in dataclasses.fields(cls) if f.init}
  unknown = sorted(set(mapping) - fields)
  if unknown:
    raise ConfigError(
        f"unknown config key(s) {', '.join(prefix + k for k in unknown)} for "
        f"{cls.__name__}; valid keys are: {', '.join(sorted(fields))}.")
  kwargs = {k: _convert(prefix + k, hints[k], v) for k, v in mapping.items()}
  try:
    return cls(**kwargs)
  except ConfigError as e:
    if prefix and "config value " in str(e):
      raise ConfigError(str(e).replace("config value ", "config value " + prefix, 1)) from None
    raise


ARCHITECTURES = ("mlp", "dcgan")


@dataclasses.dataclass(frozen=True)
class ArchitectureConfig:
  """Network choice shared by every algorithm.

  Attributes:
    arch: ``'mlp'`` for vector data (toy 2-D mixtures), ``'dcgan'`` for
      images of 28x28, 32x32 or 64x64 pixels.
    latent_dim: dimension of the latent code ``z``.
    hidden: hidden layer widths of the MLPs (``arch='mlp'``).
    base_features: channels of the first conv layer (``arch='dcgan'``).
  """

  arch: str = "mlp"
  latent_dim: int = 8
  hidden: tuple[int, ...] = (128, 128, 128)
  base_features: int = 64

  def __post_init__(self):
    check_choice("arch", self.arch, ARCHITECTURES)
    check(self.latent_dim >= 1, "latent_dim", self.latent_dim, "a positive integer")
    check(len(self.hidden) >= 1 and all(h >= 1 for h in self.hidden), "hidden",
          self.hidden, "a non-empty tuple of positive integers")
    check(self.base_features >= 1, "base_features", self.base_features,
          "a positive integer")

  def net_kwargs(self) -> dict[str, Any]:
    """Keyword arguments for :mod:`gengan_jax.nets.factory`."""
    if self.arch == "mlp":
      return {"hidden": self.hidden}
    return {"base_features": self.base_features}
