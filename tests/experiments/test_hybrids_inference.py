"""experiments.hybrids_inference: its numbers are the metrics of the model's own codes."""

import jax
import jax.numpy as jnp
import numpy as np

from experiments import hybrids_inference as hi
from gengan_jax import metrics
from tests.algorithms.helpers import tiny_config, tiny_data


def _state(name):
  module, cfg = tiny_config(name)
  x = tiny_data("mlp", 1, batch_size=40)[0]
  return module, jax.jit(module.init, static_argnums=1)(jax.random.key(0), cfg, jnp.asarray(x)), x


def test_measure_uses_encode_or_the_implicit_posteriors_mean(tmp_path):
  results = []
  for name in ("aae", "avb"):
    module, state, x = _state(name)
    r = hi.measure(module, state, x, jax.random.key(2), "tiny")
    if name == "aae":  # deterministic encoder: the code is the posterior mean
      means = np.asarray(module.encode(state, x), np.float64)
      assert r["posterior_mean"] == "encode(x)"
    else:  # AVB: the mean of the implicit encoder's draws, with the same key
      means = np.asarray(module.module.posterior_mean(state, x, jax.random.key(2),
                                                    hi.POSTERIOR_DRAWS))
      assert r["posterior_mean"] == f"mean of {hi.POSTERIOR_DRAWS} draws"
    act = metrics.active_units(means)
    assert (r["active_units"], r["dimensions"]) == (act["active"], means.shape[1])
    np.testing.assert_allclose(r["log10_activity_sorted"], act["log10_activity_sorted"], rtol=1e-4)
    np.testing.assert_allclose(r["kl_gaussian_fit_to_prior"],
                               metrics.latent_statistics(means)["kl_gaussian_fit_to_prior"],
                               rtol=1e-4)
    rec = np.asarray(module.reconstruct(state, x), np.float64)
    np.testing.assert_allclose(r["reconstruction"]["mse_per_pixel"],
                               np.mean(np.square(x - rec)), rtol=1e-5)
    results.append({"run": name, "algorithm": name, "step": 0, **r})
  text = hi.table(results)
  assert text.count("\n") == 3 and "| avb |" in text
  hi.plot(str(tmp_path / "a.png"), results)
  assert (tmp_path / "a.png").stat().st_size > 1000
