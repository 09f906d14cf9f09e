r"""The two-player GAN family's loss pairs, by name.

compare_gan's ``loss_lib`` idea: a GAN is a choice of loss pair (and of
penalty), not a new file. A :class:`LossPair` has three per-example terms
of the discriminator's (critic's) raw outputs ``d`` (logits or scores):

.. math::

  L_D = \mathbb{E}_{x \sim p^*}[\mathrm{real}(d(x))]
      + \mathbb{E}_{z}[\mathrm{fake}(d(G(z)))], \qquad
  L_G = \mathbb{E}_{z}[\mathrm{generator}(d(G(z)))]

Per-example: no reduction is applied; the caller takes the means.

===========================  ===============================  ========================  ===========================
name                         real(d)                          fake(d)                   generator(d)
===========================  ===============================  ========================  ===========================
``minimax``                  ``softplus(-d)`` = -log D        ``softplus(d)``           ``-softplus(d)`` = log(1-D)
``non_saturating``           ``softplus(-d)``                 ``softplus(d)``           ``softplus(-d)`` = -log D
``least_squares``            ``(d - 1)^2 / 2``                ``d^2 / 2``               ``(d - 1)^2 / 2``
``least_squares_pearson``    ``(d - 1)^2 / 2``                ``(d + 1)^2 / 2``         ``d^2 / 2``
``hinge``                    ``relu(1 - d)``                  ``relu(1 + d)``           ``-d``
``wasserstein``              ``-d``                           ``d``                     ``-d``
``f:<divergence>``           ``-g_f(d)``                      ``f*(g_f(d))``            ``-g_f(d)`` (non-saturating)
===========================  ===============================  ========================  ===========================

What the discriminator's adversarial loss estimates names the pair's metric
(:attr:`LossPair.estimate`): for ``f:<divergence>``, ``-L_D`` is the
variational lower bound on ``D_f(p* || q)`` (``'divergence_estimate'``); for
``wasserstein``, the Kantorovich-Rubinstein dual, an estimate of ``W_1`` for a
1-Lipschitz critic (``'wasserstein_estimate'``).

``least_squares`` is Mao et al.'s 0-1 coding ``(a, b, c) = (0, 1, 1)`` and
``least_squares_pearson`` their ``(-1, 1, 0)`` coding (``b - c = 1``,
``b - a = 2``: the generator then minimises the Pearson chi^2 divergence
between ``p* + q`` and ``2q``); :func:`least_squares_pair` builds any
``(a, b, c)``. ``f:<divergence>`` is any f-divergence of
:data:`gengan_jax.losses.DIVERGENCES`; ``f:gan`` has the terms of
``non_saturating``. :func:`f_divergence_pair` builds the f-GAN pairs whose
generator minimises another divergence than the critic's, or the saturating
form.

References:
  Goodfellow et al. 2014 (minimax, Sec. 3; non-saturating, Sec. 3);
  Mao et al., "Least squares generative adversarial networks", ICCV 2017,
  eq. (2) and Sec. 3.2.1-3.2.2;
  Lim & Ye, "Geometric GAN", 2017, and Miyato et al., "Spectral
  normalization for GANs", ICLR 2018, eq. (16)-(17) (hinge);
  Arjovsky et al. 2017, eq. (3) (Wasserstein);
  Nowozin et al., NeurIPS 2016, eq. (6) and Sec. 3.2 (f-GAN).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gengan_jax.losses import _checks, adversarial
from gengan_jax.losses import f_divergences as fdiv

Term = Callable[[jax.typing.ArrayLike], jax.Array]


@dataclasses.dataclass(frozen=True)
class LossPair:
  """The discriminator's real and fake terms and the generator's term.

  Attributes:
    name: the registry name.
    real: per-example discriminator loss on data outputs.
    fake: per-example discriminator loss on model-sample outputs.
    generator: per-example generator loss on model-sample outputs.
    logits: whether the outputs are logits of ``P(data)`` (``D = sigmoid(d)``).
    estimate: the name of what ``-discriminator_loss`` estimates
      (``'divergence_estimate'``, ``'wasserstein_estimate'``), or ``None``.
    divergence: the f-divergence whose variational bound the critic
      maximises (f-GAN pairs), or ``None``.
  """

  name: str
  real: Term
  fake: Term
  generator: Term
  logits: bool = False
  estimate: str | None = None
  divergence: str | None = None

  def discriminator_loss(self, real_d: jax.typing.ArrayLike,
                         fake_d: jax.typing.ArrayLike) -> jax.Array:
    """The scalar ``mean(real(real_d)) + mean(fake(fake_d))``."""
    return self.real(real_d).mean() + self.fake(fake_d).mean()


def _floats(fn: Term) -> Term:
  def term(d):
    return fn(_checks.as_float_array(d, "d"))
  return term


def least_squares_pair(a: float = 0.0, b: float = 1.0, c: float = 1.0,
                       name: str = "least_squares") -> LossPair:
  r"""Mao et al.'s eq. (2): D pulls data to ``b`` and samples to ``a``; G pushes samples to ``c``.

  .. math::

    L_D = \tfrac12 (d(x) - b)^2 + \tfrac12 (d(G(z)) - a)^2, \qquad
    L_G = \tfrac12 (d(G(z)) - c)^2
  """
  return LossPair(name,
                  real=_floats(lambda d: 0.5 * jnp.square(d - b)),
                  fake=_floats(lambda d: 0.5 * jnp.square(d - a)),
                  generator=_floats(lambda d: 0.5 * jnp.square(d - c)))


def f_divergence_pair(divergence: str, generator_divergence: str | None = None,
                      generator_loss: str = "non_saturating") -> LossPair:
  r"""The f-GAN pair: the critic's variational bound, the generator's side of it.

  The critic's terms are those of :func:`gengan_jax.losses.fgan_critic_loss`
  (minus the bound ``F``), the generator's those of
  :func:`gengan_jax.losses.fgan_generator_loss`:

  .. math::

    \mathrm{real}(v) = -g_f(v), \qquad \mathrm{fake}(v) = f^*(g_f(v)), \qquad
    \mathrm{generator}(v) = -T(v) \;\text{(non-saturating)} \;\text{or}\;
    -h^*(T(v)) \;\text{(saturating)},

  with ``T = g_h(v)`` when the generator's divergence ``h`` is the critic's
  ``f``, and otherwise ``T = h'(r)`` at the ratio the critic implies,
  ``log r = log_ratio_from_critic(v, f)``. ``f_divergence_pair('gan',
  generator_loss='saturating')`` is the ``minimax`` pair.

  Args:
    divergence: the critic's ``f``, one of :data:`gengan_jax.losses.DIVERGENCES`.
    generator_divergence: the generator's ``h`` (default: ``divergence``).
    generator_loss: ``'non_saturating'`` (Sec. 3.2) or ``'saturating'`` (eq. 6).

  Returns:
    The pair, named ``'f:<divergence>'`` (with the generator's choices
    appended where they are not the defaults).

  Raises:
    ValueError: an unknown divergence or ``generator_loss`` (the choices are
      listed), or a total-variation critic with another generator divergence
      (its critic does not estimate the ratio).

  References:
    Nowozin et al., NeurIPS 2016, eq. (6), Sec. 3.2 and Algorithm 1; Mohamed
    & Lakshminarayanan, arXiv:1610.03483, Sec. 3.2 and 3.5.
  """
  fdiv.check_divergence(divergence)
  h = divergence if generator_divergence is None else generator_divergence
  fdiv.check_divergence(h, "generator_divergence")
  if generator_loss not in fdiv.GENERATOR_LOSSES:
    raise ValueError(f"`generator_loss`={generator_loss!r} is invalid; valid choices are "
                     f"{', '.join(repr(f) for f in fdiv.GENERATOR_LOSSES)}.")
  if divergence == "total_variation" and h != divergence:
    raise ValueError(f"`generator_divergence`={h!r} is invalid with a 'total_variation' "
                     "critic: it does not estimate the density ratio; use the same "
                     "divergence for both.")
  name = "f:" + divergence
  if (h, generator_loss) != (divergence, "non_saturating"):
    name += f" (generator: {h}, {generator_loss})"
  return LossPair(
      name,
      real=_floats(lambda d: -fdiv.output_activation(d, divergence)),
      fake=_floats(lambda d: fdiv.conjugate_of_activation(d, divergence)),
      generator=lambda d: fdiv.fgan_generator_loss(d, divergence=h, critic_divergence=divergence,
                                                   form=generator_loss),
      logits=divergence == "gan", estimate="divergence_estimate", divergence=divergence)


LOSS_PAIRS: dict[str, LossPair] = {
    "minimax": LossPair("minimax", real=adversarial.discriminator_real_loss,
                        fake=adversarial.discriminator_fake_loss,
                        generator=adversarial.generator_minimax_loss, logits=True),
    "non_saturating": LossPair("non_saturating", real=adversarial.discriminator_real_loss,
                               fake=adversarial.discriminator_fake_loss,
                               generator=adversarial.generator_non_saturating_loss,
                               logits=True),
    "least_squares": least_squares_pair(0.0, 1.0, 1.0, "least_squares"),
    "least_squares_pearson": least_squares_pair(-1.0, 1.0, 0.0, "least_squares_pearson"),
    "hinge": LossPair("hinge", real=_floats(lambda d: jax.nn.relu(1.0 - d)),
                      fake=_floats(lambda d: jax.nn.relu(1.0 + d)),
                      generator=_floats(lambda d: -d)),
    "wasserstein": LossPair("wasserstein", real=_floats(lambda d: -d), fake=_floats(lambda d: d),
                            generator=_floats(lambda d: -d), estimate="wasserstein_estimate"),
}
LOSS_PAIRS.update({f"f:{div}": f_divergence_pair(div) for div in fdiv.DIVERGENCES})


def loss_pair(name: str) -> LossPair:
  """The pair registered as ``name`` (see the module docstring's table).

  Raises:
    ValueError: unknown ``name``; the message lists the valid ones.
  """
  if name not in LOSS_PAIRS:
    raise ValueError(f"loss={name!r} is not a GAN loss pair; valid choices are "
                     f"{', '.join(repr(k) for k in LOSS_PAIRS)}.")
  return LOSS_PAIRS[name]
