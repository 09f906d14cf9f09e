r"""Statistics of encoder codes against the prior (alpha-GAN, Appendix D).

An auto-encoding GAN should map data to codes distributed like the prior.
Rosca et al. (2017, Appendix D) compare the mean and covariance of the
encoder's codes with those of the prior. :func:`latent_statistics` returns
them, with summaries and the KL divergence between the Gaussian with the
codes' moments and the prior's moment-matched Gaussian,

.. math::

  \mathrm{KL}\big(\mathcal N(\hat\mu, \hat\Sigma) \,\|\,
    \mathcal N(\mu_0, \Sigma_0)\big) = \tfrac12\Big(
    \operatorname{tr}(\Sigma_0^{-1} \hat\Sigma)
    + (\hat\mu - \mu_0)^\top \Sigma_0^{-1} (\hat\mu - \mu_0) - K
    + \log\frac{\det \Sigma_0}{\det \hat\Sigma}\Big),

(zero only if the first two moments match; higher moments are not
compared). :func:`plot_latent_statistics` draws them.

:func:`active_units` counts the code dimensions the encoder uses (Burda,
Grosse & Salakhutdinov 2016, Sec. 5.2): unit ``u`` is active when its
activity

.. math::

  A_u = \operatorname{Cov}_x\big(\mathbb E_{q(z \mid x)}[z_u]\big) > 10^{-2},

i.e. when its posterior mean moves with the data; an inactive unit's
posterior is the same for every ``x`` (for a VAE: the prior, the unit then
costing no KL). Host-side numpy, float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gengan_jax.metrics import _checks

__all__ = ["PRIORS", "ACTIVITY_THRESHOLD", "prior_moments", "latent_statistics",
           "active_units", "plot_latent_statistics"]

PRIORS = ("gaussian", "sphere")
# Burda et al. 2016, Sec. 5.2: a unit is active when its activity exceeds this.
ACTIVITY_THRESHOLD = 1e-2


def prior_moments(prior: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
  """Mean and covariance of a prior over ``R^dim``.

  ``'gaussian'``: ``N(0, I)`` (alpha-GAN, DCGAN, WGAN-GP). ``'sphere'``: the
  uniform distribution on the unit sphere ``S^{dim-1}`` (AGE), mean 0 and
  covariance ``I / dim`` (by symmetry, ``E z_i^2 = 1 / dim``).
  """
  if prior not in PRIORS:
    raise ValueError(f"unknown `prior` {prior!r}; valid choices are {PRIORS}.")
  dim = _checks.positive_int(dim, "dim")
  scale = 1.0 if prior == "gaussian" else 1.0 / dim
  return np.zeros(dim), scale * np.eye(dim)


def _gaussian_kl(mu, sigma, mu0, sigma0):
  k = len(mu)
  sign, logdet = np.linalg.slogdet(sigma)
  if sign <= 0:
    return float("inf")
  _, logdet0 = np.linalg.slogdet(sigma0)
  inv0 = np.linalg.inv(sigma0)
  d = mu - mu0
  return float(0.5 * (np.trace(inv0 @ sigma) + d @ inv0 @ d - k + logdet0 - logdet))


def latent_statistics(codes: Any, prior: str = "gaussian") -> dict:
  r"""Mean and covariance of codes, compared with the prior's.

  Args:
    codes: ``[N, K]`` encoder outputs ``z = E(x)`` on (held-out) data,
      ``N >= 2``.
    prior: ``'gaussian'`` (``N(0, I)``) or ``'sphere'`` (uniform on the unit
      sphere; compared with its moments ``0`` and ``I / K``).

  Returns:
    A dict of numpy arrays and floats:

    * ``mean`` ``[K]``, ``covariance`` ``[K, K]`` (unbiased): the codes';
    * ``prior_mean`` ``[K]``, ``prior_covariance`` ``[K, K]``;
    * ``mean_norm``: ``||mean - prior_mean||_2``;
    * ``covariance_error``: Frobenius norm of ``covariance -
      prior_covariance``;
    * ``variance_min`` / ``variance_max``: extreme per-dimension variances;
    * ``max_abs_correlation``: largest off-diagonal ``|corr|``;
    * ``kl_gaussian_fit_to_prior``: the module docstring's KL (``inf`` if
      the codes' covariance is singular, e.g. collapsed dimensions).

  References:
    Rosca, Lakshminarayanan, Warde-Farley & Mohamed, "Variational approaches
    for auto-encoding generative adversarial networks", 2017, Appendix D.
  """
  z = _checks.as_matrix(codes, "codes", min_rows=2)
  k = z.shape[1]
  mu = z.mean(0)
  sigma = np.cov(z, rowvar=False).reshape(k, k)
  mu0, sigma0 = prior_moments(prior, k)
  var = np.diag(sigma)
  with np.errstate(invalid="ignore", divide="ignore"):
    corr = sigma / np.sqrt(np.outer(var, var))
  off = corr[~np.eye(k, dtype=bool)]
  return {
      "mean": mu,
      "covariance": sigma,
      "prior_mean": mu0,
      "prior_covariance": sigma0,
      "mean_norm": float(np.linalg.norm(mu - mu0)),
      "covariance_error": float(np.linalg.norm(sigma - sigma0)),
      "variance_min": float(var.min()),
      "variance_max": float(var.max()),
      "max_abs_correlation": float(np.nanmax(np.abs(off))) if off.size else 0.0,
      "kl_gaussian_fit_to_prior": _gaussian_kl(mu, sigma, mu0, sigma0),
  }


def active_units(posterior_means: Any, threshold: float = ACTIVITY_THRESHOLD) -> dict:
  r"""Burda et al.'s activity statistic of each code dimension, and the active count.

  .. math::

    A_u = \operatorname{Cov}_x\big(\mathbb E_{q(z \mid x)}[z_u]\big),
    \qquad \text{active} = \#\{u : A_u > \text{threshold}\}.

  The variance over data of each unit's posterior mean (the unbiased sample
  variance over the ``N`` examples). For a Gaussian encoder pass ``mu(x)``;
  for a deterministic one the code ``E(x)``; for an implicit one
  (``z = E(x, eps)``) the mean over draws of ``eps``.

  Args:
    posterior_means: ``[N, K]`` posterior means ``E_q[z | x_n]`` of ``N >= 2``
      (held-out) examples.
    threshold: activity above which a unit counts as active (> 0; the
      paper's ``1e-2`` by default). The statistic is not scale-free: it
      assumes codes on the scale of an ``N(0, I)`` prior.

  Returns:
    A dict: ``activity`` ``[K]`` (``A_u``), ``active`` (the count, an int),
    ``dimensions`` (``K``), ``threshold``, and ``log10_activity_sorted``
    (``log10 A_u`` in decreasing order, ``-inf`` for a constant unit: the
    curve of Burda et al.'s Figure 3).

  References:
    Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders",
    ICLR 2016, Sec. 5.2 and Figure 3.
  """
  means = _checks.as_matrix(posterior_means, "posterior_means", min_rows=2)
  threshold = _checks.positive_float(threshold, "threshold")
  activity = means.var(axis=0, ddof=1)
  with np.errstate(divide="ignore"):
    log_sorted = np.log10(np.sort(activity)[::-1])
  return {"activity": activity, "active": int((activity > threshold).sum()),
          "dimensions": int(means.shape[1]), "threshold": threshold,
          "log10_activity_sorted": log_sorted}


def plot_latent_statistics(path: str, stats: dict, *, title: str = "") -> None:
  """Saves a PNG: per-dimension means and variances against the prior's, and
  the codes' covariance next to the prior covariance (same colour scale).

  Args:
    path: output file (``.png``).
    stats: the dict returned by :func:`latent_statistics`.
    title: figure title.
  """
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  mu, sigma = stats["mean"], stats["covariance"]
  mu0, sigma0 = stats["prior_mean"], stats["prior_covariance"]
  k = len(mu)
  dims = np.arange(k)
  fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), dpi=100)
  axes[0].bar(dims, mu, color="tab:orange", label="codes")
  axes[0].plot(dims, mu0, "k--", lw=1, label="prior")
  axes[0].set_title("mean per dimension", fontsize=9)
  axes[0].legend(fontsize=7)
  axes[1].bar(dims, np.diag(sigma), color="tab:orange", label="codes")
  axes[1].plot(dims, np.diag(sigma0), "k--", lw=1, label="prior")
  axes[1].set_title("variance per dimension", fontsize=9)
  axes[1].legend(fontsize=7)
  lim = float(max(np.abs(sigma).max(), np.abs(sigma0).max()))
  for ax, mat, name in ((axes[2], sigma, "codes covariance"),
                        (axes[3], sigma0, "prior covariance")):
    im = ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set_title(name, fontsize=9)
  fig.colorbar(im, ax=axes[2:], shrink=0.8)
  fig.suptitle(title or (f"KL(Gaussian fit || prior) = "
                         f"{stats['kl_gaussian_fit_to_prior']:.3g}"), fontsize=10)
  fig.savefig(path)
  plt.close(fig)
