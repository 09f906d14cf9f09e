"""metrics.quadrature against closed forms: Gaussian pairs, and a Gaussian
against mixtures (TV, Pearson chi^2, differences of KL), and the library's f."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from gengan_jax import losses
from gengan_jax.metrics import quadrature
from tests.losses import gaussians


def _gaussian(mean, scale):
  return ([1.0], [mean], [scale])


@pytest.mark.parametrize("name", losses.DIVERGENCES)
def test_a_gaussian_pair_matches_the_closed_form(name):
  # P = N(0, 1), Q = N(0.7, 1.2^2): every divergence finite (Pearson needs
  # var_q > var_p / 2, Neyman var_p > var_q / 2). The reference is a closed form
  # (KL, chi^2, Hellinger) or scipy's adaptive quadrature (JS, GAN, TV).
  value = quadrature.gaussian_mixture_f_divergence(_gaussian(0.0, 1.0), _gaussian(0.7, 1.2),
                                                   divergence=name)
  expected = gaussians.divergence(name, 0.0, 1.0, 0.7, 1.2 ** 2)
  # scipy's quad stops at 1.5e-8; |p - q| has kinks, where the sum converges as cell^2.
  tolerance = {"jensen_shannon": 1e-7, "gan": 1e-7, "total_variation": 1e-5}.get(name, 1e-9)
  assert value == pytest.approx(expected, rel=tolerance, abs=tolerance)


def _mixture_expected_log_normal(p, mean, scale):
  """E_P[log N(x; mean, scale^2)] for a mixture P: closed form in its moments."""
  w, m, s = (np.asarray(a, float) for a in p)
  return float(np.sum(w * (-0.5 * np.log(2 * np.pi * scale ** 2)
                           - ((m - mean) ** 2 + s ** 2) / (2 * scale ** 2))))


BIMODAL = ([0.3, 0.7], [-2.0, 2.5], [0.5, 0.8])


def test_kl_to_gaussians_differs_by_the_cross_entropy_and_is_least_at_the_moments():
  # KL(P || Q1) - KL(P || Q2) = E_P[log q2] - E_P[log q1]: the entropy of the
  # mixture (no closed form) cancels, the rest is closed form.
  q1, q2 = (0.4, 1.3), (-1.0, 3.0)
  kl1, kl2 = (quadrature.gaussian_mixture_f_divergence(BIMODAL, _gaussian(*q), divergence="kl")
              for q in (q1, q2))
  expected = _mixture_expected_log_normal(BIMODAL, *q2) - _mixture_expected_log_normal(BIMODAL, *q1)
  assert kl1 - kl2 == pytest.approx(expected, abs=1e-9)
  # So KL(P || N(mu, sigma^2)) is least at P's mean and standard deviation.
  w, m, s = (np.asarray(a) for a in BIMODAL)
  mean = np.sum(w * m)
  sd = np.sqrt(np.sum(w * (s ** 2 + m ** 2)) - mean ** 2)
  best = quadrature.gaussian_mixture_f_divergence(BIMODAL, _gaussian(mean, sd), divergence="kl")
  for dm, ds in ((0.05, 0.0), (-0.05, 0.0), (0.0, 0.05), (0.0, -0.05)):
    assert quadrature.gaussian_mixture_f_divergence(
        BIMODAL, _gaussian(mean + dm, sd + ds), divergence="kl") > best + 1e-4


def test_total_variation_to_one_of_the_components():
  # P = w N(a, s^2) + (1 - w) N(b, s^2), Q = N(a, s^2): p - q = (1 - w)(N_b - N_a),
  # TV = (1 - w) (2 Phi(|a - b| / 2s) - 1).
  p = ([0.3, 0.7], [-1.0, 0.5], [0.6, 0.6])
  # |p - q| has a kink where p = q, so the sum's error falls as cell^2: 10 times
  # the points, 100 times less error (measured: 1.7e-5, then 1.7e-7).
  expected = 0.7 * (2 * special.ndtr(1.5 / 1.2) - 1)
  for points_per_scale, tolerance in ((40, 3e-5), (400, 3e-7)):
    value = quadrature.gaussian_mixture_f_divergence(
        p, _gaussian(-1.0, 0.6), divergence="total_variation", points_per_scale=points_per_scale)
    assert value == pytest.approx(expected, abs=tolerance)


def _product_integral(a, sa, b, sb, c, sc):
  """int N(x; a, sa^2) N(x; b, sb^2) / N(x; c, sc^2) dx (a Gaussian integral)."""
  lam = 1 / sa ** 2 + 1 / sb ** 2 - 1 / sc ** 2
  eta = a / sa ** 2 + b / sb ** 2 - c / sc ** 2
  kappa = a ** 2 / sa ** 2 + b ** 2 / sb ** 2 - c ** 2 / sc ** 2
  return sc / (sa * sb) / np.sqrt(lam) * np.exp(0.5 * (eta ** 2 / lam - kappa))


def test_pearson_of_a_mixture_is_a_sum_of_gaussian_integrals_and_inf_when_it_diverges():
  # chi^2(P || Q) = int p^2 / q - 1 = sum_ij w_i w_j int N_i N_j / q - 1.
  q = _gaussian(0.5, 2.0)
  expected = sum(BIMODAL[0][i] * BIMODAL[0][j] * _product_integral(
      BIMODAL[1][i], BIMODAL[2][i], BIMODAL[1][j], BIMODAL[2][j], 0.5, 2.0)
                 for i in range(2) for j in range(2)) - 1
  value = quadrature.gaussian_mixture_f_divergence(BIMODAL, q, divergence="pearson")
  assert value == pytest.approx(expected, rel=1e-9)
  # Neyman's is Pearson's with P and Q swapped; chi^2(P || Q) diverges when
  # Q's tails are too light: sd_q^2 <= sd_p^2 / 2 (0.8^2 / 2 = 0.32).
  assert quadrature.gaussian_mixture_f_divergence(q, BIMODAL, divergence="neyman") == (
      pytest.approx(value, rel=1e-9))
  assert quadrature.gaussian_mixture_f_divergence(BIMODAL, _gaussian(0.0, 0.5),
                                                  divergence="pearson") == np.inf
  assert np.isfinite(quadrature.gaussian_mixture_f_divergence(BIMODAL, _gaussian(0.0, 0.6),
                                                              divergence="pearson"))


def test_identities_between_the_divergences_of_a_mixture_and_a_gaussian():
  q = _gaussian(1.9, 0.45)  # far in the tail of P's left mode: log ratios ~ -30
  d = {name: quadrature.gaussian_mixture_f_divergence(BIMODAL, q, divergence=name)
       for name in losses.DIVERGENCES}
  swapped = {name: quadrature.gaussian_mixture_f_divergence(q, BIMODAL, divergence=name)
             for name in ("kl", "jensen_shannon")}
  assert d["reverse_kl"] == pytest.approx(swapped["kl"], rel=1e-12)
  assert d["jensen_shannon"] == pytest.approx(swapped["jensen_shannon"], rel=1e-9)
  assert d["gan"] == pytest.approx(d["jensen_shannon"] - np.log(4.0), rel=1e-9)
  # The bounds: 0 < TV < 1, 0 < H^2 < 2, JS <= TV log 2 (Lin 1991, Theorem 3;
  # `jensen_shannon` is 2 JS) and Pinsker's TV <= sqrt(KL / 2), both ways round.
  assert 0 < d["total_variation"] < 1 and 0 < d["squared_hellinger"] < 2
  assert 0 < d["jensen_shannon"] / 2 <= d["total_variation"] * np.log(2)
  assert d["total_variation"] <= np.sqrt(min(d["kl"], d["reverse_kl"]) / 2)


@pytest.mark.parametrize("name", losses.DIVERGENCES)
def test_the_integrand_is_q_times_the_library_f_of_the_ratio(name):
  # On a grid where the ratio stays moderate, the sum equals cell * sum q f(p / q)
  # with losses.f_generator: the same convention (2 JS, 2 JS - log 4, ...).
  x = np.linspace(-3.0, 3.0, 601)
  log_p = quadrature.gaussian_mixture_log_density(x, *BIMODAL)
  log_q = quadrature.gaussian_mixture_log_density(x, [1.0], [0.3], [1.5])
  f = np.asarray(jax.jit(losses.f_generator, static_argnums=1)(
      jnp.asarray(np.exp(log_p - log_q), jnp.float32), name), np.float64)
  expected = 0.01 * np.sum(np.exp(log_q) * f)
  value = quadrature.f_divergence_on_grid(log_p, log_q, 0.01, divergence=name)
  assert value == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_a_batch_of_gaussians_at_once_and_the_mixture_log_density():
  x = np.linspace(-25.0, 25.0, 5001)  # 11 sd of N(-2, 2^2) below, 28 above
  log_p = quadrature.gaussian_mixture_log_density(x, *BIMODAL)
  # The log density is the mixture's, written out, and finite far in the tails.
  expected = np.log(0.3 * np.exp(-0.5 * ((x + 2) / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi))
                    + 0.7 * np.exp(-0.5 * ((x - 2.5) / 0.8) ** 2) / (0.8 * np.sqrt(2 * np.pi)))
  inside = np.abs(x) < 6
  np.testing.assert_allclose(log_p[inside], expected[inside], rtol=1e-12)
  assert np.all(np.isfinite(log_p))
  means, scales = np.array([[0.0], [1.0], [-2.0]]), np.array([[1.0], [0.7], [2.0]])
  log_q = quadrature.gaussian_mixture_log_density(x, np.ones((3, 1)), means, scales)
  assert log_q.shape == (3, 5001)
  batch = quadrature.f_divergence_on_grid(log_p, log_q, 0.01, divergence="reverse_kl")
  one_by_one = [quadrature.gaussian_mixture_f_divergence(
      BIMODAL, _gaussian(m, s), divergence="reverse_kl") for m, s in zip(means[:, 0], scales[:, 0])]
  np.testing.assert_allclose(batch, one_by_one, rtol=1e-9)


def test_log_space_keeps_what_exp_would_lose():
  # p = e^-1000 and q = e^-2000 both underflow, but (p - q)^2 / q = e^0 does not;
  # where q is exactly 0 and p is not, chi^2 and KL are infinite; where both are, 0.
  log_p, log_q = np.array([-1000.0, 0.0, -np.inf]), np.array([-2000.0, -np.inf, -np.inf])
  terms = [quadrature.f_divergence_on_grid(log_p[i:i + 1], log_q[i:i + 1], 1.0, divergence=d)
           for d in ("pearson", "kl") for i in range(3)]
  np.testing.assert_allclose(terms, [1.0, np.inf, 0.0, 0.0, np.inf, 0.0], rtol=1e-12)

def test_invalid_arguments_are_named():
  q = _gaussian(0.0, 1.0)
  with pytest.raises(ValueError, match="'kullback'"):
    quadrature.gaussian_mixture_f_divergence(BIMODAL, q, divergence="kullback")
  with pytest.raises(ValueError, match="p.weights"):
    quadrature.gaussian_mixture_f_divergence(([0.5, 0.6], [0, 1], [1, 1]), q, divergence="kl")
  with pytest.raises(ValueError, match="q.scales"):
    quadrature.gaussian_mixture_f_divergence(BIMODAL, ([1.0], [0.0], [0.0]), divergence="kl")
  with pytest.raises(ValueError, match="cell"):
    quadrature.f_divergence_on_grid(np.zeros(3), np.zeros(3), 0.0, divergence="kl")
  with pytest.raises(ValueError, match="log_q"):
    quadrature.f_divergence_on_grid(np.zeros(3), np.full(3, np.nan), 0.1, divergence="kl")
  with pytest.raises(ValueError, match="points"):
    quadrature.gaussian_mixture_f_divergence(([1.0], [0.0], [1e-6]), ([1.0], [0.0], [10.0]),
                                             divergence="kl")
