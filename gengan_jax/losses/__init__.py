"""Pure loss functions for GANs, VAEs and their hybrids.

Every function is pure and jit/vmap/grad-compatible. Losses return per-example
values (shape ``[B]`` or the input's shape for elementwise losses) and never
reduce over the batch: the caller takes the mean. The exceptions are the
minibatch statistics :func:`empirical_kl` (a scalar) and
:func:`empirical_kl_per_dimension` (shape ``[K]``), which describe a whole
batch and have no per-example value. Binary-discriminator losses take logits.

Modules:

* :mod:`~gengan_jax.losses.adversarial` -- GAN and Wasserstein losses.
* :mod:`~gengan_jax.losses.penalties` -- WGAN-GP gradient penalty.
* :mod:`~gengan_jax.losses.reconstruction` -- L1, squared L2, cosine.
* :mod:`~gengan_jax.losses.kl` -- analytic Gaussian KL, minibatch KL fits.
"""

from gengan_jax.losses.adversarial import discriminator_fake_loss
from gengan_jax.losses.adversarial import discriminator_real_loss
from gengan_jax.losses.adversarial import generator_log_ratio_loss
from gengan_jax.losses.adversarial import generator_minimax_loss
from gengan_jax.losses.adversarial import generator_non_saturating_loss
from gengan_jax.losses.adversarial import wasserstein_critic_loss
from gengan_jax.losses.adversarial import wasserstein_generator_loss
from gengan_jax.losses.kl import empirical_kl
from gengan_jax.losses.kl import empirical_kl_per_dimension
from gengan_jax.losses.kl import gaussian_kl
from gengan_jax.losses.penalties import gradient_norm_penalty
from gengan_jax.losses.penalties import gradient_penalty
from gengan_jax.losses.penalties import interpolate
from gengan_jax.losses.reconstruction import cosine_distance
from gengan_jax.losses.reconstruction import l1_reconstruction
from gengan_jax.losses.reconstruction import l2_reconstruction

__all__ = [
    "cosine_distance",
    "discriminator_fake_loss",
    "discriminator_real_loss",
    "empirical_kl",
    "empirical_kl_per_dimension",
    "gaussian_kl",
    "generator_log_ratio_loss",
    "generator_minimax_loss",
    "generator_non_saturating_loss",
    "gradient_norm_penalty",
    "gradient_penalty",
    "interpolate",
    "l1_reconstruction",
    "l2_reconstruction",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
