"""Every notebook's code cells run top to bottom, and compute what they should.

Cells are executed in one namespace, as a kernel would; settings named in
``FAST`` are shrunk so the suite stays quick. ``CHECKS`` has, for every
notebook, a function that asserts on the values the notebook computed (the
namespace after its last cell).
"""

import glob
import json
import os

import jax
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
FAST = {"STEPS": 5}


def _check_quickstart(ns):
  """alpha-GAN trained FAST['STEPS'] steps on the ring, sampled and scored."""
  alpha_gan, ring = ns["alpha_gan"], ns["ring"]
  assert ns["STEPS"] == FAST["STEPS"]
  # The training loop took exactly STEPS steps and moved the networks away
  # from their initialisation (same key and example batch as the notebook).
  state = ns["state"]
  assert int(state.step) == FAST["STEPS"]
  init = alpha_gan.init(jax.random.key(0), ns["cfg"], ring.batch(0, 256, seed=0)[0])
  for net in ("generator", "encoder", "discriminator"):
    before = jax.tree.leaves(getattr(init, net).params)
    after = jax.tree.leaves(getattr(state, net).params)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), net
  # The last step's losses: all of alpha-GAN's, finite; D's outputs in (0, 1).
  m = {k: float(v) for k, v in ns["m"].items()}
  assert {"generator_loss", "encoder_loss", "discriminator_loss",
          "reconstruction_l1"} <= set(m)
  assert all(np.isfinite(v) for v in m.values()), m
  assert 0.0 < m["d_real"] < 1.0 and 0.0 < m["d_fake"] < 1.0
  # 2,500 finite 2-D samples, and their mode coverage on the ring's 8 modes.
  samples, cov = ns["samples"], ns["cov"]
  assert samples.shape == (2500, 2) and np.all(np.isfinite(samples))
  assert cov.num_modes == 8 and cov.counts.shape == (8,)
  assert cov.counts.sum() == round(cov.high_quality_fraction * 2500)
  assert cov.modes_covered == int((cov.counts >= 1).sum())
  assert ns["real"].shape == (2500, 2)


def _check_likelihood_vs_gan(ns):
  """A VAE, a Real NVP and a GAN trained FAST['STEPS'] steps; the two
  densities on the grid, the samples and their mode coverage."""
  assert ns["STEPS"] == FAST["STEPS"]
  for state in (ns["vae_state"], ns["flow_state"], ns["gan_state"]):
    assert int(state.step) == FAST["STEPS"]
  n, cell = ns["N"], ns["cell"]
  for logp in (ns["flow_logp"], ns["vae_logp"]):
    assert logp.shape == (n * n,) and np.all(np.isfinite(logp))
  # A density integrates to at most 1 over part of the plane, and a lower
  # bound on one too; the flow (near N(0, I) after a few steps) puts most of
  # its mass on the grid.
  flow_mass = np.exp(ns["flow_logp"]).sum() * cell
  vae_mass = np.exp(ns["vae_logp"]).sum() * cell
  assert 0.5 < flow_mass <= 1.01 and vae_mass <= 1.01, (flow_mass, vae_mass)
  # The grid's values are the models' own log_likelihood.
  i = np.array([0, n * n // 2, n * n - 1])
  direct = ns["flow"].log_likelihood(ns["flow_state"], ns["grid"][i], jax.random.key(3))
  np.testing.assert_allclose(ns["flow_logp"][i], direct, rtol=1e-5, atol=1e-5)
  assert set(ns["samples"]) == {"vae", "flow", "gan"}
  for x in ns["samples"].values():
    assert x.shape == (2500, 2) and np.all(np.isfinite(x))
  for cov in ns["coverage"].values():
    assert cov.num_modes == 8 and 0 <= cov.modes_covered <= 8


def _check_density_ratios(ns):
  """Ratio estimators trained FAST['STEPS'] steps: the exact references they are
  set against, recomputed from numpy formulas, and the estimates from their logits."""
  assert ns["STEPS"] == FAST["STEPS"]

  def log_normal(u, mean, scale):  # log N(u; mean, diag scale^2), summed over the last axis
    return np.sum(-0.5 * np.log(2 * np.pi) - np.log(scale) - 0.5 * ((u - mean) / scale) ** 2, -1)

  def logits(state, u):
    return np.asarray(jax.jit(state.apply_fn, static_argnames="train")(
        {"params": state.params}, u, train=False))

  n, grid, held = ns["N"], np.asarray(ns["grid"], np.float64), slice(0, 1000)
  assert grid.shape == (n * n, 2)
  # Code space: q = N(mu, diag s^2) codes (label 0) against the prior N(0, I) (label 1).
  mu = np.asarray(ns["Q_MEAN"], np.float64)
  s = np.exp(np.asarray(ns["Q_LOG_SCALE"], np.float64))
  kl_code = 0.5 * np.sum(s ** 2 + mu ** 2 - 1 - 2 * np.log(s))
  np.testing.assert_allclose(ns["kl_code"], kl_code, rtol=1e-5)
  np.testing.assert_allclose(ns["code_exact"], log_normal(grid, 0, 1) - log_normal(grid, mu, s),
                             rtol=1e-4, atol=1e-4)
  z_q, z_p = np.asarray(ns["z_q"], np.float64), np.asarray(ns["z_p"], np.float64)
  np.testing.assert_allclose(z_q.mean(0), mu, atol=0.02)
  np.testing.assert_allclose(z_q.std(0), s, atol=0.02)
  np.testing.assert_allclose(z_p.std(0), 1.0, atol=0.02)
  exact_q = log_normal(z_q, 0, 1) - log_normal(z_q, mu, s)
  np.testing.assert_allclose(ns["exact_q"], exact_q, rtol=1e-4, atol=1e-4)
  assert abs(-exact_q.mean() - kl_code) < 0.03  # KL(q || p) = -E_q[log p/q]
  c_q = logits(ns["c_state"], ns["z_q"][held])
  np.testing.assert_allclose(ns["c_q"][held], c_q, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(ns["kl_code_estimate"], -np.mean(ns["c_q"]), rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(ns["rms_code_q"], np.sqrt(np.mean((ns["c_q"] - exact_q) ** 2)),
                             rtol=1e-4)
  assert ns["code_logit"].shape == (n * n,) and np.all(np.isfinite(ns["code_logit"]))
  # Joint space: q(z | x) = N(A x, S^2), x ~ N(0, 1); T* = log q(z | x) - log p(z).
  a, sd = ns["A"], ns["S"]
  assert np.isclose(a ** 2 + sd ** 2, 1.0)  # so the aggregate q(z) is the prior
  kl_avb = -0.5 * np.log(1 - a ** 2 / (a ** 2 + sd ** 2))  # = I_q(x; z), KL(q(z) || p(z)) = 0
  np.testing.assert_allclose(ns["kl_avb"], kl_avb, rtol=1e-5)
  x, z = grid[:, 0], grid[:, 1]
  np.testing.assert_allclose(ns["avb_exact"], log_normal(z[:, None], a * x[:, None], sd)
                             - log_normal(z[:, None], 0, 1), rtol=1e-4, atol=1e-4)
  x_held, z_held = np.asarray(ns["x_held"], np.float64), np.asarray(ns["z_held"], np.float64)
  assert abs(np.corrcoef(x_held[:, 0], z_held[:, 0])[0, 1] - a) < 0.02
  exact_t_q = log_normal(z_held, a * x_held, sd) - log_normal(z_held, 0, 1)
  assert abs(exact_t_q.mean() - kl_avb) < 0.03
  t_q = logits(ns["t_state"], (ns["x_held"][held], ns["z_held"][held]))
  np.testing.assert_allclose(ns["t_q"][held], t_q, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(ns["kl_avb_estimate"], np.mean(ns["t_q"]), rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(ns["rms_avb_q"], np.sqrt(np.mean((ns["t_q"] - exact_t_q) ** 2)),
                             rtol=1e-4)
  marginal_q = logits(ns["marginal_state"], ns["z_held"][held])
  np.testing.assert_allclose(ns["marginal_q"][held], marginal_q, rtol=1e-4, atol=1e-4)
  for values in (ns["avb_logit"], ns["marginal_logit"]):
    assert np.all(np.isfinite(values))
  assert ns["avb_logit"].shape == (n * n,) and ns["marginal_logit"].shape == (n,)
  # The AAE trained STEPS steps, its C and one refitted to its codes; log q^ = log N(0, I) - C.
  assert int(ns["aae_state"].step) == FAST["STEPS"]
  codes = ns["codes"]
  assert codes.shape == (2500, 2) and np.all(np.isfinite(codes))
  for state, on_codes, on_grid, kl in (
      (ns["aae_state"].code_discriminator, "game_codes", "game_logit", "kl_aae_game"),
      (ns["refit_state"], "refit_codes", "refit_logit", "kl_aae_refit")):
    np.testing.assert_allclose(ns[on_codes], logits(state, codes), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ns[kl], -np.mean(ns[on_codes]), rtol=1e-4, atol=1e-5)
    assert ns[on_grid].shape == (n * n,) and np.all(np.isfinite(ns[on_grid]))
  np.testing.assert_allclose(ns["aggregate_log_density"],
                             log_normal(grid, 0, 1) - ns["refit_logit"], rtol=1e-4, atol=1e-4)


def _check_mode_covering(ns):
  """Mode covering vs mode seeking: the grid searches against closed forms, and
  fits from the notebook's start that end where their objective puts them: KL
  and MLE between the modes and wide, reverse KL on one mode and narrow."""
  assert ns["STEPS"] == FAST["STEPS"]
  weights, means, scales = (np.asarray(a) for a in ns["TARGET"])
  np.testing.assert_array_equal(np.stack([weights, means, scales]),
                                [[0.5, 0.5], [-2.0, 2.0], [0.5, 0.5]])
  mus, sigmas = np.meshgrid(ns["MU_GRID"], ns["SIGMA_GRID"], indexing="ij")
  # KL(P || N(mu, s^2)) = E_P[-log N(x; mu, s^2)] - H(P): the cross-entropy in closed
  # form, H(P) by a Riemann sum (1.41884; H(N(0, 0.5^2)) + log 2 = 1.41894 would
  # ignore the modes' overlap).
  cross_entropy = np.sum(weights[:, None, None] * (
      0.5 * np.log(2 * np.pi * sigmas ** 2)
      + ((means[:, None, None] - mus) ** 2 + scales[:, None, None] ** 2) / (2 * sigmas ** 2)), 0)
  x = np.linspace(-10.0, 10.0, 20001)
  p = sum(w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
          for w, m, s in zip(weights, means, scales))
  entropy = -np.sum(p * np.log(p)) * (x[1] - x[0])
  np.testing.assert_allclose(ns["landscapes"]["kl"], cross_entropy - entropy, rtol=1e-9, atol=1e-6)
  # KL(N(mu, s^2) || P) for Q narrow on the right mode, where p = N(x; 2, 0.5^2) / 2:
  # log 2 + KL(N(mu, s^2) || N(2, 0.5^2)).
  near = (np.abs(mus - 2) <= 0.2) & (sigmas <= 0.3)
  to_mode = np.log(2) + np.log(0.5 / sigmas) + (sigmas ** 2 + (mus - 2) ** 2) / 0.5 - 0.5
  assert near.sum() >= 20
  np.testing.assert_allclose(ns["landscapes"]["reverse_kl"][near], to_mode[near], atol=1e-6)
  # The optima: KL's at P's moments, reverse KL's on the mode, with D = log 2;
  # 2 JS covers at this separation (a mode, 0.4315, is a local minimum only),
  # and switches to a mode between d = 4 and 5.
  table, optimum = ns["table"], ns["optimum"]
  assert np.allclose(optimum["kl"], (0.0, np.sqrt(4.25)), atol=0.01), optimum
  assert np.allclose(optimum["reverse_kl"], (2.0, 0.5), atol=0.01), optimum
  assert abs(table["reverse KL"]["optimum_divergence"] - np.log(2)) < 1e-4
  assert np.allclose(optimum["jensen_shannon"], (0.0, 2.04), atol=0.03), optimum
  assert any(np.allclose(m, (2.0, 0.5), atol=0.06) for m in ns["minima"]["jensen_shannon"])
  assert 4.0 < ns["switch"] < 5.0
  # Exact gradient descent from the start reaches the optimum of each objective;
  # the reverse KL's from (0.5, 1) its wide local minimum between the modes.
  for name in ("kl", "reverse_kl", "jensen_shannon"):
    assert np.allclose(ns["descent"][name][-1], optimum[name], atol=0.05), name
  assert np.allclose(ns["wide_descent"][-1], (0.0, 1.736), atol=0.02), ns["wide_descent"][-1]
  # The fits: FAST['STEPS'] steps in the notebook, more here (compiled once, any length).
  assert ns["START"] == (1.0, 1.0)
  ends = {}
  for label in ("KL", "MLE", "reverse KL"):
    generator, _, path = ns["fit"](ns["RUNS"][label], 1000)
    ends[label] = tuple(float(v) for v in ns["mean_scale"](generator))
    assert np.all(np.isfinite(path[:, :2])), label
  for label in ("KL", "MLE"):  # mode covering: centred between the modes, wider than both
    mu, sigma = ends[label]
    assert abs(mu) < 0.4 and sigma > 1.7, ends
  mu, sigma = ends["reverse KL"]  # mode seeking: on the mode right of the start, its width
  assert abs(mu - 2) < 0.2 and sigma < 0.7, ends


CHECKS = {"quickstart.ipynb": _check_quickstart,
          "likelihood_vs_gan.ipynb": _check_likelihood_vs_gan,
          "density_ratios.ipynb": _check_density_ratios,
          "mode_covering.ipynb": _check_mode_covering}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path):
  name = os.path.basename(path)
  assert name in CHECKS, (
      f"no checks for {name}: add a function asserting on the values it computes "
      f"to CHECKS in {__file__}")
  with open(path) as f:
    nb = json.load(f)
  namespace = {}
  for cell in nb["cells"]:
    if cell["cell_type"] != "code":
      continue
    exec(compile("".join(cell["source"]), path, "exec"), namespace)  # pylint: disable=exec-used
    namespace.update({k: v for k, v in FAST.items() if k in namespace})
  CHECKS[name](namespace)


def test_there_is_a_notebook():
  assert NOTEBOOKS
