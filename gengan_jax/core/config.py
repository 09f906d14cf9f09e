"""Typed, validated configs built from plain mappings, and ConfigError.

Each part of an experiment declares its settings as a frozen dataclass
(hashable, so an algorithm's can ride in a state as static metadata under
``jax.jit``): an algorithm's hyper-parameters, one network's optimizer, the
loop's ``train`` section. Experiment configs are ml_collections
``ConfigDict`` objects; :func:`from_mapping` turns a section of one into its
dataclass, rejecting unknown keys and wrong types with a message that names
the setting and what is valid.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import optax

T = TypeVar("T")


class ConfigError(ValueError):
  """A configuration value is unknown, of the wrong type or out of range."""


OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "linear", "cosine")


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
  """One network's optimizer and learning-rate schedule.

  Attributes:
    learning_rate: the (peak) step size alpha, > 0.
    b1: Adam's exponential decay of the first moment, in [0, 1).
    b2: Adam's exponential decay of the second moment, in [0, 1).
    name: ``'adam'`` (Kingma & Ba 2015), ``'rmsprop'`` (Tieleman & Hinton
      2012; the WGAN and MMD GAN papers' choice) or ``'sgd'`` (with
      ``momentum``).
    momentum: momentum of ``'sgd'`` and ``'rmsprop'``, in [0, 1); 0 is none.
    decay: RMSProp's decay of the squared-gradient average, in [0, 1)
      (PyTorch's ``alpha``, 0.99 by default there; optax's default is 0.9).
    eps: the denominator's epsilon of Adam and RMSProp, > 0.
    schedule: ``'constant'``, ``'linear'`` (to ``end_learning_rate`` over
      ``decay_steps``) or ``'cosine'`` (cosine decay to ``end_learning_rate``
      over ``decay_steps``), after ``warmup_steps`` of linear warm-up from 0
      and then ``hold_steps`` at ``learning_rate``.
    decay_steps: length of the decay, >= 1 unless ``schedule='constant'``.
    warmup_steps: linear warm-up steps, >= 0.
    end_learning_rate: the learning rate at the end of the decay, >= 0.
    hold_steps: steps at ``learning_rate`` between the warm-up and the decay
      (a decay over only the end of a run), >= 0; only with a decaying
      ``schedule``.

  A network's optimizer step counts its own updates (a generator updated
  twice per training step advances its schedule twice). The training loop
  prints where each decaying schedule ends in training steps and warns when
  that is not the run's last step (``gengan_jax.train.schedule_check``).
  """

  learning_rate: float = 2e-4
  b1: float = 0.5
  b2: float = 0.999
  name: str = "adam"
  momentum: float = 0.0
  decay: float = 0.9
  eps: float = 1e-8
  schedule: str = "constant"
  decay_steps: int = 0
  warmup_steps: int = 0
  end_learning_rate: float = 0.0
  hold_steps: int = 0

  def __post_init__(self):
    check(self.learning_rate > 0, "learning_rate", self.learning_rate, "> 0")
    check(0.0 <= self.b1 < 1.0, "b1", self.b1, "in [0, 1)")
    check(0.0 <= self.b2 < 1.0, "b2", self.b2, "in [0, 1)")
    check_choice("name", self.name, OPTIMIZERS)
    check(0.0 <= self.momentum < 1.0, "momentum", self.momentum, "in [0, 1)")
    check(0.0 <= self.decay < 1.0, "decay", self.decay, "in [0, 1)")
    check(self.eps > 0, "eps", self.eps, "> 0")
    check_choice("schedule", self.schedule, SCHEDULES)
    check_int("warmup_steps", self.warmup_steps, 0)
    check_int("decay_steps", self.decay_steps, 0 if self.schedule == "constant" else 1)
    check(self.end_learning_rate >= 0, "end_learning_rate", self.end_learning_rate, ">= 0")
    check_int("hold_steps", self.hold_steps, 0)
    check(not self.hold_steps or self.schedule != "constant", "hold_steps", self.hold_steps,
          "0 with schedule='constant' (it holds the rate before a decay: set schedule='linear' "
          "or 'cosine')")

  def schedule_end(self) -> int | None:
    """The update at which a decaying rate reaches ``end_learning_rate``.

    ``warmup_steps + hold_steps + decay_steps``, counted in this network's
    own updates; ``None`` for a constant rate (with or without warm-up).
    """
    if self.schedule == "constant":
      return None
    return self.warmup_steps + self.hold_steps + self.decay_steps

  def learning_rate_schedule(self, peak=None) -> float | optax.Schedule:
    """The learning rate: a float when constant without warm-up, else a schedule.

    Args:
      peak: the rate to schedule in place of ``learning_rate`` (a population
        member's, an array; see :meth:`make`).
    """
    lr = self.learning_rate if peak is None else peak
    if self.schedule == "constant" and not self.warmup_steps:
      return lr
    if self.schedule == "constant":
      main = optax.constant_schedule(lr)
    elif self.schedule == "linear":
      main = optax.linear_schedule(lr, self.end_learning_rate, self.decay_steps)
    else:
      main = optax.cosine_decay_schedule(lr, self.decay_steps,
                                         alpha=self.end_learning_rate / lr)
    if self.hold_steps:
      main = optax.join_schedules([optax.constant_schedule(lr), main], [self.hold_steps])
    if not self.warmup_steps:
      return main
    warmup = optax.linear_schedule(0.0, lr, self.warmup_steps)
    return optax.join_schedules([warmup, main], [self.warmup_steps])

  def make(self) -> optax.GradientTransformation:
    """The optax optimizer.

    A learning rate that is an array rather than a Python number (a
    population member's, traced inside the population's compiled program;
    see ``gengan_jax.train.population``) is injected with
    ``optax.inject_hyperparams``: it is kept in the optimizer state, so that
    members can differ in it, and every other setting stays static. The
    updates equal those of the plain optimizer bit for bit (the same float32
    product ``-lr * u``). With a schedule, the injected rate is the
    schedule's peak: each update schedules the state's peak at the update's
    count, as the plain optimizer schedules its constant.
    """
    if self.name == "adam":
      factory, settings = optax.adam, dict(b1=self.b1, b2=self.b2, eps=self.eps)
    elif self.name == "rmsprop":
      factory, settings = optax.rmsprop, dict(decay=self.decay, eps=self.eps,
                                              momentum=self.momentum or None)
    else:
      factory, settings = optax.sgd, dict(momentum=self.momentum or None)
    rate = self.learning_rate_schedule()
    if isinstance(self.learning_rate, (int, float)):
      return factory(rate, **settings)
    static = tuple(set(inspect.signature(factory).parameters) - {"learning_rate"})
    if callable(rate):
      factory = _scheduled_peak(factory, self.learning_rate_schedule)
    return optax.inject_hyperparams(factory, static_args=static)(self.learning_rate, **settings)


def _scheduled_peak(factory, schedule_of_peak):
  """The optax optimizer ``factory`` whose ``learning_rate`` argument is the
  peak of the schedule ``schedule_of_peak(peak)`` (with ``factory``'s
  signature, which ``optax.inject_hyperparams`` reads)."""
  signature = inspect.signature(factory)

  def make(*args, **kwargs):
    bound = signature.bind(*args, **kwargs)
    bound.arguments["learning_rate"] = schedule_of_peak(bound.arguments["learning_rate"])
    return factory(*bound.args, **bound.kwargs)

  make.__signature__ = signature
  return make


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


def check_widths(name: str, value: Any, *, allow_empty: bool = False) -> None:
  """Raises :class:`ConfigError` unless ``value`` is a tuple of layer widths >= 1
  (non-empty unless ``allow_empty``: no hidden layer)."""
  ok = (len(value) >= (0 if allow_empty else 1)) and all(h >= 1 for h in value)
  check(ok, name, value,
        "a tuple of positive integers" if allow_empty else "a non-empty tuple of positive integers")


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
