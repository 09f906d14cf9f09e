"""Tests for gengan_jax.metrics.latent."""

import numpy as np
import pytest
from scipy import stats

from gengan_jax import metrics


def _kl_reference(mu, sigma, prior_scale):
  """KL(N(mu, sigma) || N(0, s I)) = -H(p) - E_p log q via scipy's entropy."""
  k = len(mu)
  entropy = stats.multivariate_normal(mu, sigma).entropy()
  cross = 0.5 * k * np.log(2 * np.pi * prior_scale) + (np.trace(sigma) + mu @ mu) / (2 * prior_scale)
  return cross - entropy


@pytest.mark.parametrize("prior,scale", [("gaussian", 1.0), ("sphere", 1.0 / 3)])
def test_statistics_and_kl_against_scipy(prior, scale):
  rng = np.random.default_rng(0)
  a = np.array([[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [0.0, 0.3, 0.4]])
  codes = rng.standard_normal((500, 3)) @ a.T + np.array([0.2, -0.1, 0.0])
  out = metrics.latent_statistics(codes, prior=prior)
  np.testing.assert_allclose(out["mean"], codes.mean(0))
  np.testing.assert_allclose(out["covariance"], np.cov(codes, rowvar=False))
  np.testing.assert_allclose(out["prior_covariance"], scale * np.eye(3))
  np.testing.assert_allclose(out["kl_gaussian_fit_to_prior"],
                             _kl_reference(out["mean"], out["covariance"], scale), rtol=1e-10)
  np.testing.assert_allclose(out["mean_norm"], np.linalg.norm(codes.mean(0)))


def test_prior_samples_have_small_kl_and_collapse_is_infinite():
  rng = np.random.default_rng(1)
  z = rng.standard_normal((20000, 4))
  assert metrics.latent_statistics(z)["kl_gaussian_fit_to_prior"] < 2e-3
  sphere = z / np.linalg.norm(z, axis=1, keepdims=True)
  out = metrics.latent_statistics(sphere, prior="sphere")
  assert out["kl_gaussian_fit_to_prior"] < 2e-3
  np.testing.assert_allclose(np.diag(out["covariance"]), 0.25, atol=0.01)
  collapsed = z.copy()
  collapsed[:, 2] = 0.0
  assert metrics.latent_statistics(collapsed)["kl_gaussian_fit_to_prior"] == np.inf


def test_plot_writes_png(tmp_path):
  from gengan_jax.metrics import latent
  out = metrics.latent_statistics(np.random.default_rng(2).standard_normal((50, 5)))
  path = tmp_path / "latent.png"
  latent.plot_latent_statistics(str(path), out)
  assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors():
  with pytest.raises(ValueError, match="gaussian"):
    metrics.latent_statistics(np.zeros((5, 2)), prior="laplace")
  with pytest.raises(ValueError, match="codes"):
    metrics.latent_statistics(np.zeros(5))


def test_active_units_counts_the_units_whose_posterior_mean_moves():
  # Four units whose posterior means vary over the data with variances
  # 1, 0.05, 0.011 and 0.009 (each exactly, by construction) and two
  # constant ones: the first three cross Burda et al.'s 1e-2, the rest do not.
  rng = np.random.default_rng(3)
  base = rng.standard_normal((400, 4))
  base = (base - base.mean(0)) / base.std(0, ddof=1)
  variances = np.array([1.0, 0.05, 0.011, 0.009])
  means = np.concatenate([base * np.sqrt(variances), np.full((400, 2), 0.5)], axis=1)
  out = metrics.active_units(means)
  np.testing.assert_allclose(out["activity"], [*variances, 0.0, 0.0], atol=1e-12)
  assert out["active"] == 3 and out["dimensions"] == 6 and out["threshold"] == 1e-2
  np.testing.assert_allclose(out["log10_activity_sorted"][:4], np.log10(variances), atol=1e-12)
  assert np.all(np.isneginf(out["log10_activity_sorted"][4:]))
  assert metrics.active_units(means, threshold=0.008)["active"] == 4


def test_active_units_refuses_bad_input():
  with pytest.raises(ValueError, match="posterior_means"):
    metrics.active_units(np.zeros((1, 3)))
  with pytest.raises(ValueError, match="threshold"):
    metrics.active_units(np.zeros((5, 3)), threshold=0.0)
