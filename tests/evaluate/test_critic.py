"""gengan_jax.evaluate.critic's divergence critics (Im et al. 2018) in the evaluation:
the JSON, the tables, the command-line flags, and a collapsed sampler told apart."""

import copy
import json

import jax
import ml_collections
import numpy as np
import pytest

from gengan_jax import evaluate
from gengan_jax.evaluate import critic
from gengan_jax.metrics import divergence_critics
from gengan_jax.train import loop
from tests.evaluate import fake_runs


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("runs") / "dcgan_ring"
  c = ml_collections.ConfigDict()
  c.algorithm = "dcgan"
  c.seed = 1
  c.model = ml_collections.ConfigDict(dict(arch="mlp", latent_dim=2, hidden=(8,)))
  c.data = ml_collections.ConfigDict(dict(source="toy", name="ring", batch_size=16))
  c.train = ml_collections.ConfigDict(dict(
      steps=2, log_every=1, checkpoint_every=2, keep_checkpoints=1, plot_every=0,
      eval_samples=100, progress=False))
  loop.train(c, str(workdir))
  return workdir


def test_evaluation_reports_the_four_divergences(toy_run):
  result = evaluate.evaluate_run(str(toy_run), num_samples=300, critic_steps=0,
                                 divergence_critic_steps=3, divergence_critic_seeds=2)
  saved = json.loads((toy_run / "evaluation.json").read_text())
  d = saved["divergence_critics"]
  assert saved["settings"]["divergence_critic_steps"] == 3
  assert d["steps"] == 3 and d["num_seeds"] == 2 and d["network"].startswith("MLP critic")
  assert d["train_data"] == "2500 fresh draws from the mixture"
  assert list(d["estimates"]) == list(divergence_critics.OBJECTIVES)
  for name, e in d["estimates"].items():
    assert e["objective"] == name and len(e["values"]) == 2
    np.testing.assert_allclose(e["mean"], np.mean(e["values"]), rtol=1e-12)
    np.testing.assert_allclose(e["std"], np.std(e["values"], ddof=1), rtol=1e-12)
  table = evaluate.run_table(result)
  gan = d["estimates"]["gan"]
  assert (f"| divergence critic, GAN critic: JS (nats) (2 seeds x 3 steps) | "
          f"{gan['mean']:.3f} +- {gan['std']:.3f} | 0 |") in table
  for label in ("LS critic", "WGAN-GP critic: W1", "MMD critic"):
    assert label in table

  skipped = copy.deepcopy(result)
  skipped["divergence_critics"] = "skipped (--divergence_critic_steps=0)"
  assert "divergence critic" not in evaluate.run_table(skipped)
  summary = evaluate.summary_tables([result, skipped])
  header = summary.splitlines()[0]
  assert "| JS (critic) | LS chi^2 (critic) | W1 (critic) | MMD^2 (critic) |" in header
  assert summary.splitlines()[3].endswith("| - | - | - | - |")  # the run without them


def test_flags_reach_the_evaluation(toy_run, monkeypatch):
  from absl import flags  # pylint: disable=g-import-not-at-top
  from gengan_jax.evaluate import cli  # pylint: disable=g-import-not-at-top
  seen = {}

  def fake_evaluate_run(workdir, **kwargs):
    seen.update(kwargs)
    raise FileNotFoundError("stop here")

  monkeypatch.setattr(cli, "evaluate_run", fake_evaluate_run)
  fv = flags.FlagValues()
  evaluate.define_flags(fv)
  fv(["evaluate", f"--workdir={toy_run}"])
  assert (fv.divergence_critic_steps, fv.divergence_critic_seeds) == (0, 3)  # off by default
  fv(["evaluate", f"--workdir={toy_run}", "--divergence_critic_steps=7",
      "--divergence_critic_seeds=5"])
  with pytest.raises(SystemExit, match="stop here"):
    evaluate.run(fv)
  assert seen["divergence_critic_steps"] == 7 and seen["divergence_critic_seeds"] == 5


def test_divergence_critics_tell_the_data_from_a_collapsed_sampler():
  """On the ring, a sampler of the data itself scores near 0 on all four;
  one that puts everything on one of the 8 modes far above it on each."""
  out = {}
  for name, modes in (("data", 8), ("collapsed", 1)):
    exp = fake_runs.ring_experiment(modes)
    res = critic.evaluate_divergence_critics(exp, None, jax.random.key(0), steps=150,
                                             num_seeds=1, seed=0, num_examples=500)
    out[name] = {k: v["mean"] for k, v in res["estimates"].items()}
  # One mode of the 8 against the ring, closed forms for well-separated modes:
  # JS = (1/2)[(1/8) log(2/9) + (7/8) log 2 + log(16/9)] = 0.497 nats, the LS
  # chi^2 = (1/2)[(7/8)^2 / (9/8) + 7/8] = 0.778; margins well inside them
  # (the critic is short of its optimum after 150 steps).
  near_zero = {"gan": 0.05, "least_squares": 0.05, "wasserstein_gp": 0.2, "mmd": 0.05}
  margins = {"gan": 0.25, "least_squares": 0.35, "wasserstein_gp": 0.5, "mmd": 0.3}
  for name, margin in margins.items():
    assert abs(out["data"][name]) < near_zero[name], (name, out)
    assert out["collapsed"][name] > out["data"][name] + margin, (name, out)
