"""experiments/aae_kl.py: the discriminator's KL estimate and a tiny end-to-end run."""

import json
import math

import numpy as np
import pytest
from absl import flags

from experiments import aae_kl


def _gaussian_log_density(z, mean, scale):
  return np.sum(-0.5 * np.log(2 * np.pi) - np.log(scale) - 0.5 * ((z - mean) / scale) ** 2,
                axis=1)


def test_exact_log_ratio_gives_the_closed_form_kl():
  # q = N(m, diag(s^2)), p = N(0, I) in 3-D: the exact "logit" log p(z) - log q(z)
  # on z ~ q gives KL(q || p) = 1/2 sum(s^2 + m^2 - 1 - 2 log s) within MC error.
  rng = np.random.default_rng(0)
  m, s = np.array([1.0, -0.5, 0.2]), np.array([0.5, 1.5, 0.8])
  z = m + s * rng.normal(size=(20000, 3))
  logits = _gaussian_log_density(z, 0.0, 1.0) - _gaussian_log_density(z, m, s)
  estimate, se = aae_kl.discriminator_kl(logits)
  closed_form = 0.5 * np.sum(s**2 + m**2 - 1.0 - 2.0 * np.log(s))
  assert closed_form == pytest.approx(1.2258, abs=1e-3)
  assert 0.0 < se < 0.02
  assert abs(estimate - closed_form) < 4 * se
  # The same logits read the other way round (codes real) give minus the KL:
  # a swapped label convention is caught.
  assert abs(aae_kl.discriminator_kl(-logits)[0] + closed_form) < 4 * se
  # A constant logit is a classifier at chance: estimate 0 with zero spread.
  assert aae_kl.discriminator_kl(np.zeros(10)) == (0.0, 0.0)
  with pytest.raises(ValueError, match="code_logits"):
    aae_kl.discriminator_kl(np.zeros((4, 2)))


def test_gaussian_log_prior_is_the_standard_normal_density():
  z = np.array([[0.0, 0.0], [1.0, -2.0]])
  np.testing.assert_allclose(aae_kl.gaussian_log_prior(z),
                             [-math.log(2 * math.pi), -math.log(2 * math.pi) - 2.5])


def test_main_on_the_ring_writes_finite_estimates(tmp_path):
  images = tmp_path / "images"
  images.mkdir()
  fv = flags.FlagValues()
  aae_kl.define_flags(fv)
  fv(["aae_kl", f"--workdir={tmp_path}", "--data=ring", "--steps=4", "--every=2",
      "--eval_examples=64", "--critic_every=4", "--critic_steps=3", "--critic_batch=16",
      f"--images_dir={images}"])
  aae_kl.main([], fv)
  records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
  assert [r["step"] for r in records] == [0, 2, 4]
  assert "critic_kl" in records[0] and "critic_kl" in records[-1]
  assert "critic_kl" not in records[1]
  for r in records:
    for k in ("discriminator_kl", "mc_kl", "mc_kl_se", "knn_kl", "knn_kl_k1", "knn_kl_k5",
              "knn_kl_half", "optimal_kl", "mc_kl_inference_mode"):
      assert np.isfinite(r[k]), (k, r)
    # KL of a mixture to the prior is >= 0; the MC estimate is the closed-form
    # average KL minus I[n; z] <= log N, so it cannot be far below 0.
    assert r["mc_kl"] >= -4 * r["mc_kl_se"]
    assert r["mutual_information"] <= r["log_num_examples"] + 1e-9
    assert r["average_kl"] >= 0.0
  assert all(np.isfinite(r["c_prior"]) and 0 <= r["c_codes"] <= 1 for r in records[1:])
  results = json.loads((tmp_path / "results.json").read_text())
  assert results["data"] == "ring" and results["records"] == records
  assert (tmp_path / "aae_kl_estimates_ring.png").stat().st_size > 10000
  assert (images / "aae_kl_estimates_ring.png").exists()
  assert "| 4 |" in (tmp_path / "results.md").read_text()
  with np.load(tmp_path / "posteriors.npz") as posteriors:
    assert posteriors["mean"].shape == posteriors["log_scale"].shape == (64, 2)
  assert (tmp_path / "state.msgpack").stat().st_size > 0
