import numpy as np
import pytest

from gengan_jax import data


def test_grid_means_default():
  g = data.grid()
  assert g.std == 0.05
  coords = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
  want = {(a, b) for a in coords for b in coords}
  assert g.num_modes == 25
  assert {tuple(m) for m in g.means} == want


def test_ring_means_default():
  r = data.ring()
  assert r.std == 0.01
  assert r.num_modes == 8
  np.testing.assert_allclose(np.linalg.norm(r.means, axis=1), 1.0, atol=1e-12)
  np.testing.assert_allclose(r.means[0], [1.0, 0.0], atol=1e-12)
  # Evenly spaced: consecutive angles differ by 2*pi/8.
  ang = np.unwrap(np.arctan2(r.means[:, 1], r.means[:, 0]))
  np.testing.assert_allclose(np.diff(ang), 2 * np.pi / 8, atol=1e-12)


@pytest.mark.parametrize("name", sorted(data.PRESETS))
def test_toy_mixture_presets(name):
  m = data.toy_mixture(name)
  assert m.name == name
  assert m.std == data.PRESETS[name]["std"]
  x = m.sample(np.random.default_rng(0), 10)
  assert x.shape == (10, 2) and x.dtype == np.float32


def test_toy_mixture_unknown_name_lists_valid():
  with pytest.raises(ValueError, match="ring.*grid|grid.*ring"):
    data.toy_mixture("spiral")


def test_sample_is_deterministic_given_rng():
  m = data.toy_mixture("grid")
  a = m.sample(np.random.default_rng(3), 100)
  b = m.sample(np.random.default_rng(3), 100)
  np.testing.assert_array_equal(a, b)


def test_mixture_validation():
  with pytest.raises(ValueError, match="means"):
    data.GaussianMixture(means=np.zeros((3, 3)), std=0.1, name="bad")
  with pytest.raises(ValueError, match="std"):
    data.GaussianMixture(means=np.zeros((3, 2)), std=0.0, name="bad")
