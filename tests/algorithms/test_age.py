"""AGE's adaptive adversary weight against the reference code's controller.

* :func:`age.uniform_sphere_kl` is the limit of the fitted-Gaussian KL of
  codes uniform on the sphere (a large batch of them, and the reference's
  ``get_ideal_KL`` rewritten for the exact KL);
* :func:`age.adversary_weight_update` steps as the reference does (up
  0.001, down 0.02 over the threshold, clipped at 0);
* in ``train_step`` the weight multiplies ``Delta(e(g(z)))`` in the encoder's
  loss (recomputed from the logged KLs), is updated from the step's own KLs
  when adaptive, and stays 1 otherwise.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.algorithms import age
from gengan_jax.core import ConfigError
from gengan_jax.core.keys import sphere_prior
from tests.algorithms.helpers import tiny_config, tiny_data


@pytest.mark.parametrize("latent_dim", [2, 3, 16])
def test_uniform_sphere_kl_is_the_large_batch_fitted_kl_of_sphere_codes(latent_dim):
  codes = sphere_prior(jax.random.key(0), 200_000, latent_dim)
  fitted = float(losses.empirical_kl(codes, eps=0.0))
  assert age.uniform_sphere_kl(latent_dim) == pytest.approx(fitted, rel=2e-3, abs=2e-3)


def test_uniform_sphere_kl_is_the_reference_ideal_kl_with_the_exact_kl():
  # Reference get_ideal_KL(K) = var^2/2 - log(var) - 1/2 per dimension, var = 1/K (its KL
  # uses the variance where the KL has the standard deviation); the exact KL per
  # dimension is var/2 - log(var)/2 - 1/2, summed over K dimensions.
  for k in (1, 3, 100):
    var = 1.0 / k
    assert age.uniform_sphere_kl(k) == pytest.approx(k * (var / 2 - math.log(var) / 2 - 0.5))
  assert age.uniform_sphere_kl(1) == 0.0  # codes +-1: mean 0, variance 1


@pytest.mark.parametrize("kl_real, kl_fake, expected", [
    (0.5, 0.5, 1.001),     # both under 1.05 * 1.0: up by 0.001
    (1.2, 0.5, 0.981),     # real over: up 0.001, down 0.02
    (0.5, 1.06, 0.981),    # fake over
    (2.0, 2.0, 0.981),     # both over: down once
])
def test_adversary_weight_update_steps_as_the_reference(kl_real, kl_fake, expected):
  w = age.adversary_weight_update(jnp.float32(1.0), jnp.float32(kl_real), jnp.float32(kl_fake),
                                  ideal_kl=1.0, threshold=1.05, increase=1e-3, decrease=2e-2)
  assert float(w) == pytest.approx(expected, abs=1e-6)


def test_adversary_weight_update_never_goes_below_zero():
  w = age.adversary_weight_update(jnp.float32(0.01), jnp.float32(5.0), jnp.float32(5.0),
                                  ideal_kl=1.0, threshold=1.05, increase=1e-3, decrease=2e-2)
  assert float(w) == 0.0


def _steps(num_steps, **overrides):
  module, cfg = tiny_config("age", **overrides)
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  weights, history = [float(state.adversary_weight)], []
  for _ in range(num_steps):
    state, m = step(state, data, jax.random.key(1))
    weights.append(float(state.adversary_weight))
    history.append({k: float(v) for k, v in m.items()})
  return cfg, weights, history


def test_train_step_follows_the_controller_from_the_step_s_own_kls():
  cfg, weights, history = _steps(3, adaptive_adversary_weight=True, adversary_threshold=1.05,
                                 adversary_increase=0.1, adversary_decrease=0.3)
  ideal = age.uniform_sphere_kl(cfg.latent_dim)
  assert weights[0] == 1.0
  for w_before, w_after, m in zip(weights, weights[1:], history):
    over = m["kl_real"] > 1.05 * ideal or m["kl_fake"] > 1.05 * ideal
    assert w_after == pytest.approx(max(w_before + 0.1 - (0.3 if over else 0.0), 0.0), abs=1e-6)
    assert m["adversary_weight"] == pytest.approx(w_after, abs=1e-6)
    # The encoder's loss weighs Delta(e(g(z))) by the weight before the update.
    assert m["encoder_loss"] == pytest.approx(
        m["kl_real"] - w_before * m["kl_fake"] + cfg.lambda_x * m["reconstruction_l2"],
        rel=1e-5, abs=1e-5)
  assert all(a != b for a, b in zip(weights, weights[1:]))  # it moved every step


def test_weight_stays_one_without_the_controller():
  cfg, weights, history = _steps(2)
  assert weights == [1.0, 1.0, 1.0]
  for m in history:
    assert m["encoder_loss"] == pytest.approx(
        m["kl_real"] - m["kl_fake"] + cfg.lambda_x * m["reconstruction_l2"], rel=1e-5, abs=1e-5)


def test_the_weight_changes_the_encoder_s_step():
  # A mutant that ignored the weight would give the same encoder after a step from w = 0.
  module, cfg = tiny_config("age")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  one, _ = step(state, data, jax.random.key(1))
  zero, _ = step(state.replace(adversary_weight=jnp.float32(0.0)), data, jax.random.key(1))
  diffs = [float(np.max(np.abs(a - b))) for a, b in
           zip(jax.tree.leaves(one.encoder.params), jax.tree.leaves(zero.encoder.params))]
  assert max(diffs) > 1e-5


@pytest.mark.parametrize("field, value", [("adversary_threshold", 0.0),
                                          ("adversary_increase", -1e-3),
                                          ("adversary_decrease", -0.1)])
def test_bad_controller_settings_are_one_line_errors(field, value):
  with pytest.raises(ConfigError, match=field):
    tiny_config("age", **{field: value})
