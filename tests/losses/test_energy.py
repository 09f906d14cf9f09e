"""Tests for gengan_jax.losses.energy: closed forms of the EBGAN and BEGAN pieces."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses

X = jnp.array([[1.0, 2.0], [3.0, 4.0]])
X_REC = jnp.array([[0.0, 0.0], [3.0, 6.0]])


def test_l1_energy_is_the_mean_absolute_error_per_example():
  # (|1| + |2|) / 2 = 1.5;  (0 + 2) / 2 = 1.
  np.testing.assert_allclose(losses.l1_energy(X, X_REC), [1.5, 1.0], rtol=0, atol=1e-7)


def test_l2_energy_is_the_mean_squared_error_per_example():
  # (1 + 4) / 2 = 2.5;  (0 + 4) / 2 = 2.
  np.testing.assert_allclose(losses.l2_energy(X, X_REC), [2.5, 2.0], rtol=0, atol=1e-7)


def test_energies_of_images_against_numpy():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(2, 3, 4, 4, 2)).astype(np.float32)
  np.testing.assert_allclose(losses.l1_energy(x, y), np.abs(x - y).mean((1, 2, 3)), rtol=1e-6)
  np.testing.assert_allclose(losses.l2_energy(x, y), ((x - y) ** 2).mean((1, 2, 3)), rtol=1e-6)
  # The mean is the sum of the reconstruction module over the 32 coordinates.
  np.testing.assert_allclose(losses.l2_energy(x, y) * 32, losses.l2_reconstruction(x, y),
                             rtol=1e-6)


def test_energies_reject_mismatched_shapes():
  with pytest.raises(ValueError, match="same shape"):
    losses.l1_energy(jnp.zeros((2, 3)), jnp.zeros((2, 1, 3)))
  with pytest.raises(TypeError, match="floating"):
    losses.l2_energy(jnp.zeros((2, 3), jnp.int32), jnp.zeros((2, 3), jnp.int32))


def test_margin_loss_is_zero_above_the_margin_and_m_minus_e_below():
  e = jnp.array([0.0, 0.5, 1.9, 2.0, 2.5, 100.0])
  np.testing.assert_allclose(losses.ebgan_margin_loss(e, 2.0),
                             [2.0, 1.5, 0.1, 0.0, 0.0, 0.0], rtol=0, atol=1e-6)
  # Its gradient pushes energies up (d/de = -1) below the margin only.
  e = jnp.array([0.0, 1.9, 2.1, 100.0])
  grad = jax.grad(lambda v: losses.ebgan_margin_loss(v, 2.0).sum())(e)
  np.testing.assert_array_equal(grad, [-1.0, -1.0, 0.0, 0.0])


def test_margin_loss_rejects_a_negative_margin():
  with pytest.raises(ValueError, match="margin"):
    losses.ebgan_margin_loss(jnp.zeros(3), -1.0)


def _pt_reference(s):
  """Eq. 6 as written: a double loop over the N(N-1) ordered pairs."""
  s = np.asarray(s, np.float64)
  n = len(s)
  total = 0.0
  for i, j in itertools.permutations(range(n), 2):
    total += (s[i] @ s[j] / (np.linalg.norm(s[i]) * np.linalg.norm(s[j]))) ** 2
  return total / (n * (n - 1))


def test_pulling_away_term_is_zero_for_orthogonal_codes():
  codes = 3.0 * jnp.eye(4)  # scaled: the term ignores lengths
  assert float(losses.pulling_away_term(codes)) == pytest.approx(0.0, abs=1e-7)


def test_pulling_away_term_is_one_for_identical_codes():
  codes = jnp.tile(jnp.array([[0.3, -1.2, 2.0]]), (5, 1))
  assert float(losses.pulling_away_term(codes)) == pytest.approx(1.0, abs=1e-6)
  # Parallel and anti-parallel codes are as collapsed as identical ones.
  codes = codes * jnp.array([[1.0], [-2.0], [0.5], [-1.0], [3.0]])
  assert float(losses.pulling_away_term(codes)) == pytest.approx(1.0, abs=1e-6)


def test_pulling_away_term_normalises_by_n_times_n_minus_one():
  # Two identical codes and one orthogonal to them: of the 6 ordered pairs,
  # 2 have cosine 1 and 4 have cosine 0, so PT = 2 / 6 (not 2 / 9 or 2 / 3).
  codes = jnp.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
  assert float(losses.pulling_away_term(codes)) == pytest.approx(1.0 / 3.0, abs=1e-6)
  # 45 degrees between two codes: cos^2 = 1/2.
  assert float(losses.pulling_away_term(jnp.array([[1.0, 0.0], [1.0, 1.0]]))) == (
      pytest.approx(0.5, abs=1e-6))


def test_pulling_away_term_against_the_double_loop():
  s = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
  assert float(losses.pulling_away_term(s)) == pytest.approx(_pt_reference(s), rel=1e-5)


def test_pulling_away_term_guards_zero_codes_and_small_batches():
  codes = jnp.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
  value, grad = jax.value_and_grad(losses.pulling_away_term)(codes)
  # Only the pair (1, 2) and its mirror are parallel: 2 / 6.
  assert float(value) == pytest.approx(1.0 / 3.0, abs=1e-6)
  assert np.isfinite(np.asarray(grad)).all()
  with pytest.raises(ValueError, match="N >= 2"):
    losses.pulling_away_term(jnp.ones((1, 3)))


def test_k_update_moves_by_lambda_times_the_balance_inside():
  k = losses.began_k_update(0.3, 0.8, 0.1, gamma=0.5, lambda_k=0.01)
  # 0.3 + 0.01 * (0.5 * 0.8 - 0.1) = 0.303
  assert float(k) == pytest.approx(0.303, abs=1e-7)
  k = losses.began_k_update(0.3, 0.8, 0.9, gamma=0.5, lambda_k=0.01)
  assert float(k) == pytest.approx(0.3 + 0.01 * (0.4 - 0.9), abs=1e-7)


def test_k_update_clips_at_zero_and_one():
  # From k_0 = 0 with the generator's energy above gamma L(x), k stays at 0.
  assert float(losses.began_k_update(0.0, 0.2, 5.0, gamma=0.5, lambda_k=0.001)) == 0.0
  assert float(losses.began_k_update(0.999, 10.0, 0.0, gamma=1.0, lambda_k=0.1)) == 1.0
  ks = losses.began_k_update(jnp.array([0.0, 0.5, 1.0]), jnp.array([0.0, 0.0, 4.0]),
                             jnp.array([2.0, 2.0, 0.0]), gamma=0.5, lambda_k=1.0)
  np.testing.assert_allclose(ks, [0.0, 0.0, 1.0])


def test_k_update_rejects_gamma_outside_the_unit_interval():
  with pytest.raises(ValueError, match="gamma"):
    losses.began_k_update(0.0, 1.0, 1.0, gamma=1.5, lambda_k=0.001)
  with pytest.raises(ValueError, match="lambda_k"):
    losses.began_k_update(0.0, 1.0, 1.0, gamma=0.5, lambda_k=-0.001)


def test_convergence_measure():
  # 0.8 + |0.5 * 0.8 - 0.1| = 1.1;  at equilibrium (L(G) = gamma L(x)) it is L(x).
  assert float(losses.began_convergence(0.8, 0.1, gamma=0.5)) == pytest.approx(1.1)
  assert float(losses.began_convergence(0.8, 0.4, gamma=0.5)) == pytest.approx(0.8)
  assert float(losses.began_convergence(0.8, 0.7, gamma=0.5)) == pytest.approx(1.1)
