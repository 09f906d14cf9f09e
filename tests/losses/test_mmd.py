"""Kernels and MMD^2: direct double sums in numpy, and the population value
for Gaussian kernels between Gaussians."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses, ratio
from gengan_jax.train import mesh as mesh_lib


def _k_numpy(a, b, name, scales):
  d2 = np.sum((a - b) ** 2)
  if name == "gaussian":
    return sum(np.exp(-d2 / (2 * h * h)) for h in scales)
  if name == "imq":
    return sum(c / (c + d2) for c in scales)
  return sum((1 + d2 / (2 * al)) ** (-al) for al in scales)


KERNELS = {
    "gaussian": lambda s: functools.partial(losses.gaussian_kernel, bandwidth=s),
    "imq": lambda s: functools.partial(losses.inverse_multiquadric_kernel, scale=s),
    "rq": lambda s: functools.partial(losses.rational_quadratic_kernel, alpha=s),
}


def _mmd_numpy(x, y, name, scales, unbiased):
  """MMD^2 from explicit loops over pairs (Gretton et al. 2012, eq. 3 and 5)."""
  n, m = len(x), len(y)
  sxx = sum(_k_numpy(x[i], x[j], name, scales) for i in range(n) for j in range(n)
            if not (unbiased and i == j))
  syy = sum(_k_numpy(y[i], y[j], name, scales) for i in range(m) for j in range(m)
            if not (unbiased and i == j))
  sxy = sum(_k_numpy(x[i], y[j], name, scales) for i in range(n) for j in range(m))
  if unbiased:
    return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m)
  return sxx / n ** 2 + syy / m ** 2 - 2 * sxy / (n * m)


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("scales", [(1.3,), (0.5, 1.0, 4.0)])
@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd2_equals_direct_double_sum(name, scales, unbiased):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(7, 3)).astype(np.float32)
  y = (rng.normal(size=(5, 3)) + 0.5).astype(np.float32)
  kernel = KERNELS[name](scales if len(scales) > 1 else scales[0])
  got = losses.mmd2(jnp.asarray(x), jnp.asarray(y), kernel, unbiased=unbiased)
  assert float(got) == pytest.approx(_mmd_numpy(x, y, name, scales, unbiased), rel=1e-4, abs=1e-6)
  # Gram matrix entries, too.
  gram = np.asarray(kernel(jnp.asarray(x), jnp.asarray(y)))
  assert gram[2, 3] == pytest.approx(_k_numpy(x[2], y[3], name, scales), rel=1e-5)


def test_images_are_flattened():
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(4, 3, 3, 1)), rng.normal(size=(5, 3, 3, 1))
  k = KERNELS["gaussian"](2.0)
  np.testing.assert_allclose(losses.mmd2(x.astype(np.float32), y.astype(np.float32), k),
                             losses.mmd2(x.reshape(4, -1).astype(np.float32),
                                         y.reshape(5, -1).astype(np.float32), k), rtol=1e-6)


def _expected_gaussian_kernel(m1, s1, m2, s2, h):
  """E k(x, y), x ~ N(m1, S1), y ~ N(m2, S2), k = exp(-|x - y|^2 / (2 h^2))."""
  d = m1 - m2
  cov = s1 + s2 + h * h * np.eye(len(d))
  return h ** len(d) / np.sqrt(np.linalg.det(cov)) * np.exp(-0.5 * d @ np.linalg.solve(cov, d))


M1, S1 = np.zeros(2), np.eye(2)
M2, S2 = np.array([0.6, -0.2]), np.diag([1.5, 0.7])
H = 1.2


def _population():
  e_pp = _expected_gaussian_kernel(M1, S1, M1, S1, H)
  e_qq = _expected_gaussian_kernel(M2, S2, M2, S2, H)
  e_pq = _expected_gaussian_kernel(M1, S1, M2, S2, H)
  return e_pp + e_qq - 2 * e_pq, e_pp, e_qq


def _repeats(estimator, n=32, repeats=2000):
  kernel = KERNELS["gaussian"](H)

  def one(key):
    kx, ky = jax.random.split(key)
    x = M1 + jax.random.normal(kx, (n, 2))
    y = M2 + jax.random.normal(ky, (n, 2)) * np.sqrt(np.diag(S2))
    return estimator(x, y, kernel)

  return np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(0), repeats)))


def test_unbiased_mean_matches_population_value():
  pop, _, _ = _population()
  vals = _repeats(lambda x, y, k: losses.mmd2(x, y, k))
  se = vals.std() / np.sqrt(len(vals))
  assert abs(vals.mean() - pop) < 4 * se
  assert vals.min() < pop < vals.max()


def test_biased_mean_has_its_known_bias():
  # E[V-statistic] = MMD^2 + (k(0) - E_pp) / n + (k(0) - E_qq) / n, k(0) = 1.
  pop, e_pp, e_qq = _population()
  n = 32
  vals = _repeats(lambda x, y, k: losses.mmd2(x, y, k, unbiased=False), n=n)
  expected = pop + (1 - e_pp) / n + (1 - e_qq) / n
  se = vals.std() / np.sqrt(len(vals))
  assert abs(vals.mean() - expected) < 4 * se
  assert np.all(vals >= 0)


def test_linear_time_mean_matches_population_value():
  pop, _, _ = _population()
  vals = _repeats(lambda x, y, k: losses.mmd2_linear(x, y, k).mean())
  se = vals.std() / np.sqrt(len(vals))
  assert abs(vals.mean() - pop) < 4 * se


def test_linear_time_terms_by_hand():
  x = jnp.array([[0.0], [1.0], [2.0], [5.0], [9.0]])
  y = jnp.array([[0.5], [1.5], [3.0], [4.0], [7.0]])
  k = KERNELS["gaussian"](1.0)
  got = np.asarray(losses.mmd2_linear(x, y, k))
  kk = lambda a, b: np.exp(-(a - b) ** 2 / 2)
  want = [kk(0, 1) + kk(0.5, 1.5) - kk(0, 1.5) - kk(1, 0.5),
          kk(2, 5) + kk(3, 4) - kk(2, 4) - kk(5, 3)]
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_median_heuristic_is_median_pairwise_distance():
  rng = np.random.default_rng(3)
  x, y = rng.normal(size=(6, 2)), rng.normal(size=(5, 2)) + 1
  z = np.concatenate([x, y])
  d = [np.linalg.norm(z[i] - z[j]) for i in range(len(z)) for j in range(i + 1, len(z))]
  got = losses.median_heuristic(x.astype(np.float32), y.astype(np.float32))
  assert float(got) == pytest.approx(np.median(d), rel=1e-5)
  est = ratio.mmd2_estimate(x.astype(np.float32), y.astype(np.float32))
  assert float(est) == pytest.approx(_mmd_numpy(x, y, "gaussian", (np.median(d),), True), rel=1e-4)


def test_feature_mmd2_is_mmd_of_features():
  rng = np.random.default_rng(4)
  x, y = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)
  w = jnp.asarray(rng.normal(size=(3, 2)), jnp.float32)
  feat = lambda v: jnp.tanh(v @ w)
  k = KERNELS["rq"]((0.5, 2.0))
  assert float(losses.feature_mmd2(feat, x, y, k)) == pytest.approx(
      float(losses.mmd2(feat(x), feat(y), k)), rel=1e-6)
  g = jax.grad(lambda w_: losses.feature_mmd2(lambda v: jnp.tanh(v @ w_), x, y, k))(w)
  assert np.all(np.isfinite(g)) and np.any(g != 0)


def test_sharded_batches_give_the_same_estimate():
  mesh = mesh_lib.make_mesh()
  rng = np.random.default_rng(5)
  x, y = rng.normal(size=(16, 2)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
  sh = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(mesh_lib.DATA_AXIS))
  k = KERNELS["gaussian"]((0.5, 2.0))
  f = jax.jit(lambda a, b: (losses.mmd2(a, b, k), losses.mmd2_linear(a, b, k)))
  got = f(jax.device_put(x, sh), jax.device_put(y, sh))
  want = f(x, y)
  # Only the order of the float32 reductions differs.
  np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-6)


def test_errors():
  k = KERNELS["gaussian"](1.0)
  with pytest.raises(ValueError, match="same example shape"):
    losses.mmd2(jnp.zeros((4, 2)), jnp.zeros((4, 3)), k)
  with pytest.raises(ValueError, match="at least 2"):
    losses.mmd2(jnp.zeros((1, 2)), jnp.zeros((4, 2)), k)
  with pytest.raises(TypeError, match="`kernel` must be callable"):
    losses.mmd2(jnp.zeros((4, 2)), jnp.zeros((4, 2)), "gaussian")
  with pytest.raises(ValueError, match="`bandwidth` must be > 0"):
    losses.gaussian_kernel(jnp.zeros((2, 2)), jnp.zeros((2, 2)), bandwidth=(1.0, -1.0))
  with pytest.raises(ValueError, match=r"`kernel`='laplace'.*'gaussian'"):
    ratio.mmd2_estimate(jnp.zeros((4, 2)), jnp.ones((4, 2)), kernel="laplace", bandwidth=1.0)
  with pytest.raises(ValueError, match=r"`estimator`='block'.*'unbiased'"):
    ratio.mmd2_estimate(jnp.zeros((4, 2)), jnp.ones((4, 2)), estimator="block")
