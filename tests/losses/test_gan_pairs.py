"""The GAN loss pairs: hand-derived values, population minimisers, relations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import losses
from gengan_jax.losses import f_divergences as fdiv

D = np.array([-3.0, -0.5, 0.0, 0.7, 2.5], np.float32)


def _softplus(x):
  return np.log1p(np.exp(x))


HAND = {  # (real, fake, generator), numpy, from the module docstring's table
    "minimax": (_softplus(-D), _softplus(D), -_softplus(D)),
    "non_saturating": (_softplus(-D), _softplus(D), _softplus(-D)),
    "least_squares": (0.5 * (D - 1) ** 2, 0.5 * D ** 2, 0.5 * (D - 1) ** 2),
    "least_squares_pearson": (0.5 * (D - 1) ** 2, 0.5 * (D + 1) ** 2, 0.5 * D ** 2),
    "hinge": (np.maximum(0, 1 - D), np.maximum(0, 1 + D), -D),
    "wasserstein": (-D, D, -D),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_terms_match_hand_formulas(name):
  pair = losses.loss_pair(name)
  for term, want in zip((pair.real, pair.fake, pair.generator), HAND[name]):
    np.testing.assert_allclose(term(D), want, rtol=1e-6, atol=1e-6)
  np.testing.assert_allclose(pair.discriminator_loss(D, D[::-1]),
                             HAND[name][0].mean() + HAND[name][1][::-1].mean(), rtol=1e-6)


def test_minimax_and_non_saturating_agree_with_the_adversarial_losses():
  ns, mm = losses.loss_pair("non_saturating"), losses.loss_pair("minimax")
  np.testing.assert_array_equal(ns.real(D), losses.discriminator_real_loss(D))
  np.testing.assert_array_equal(ns.fake(D), losses.discriminator_fake_loss(D))
  np.testing.assert_array_equal(ns.generator(D), losses.generator_non_saturating_loss(D))
  np.testing.assert_allclose(mm.generator(D), losses.generator_minimax_loss(D), rtol=1e-6)


def _population_minimiser(pair, p, q):
  """argmin_d p * real(d) + q * fake(d) on a fine grid (the optimal D at a point)."""
  grid = jnp.linspace(-6.0, 6.0, 240001)
  risk = p * pair.real(grid) + q * pair.fake(grid)
  return float(grid[jnp.argmin(risk)])


@pytest.mark.parametrize("p,q", [(0.7, 0.3), (0.2, 0.8), (0.5, 0.5)])
def test_population_minimisers(p, q):
  log_ratio = np.log(p / q)
  for name in ("minimax", "non_saturating", "f:gan"):
    assert _population_minimiser(losses.loss_pair(name), p, q) == pytest.approx(
        log_ratio, abs=1e-3), name
  for name, (a, b) in {"least_squares": (0, 1), "least_squares_pearson": (-1, 1)}.items():
    # Mao et al., Prop. 1: D*(x) = (b p* + a q) / (p* + q).
    assert _population_minimiser(losses.loss_pair(name), p, q) == pytest.approx(
        (b * p + a * q) / (p + q), abs=1e-3), name
  if p != q:  # hinge: the Bayes classifier's sign at margin 1.
    assert _population_minimiser(losses.loss_pair("hinge"), p, q) == pytest.approx(
        np.sign(p - q), abs=1e-3)


@pytest.mark.parametrize("divergence", [d for d in losses.DIVERGENCES if d != "total_variation"])
def test_f_pairs_optimal_critic_reads_off_the_log_ratio(divergence):
  """At the pair's population minimiser d*, log_ratio_from_critic(d*) = log(p/q)
  (Nowozin et al.: T* = f'(p/q))."""
  pair = losses.loss_pair("f:" + divergence)
  for p, q in [(0.7, 0.3), (0.35, 0.65)]:
    d_star = _population_minimiser(pair, p, q)
    got = float(fdiv.log_ratio_from_critic(jnp.float32(d_star), divergence))
    assert got == pytest.approx(np.log(p / q), abs=5e-3), (divergence, p, q, d_star)


def test_f_gan_pair_has_the_non_saturating_terms():
  f, ns = losses.loss_pair("f:gan"), losses.loss_pair("non_saturating")
  for a, b in ((f.real, ns.real), (f.fake, ns.fake), (f.generator, ns.generator)):
    np.testing.assert_allclose(a(D), b(D), rtol=1e-5, atol=1e-6)
  real, fake = losses.fgan_critic_loss(D, D, divergence="kl")
  kl = losses.loss_pair("f:kl")
  np.testing.assert_array_equal(kl.real(D), real)
  np.testing.assert_array_equal(kl.fake(D), fake)


def test_every_divergence_has_a_pair_and_unknown_names_list_the_choices():
  assert {"f:" + d for d in losses.DIVERGENCES} <= set(losses.LOSS_PAIRS)
  with pytest.raises(ValueError, match=r"loss='lsgan'.*'least_squares'.*'hinge'"):
    losses.loss_pair("lsgan")
  with pytest.raises(TypeError):
    losses.loss_pair("hinge").real(np.array([1, 2]))


def test_pairs_are_per_example_and_jittable():
  for name, pair in losses.LOSS_PAIRS.items():
    out = jax.jit(jax.vmap(pair.generator))(D)
    assert out.shape == D.shape, name


def _critic(x):
  return jnp.sum(jnp.sin(x) * jnp.array([1.0, -2.0]), axis=-1) + jnp.sum(x ** 2, -1)


@pytest.mark.parametrize("name", losses.PENALTIES)
def test_penalty_registry_is_the_penalty_functions(name):
  rng = np.random.default_rng(0)
  real, fake = (jnp.asarray(rng.normal(size=(6, 2)), jnp.float32) for _ in range(2))
  key = jax.random.key(3)
  got = losses.penalty_terms(name, _critic, real, fake, key, target_norm=0.5)
  want = {
      "none": lambda: jnp.zeros(6),
      "wgan_gp": lambda: losses.gradient_penalty(_critic, real, fake, key, target_norm=0.5),
      "wgan_gp_one_sided": lambda: losses.gradient_penalty(_critic, real, fake, key,
                                                           target_norm=0.5, one_sided=True),
      "dragan": lambda: losses.dragan_penalty(_critic, real, key, target_norm=0.5),
      "r1": lambda: losses.r1_penalty(_critic, real),
      "r2": lambda: losses.r2_penalty(_critic, fake),
  }[name]()
  np.testing.assert_array_equal(got, want)
  assert got.shape == (6,)
  if name != "none":
    assert float(got.max()) > 0


def test_unknown_penalty_lists_the_choices():
  with pytest.raises(ValueError, match=r"penalty='gp'.*'wgan_gp'.*'r2'"):
    losses.penalty_terms("gp", _critic, jnp.ones((2, 2)), jnp.ones((2, 2)), None)


# f_divergence_pair(critic, generator, form).generator in closed form: with the
# same divergence -g_f(v) or -f*(g_f(v)); with another one, log r read off the
# critic (v for gan, v - 1 for kl, v / 2 for neyman) and -h'(r) or -h*(h'(r)).
F_GENERATORS = {
    ("gan", "gan", "saturating"): -_softplus(D),  # log(1 - D): the minimax generator
    ("kl", "kl", "non_saturating"): -D,
    ("kl", "kl", "saturating"): -np.exp(D - 1),
    ("gan", "reverse_kl", "non_saturating"): np.exp(-D),  # -h'(r) = 1/r, r = e^v
    ("gan", "reverse_kl", "saturating"): 1 - D,  # -(log r - 1)
    ("gan", "kl", "non_saturating"): -(1 + D),  # -(1 + log r)
    ("kl", "gan", "non_saturating"): _softplus(-(D - 1)),  # -log(r / (1 + r))
    ("neyman", "pearson", "saturating"): -np.expm1(D),  # -(r^2 - 1), r = e^(v/2)
}


@pytest.mark.parametrize("critic, generator, form", sorted(F_GENERATORS))
def test_f_divergence_pair_generator_closed_forms(critic, generator, form):
  pair = losses.f_divergence_pair(critic, generator, form)
  np.testing.assert_allclose(pair.generator(D), F_GENERATORS[critic, generator, form],
                             rtol=1e-5, atol=1e-6)
  # The critic's terms are the f-GAN critic's, whatever the generator does.
  real, fake = losses.fgan_critic_loss(D, D, divergence=critic)
  np.testing.assert_array_equal(pair.real(D), real)
  np.testing.assert_array_equal(pair.fake(D), fake)
  assert pair.divergence == critic and pair.estimate == "divergence_estimate"


def test_f_divergence_pair_defaults_are_the_registered_pair_and_saturating_gan_is_minimax():
  for div in losses.DIVERGENCES:
    made, registered = losses.f_divergence_pair(div), losses.loss_pair("f:" + div)
    assert made.name == registered.name == "f:" + div
    np.testing.assert_array_equal(made.generator(D), registered.generator(D))
  sat = losses.f_divergence_pair("gan", generator_loss="saturating")
  np.testing.assert_allclose(sat.generator(D), losses.loss_pair("minimax").generator(D),
                             rtol=1e-6, atol=1e-6)
  assert sat.name == "f:gan (generator: gan, saturating)"


def test_f_divergence_pair_errors_name_the_choices():
  with pytest.raises(ValueError, match=r"`generator_divergence`='chi'.*'kl'"):
    losses.f_divergence_pair("kl", "chi")
  with pytest.raises(ValueError, match=r"`generator_loss`='minimax'.*'saturating'"):
    losses.f_divergence_pair("kl", generator_loss="minimax")
  with pytest.raises(ValueError, match=r"'total_variation' critic"):
    losses.f_divergence_pair("total_variation", "kl")


def test_estimates_are_the_negated_adversarial_loss():
  """-L_D of an f pair is the variational bound; of wasserstein, the KR dual."""
  from gengan_jax import ratio  # pylint: disable=g-import-not-at-top
  real_d, fake_d = D, D[::-1] * 0.5 - 0.2
  for div in losses.DIVERGENCES:
    pair = losses.loss_pair("f:" + div)
    np.testing.assert_array_equal(-pair.discriminator_loss(real_d, fake_d),
                                  ratio.variational_estimate(real_d, fake_d, divergence=div))
  w = losses.loss_pair("wasserstein")
  assert w.estimate == "wasserstein_estimate"
  np.testing.assert_allclose(-w.discriminator_loss(real_d, fake_d),
                             real_d.mean() - fake_d.mean(), rtol=1e-6)
  assert {n for n, p in losses.LOSS_PAIRS.items() if p.estimate} == (
      {"wasserstein"} | {"f:" + d for d in losses.DIVERGENCES})
  assert {n for n, p in losses.LOSS_PAIRS.items() if p.logits} == {
      "minimax", "non_saturating", "f:gan"}
