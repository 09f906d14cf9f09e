"""Update schedules of the two-player family that depend on the step number.

WGAN's critic bursts (Arjovsky, Chintala & Bottou 2017; the authors' code,
``martinarjovsky/WassersteinGAN``, ``main.py``): the critic is trained
``Diters = 100`` times before each of the first 25 generator iterations and
before every 500th, and ``n_critic`` (5) times otherwise, "to get the critic
near optimality" where the generator changed most::

    if gen_iterations < 25 or gen_iterations % 500 == 0: Diters = 100
    else: Diters = opt.Diters

A training step of the family does a fixed number, ``n_critic``, of critic
updates (it consumes that many data batches, so its shapes never change); a
burst therefore spans ``burst_updates / n_critic`` steps, and only its last
one ends with the generator update. :func:`generator_updates_at` says, from
the step number alone, whether a step does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def generator_updates_at(step: jax.typing.ArrayLike, *, critic_updates: int,
                         burst_updates: int = 100, burst_first: int = 25,
                         burst_every: int = 500) -> jax.Array:
  """Whether training step ``step`` (0-based) ends with a generator update.

  Generator iteration ``g`` (0-based) takes ``burst_updates`` critic updates
  if ``g < burst_first`` or ``g % burst_every == 0``, otherwise
  ``critic_updates``; each step does ``critic_updates`` of them, so a burst
  iteration spans ``R = burst_updates / critic_updates`` steps. From ``g =
  burst_first`` on, the iterations repeat in cycles of one burst (``R``
  steps) and ``burst_every - 1`` plain ones (one step each), starting at the
  first multiple of ``burst_every`` at or after ``burst_first``.

  Args:
    step: the step number, an integer scalar (traced or not).
    critic_updates: ``n_critic``, critic updates per step, >= 1.
    burst_updates: critic updates of a burst iteration, a multiple of
      ``critic_updates``.
    burst_first: the first this many generator iterations are bursts, >= 0.
    burst_every: every generator iteration divisible by this is a burst, >= 1.

  Returns:
    A boolean scalar.

  Raises:
    ValueError: ``burst_updates`` is not a positive multiple of
      ``critic_updates``, or another argument is out of range.
  """
  if critic_updates < 1 or burst_updates < critic_updates or burst_updates % critic_updates:
    raise ValueError(f"burst_updates={burst_updates} must be a positive multiple of "
                     f"critic_updates={critic_updates} (each step does critic_updates "
                     "critic updates).")
  if burst_first < 0 or burst_every < 1:
    raise ValueError(f"burst_first={burst_first} must be >= 0 and burst_every="
                     f"{burst_every} >= 1.")
  steps_per_burst = burst_updates // critic_updates
  step = jnp.asarray(step, jnp.int32)
  # Phase 1: generator iterations 0 .. burst_first - 1, all bursts.
  in_first = step < steps_per_burst * burst_first
  first_update = (step + 1) % steps_per_burst == 0
  # Then plain iterations up to the first multiple of burst_every, one step each ...
  plain_before_cycles = -(-burst_first // burst_every) * burst_every - burst_first
  t = step - steps_per_burst * burst_first
  # ... then cycles of one burst and burst_every - 1 plain iterations.
  c = jnp.maximum(t - plain_before_cycles, 0) % (steps_per_burst + burst_every - 1)
  later_update = (t < plain_before_cycles) | (c >= steps_per_burst - 1)
  return jnp.where(in_first, first_update, later_update)
