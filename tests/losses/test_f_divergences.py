"""f-divergences: f, f*, g_f, T*, the f-GAN bound and losses, against
numerical conjugates, Gaussian closed forms and quadrature."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from gengan_jax import losses
from tests.losses import gaussians

DIVS = list(losses.DIVERGENCES)

# f in numpy, written from Nowozin et al. (2016), Table 1 (u > 0).
F_NUMPY = {
    "kl": lambda u: u * np.log(u),
    "reverse_kl": lambda u: -np.log(u),
    "pearson": lambda u: (u - 1) ** 2,
    "neyman": lambda u: (1 - u) ** 2 / u,
    "squared_hellinger": lambda u: (np.sqrt(u) - 1) ** 2,
    "jensen_shannon": lambda u: u * np.log(u) - (u + 1) * np.log((u + 1) / 2),
    "gan": lambda u: u * np.log(u) - (u + 1) * np.log(u + 1),
    "total_variation": lambda u: 0.5 * np.abs(u - 1),
}

# Points t inside dom f* whose maximiser u* lies in (0, 100].
T_POINTS = {
    "kl": np.linspace(-3.0, 5.0, 9),
    "reverse_kl": np.linspace(-5.0, -0.01, 9),
    "pearson": np.linspace(-1.9, 6.0, 9),
    "neyman": np.linspace(-5.0, 0.99, 9),
    "squared_hellinger": np.linspace(-5.0, 0.9, 9),
    "jensen_shannon": np.linspace(-5.0, np.log(2) - 0.01, 9),
    "gan": np.linspace(-5.0, -0.01, 9),
    "total_variation": np.linspace(-0.45, 0.45, 9),
}


@pytest.mark.parametrize("name", DIVS)
def test_f_matches_table_and_vanishes_at_one(name):
  u = np.array([0.05, 0.3, 1.0, 2.5, 17.0])
  np.testing.assert_allclose(losses.f_generator(jnp.asarray(u, jnp.float32), name),
                             F_NUMPY[name](u), rtol=1e-5, atol=1e-6)
  # f(1) = 0, except the GAN's f, whose D_f is 2 JS - log 4 (f(1) = -log 4).
  expected = -np.log(4.0) if name == "gan" else 0.0
  assert float(losses.f_generator(1.0, name)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("name", DIVS)
def test_conjugate_is_numerical_sup(name):
  # f*(t) = sup_{u >= 0} t u - f(u), by brute force on a fine grid.
  u = np.concatenate([[1e-12], np.logspace(-8, 2.05, 400_001), [1.0]])
  fu = F_NUMPY[name](u)
  t = T_POINTS[name]
  numeric = np.array([np.max(ti * u - fu) for ti in t])
  got = np.asarray(losses.f_conjugate(jnp.asarray(t, jnp.float32), name))
  np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", DIVS)
def test_conjugate_is_infinite_outside_domain(name):
  lo, hi, closed = losses.conjugate_domain(name)
  outside = [v for v in (lo - 1.0, hi + 1.0) if np.isfinite(v)]
  if outside:
    assert np.all(np.isinf(losses.f_conjugate(jnp.asarray(outside), name)))
  else:  # dom f* = R (kl, pearson): nothing is outside, f* is finite everywhere
    t = jnp.array([-80.0, -10.0, -2.5, 0.0, 10.0, 80.0])
    assert np.all(np.isfinite(losses.f_conjugate(t, name)))
  if closed:
    assert np.all(np.isfinite(losses.f_conjugate(
        jnp.asarray([v for v in (lo, hi) if np.isfinite(v)]), name)))


# How far out f*(g_f(v)) is a float32 number (elsewhere beyond +-1000). kl's
# exp(v - 1) and squared Hellinger's exp(v) - 1 exceed float32's 3.4e38 for v
# above ~88.7, Neyman's 2 - 2 exp(-v / 2) for v below ~-177: there the true
# value cannot be represented, so no formula is finite. (At +-80, the points
# the check used to skip kl and squared Hellinger at, both are finite:
# 2.0e34 and 5.5e34.)
V_FAR = {"kl": (-1000.0, 88.0), "squared_hellinger": (-1000.0, 88.0),
         "neyman": (-170.0, 1000.0)}


@pytest.mark.parametrize("name", DIVS)
def test_activation_lands_in_domain_and_composes(name):
  v = jnp.linspace(-6.0, 6.0, 49)
  t = losses.output_activation(v, name)
  lo, hi, _ = losses.conjugate_domain(name)
  assert np.all((np.asarray(t) >= lo) & (np.asarray(t) <= hi))
  # The closed form f*(g_f(v)) equals the composition of the two pieces.
  np.testing.assert_allclose(losses.conjugate_of_activation(v, name),
                             losses.f_conjugate(t, name), rtol=3e-5, atol=1e-5)
  # And it is finite, and g_f(v) in the domain, far out, where the composition
  # would overflow (squared Hellinger's g_f(80) rounds to 1, where f* is
  # +inf), as far as the value itself is a float32 number.
  v_lo, v_hi = V_FAR.get(name, (-1000.0, 1000.0))
  v_far = jnp.array([v_lo, -80.0, 80.0, v_hi])
  assert np.all(np.isfinite(losses.conjugate_of_activation(v_far, name)))
  t_far = np.asarray(losses.output_activation(v_far, name))
  assert np.all((t_far >= lo) & (t_far <= hi))


@pytest.mark.parametrize("name", [d for d in DIVS if d != "total_variation"])
def test_f_prime_at_one_is_the_derivative(name):
  h = 1e-6
  numeric = (F_NUMPY[name](1 + h) - F_NUMPY[name](1 - h)) / (2 * h)
  assert losses.f_prime_at_one(name) == pytest.approx(numeric, abs=1e-6)
  assert float(losses.optimal_critic(0.0, name)) == pytest.approx(numeric, abs=1e-6)


@pytest.mark.parametrize("name", [d for d in DIVS if d != "total_variation"])
def test_optimal_critic_is_f_prime(name):
  r = np.array([0.1, 0.5, 2.0, 7.0])
  h = 1e-6 * r
  numeric = (F_NUMPY[name](r + h) - F_NUMPY[name](r - h)) / (2 * h)
  np.testing.assert_allclose(losses.optimal_critic(jnp.log(jnp.asarray(r)), name),
                             numeric, rtol=1e-4, atol=1e-5)


# The critic output v* with g_f(v*) = f'(r), written per divergence.
V_STAR = {
    "kl": lambda s: 1 + s,
    "reverse_kl": lambda s: s,
    "pearson": lambda s: 2 * (np.exp(s) - 1),
    "neyman": lambda s: 2 * s,
    "squared_hellinger": lambda s: 0.5 * s,
    "jensen_shannon": lambda s: s,
    "gan": lambda s: s,
}


@pytest.mark.parametrize("name", list(V_STAR))
def test_log_ratio_from_critic_inverts_the_optimal_critic(name):
  s = np.linspace(-2.0, 2.0, 9)
  v = jnp.asarray(V_STAR[name](s), jnp.float32)
  np.testing.assert_allclose(losses.output_activation(v, name),
                             losses.optimal_critic(jnp.asarray(s, jnp.float32), name),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(losses.log_ratio_from_critic(v, name), s, atol=1e-5)


def test_log_ratio_from_total_variation_critic_is_rejected():
  with pytest.raises(ValueError, match="total_variation"):
    losses.log_ratio_from_critic(jnp.zeros(3), "total_variation")


# P = N(0, 1) (data), Q = N(0.7, 1.2^2) (model): every divergence is finite.
P1, Q1 = (0.0, 1.0), (0.7, 1.44)


@pytest.mark.parametrize("name", DIVS)
def test_bound_at_optimal_critic_equals_divergence_1d(name):
  x = np.linspace(-14.0, 14.0, 56_001)
  dx = x[1] - x[0]
  p = stats.norm(P1[0], np.sqrt(P1[1])).pdf(x)
  q = stats.norm(Q1[0], np.sqrt(Q1[1])).pdf(x)
  s = jnp.asarray(gaussians.log_ratio(x, *P1, *Q1), jnp.float32)
  t = losses.optimal_critic(s, name)
  bound = np.sum(p * np.asarray(t, np.float64)) * dx - np.sum(
      q * np.asarray(losses.f_conjugate(t, name), np.float64)) * dx
  expected = gaussians.divergence(name, *P1, *Q1)
  assert bound == pytest.approx(expected, rel=2e-4, abs=2e-4)
  # And the divergence itself, E_q f(p/q), by the same quadrature.
  direct = np.sum(q * np.asarray(losses.f_generator(jnp.exp(s), name), np.float64)) * dx
  assert direct == pytest.approx(expected, rel=2e-4, abs=2e-4)


M0, S0 = np.zeros(2), np.eye(2)
M1, S1 = np.array([0.5, -0.3]), np.diag([1.44, 0.81])


@pytest.mark.parametrize("name", DIVS)
def test_bound_at_optimal_critic_equals_divergence_2d(name):
  # |y| <= 6 keeps Neyman's T* = 1 - 1/r^2 below 1 in float32 (log r < 7 on
  # the grid); |x| <= 14 keeps Neyman's heavy x-tail (q^2/p ~ exp(-0.19 x^2)).
  pts, area, p, q = gaussians.grid_2d(M0, S0, M1, S1, half_width=(14.0, 6.0),
                                      num=(701, 301))
  s = jnp.asarray(gaussians.log_ratio(pts, M0, S0, M1, S1), jnp.float32)
  t = losses.optimal_critic(s, name)
  bound = area * (np.sum(p * np.asarray(t, np.float64))
                  - np.sum(q * np.asarray(losses.f_conjugate(t, name), np.float64)))
  assert bound == pytest.approx(gaussians.divergence(name, M0, S0, M1, S1), rel=1e-3, abs=1e-3)


def test_any_critic_gives_at_most_the_divergence():
  # The bound holds for every T in the domain: perturb T* and it drops.
  x = np.linspace(-14.0, 14.0, 28_001)
  dx = x[1] - x[0]
  p = stats.norm(P1[0], np.sqrt(P1[1])).pdf(x)
  q = stats.norm(Q1[0], np.sqrt(Q1[1])).pdf(x)
  s = jnp.asarray(gaussians.log_ratio(x, *P1, *Q1), jnp.float32)
  for name in ("kl", "gan", "squared_hellinger"):
    real, fake = losses.fgan_critic_loss(jnp.asarray(V_STAR[name](np.asarray(s)) + 0.3 * np.sin(x)),
                                         jnp.asarray(V_STAR[name](np.asarray(s)) + 0.3 * np.sin(x)),
                                         divergence=name)
    bound = -(np.sum(p * np.asarray(real, np.float64)) + np.sum(q * np.asarray(fake, np.float64))) * dx
    assert bound < gaussians.divergence(name, *P1, *Q1) - 1e-3


def test_gan_critic_loss_is_binary_cross_entropy():
  v_real, v_fake = jnp.array([2.0, -1.0, 0.3]), jnp.array([0.5, -4.0])
  real, fake = losses.fgan_critic_loss(v_real, v_fake, divergence="gan")
  np.testing.assert_allclose(real, losses.discriminator_real_loss(v_real), rtol=1e-6)
  np.testing.assert_allclose(fake, losses.discriminator_fake_loss(v_fake), rtol=1e-6)
  ns = losses.fgan_generator_loss(v_fake, divergence="gan")
  np.testing.assert_allclose(ns, losses.generator_non_saturating_loss(v_fake), rtol=1e-6)
  sat = losses.fgan_generator_loss(v_fake, divergence="gan", form="saturating")
  np.testing.assert_allclose(sat, losses.generator_minimax_loss(v_fake), rtol=1e-6)


@pytest.mark.parametrize("critic", list(V_STAR))
@pytest.mark.parametrize("generator", DIVS)
def test_generator_loss_with_another_critic_uses_the_implied_ratio(critic, generator):
  s = np.linspace(-2.0, 2.0, 7)
  v = jnp.asarray(V_STAR[critic](s), jnp.float32)
  t = losses.optimal_critic(jnp.asarray(s, jnp.float32), generator)
  ns = losses.fgan_generator_loss(v, divergence=generator, critic_divergence=critic)
  np.testing.assert_allclose(ns, -np.asarray(t), rtol=1e-4, atol=1e-5)
  sat = losses.fgan_generator_loss(v, divergence=generator, critic_divergence=critic,
                                   form="saturating")
  np.testing.assert_allclose(sat, -np.asarray(losses.f_conjugate(t, generator)),
                             rtol=1e-4, atol=1e-4)


# A closer pair for the trained critics: Neyman chi^2 (int q^2 / p) is
# dominated by the tails of p, where a small critic sees few samples.
Q_TRAIN = (0.5, 1.21)



@pytest.mark.parametrize("name", DIVS)
def test_trained_critic_estimates_the_divergence(name):
  """A small MLP critic, 1,500 Adam steps on fresh samples of P and Q."""
  hidden = 32
  def critic(params, x):
    h = jnp.tanh(x[:, None] * params["w1"] + params["b1"])
    h = jnp.tanh(h @ params["w2"] + params["b2"])
    return h @ params["w3"] + params["b3"]

  k = jax.random.split(jax.random.key(0), 4)
  params = {"w1": jax.random.normal(k[0], (1, hidden)), "b1": jnp.zeros(hidden),
            "w2": jax.random.normal(k[1], (hidden, hidden)) / np.sqrt(hidden),
            "b2": jnp.zeros(hidden), "w3": jnp.zeros(hidden), "b3": jnp.zeros(())}
  opt = optax.adam(3e-3)

  def step(carry, key):
    params, opt_state = carry
    kp, kq = jax.random.split(key)
    xp = P1[0] + np.sqrt(P1[1]) * jax.random.normal(kp, (512,))
    xq = Q_TRAIN[0] + np.sqrt(Q_TRAIN[1]) * jax.random.normal(kq, (512,))

    def loss_fn(pr):
      real, fake = losses.fgan_critic_loss(critic(pr, xp), critic(pr, xq), divergence=name)
      return real.mean() + fake.mean()

    grads = jax.grad(loss_fn)(params)
    updates, opt_state = opt.update(grads, opt_state)
    return (optax.apply_updates(params, updates), opt_state), None

  (params, _), _ = jax.jit(lambda c, ks: jax.lax.scan(step, c, ks))(
      (params, opt.init(params)), jax.random.split(jax.random.key(1), 1500))
  # Evaluate the bound of the trained critic by quadrature (no sampling noise).
  x = np.linspace(-10.0, 10.0, 8001)
  dx = x[1] - x[0]
  p = stats.norm(P1[0], np.sqrt(P1[1])).pdf(x)
  q = stats.norm(Q_TRAIN[0], np.sqrt(Q_TRAIN[1])).pdf(x)
  real, fake = losses.fgan_critic_loss(critic(params, jnp.asarray(x, jnp.float32)),
                                       critic(params, jnp.asarray(x, jnp.float32)),
                                       divergence=name)
  estimate = -(np.sum(p * np.asarray(real, np.float64)) + np.sum(q * np.asarray(fake, np.float64))) * dx
  expected = gaussians.divergence(name, *P1, *Q_TRAIN)
  # Tolerance: 0.015 + 3% (measured errors: 0.0003-0.009, Neyman largest).
  assert abs(estimate - expected) < 0.015 + 0.03 * abs(expected), (estimate, expected)


def test_errors_name_the_argument_and_choices():
  with pytest.raises(ValueError, match=r"`divergence`='chi2'.*'kl'.*'total_variation'"):
    losses.f_conjugate(jnp.zeros(2), "chi2")
  with pytest.raises(ValueError, match="`critic_divergence`='nope'"):
    losses.fgan_generator_loss(jnp.zeros(2), divergence="kl", critic_divergence="nope")
  with pytest.raises(ValueError, match="`form`='minimax'.*'non_saturating'"):
    losses.fgan_generator_loss(jnp.zeros(2), divergence="kl", form="minimax")
  with pytest.raises(ValueError, match="critic_divergence`='total_variation'"):
    losses.fgan_generator_loss(jnp.zeros(2), divergence="kl",
                               critic_divergence="total_variation")
  with pytest.raises(TypeError, match="floating"):
    losses.fgan_critic_loss(jnp.zeros(2, jnp.int32), jnp.zeros(2), divergence="kl")


def test_jit_and_vmap():
  v = jnp.linspace(-2, 2, 12).reshape(3, 4)
  f = jax.jit(lambda a: losses.fgan_critic_loss(a, a, divergence="neyman"))
  real, fake = jax.vmap(f)(v)
  r2, f2 = losses.fgan_critic_loss(v, v, divergence="neyman")
  np.testing.assert_allclose(real, r2, rtol=1e-6)
  np.testing.assert_allclose(fake, f2, rtol=1e-6)
