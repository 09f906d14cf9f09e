"""Each network's learning-rate schedule said in training steps, with a warning
where it does not end with the run, and each changing rate in the metrics.

An optimizer's schedule (:class:`~gengan_jax.core.OptimizerConfig`: warm-up,
``hold_steps``, ``decay_steps``) counts its own network's updates, and
networks take different numbers of updates per training step: a WGAN critic
``n_critic``, AVB's adversary ``adversary_updates``, AGE's generator
``generator_updates``. A network of ``u`` updates a step whose schedule
ends after ``E`` of its updates reaches its last rate at training step

.. math::

   s_{\\mathrm{end}} = s_0 + (E - c_0) / u,

where the run (or its resumption) started at step :math:`s_0` with
:math:`c_0` updates done. A config that gives such a network the hold and
decay of the run's training steps ends its decay at step ``steps / u``:
with an end rate of 0 the network stops learning for the rest of the run (a
first AVB decay run of this project lost its second half so). The loop
measures ``u`` over its first call and prints, for every decaying schedule,
where it ends in training steps, and warns where that is not the run's last
step (:func:`report`). Runs without a decaying schedule skip all of it.
Each network whose rate changes (a decay or a warm-up) also logs it as
``<network>_learning_rate`` (:func:`with_learning_rates`).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax.numpy as jnp

from gengan_jax.core import network_names, optimizer_field



class ScheduleWarning(UserWarning):
  """A decaying learning rate that ends before or after the run's last step."""


@dataclasses.dataclass(frozen=True)
class ScheduleEnd:
  """Where one network's decaying schedule ends, in training steps.

  Attributes:
    network: the network's name in the state.
    field: the config field of its optimizer (``'adversary_optimizer'``).
    updates_per_step: its updates per training step over the measured call.
    decay_start: the training step at which its decay starts (after warm-up
      and ``hold_steps``).
    end: the training step at which its rate reaches ``end_learning_rate``.
    end_learning_rate: that rate.
  """

  network: str
  field: str
  updates_per_step: float
  decay_start: float
  end: float
  end_learning_rate: float

  def describe(self) -> str:
    u = f"{self.updates_per_step:g} update{'s' if self.updates_per_step != 1 else ''} a step"
    return (f"{self.network} ({self.field}, {u}): decays from step {self.decay_start:,.0f} "
            f"to {self.end_learning_rate:g} at step {self.end:,.0f}")


def _optimizers(algo_config: Any, networks: Iterable[str]) -> dict[str, tuple[str, Any]]:
  """``{network: (optimizer field, its OptimizerConfig)}`` of the ``networks``
  that have one (:func:`~gengan_jax.core.optimizer_field`)."""
  fields = {name: optimizer_field(algo_config, name) for name in networks}
  return {name: (field, getattr(algo_config, field))
          for name, field in fields.items() if field is not None}


def scheduled(algo_config: Any, networks: Iterable[str]) -> dict[str, Any]:
  """``{network: its learning-rate schedule}`` of the ``networks`` whose rate
  changes over training (a decay, or a warm-up)."""
  schedules = {name: opt.learning_rate_schedule()
               for name, (_, opt) in _optimizers(algo_config, networks).items()}
  return {name: s for name, s in schedules.items() if callable(s)}


@functools.cache
def with_learning_rates(train_step: Callable[..., Any]) -> Callable[..., Any]:
  """``train_step`` whose metrics also hold ``<network>_learning_rate`` for
  each network whose rate changes over training: the rate of its latest
  update (its schedule at its update count minus one), so that metrics.jsonl
  and TensorBoard draw each schedule as it ran.

  The schedules are read from the state's config when the step is traced
  (a population member's, with its own rates), so a run without any
  changing rate compiles the unwrapped step; the state, and every other
  metric, are the unwrapped step's. The wrapper of a given ``train_step`` is
  made once (cached, as :func:`.nonfinite.guard`'s), so that a second run in
  one process reuses the first one's compiled step.
  """

  def step(state, batch, key):
    new, step_metrics = train_step(state, batch, key)
    schedules = scheduled(state.config, network_names(state))
    if not schedules:
      return new, step_metrics
    nets = new.networks()
    rates = {f"{name}_learning_rate": schedule(jnp.maximum(nets[name].step - 1, 0))
             for name, schedule in schedules.items()}
    return new, {**step_metrics, **rates}

  return step


def decaying(algo_config: Any, networks: Iterable[str]) -> dict[str, str]:
  """``{network: optimizer field}`` of the ``networks`` whose optimizer's rate decays."""
  return {name: field for name, (field, opt) in _optimizers(algo_config, networks).items()
          if opt.schedule_end() is not None}


def schedule_ends(algo_config: Any, before: Mapping[str, int], after: Mapping[str, int], *,
                  start: int, steps_taken: int) -> list[ScheduleEnd]:
  """Where the decaying schedules of the networks in ``before`` end, in training steps.

  Args:
    algo_config: the algorithm's ``Config``.
    before: ``{network: updates done}`` at training step ``start``.
    after: the same after ``steps_taken`` more training steps.
    start: the training step of ``before``.
    steps_taken: the training steps between ``before`` and ``after`` (>= 1).

  Returns:
    One :class:`ScheduleEnd` per decaying network that took updates in those
    steps (a network that took none, as a WGAN generator during a critic
    burst, has no rate to extrapolate and is left out).
  """
  out = []
  for name, field in decaying(algo_config, before).items():
    u = (after[name] - before[name]) / steps_taken
    if u <= 0:
      continue
    opt = getattr(algo_config, field)
    end_update = opt.schedule_end()
    out.append(ScheduleEnd(
        network=name, field=field, updates_per_step=u,
        decay_start=start + (end_update - opt.decay_steps - before[name]) / u,
        end=start + (end_update - before[name]) / u,
        end_learning_rate=opt.end_learning_rate))
  return out


def warning(end: ScheduleEnd, steps: int) -> str | None:
  """The warning for ``end`` in a run of ``steps`` training steps, or ``None``
  when its decay ends with the run (to the step)."""
  if round(end.end) == steps:
    return None
  u = end.updates_per_step
  when = "before the run ends" if end.end < steps else "after the run ends"
  advice = ""
  if u != 1:
    advice = (f" Its schedule counts the {end.network}'s own updates, {u:g} per training step: "
              f"for a decay that ends with the run, give {end.field} hold_steps and "
              f"decay_steps {u:g} times the training steps.")
  return (f"{end.field}: the {end.network}'s learning rate reaches its end value "
          f"{end.end_learning_rate:g} at training step {end.end:,.0f}, {when} "
          f"(train.steps={steps}).{advice}")


def report(algo_config: Any, before: Mapping[str, int], after: Mapping[str, int], *,
           start: int, steps_taken: int, steps: int, is_main: bool = True) -> list[str]:
  """Prints where each decaying schedule ends and warns (:class:`ScheduleWarning`)
  for each that does not end with the run (on the main process); returns the
  warnings' texts."""
  ends = schedule_ends(algo_config, before, after, start=start, steps_taken=steps_taken)
  texts = [w for w in (warning(e, steps) for e in ends) if w is not None]
  if is_main:
    if ends:
      print("Learning-rate schedules in training steps: "
            + "; ".join(e.describe() for e in ends), flush=True)
    for w in texts:
      warnings.warn(w, ScheduleWarning, stacklevel=2)
  return texts


class FirstCall:
  """A loop's check: each decaying network's updates before and after its
  first call, then :func:`report` (nothing at all without a decaying schedule).

  ``exp``: the loop's experiment (``algo_config``, ``train_config`` and
  ``update_counts(state)``, as :class:`.Experiment` and the population's).
  """

  def __init__(self, exp: Any, state: Any):
    self._exp = exp
    names = network_names(state)
    self._before = exp.update_counts(state) if decaying(exp.algo_config, names) else None

  def after(self, state: Any, *, start: int, steps_taken: int, is_main: bool) -> None:
    """Reports once, after the call from step ``start`` that took ``steps_taken`` steps."""
    if self._before is None:
      return
    report(self._exp.algo_config, self._before, self._exp.update_counts(state), start=start,
           steps_taken=steps_taken, steps=self._exp.train_config.steps, is_main=is_main)
    self._before = None
