"""VEEGAN (Srivastava et al. 2017, Algorithm 1): its losses by hand, which
network each one updates, and its config checks.

The gradients a step used are read off Adam's first moment after one update
from a fresh state: ``mu = (1 - b1) g``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.algorithms import veegan
from gengan_jax.core import ConfigError
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys
from tests.algorithms.helpers import tiny_config, tiny_data

KEY = jax.random.key(1)


def _softplus(v):
  return np.logaddexp(0.0, v)


def test_discriminator_loss_labels_the_generator_pairs_one():
  """O_LR = -log sigma(D(z, x_g)) - log(1 - sigma(D(z_g, x))), batch means."""
  gen = np.array([0.5, -1.0, 2.0], np.float32)
  rec = np.array([1.5, 0.0, -3.0, 0.25], np.float32)
  want = np.mean(_softplus(-gen)) + np.mean(_softplus(rec))
  np.testing.assert_allclose(veegan.discriminator_loss(gen, rec), want, rtol=1e-6)
  sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
  np.testing.assert_allclose(
      want, -np.mean(np.log(sigmoid(gen))) - np.mean(np.log(1 - sigmoid(rec))), rtol=1e-5)


def test_objective_is_mean_log_ratio_plus_weighted_squared_distance():
  """Eq. 8: mean D(z, x_g) + lambda * mean ||z - F(x_g)||^2 on fixed inputs."""
  logits = np.array([0.5, -1.5], np.float32)
  z = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]], np.float32)
  z_rec = np.array([[0.0, 2.0, 2.0], [0.5, -1.0, 1.0]], np.float32)
  loss, (kl, rec) = veegan.objective(logits, z, z_rec, 0.5)
  # ||.||^2 per example: 1 + 0 + 4 = 5 and 0.25; mean 2.625.
  assert float(rec) == pytest.approx(2.625)
  assert float(kl) == pytest.approx(-0.5)
  assert float(loss) == pytest.approx(-0.5 + 0.5 * 2.625)


@pytest.fixture(scope="module")
def run():
  """One jitted step from a fresh state (noise 0.5 so that F's noise is visible)."""
  module, cfg = tiny_config("veegan", reconstructor_noise=0.5)
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), cfg, data[0])
  step = jax.jit(module.train_step)
  new, metrics = step(state, data, KEY)
  return dict(cfg=cfg, data=data, state=state, new=new, metrics=metrics, step=step)


def _draws(state, x):
  keys = step_keys(KEY, state.step, "prior", "reconstructor")
  z = gaussian_prior(keys["prior"], x.shape[0], state.config.latent_dim)
  eps = jax.random.normal(keys["reconstructor"], z.shape)
  return z, eps


def _first_gradient(state, network: str):
  network_state = getattr(state, network)
  b1 = getattr(state.config, f"{network}_optimizer").b1
  return jax.tree.map(lambda m: np.asarray(m) / (1.0 - b1), network_state.opt_state[0].mu)


def _assert_trees_close(got, want):
  scale = max(float(np.abs(w).max()) for w in jax.tree.leaves(want))
  assert scale > 1e-6, "the expected gradient is zero"
  for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
    np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * scale)


def test_reconstruction_metric_is_the_squared_distance_of_z_and_f_of_g_of_z(run):
  state, x = run["state"], jnp.asarray(run["data"][0])
  z, _ = _draws(state, x)
  z_rec = ts.forward(state.reconstructor, ts.forward(state.generator, z))
  want = np.mean(np.sum((np.asarray(z) - np.asarray(z_rec)) ** 2, axis=1))
  np.testing.assert_allclose(run["metrics"]["reconstruction"], want, rtol=1e-5)
  logits = ts.forward(state.discriminator, (ts.forward(state.generator, z), z))
  np.testing.assert_allclose(run["metrics"]["kl_estimate"], np.mean(logits), rtol=1e-5,
                             atol=1e-7)
  np.testing.assert_allclose(run["metrics"]["generator_loss"],
                             np.mean(logits) + 0.5 * want, rtol=1e-5)


def test_discriminator_loss_metric_uses_noisy_reconstructor_codes(run):
  state, x = run["state"], jnp.asarray(run["data"][0])
  z, eps = _draws(state, x)
  z_g = ts.forward(state.reconstructor, x) + 0.5 * eps
  gen = np.asarray(ts.forward(state.discriminator, (ts.forward(state.generator, z), z)))
  rec = np.asarray(ts.forward(state.discriminator, (x, z_g)))
  np.testing.assert_allclose(run["metrics"]["discriminator_loss"],
                             np.mean(_softplus(-gen)) + np.mean(_softplus(rec)), rtol=1e-5)
  np.testing.assert_allclose(run["metrics"]["d_reconstructor"],
                             np.mean(1 / (1 + np.exp(-rec))), rtol=1e-5)


def test_each_network_descends_its_own_loss_at_the_old_parameters(run):
  """D: O_LR; G: eq. 8 (both terms); F: only the reconstruction (g_theta)."""
  state, new, x = run["state"], run["new"], jnp.asarray(run["data"][0])
  z, eps = _draws(state, x)
  G, F, D = state.generator, state.reconstructor, state.discriminator
  weight = state.config.reconstruction_weight

  def eq8(g_params, f_params):
    x_g = G.apply_fn({"params": g_params}, z, train=True)
    rec = jnp.mean(jnp.sum((z - F.apply_fn({"params": f_params}, x_g, train=True)) ** 2, -1))
    return jnp.mean(ts.forward(D, (x_g, z))) + weight * rec

  def reconstruction_only(f_params):
    x_g = ts.forward(G, z)
    return weight * jnp.mean(jnp.sum((z - F.apply_fn({"params": f_params}, x_g,
                                                       train=True)) ** 2, -1))

  def o_lr(d_params):
    d = lambda pair: D.apply_fn({"params": d_params}, pair, train=True)  # noqa: E731
    z_g = ts.forward(F, x) + 0.5 * eps
    return veegan.discriminator_loss(d((ts.forward(G, z), z)), d((x, z_g)))

  g_grad, f_grad = jax.grad(eq8, argnums=(0, 1))(G.params, F.params)
  _assert_trees_close(_first_gradient(new, "generator"), g_grad)
  _assert_trees_close(_first_gradient(new, "reconstructor"), f_grad)
  _assert_trees_close(_first_gradient(new, "reconstructor"),
                      jax.grad(reconstruction_only)(F.params))
  _assert_trees_close(_first_gradient(new, "discriminator"), jax.grad(o_lr)(D.params))


def test_without_reconstruction_the_reconstructor_gets_no_gradient(run):
  """F enters eq. 8 only through d: with lambda = 0 it stays put, while G moves."""
  state = run["state"]
  cfg = tiny_config("veegan", reconstructor_noise=0.5, reconstruction_weight=0.0)[1]
  new, _ = run["step"](state.replace(config=cfg), run["data"], KEY)
  for a, b in zip(jax.tree.leaves(state.reconstructor.params),
                  jax.tree.leaves(new.reconstructor.params)):
    np.testing.assert_array_equal(a, b)
  assert any(not np.array_equal(a, b) for a, b in zip(
      jax.tree.leaves(state.generator.params), jax.tree.leaves(new.generator.params)))


def test_encode_is_f_and_reconstruct_is_g_of_f(run):
  new, x = run["new"], jnp.asarray(run["data"][0])
  codes = veegan.encode(new, x)
  np.testing.assert_array_equal(codes, ts.forward(new.reconstructor, x, train=False))
  np.testing.assert_array_equal(veegan.reconstruct(new, x),
                                ts.forward(new.generator, codes, train=False))


def test_defaults_are_the_authors():
  cfg = veegan.Config()
  assert (cfg.reconstruction_weight, cfg.reconstructor_noise) == (0.5, 1.0)
  assert cfg.discriminator_hidden == (128,)
  for net in ("generator", "reconstructor", "discriminator"):
    opt = getattr(cfg, f"{net}_optimizer")
    assert (opt.learning_rate, opt.b1) == (1e-3, 0.5)


@pytest.mark.parametrize("field, value, message", [
    ("reconstruction_weight", -1.0, "reconstruction_weight=-1.0 is invalid: must be >= 0"),
    ("reconstructor_noise", -0.1, "reconstructor_noise=-0.1 is invalid: must be >= 0"),
    ("discriminator_hidden", (0,), "discriminator_hidden=(0,) is invalid"),
])
def test_config_errors_name_the_field(field, value, message):
  with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
    veegan.Config(**{field: value})
