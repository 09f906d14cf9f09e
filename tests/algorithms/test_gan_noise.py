"""The two-player family's noise options: ``prior`` (N(0, I) or
Uniform(-1, 1)^K) draws every z of a step and of ``sample``;
``generator_noise='shared'`` gives every generator update the discriminator
update's z (DCGAN-tensorflow's loop), ``'fresh'`` a new one each."""

import jax
import numpy as np
import pytest

from gengan_jax.algorithms import gan
from gengan_jax.core import ConfigError
from gengan_jax.core import keys as keys_lib
from gengan_jax.core import train_state as ts
from tests.algorithms.helpers import tiny_config, tiny_data


def _spy(monkeypatch):
  """Records (prior name, key data, rows, dim) of every z drawn through gan.PRIORS."""
  calls = []
  for name, draw in list(keys_lib.PRIORS.items()):
    def spy(key, num, dim, name=name, draw=draw):
      calls.append((name, np.asarray(jax.random.key_data(key)), num, dim))
      return draw(key, num, dim)
    monkeypatch.setitem(gan.PRIORS, name, spy)
  return calls


@pytest.mark.parametrize("prior, noise", [("gaussian", "fresh"), ("uniform", "shared")])
def test_every_z_comes_from_the_prior_and_the_noise_option(monkeypatch, prior, noise):
  """One step (run eagerly, so every draw is seen) with PacGAN2 and two
  generator updates draws m * B = 16 rows three times: D's, then G's twice,
  from the same key when shared, three keys when fresh."""
  module, cfg = tiny_config("dcgan", pack=2, generator_updates=2, prior=prior,
                            generator_noise=noise)
  data = tiny_data("mlp", module.num_batches(cfg))
  state = module.init(jax.random.key(0), cfg, data[0])
  calls = _spy(monkeypatch)
  new, metrics = module.train_step(state, data, jax.random.key(1))
  assert [(c[0], c[2], c[3]) for c in calls] == [(prior, 16, cfg.latent_dim)] * 3
  d_key, g_keys = calls[0][1], [c[1] for c in calls[1:]]
  if noise == "shared":
    assert all(np.array_equal(d_key, k) for k in g_keys)
  else:
    assert not any(np.array_equal(a, b) for a, b in [(d_key, g_keys[0]), (d_key, g_keys[1]),
                                                     (g_keys[0], g_keys[1])])
  assert np.isfinite(float(metrics["generator_loss"])) and int(new.generator.step) == 2
  calls.clear()
  module.sample(new, jax.random.key(2), 5)
  assert [(c[0], c[2]) for c in calls] == [(prior, 5)]


def test_the_default_is_the_gaussian_and_fresh_noise():
  cfg = gan.Config()
  assert (cfg.prior, cfg.generator_noise) == ("gaussian", "fresh")


def test_the_uniform_prior_changes_the_samples_and_the_step():
  module, gauss = tiny_config("dcgan")
  _, unif = tiny_config("dcgan", prior="uniform")
  data = tiny_data("mlp", 1)
  state = module.init(jax.random.key(0), gauss, data[0])
  other = state.replace(config=unif)
  key = jax.random.key(3)
  assert not np.array_equal(module.sample(state, key, 4), module.sample(other, key, 4))
  # The same network and key: the uniform samples are G of uniform z.
  z = keys_lib.uniform_prior(key, 4, unif.latent_dim)
  np.testing.assert_allclose(module.sample(other, key, 4),
                             ts.forward(state.generator, z, train=False), rtol=1e-6)
  # And a step draws other z (the same key, another law): other parameters.
  step = jax.jit(module.train_step)
  a, _ = step(state, data, key)
  b, _ = step(other, data, key)
  assert not np.array_equal(jax.tree.leaves(a.generator.params)[0],
                            jax.tree.leaves(b.generator.params)[0])


@pytest.mark.parametrize("fields, match", [
    (dict(prior="cauchy"), r"prior='cauchy' is invalid: valid choices are 'gaussian', "
                           r"'uniform'"),
    (dict(generator_noise="same"), r"generator_noise='same' is invalid: valid choices are "
                                   r"'fresh', 'shared'"),
    (dict(generator_noise="shared", discriminator_updates=2),
     r"generator_noise='shared' is invalid with discriminator_updates=2, "
     r"critic_bursts=False: it reuses the one discriminator update's z"),
])
def test_bad_noise_settings_are_one_line_errors(fields, match):
  with pytest.raises(ConfigError, match=match):
    tiny_config("gan", **fields)
