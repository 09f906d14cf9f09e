"""Density-ratio estimation: the four families of Mohamed & Lakshminarayanan.

"Learning in Implicit Generative Models" (arXiv:1610.03483, 2016) sorts
every way of learning by comparison by how it estimates ``r = p*/q``:

* class-probability estimation (:mod:`.class_probability`): a classifier's
  logit is the log ratio; KL and JS follow;
* divergence minimisation (:mod:`.divergence_minimisation`): an f-GAN
  critic's variational bound and the ratio it implies;
* ratio matching (:mod:`.ratio_matching`): a ratio model fit by a Bregman
  divergence, then any f-divergence as an average;
* moment matching (:mod:`.moment_matching`): MMD two-sample estimates.

What lives where: :mod:`gengan_jax.losses` holds the *objectives* that train
a discriminator, critic, ratio model or generator (scoring rules, f-GAN
losses, Bregman losses, kernels and MMD, penalties); this package holds what
turns a trained model's outputs into *estimates* (ratios, divergences) and
re-exports those objectives by family, so ``ratio`` is a map of the
taxonomy and ``losses`` the single implementation.
"""

from gengan_jax.losses.f_divergences import fgan_critic_loss
from gengan_jax.losses.mmd import feature_mmd2
from gengan_jax.losses.mmd import mmd2
from gengan_jax.losses.mmd import mmd2_linear
from gengan_jax.losses.ratio_matching import bregman_ratio_loss
from gengan_jax.losses.scoring_rules import classifier_loss
from gengan_jax.ratio.class_probability import js_estimate
from gengan_jax.ratio.class_probability import kl_estimate
from gengan_jax.ratio.class_probability import log_ratio_from_logits
from gengan_jax.ratio.class_probability import ratio_from_logits
from gengan_jax.ratio.class_probability import reverse_kl_estimate
from gengan_jax.ratio.divergence_minimisation import log_ratio_from_critic
from gengan_jax.ratio.divergence_minimisation import variational_estimate
from gengan_jax.ratio.moment_matching import make_kernel
from gengan_jax.ratio.moment_matching import mmd2_estimate
from gengan_jax.ratio.ratio_matching import f_divergence_estimate

__all__ = [
    # class-probability estimation
    "classifier_loss",
    "log_ratio_from_logits",
    "ratio_from_logits",
    "kl_estimate",
    "reverse_kl_estimate",
    "js_estimate",
    # divergence minimisation
    "fgan_critic_loss",
    "variational_estimate",
    "log_ratio_from_critic",
    # ratio matching
    "bregman_ratio_loss",
    "f_divergence_estimate",
    # moment matching
    "mmd2",
    "mmd2_linear",
    "feature_mmd2",
    "make_kernel",
    "mmd2_estimate",
]
