r"""Adversarial (GAN) losses on discriminator logits and critic scores.

All functions are pure and elementwise: they return one value per example
(per element of the input) and never reduce; the caller takes the mean (or
sum) over the batch. Binary-discriminator losses take *logits* ``l`` with
``D = sigmoid(l)`` and are written with ``softplus`` so they stay finite for
any ``|l|``:

.. math::

  -\log D = \mathrm{softplus}(-l), \qquad
  -\log(1 - D) = \mathrm{softplus}(l), \qquad
  \log \frac{D}{1 - D} = l.

Wasserstein losses take unbounded critic *scores* ``f(x)``.
"""

from __future__ import annotations

import jax

from gengan_jax.losses import _checks

__all__ = [
    "discriminator_real_loss",
    "discriminator_fake_loss",
    "generator_minimax_loss",
    "generator_non_saturating_loss",
    "generator_log_ratio_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]


def discriminator_real_loss(logits: jax.typing.ArrayLike) -> jax.Array:
  r"""Discriminator loss on real data, ``-log D(x)``, from logits.

  The real-data half of the (negated) GAN value function: the discriminator
  minimises ``discriminator_real_loss(l_real)`` plus
  ``discriminator_fake_loss(l_fake)`` (the binary cross-entropy with label 1
  for real, 0 for fake).

  .. math::

    \ell(l) = -\log \sigma(l) = \mathrm{softplus}(-l)

  Per-example: no reduction is applied; the caller reduces.

  Args:
    logits: discriminator logits on real examples, any shape, e.g. ``[B]``
      or ``[B, 1]``; ``D = sigmoid(logits)``.

  Returns:
    Per-example losses, same shape and dtype as ``logits``.

  References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, eq. (1)
    (the term ``E_x[log D(x)]``, negated).
  """
  logits = _checks.as_float_array(logits, "logits")
  return jax.nn.softplus(-logits)


def discriminator_fake_loss(logits: jax.typing.ArrayLike) -> jax.Array:
  r"""Discriminator loss on generated data, ``-log(1 - D(G(z)))``, from logits.

  .. math::

    \ell(l) = -\log(1 - \sigma(l)) = \mathrm{softplus}(l)

  Per-example: no reduction is applied; the caller reduces.

  Args:
    logits: discriminator logits on generated examples, any shape, e.g.
      ``[B]``; ``D = sigmoid(logits)``.

  Returns:
    Per-example losses, same shape and dtype as ``logits``.

  References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, eq. (1)
    (the term ``E_z[log(1 - D(G(z)))]``, negated).
  """
  logits = _checks.as_float_array(logits, "logits")
  return jax.nn.softplus(logits)


def generator_minimax_loss(logits: jax.typing.ArrayLike) -> jax.Array:
  r"""Saturating (minimax) generator loss, ``log(1 - D(G(z)))``, from logits.

  The generator minimises the value function of the original minimax game.
  Its gradient vanishes when the discriminator confidently rejects samples
  (``l -> -inf``), hence "saturating"; prefer
  :func:`generator_non_saturating_loss` in practice.

  .. math::

    \ell(l) = \log(1 - \sigma(l)) = -\mathrm{softplus}(l)

  Per-example: no reduction is applied; the caller reduces. The value is
  always ``<= 0``.

  Args:
    logits: discriminator logits on generated examples, any shape, e.g.
      ``[B]``; ``D = sigmoid(logits)``.

  Returns:
    Per-example losses, same shape and dtype as ``logits``.

  References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, eq. (1).
  """
  logits = _checks.as_float_array(logits, "logits")
  return -jax.nn.softplus(logits)


def generator_non_saturating_loss(logits: jax.typing.ArrayLike) -> jax.Array:
  r"""Non-saturating generator loss, ``-log D(G(z))``, from logits.

  .. math::

    \ell(l) = -\log \sigma(l) = \mathrm{softplus}(-l)

  Per-example: no reduction is applied; the caller reduces.

  Args:
    logits: discriminator logits on generated examples, any shape, e.g.
      ``[B]``; ``D = sigmoid(logits)``.

  Returns:
    Per-example losses, same shape and dtype as ``logits``.

  References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Section 3
    (text after eq. (1): "train G to maximize log D(G(z))").
  """
  logits = _checks.as_float_array(logits, "logits")
  return jax.nn.softplus(-logits)


def generator_log_ratio_loss(logits: jax.typing.ArrayLike) -> jax.Array:
  r"""Log-density-ratio generator/encoder loss of alpha-GAN, from logits.

  A discriminator trained with the binary cross-entropy estimates the density
  ratio ``p*(x) / p_theta(x) ~= D / (1 - D) = exp(l)``. alpha-GAN trains the
  generator (on data) and the encoder (on codes) to minimise ``-log`` of this
  ratio estimate, which sums the saturating and non-saturating losses:

  .. math::

    \ell(l) = -\log D + \log(1 - D) = -\log \frac{D}{1 - D} = -l

  Per-example: no reduction is applied; the caller reduces. The identity is
  exact, so the result is finite and its gradient is ``-1`` for every logit.

  Args:
    logits: discriminator (or code-discriminator) logits on generated
      examples (or encoder codes), any shape, e.g. ``[B]``.

  Returns:
    Per-example losses, same shape and dtype as ``logits``.

  References:
    Rosca et al., "Variational Approaches for Auto-Encoding Generative
    Adversarial Networks", arXiv:1706.04987, 2017, Algorithm 1 (the
    ``-log(D/(1-D))`` and ``-log(C/(1-C))`` terms of the generator and
    encoder losses).
  """
  logits = _checks.as_float_array(logits, "logits")
  return -logits


def wasserstein_critic_loss(
    real_scores: jax.typing.ArrayLike, fake_scores: jax.typing.ArrayLike
) -> jax.Array:
  r"""Wasserstein critic loss ``f(x_fake) - f(x_real)``, per example pair.

  The critic maximises the Kantorovich-Rubinstein dual
  ``E[f(x_real)] - E[f(x_fake)]``, i.e. minimises its negation. Pairing the
  ``i``-th real with the ``i``-th fake example gives a per-example loss whose
  batch mean is the usual minibatch estimate. Add a Lipschitz constraint
  separately (e.g. :func:`gengan_jax.losses.gradient_penalty`).

  .. math::

    \ell_i = f(\tilde x_i) - f(x_i)

  Per-example: no reduction is applied; the caller reduces.

  Args:
    real_scores: critic scores ``f(x)`` on real examples, shape ``[B]`` (any
      shape is accepted, elementwise).
    fake_scores: critic scores ``f(x_tilde)`` on generated examples; must have
      exactly the shape of ``real_scores`` (no broadcasting).

  Returns:
    Per-example losses ``fake_scores - real_scores``, shape ``[B]``.

  Raises:
    ValueError: if the two shapes differ (both are named in the message).

  References:
    Arjovsky et al., "Wasserstein GAN", ICML 2017, eq. (3) and Algorithm 1.
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    eq. (3) and Algorithm 1 (the critic loss without its penalty term).
  """
  real_scores = _checks.as_float_array(real_scores, "real_scores")
  fake_scores = _checks.as_float_array(fake_scores, "fake_scores")
  _checks.check_same_shape(
      real_scores, fake_scores, "real_scores", "fake_scores"
  )
  return fake_scores - real_scores


def wasserstein_generator_loss(fake_scores: jax.typing.ArrayLike) -> jax.Array:
  r"""Wasserstein generator loss ``-f(G(z))``.

  .. math::

    \ell_i = -f(G(z_i))

  Per-example: no reduction is applied; the caller reduces.

  Args:
    fake_scores: critic scores on generated examples, any shape, e.g. ``[B]``.

  Returns:
    Per-example losses, same shape as ``fake_scores``.

  References:
    Arjovsky et al., "Wasserstein GAN", ICML 2017, Algorithm 1.
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017,
    Algorithm 1.
  """
  fake_scores = _checks.as_float_array(fake_scores, "fake_scores")
  return -fake_scores
