"""Closed-form and quadrature references for pairs of Gaussians (numpy/scipy).

Independent of the library: every divergence here is written from its
definition or a textbook closed form, in float64.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats


def kl(m0, s0, m1, s1) -> float:
  """KL(N(m0, S0) || N(m1, S1)) for mean vectors and covariance matrices."""
  m0, m1 = np.atleast_1d(m0).astype(float), np.atleast_1d(m1).astype(float)
  s0, s1 = np.atleast_2d(s0).astype(float), np.atleast_2d(s1).astype(float)
  k = m0.size
  inv1 = np.linalg.inv(s1)
  d = m1 - m0
  return 0.5 * (np.trace(inv1 @ s0) + d @ inv1 @ d - k
                + np.log(np.linalg.det(s1) / np.linalg.det(s0)))


def power_integral(alpha, m0, s0, m1, s1) -> float:
  """int p^alpha q^(1 - alpha) dx for p = N(m0, S0), q = N(m1, S1).

  From the Renyi divergence of Gaussians (Gil, Alajaji & Linder 2013, Table
  2): S_a = alpha S1 + (1 - alpha) S0 must be positive definite.
  """
  m0, m1 = np.atleast_1d(m0).astype(float), np.atleast_1d(m1).astype(float)
  s0, s1 = np.atleast_2d(s0).astype(float), np.atleast_2d(s1).astype(float)
  sa = alpha * s1 + (1 - alpha) * s0
  d = m0 - m1
  log_int = (-0.5 * alpha * (1 - alpha) * d @ np.linalg.inv(sa) @ d
             - 0.5 * np.log(np.linalg.det(sa))
             + 0.5 * (1 - alpha) * np.log(np.linalg.det(s0))
             + 0.5 * alpha * np.log(np.linalg.det(s1)))
  return float(np.exp(log_int))


def closed_form(name, m0, s0, m1, s1) -> float:
  """D_f(P || Q) in the library's convention, where a closed form exists."""
  if name == "kl":
    return kl(m0, s0, m1, s1)
  if name == "reverse_kl":
    return kl(m1, s1, m0, s0)
  if name == "pearson":  # int p^2 / q - 1
    return power_integral(2.0, m0, s0, m1, s1) - 1
  if name == "neyman":  # int q^2 / p - 1
    return power_integral(2.0, m1, s1, m0, s0) - 1
  if name == "squared_hellinger":  # int (sqrt p - sqrt q)^2 = 2 - 2 BC
    return 2 - 2 * power_integral(0.5, m0, s0, m1, s1)
  raise KeyError(name)


def _pdf(m, s):
  return stats.multivariate_normal(np.atleast_1d(m), np.atleast_2d(s)).pdf


def js_1d(m0, s0, m1, s1) -> float:
  """JS(P, Q) = KL(P||M)/2 + KL(Q||M)/2 by quadrature, 1-D, in nats."""
  p, q = stats.norm(m0, np.sqrt(s0)).pdf, stats.norm(m1, np.sqrt(s1)).pdf

  def integrand(x):
    a, b = p(x), q(x)
    m = 0.5 * (a + b)
    out = 0.0
    if a > 0:
      out += 0.5 * a * np.log(a / m)
    if b > 0:
      out += 0.5 * b * np.log(b / m)
    return out

  return integrate.quad(integrand, -30, 30, limit=400, points=[m0, m1])[0]


def tv_1d(m0, s0, m1, s1) -> float:
  """TV(P, Q) = 1/2 int |p - q| by quadrature, 1-D."""
  p, q = stats.norm(m0, np.sqrt(s0)).pdf, stats.norm(m1, np.sqrt(s1)).pdf
  return 0.5 * integrate.quad(lambda x: abs(p(x) - q(x)), -30, 30, limit=400,
                              points=[m0, m1])[0]


def grid_2d(m0, s0, m1, s1, half_width=(9.0, 9.0), num=(701, 701)):
  """A 2-D grid, cell area and the two densities on it (for quadrature)."""
  gx = np.linspace(-half_width[0], half_width[0], num[0])
  gy = np.linspace(-half_width[1], half_width[1], num[1])
  xx, yy = np.meshgrid(gx, gy, indexing="ij")
  pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
  area = (gx[1] - gx[0]) * (gy[1] - gy[0])
  return pts, area, _pdf(m0, s0)(pts), _pdf(m1, s1)(pts)


def js_tv_2d(m0, s0, m1, s1) -> tuple[float, float]:
  """(JS, TV) by grid quadrature in 2-D."""
  _, area, p, q = grid_2d(m0, s0, m1, s1)
  m = 0.5 * (p + q)
  with np.errstate(divide="ignore", invalid="ignore"):
    js = 0.5 * np.nansum(np.where(p > 0, p * np.log(p / m), 0.0)) \
        + 0.5 * np.nansum(np.where(q > 0, q * np.log(q / m), 0.0))
  return js * area, 0.5 * np.sum(np.abs(p - q)) * area


def divergence(name, m0, s0, m1, s1) -> float:
  """D_f(P || Q) for every name in gengan_jax.losses.DIVERGENCES."""
  dim = np.atleast_1d(m0).size
  if name in ("jensen_shannon", "gan", "total_variation"):
    if dim == 1:
      js = js_1d(float(np.squeeze(m0)), float(np.squeeze(s0)),
                 float(np.squeeze(m1)), float(np.squeeze(s1)))
      tv = tv_1d(float(np.squeeze(m0)), float(np.squeeze(s0)),
                 float(np.squeeze(m1)), float(np.squeeze(s1)))
    else:
      js, tv = js_tv_2d(m0, s0, m1, s1)
    return {"jensen_shannon": 2 * js, "gan": 2 * js - np.log(4.0),
            "total_variation": tv}[name]
  return closed_form(name, m0, s0, m1, s1)


def log_ratio(x, m0, s0, m1, s1):
  """log p(x) - log q(x) for x of shape [N, D] (or [N] in 1-D)."""
  x = np.asarray(x, float)
  if x.ndim == 1:
    x = x[:, None]
  p = stats.multivariate_normal(np.atleast_1d(m0), np.atleast_2d(s0))
  q = stats.multivariate_normal(np.atleast_1d(m1), np.atleast_2d(s1))
  return p.logpdf(x) - q.logpdf(x)
