"""Each term of an objective is wired in as its formula says.

* Penalties act: for every penalty an algorithm offers, the gradient of the
  discriminator's total loss with weight ``lambda`` minus its gradient with
  weight 0 equals ``lambda`` times the gradient of the penalty alone,
  computed here from the penalty function on the inputs the step gave it
  (its real and fake batches and its key, recorded by a spy). A penalty
  multiplied by 0, a wrong weight, or a penalty left out of the loss fails.
  The gradients are read off Adam's first moment after one update from a
  fresh state: ``mu = (1 - b1) g``.
* f-GAN with the ``gan`` divergence and the non-saturating generator loss is
  DCGAN with one generator update: the whole state after each of three full
  steps (both networks' parameters and optimizer states) is the same.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import gan_penalty
from gengan_jax.losses import penalties
from tests.algorithms.helpers import tiny_config, tiny_data

WEIGHT = 3.0
# Which of the penalty's inputs is the data batch (the rest is checked elsewhere).
PENALTY_FUNCTIONS = {
    "wgan_gp": ("gradient_penalty", "real"),
    "wgan_gp_one_sided": ("gradient_penalty", "real"),
    "dragan": ("dragan_penalty", "real"),
    "r1": ("r1_penalty", "real"),
    "r2": ("r2_penalty", "fake"),
}


class _Spy:
  """Replaces ``losses.<name>`` (and the penalty registry's reference to it)
  by a wrapper that records its arguments."""

  def __init__(self, monkeypatch, name: str):
    self.calls = []
    original = getattr(losses, name)
    self.original = original

    def spy(critic_fn, *args, **kwargs):
      self.calls.append((args, kwargs))
      return original(critic_fn, *args, **kwargs)

    monkeypatch.setattr(losses, name, spy)
    monkeypatch.setattr(penalties, name, spy)


def _first_gradient(state, network: str, b1: float):
  """The gradient of the first update of ``network``: Adam's ``mu / (1 - b1)``."""
  adam_state = getattr(state, network).opt_state[0]
  return jax.tree.map(lambda m: np.asarray(m) / (1.0 - b1), adam_state.mu)


def _penalty_gradient(state, network, fn, args, kwargs):
  ts = getattr(state, network)

  def penalty(params):
    critic_fn = lambda v: ts.apply_fn({"params": params}, v, train=True)
    return fn(critic_fn, *args, **kwargs).mean()

  return jax.grad(penalty)(ts.params)


def _check_penalty_acts(monkeypatch, name, network, weight_field, b1, penalty_name,
                        data_arg, **fields):
  module, cfg_w = tiny_config(name, **fields, **{weight_field: WEIGHT})
  _, cfg_0 = tiny_config(name, **fields, **{weight_field: 0.0})
  data = tiny_data("mlp", module.num_batches(cfg_w))
  key = jax.random.key(1)
  state = module.init(jax.random.key(0), cfg_w, data[0])
  spy = _Spy(monkeypatch, PENALTY_FUNCTIONS[penalty_name][0])
  with jax.disable_jit():  # the recorded inputs are then concrete arrays
    new_w, _ = module.train_step(state, data, key)
    new_0, _ = module.train_step(state.replace(config=cfg_0), data, key)
  assert len(spy.calls) == 2, f"{name}: the penalty was called {len(spy.calls)} times"
  (args, kwargs), (args0, _) = spy.calls
  for a, b in zip(jax.tree.leaves(args), jax.tree.leaves(args0)):  # same inputs both times
    np.testing.assert_array_equal(jax.random.key_data(a) if jnp.issubdtype(
        a.dtype, jax.dtypes.prng_key) else a, jax.random.key_data(b) if jnp.issubdtype(
            b.dtype, jax.dtypes.prng_key) else b)
  # The data batch is the penalty's real input (r2's fake input is not data).
  batch_arg = np.asarray(args[0])
  if data_arg == "real":
    np.testing.assert_array_equal(batch_arg, data[0])
  else:
    assert batch_arg.shape == data[0].shape and not np.allclose(batch_arg, data[0])
  g_w = _first_gradient(new_w, network, b1)
  g_0 = _first_gradient(new_0, network, b1)
  expected = _penalty_gradient(state, network, spy.original, args, kwargs)
  difference = jax.tree.map(lambda a, b: a - b, g_w, g_0)
  scale = max(float(np.abs(x).max()) for x in jax.tree.leaves(expected))
  assert scale > 1e-6, f"{name}/{penalty_name}: the penalty's gradient is zero here"
  for d, e in zip(jax.tree.leaves(difference), jax.tree.leaves(expected), strict=True):
    np.testing.assert_allclose(d, WEIGHT * np.asarray(e), rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("penalty", sorted(PENALTY_FUNCTIONS))
def test_gan_penalty_adds_weight_times_the_penalty(monkeypatch, penalty):
  # target_norm 0.5 so that the one-sided penalty is active (norms > 0.5).
  _check_penalty_acts(monkeypatch, "gan_penalty", "discriminator", "penalty_weight", 0.5,
                      penalty, PENALTY_FUNCTIONS[penalty][1], penalty=penalty,
                      target_norm=0.05 if penalty == "wgan_gp_one_sided" else 1.0,
                      generator_updates=1)


def test_every_gan_penalty_is_checked():
  assert set(gan_penalty.PENALTIES) == set(PENALTY_FUNCTIONS) | {"none"}


def test_wgan_gp_adds_weight_times_the_gradient_penalty(monkeypatch):
  _check_penalty_acts(monkeypatch, "wgan_gp", "discriminator", "gradient_penalty_weight", 0.0,
                      "wgan_gp", "real", n_critic=1)


def _states_close(a, b, **tol):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tol)


def _fgan_and_dcgan_states(steps=3, **fgan_fields):
  f_mod, f_cfg = tiny_config("fgan", critic_divergence="gan", **fgan_fields)
  d_mod, d_cfg = tiny_config("dcgan", generator_updates=1)
  data = tiny_data("mlp", 1)
  fs = f_mod.init(jax.random.key(0), f_cfg, data[0])
  ds = d_mod.init(jax.random.key(0), d_cfg, data[0])
  f_step, d_step = jax.jit(f_mod.train_step), jax.jit(d_mod.train_step)
  out = []
  for _ in range(steps):
    fs, _ = f_step(fs, data, jax.random.key(1))
    ds, _ = d_step(ds, data, jax.random.key(1))
    out.append(((fs.generator, fs.discriminator), (ds.generator, ds.discriminator)))
  return out


TOL = dict(rtol=1e-5, atol=1e-7)


def test_fgan_gan_divergence_is_dcgan_with_one_generator_update():
  for f, d in _fgan_and_dcgan_states():
    _states_close(f, d, **TOL)


def test_fgan_dcgan_check_catches_the_saturating_generator():
  """The comparison above fails for the saturating generator loss, whose
  first Adam update has the same signs (so parameters alone could not tell)."""
  (f, d), *_ = _fgan_and_dcgan_states(steps=1, generator_loss="saturating")
  with pytest.raises(AssertionError):
    _states_close(f[0], d[0], **TOL)
  _states_close(f[1], d[1], **TOL)  # the critic's update is the same
