"""Evaluation metrics for implicit generative models.

Host-side (numpy, float64) unless noted; each module holds one metric:

* :mod:`~gengan_jax.metrics.frechet` -- Frechet distance / FID from features.
* :mod:`~gengan_jax.metrics.inception` -- the FID Inception-v3 (Flax), its
  weights from a local file; any other feature function plugs in.
* :mod:`~gengan_jax.metrics.kid` -- kernel inception distance (unbiased MMD^2).
* :mod:`~gengan_jax.metrics.inception_score` -- IS from any classifier's logits.
* :mod:`~gengan_jax.metrics.precision_recall` -- precision/recall and
  density/coverage from features.
* :mod:`~gengan_jax.metrics.ms_ssim` -- SSIM, MS-SSIM and sample diversity
  (JAX, per image pair).
* :mod:`~gengan_jax.metrics.stacked_mnist` -- 1,000-mode count and KL, and
  the modes of the samples the classifier reads with confidence.
* :mod:`~gengan_jax.metrics.likelihood` -- bits/dim, IWAE bound (JAX).
* :mod:`~gengan_jax.metrics.elbo_surgery` -- the average KL of Gaussian
  posteriors split into index-code mutual information and marginal KL.
* :mod:`~gengan_jax.metrics.latent` -- encoder codes against the prior,
  and the active units of the codes.
* :mod:`~gengan_jax.metrics.knn_kl` -- KL from samples to a known density
  (k-nearest-neighbour entropy).
* :mod:`~gengan_jax.metrics.critic` -- independent Wasserstein critic, and
  the loop that trains any critic from scratch against samples.
* :mod:`~gengan_jax.metrics.divergence_critics` -- the GAN, least-squares,
  WGAN-GP and learned-kernel MMD critics as divergence estimates (Im et al.
  2018), with their spread over critic seeds.
* :mod:`~gengan_jax.metrics.mixtures` -- modes and sample quality on
  mixtures of Gaussians (VEEGAN / PacGAN protocols).
"""

from gengan_jax.metrics.critic import CriticHistory
from gengan_jax.metrics.critic import IndependentCritic
from gengan_jax.metrics.critic import plot_critic_history
from gengan_jax.metrics.critic import train_independent_critic
from gengan_jax.metrics.divergence_critics import DivergenceEstimate
from gengan_jax.metrics.divergence_critics import estimate_divergences
from gengan_jax.metrics.elbo_surgery import ElboSurgery
from gengan_jax.metrics.elbo_surgery import elbo_surgery
from gengan_jax.metrics.frechet import FeatureStatistics
from gengan_jax.metrics.frechet import fid_from_features
from gengan_jax.metrics.frechet import frechet_distance
from gengan_jax.metrics.frechet import gaussian_statistics
from gengan_jax.metrics.frechet import trace_sqrt_product
from gengan_jax.metrics.inception import InceptionV3
from gengan_jax.metrics.inception import load_inception_v3
from gengan_jax.metrics.inception_score import inception_score
from gengan_jax.metrics.kid import kernel_inception_distance
from gengan_jax.metrics.kid import mmd2_unbiased
from gengan_jax.metrics.kid import polynomial_kernel
from gengan_jax.metrics.knn_kl import knn_kl
from gengan_jax.metrics.latent import active_units
from gengan_jax.metrics.latent import latent_statistics
from gengan_jax.metrics.latent import plot_latent_statistics
from gengan_jax.metrics.likelihood import bits_per_dim
from gengan_jax.metrics.likelihood import iwae_bound
from gengan_jax.metrics.mixtures import MixtureProtocol
from gengan_jax.metrics.mixtures import ModeCoverage
from gengan_jax.metrics.mixtures import evaluate_mixture
from gengan_jax.metrics.mixtures import mode_coverage
from gengan_jax.metrics.ms_ssim import diversity
from gengan_jax.metrics.ms_ssim import diversity_references
from gengan_jax.metrics.ms_ssim import ms_ssim
from gengan_jax.metrics.ms_ssim import ssim
from gengan_jax.metrics.precision_recall import density_coverage
from gengan_jax.metrics.precision_recall import precision_recall
from gengan_jax.metrics.stacked_mnist import confident_modes
from gengan_jax.metrics.stacked_mnist import mode_counts
from gengan_jax.metrics.stacked_mnist import stacked_mnist_modes

__all__ = [
    "CriticHistory",
    "DivergenceEstimate",
    "ElboSurgery",
    "FeatureStatistics",
    "InceptionV3",
    "IndependentCritic",
    "MixtureProtocol",
    "ModeCoverage",
    "active_units",
    "bits_per_dim",
    "confident_modes",
    "density_coverage",
    "diversity",
    "diversity_references",
    "elbo_surgery",
    "estimate_divergences",
    "evaluate_mixture",
    "fid_from_features",
    "frechet_distance",
    "gaussian_statistics",
    "inception_score",
    "iwae_bound",
    "kernel_inception_distance",
    "knn_kl",
    "latent_statistics",
    "load_inception_v3",
    "mmd2_unbiased",
    "mode_counts",
    "mode_coverage",
    "ms_ssim",
    "plot_critic_history",
    "plot_latent_statistics",
    "polynomial_kernel",
    "precision_recall",
    "ssim",
    "stacked_mnist_modes",
    "trace_sqrt_product",
    "train_independent_critic",
]
