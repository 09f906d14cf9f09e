"""Algorithms: one module per paper whose Algorithm 1 really differs.

:mod:`.gan` is the two-player family (a loss pair, a penalty, a schedule,
packing); ``dcgan``, ``gan_penalty``, ``fgan``, ``wgan_gp``, ``wgan``,
``lsgan`` and ``hinge_gan`` are presets of it (their modules hold the
papers' citations and defaults), registered under their names beside
``gan`` itself. ``alpha_gan``, ``age``, ``gmmn``, ``mmd_gan``, ``ebgan``,
``began`` and ``infogan`` have steps of their own. ``vae`` (with its
``beta > 1`` preset ``beta_vae``) and ``iwae`` train a Gaussian encoder and a
likelihood decoder on a bound on ``log p(x)``; ``flow_prior_vae`` adds a
Real NVP prior trained with them, ``vamp_prior_vae`` the VampPrior (the
encoder's posteriors at learned pseudo-inputs).
``real_nvp_mle`` and ``real_nvp_wgan`` train the same Real NVP by maximum
likelihood and as a WGAN-GP generator (Danihelka et al. 2017).
``gumbel_vae`` (relaxed categorical codes) and ``vq_vae`` (a codebook) have
discrete latents.
``aae`` matches an auto-encoder's codes to the prior with a code
discriminator; ``wae_gan`` and ``wae_mmd`` (Wasserstein auto-encoders, the
shared parts in :mod:`.wae`) do so with a latent GAN or the latent MMD.
``ali`` (with its deterministic-encoder preset ``bigan``) and ``veegan``
match joints of data and codes with a discriminator on ``(x, z)`` pairs.
``avb`` trains an implicit (noise-fed) encoder with an adversary that
estimates the ELBO's KL; ``vae_gan`` measures a VAE's reconstructions in
its GAN discriminator's features.

Each module defines the contract of :mod:`gengan_jax.core.contract`
(``Config``, ``State``, ``init``, ``train_step``, ``sample`` and, where
there is one, ``num_batches``, ``encode``, ``reconstruct``,
``log_likelihood``). :data:`REGISTRY` maps names to
:class:`~gengan_jax.core.Algorithm` records so an experiment can pick one
by name; :func:`get` looks one up.
"""

from __future__ import annotations

from gengan_jax.algorithms import age, alpha_gan, dcgan, wgan_gp
from gengan_jax.algorithms import fgan, gan, gan_penalty, gmmn, hinge_gan, lsgan, mmd_gan, wgan
from gengan_jax.algorithms import began, ebgan, infogan
from gengan_jax.algorithms import beta_vae, flow_prior_vae, iwae, vae
from gengan_jax.algorithms import vamp_prior_vae
from gengan_jax.algorithms import gumbel_vae, vq_vae
from gengan_jax.algorithms import real_nvp_mle, real_nvp_wgan
from gengan_jax.algorithms import aae, wae_gan, wae_mmd
from gengan_jax.algorithms import ali, bigan, veegan
from gengan_jax.algorithms import avb, vae_gan
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import Algorithm, ConfigError, OptimizerConfig, TrainState, from_mapping
from gengan_jax.core.contract import from_module

REGISTRY: dict[str, Algorithm] = {
    name: from_module(name, module) for name, module in (
        ("alpha_gan", alpha_gan),
        ("dcgan", dcgan),
        ("wgan_gp", wgan_gp),
        ("age", age),
        ("fgan", fgan),
        ("gmmn", gmmn),
        ("mmd_gan", mmd_gan),
        ("gan_penalty", gan_penalty),
        ("gan", gan),
        ("wgan", wgan),
        ("lsgan", lsgan),
        ("hinge_gan", hinge_gan),
        ("ebgan", ebgan),
        ("began", began),
        ("infogan", infogan),
        ("vae", vae),
        ("beta_vae", beta_vae),
        ("iwae", iwae),
        ("flow_prior_vae", flow_prior_vae),
        ("vamp_prior_vae", vamp_prior_vae),
        ("gumbel_vae", gumbel_vae),
        ("vq_vae", vq_vae),
        ("real_nvp_mle", real_nvp_mle),
        ("real_nvp_wgan", real_nvp_wgan),
        ("aae", aae),
        ("wae_gan", wae_gan),
        ("wae_mmd", wae_mmd),
        ("ali", ali),
        ("bigan", bigan),
        ("veegan", veegan),
        ("avb", avb),
        ("vae_gan", vae_gan),
    )
}


def get(name: str) -> Algorithm:
  """The algorithm registered as ``name``."""
  if name not in REGISTRY:
    raise ConfigError(f"config value algorithm={name!r} is invalid: valid "
                      f"choices are {', '.join(sorted(REGISTRY))}.")
  return REGISTRY[name]


__all__ = ["REGISTRY", "Algorithm", "ArchitectureConfig", "ConfigError", "OptimizerConfig",
           "TrainState", "from_mapping", "get"]
