"""Pure loss functions for GANs, VAEs and their hybrids.

Every function is pure and jit/vmap/grad-compatible. Losses return per-example
values (shape ``[B]`` or the input's shape for elementwise losses) and never
reduce over the batch: the caller takes the mean. The exceptions are the
minibatch statistics :func:`empirical_kl` (a scalar) and
:func:`empirical_kl_per_dimension` (shape ``[K]``), which describe a whole
batch and have no per-example value. Binary-discriminator losses take logits.

Modules:

* :mod:`~gengan_jax.losses.adversarial` -- GAN and Wasserstein losses.
* :mod:`~gengan_jax.losses.gan_pairs` -- the two-player family's loss pairs
  by name (minimax, non-saturating, least squares, hinge, Wasserstein, every
  f-divergence): :func:`loss_pair`.
* :mod:`~gengan_jax.losses.penalties` -- gradient penalties: WGAN-GP (two-
  and one-sided), DRAGAN, R1, R2; by name: :func:`penalty_terms`.
* :mod:`~gengan_jax.losses.constraints` -- weight clipping (an optax transform).
* :mod:`~gengan_jax.losses.scoring_rules` -- class-probability estimation:
  the proper scoring rules of Mohamed & Lakshminarayanan's Table 1.
* :mod:`~gengan_jax.losses.f_divergences` -- divergence minimisation: f, f*,
  g_f, T*, the f-GAN critic and generator losses.
* :mod:`~gengan_jax.losses.ratio_matching` -- Bregman ratio matching (LSIF,
  KLIEP, logistic).
* :mod:`~gengan_jax.losses.kernels`, :mod:`~gengan_jax.losses.mmd` -- moment
  matching: kernels and MMD^2 estimators (scalars, or per-pair terms).

Objectives that compare two sample sets of possibly different sizes
(:func:`classifier_loss`, :func:`fgan_critic_loss`,
:func:`bregman_ratio_loss`) return a pair ``(real_terms, fake_terms)`` of
per-example terms; the minibatch loss is ``real_terms.mean() +
fake_terms.mean()``.

* :mod:`~gengan_jax.losses.reconstruction` -- L1, squared L2, cosine.
* :mod:`~gengan_jax.losses.kl` -- analytic Gaussian KL, minibatch KL fits.
* :mod:`~gengan_jax.losses.likelihood` -- Bernoulli, Gaussian and discretised
  logistic log-likelihoods, the reparameterised Gaussian sample, the
  Gumbel-softmax / Concrete sample and density, VQ-VAE's quantisation, its
  codebook and commitment terms and the EMA codebook update.
* :mod:`~gengan_jax.losses.information` -- InfoGAN's variational
  mutual-information bound: categorical and Gaussian ``log Q(c | x)``, ``H(c)``.
* :mod:`~gengan_jax.losses.energy` -- auto-encoder energies (mean L1, MSE),
  EBGAN's margin loss and pulling-away term (a batch statistic), BEGAN's
  ``k_t`` update and convergence measure.
"""

from gengan_jax.losses.adversarial import discriminator_fake_loss
from gengan_jax.losses.adversarial import discriminator_real_loss
from gengan_jax.losses.adversarial import generator_log_ratio_loss
from gengan_jax.losses.adversarial import generator_minimax_loss
from gengan_jax.losses.adversarial import generator_non_saturating_loss
from gengan_jax.losses.adversarial import wasserstein_critic_loss
from gengan_jax.losses.adversarial import wasserstein_generator_loss
from gengan_jax.losses.energy import ENERGIES
from gengan_jax.losses.energy import began_convergence
from gengan_jax.losses.energy import began_k_update
from gengan_jax.losses.energy import ebgan_margin_loss
from gengan_jax.losses.energy import l1_energy
from gengan_jax.losses.energy import l2_energy
from gengan_jax.losses.energy import pulling_away_term
from gengan_jax.losses.information import categorical_entropy
from gengan_jax.losses.information import categorical_log_q
from gengan_jax.losses.information import gaussian_log_q
from gengan_jax.losses.information import information_bound
from gengan_jax.losses.information import uniform_entropy
from gengan_jax.losses.kl import empirical_kl
from gengan_jax.losses.likelihood import OBSERVATION_MODELS
from gengan_jax.losses.likelihood import ObservationModel
from gengan_jax.losses.likelihood import bernoulli_log_likelihood
from gengan_jax.losses.likelihood import binarize
from gengan_jax.losses.likelihood import bounded_log_scale
from gengan_jax.losses.likelihood import concrete_log_density
from gengan_jax.losses.likelihood import discretized_logistic_log_likelihood
from gengan_jax.losses.likelihood import ema_codebook_update
from gengan_jax.losses.likelihood import gaussian_log_likelihood
from gengan_jax.losses.likelihood import gaussian_sample
from gengan_jax.losses.likelihood import gumbel_softmax_sample
from gengan_jax.losses.likelihood import log_variance_l1
from gengan_jax.losses.likelihood import observation_model
from gengan_jax.losses.likelihood import revive_dead_codes
from gengan_jax.losses.likelihood import vector_quantize
from gengan_jax.losses.likelihood import vq_losses
from gengan_jax.losses.kl import empirical_kl_per_dimension
from gengan_jax.losses.kl import gaussian_kl
from gengan_jax.losses.penalties import gradient_norm_penalty
from gengan_jax.losses.penalties import gradient_penalty
from gengan_jax.losses.penalties import interpolate
from gengan_jax.losses.reconstruction import cosine_distance
from gengan_jax.losses.reconstruction import l1_reconstruction
from gengan_jax.losses.reconstruction import l2_reconstruction
from gengan_jax.losses.constraints import clip_weights
from gengan_jax.losses.f_divergences import DIVERGENCES
from gengan_jax.losses.f_divergences import GENERATOR_LOSSES
from gengan_jax.losses.f_divergences import conjugate_domain
from gengan_jax.losses.f_divergences import conjugate_of_activation
from gengan_jax.losses.f_divergences import f_conjugate
from gengan_jax.losses.f_divergences import f_generator
from gengan_jax.losses.f_divergences import f_prime_at_one
from gengan_jax.losses.f_divergences import fgan_critic_loss
from gengan_jax.losses.f_divergences import fgan_generator_loss
from gengan_jax.losses.f_divergences import log_ratio_from_critic
from gengan_jax.losses.f_divergences import optimal_critic
from gengan_jax.losses.f_divergences import output_activation
from gengan_jax.losses.kernels import gaussian_kernel
from gengan_jax.losses.kernels import inverse_multiquadric_kernel
from gengan_jax.losses.kernels import median_heuristic
from gengan_jax.losses.kernels import rational_quadratic_kernel
from gengan_jax.losses.kernels import squared_distances
from gengan_jax.losses.mmd import feature_mmd2
from gengan_jax.losses.mmd import mmd2
from gengan_jax.losses.mmd import mmd2_linear
from gengan_jax.losses.penalties import DRAGAN_METHODS
from gengan_jax.losses.penalties import PENALTIES
from gengan_jax.losses.penalties import penalty_terms
from gengan_jax.losses.gan_pairs import LOSS_PAIRS
from gengan_jax.losses.gan_pairs import LossPair
from gengan_jax.losses.gan_pairs import f_divergence_pair
from gengan_jax.losses.gan_pairs import least_squares_pair
from gengan_jax.losses.gan_pairs import loss_pair
from gengan_jax.losses.penalties import dragan_penalty
from gengan_jax.losses.penalties import dragan_perturb
from gengan_jax.losses.penalties import r1_penalty
from gengan_jax.losses.penalties import r2_penalty
from gengan_jax.losses.penalties import squared_gradient_norm
from gengan_jax.losses.ratio_matching import BREGMAN_GENERATORS
from gengan_jax.losses.ratio_matching import bregman_ratio_loss
from gengan_jax.losses.scoring_rules import SCORING_RULES
from gengan_jax.losses.scoring_rules import classifier_loss
from gengan_jax.losses.scoring_rules import scoring_rule

__all__ = [
    "BREGMAN_GENERATORS",
    "DIVERGENCES",
    "DRAGAN_METHODS",
    "OBSERVATION_MODELS",
    "ObservationModel",
    "GENERATOR_LOSSES",
    "LOSS_PAIRS",
    "LossPair",
    "PENALTIES",
    "SCORING_RULES",
    "bregman_ratio_loss",
    "bernoulli_log_likelihood",
    "binarize",
    "bounded_log_scale",
    "concrete_log_density",
    "discretized_logistic_log_likelihood",
    "ema_codebook_update",
    "gaussian_log_likelihood",
    "gaussian_sample",
    "gumbel_softmax_sample",
    "log_variance_l1",
    "observation_model",
    "revive_dead_codes",
    "vector_quantize",
    "vq_losses",
    "categorical_entropy",
    "categorical_log_q",
    "gaussian_log_q",
    "information_bound",
    "uniform_entropy",
    "classifier_loss",
    "clip_weights",
    "conjugate_domain",
    "conjugate_of_activation",
    "dragan_penalty",
    "dragan_perturb",
    "f_conjugate",
    "f_divergence_pair",
    "f_generator",
    "f_prime_at_one",
    "feature_mmd2",
    "fgan_critic_loss",
    "fgan_generator_loss",
    "gaussian_kernel",
    "inverse_multiquadric_kernel",
    "log_ratio_from_critic",
    "median_heuristic",
    "mmd2",
    "mmd2_linear",
    "optimal_critic",
    "output_activation",
    "r1_penalty",
    "r2_penalty",
    "rational_quadratic_kernel",
    "scoring_rule",
    "squared_distances",
    "squared_gradient_norm",
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
    "ENERGIES",
    "began_convergence",
    "began_k_update",
    "ebgan_margin_loss",
    "l1_energy",
    "l2_energy",
    "pulling_away_term",
    "l1_reconstruction",
    "l2_reconstruction",
    "least_squares_pair",
    "loss_pair",
    "penalty_terms",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
