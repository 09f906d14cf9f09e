"""gengan_jax.evaluate (and its entry point experiments.evaluate) on tiny runs made here
(no shared MNIST, no real classifier)."""

import json
import math
import os
import subprocess
import sys
import types

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from gengan_jax import evaluate, metrics, nets
from gengan_jax.metrics import classifier as clf
from gengan_jax.train import loop
from tests.evaluate import fake_runs


def _config(algorithm, data, model, steps=2):
  c = ml_collections.ConfigDict()
  c.algorithm = algorithm
  c.seed = 1
  c.model = ml_collections.ConfigDict(model)
  c.data = ml_collections.ConfigDict(data)
  c.train = ml_collections.ConfigDict(dict(
      steps=steps, log_every=1, checkpoint_every=steps, keep_checkpoints=1,
      plot_every=0, eval_samples=100, progress=False))
  return c


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
  """A randomly initialised classifier saved like the real one (weights do not matter)."""
  module = nets.MNISTClassifier(conv_features=(2, 2, 2), feature_dim=8)
  params = module.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)), train=False)["params"]
  return clf.save_classifier(tmp_path_factory.mktemp("clf") / "classifier", module, params,
                             input_shape=(28, 28, 1), meta={"test_accuracy": 0.1})


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("runs") / "dcgan_ring"
  c = _config("dcgan", dict(source="toy", name="ring", batch_size=16),
              dict(arch="mlp", latent_dim=2, hidden=(8,)), steps=2)
  loop.train(c, str(workdir))
  return workdir


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
  root = tmp_path_factory.mktemp("images")
  x = np.random.default_rng(0).integers(0, 256, size=(48, 28, 28), dtype=np.uint8)
  np.savez(root / "digits.npz", x=x)
  c = _config("alpha_gan", dict(source="npz", path=str(root / "digits.npz"), batch_size=8),
              dict(arch="dcgan", latent_dim=3, base_features=2,
                   code_discriminator_hidden=(4, 4, 4)))
  loop.train(c, str(root / "run"))
  return root / "run"


def test_mixture_run_both_protocols(toy_run, capsys):
  result = evaluate.evaluate_run(str(toy_run), num_samples=300, critic_steps=3)
  assert result["kind"] == "mixture" and result["step"] == 2
  saved = json.loads((toy_run / "evaluation.json").read_text())
  assert set(saved["mode_coverage"]) == set(metrics.mixtures.PROTOCOLS)
  for name, r in saved["mode_coverage"].items():
    assert r["num_samples"] == 300 and r["num_modes"] == 8
    assert sum(r["counts"]) == round(r["high_quality_fraction"] * 300)
    assert 0 <= r["modes_covered"] <= 8
  # The samples the JSON describes are the ones a direct computation sees.
  exp, state, _ = evaluate.load_run(str(toy_run))
  samples = evaluate.draw_samples(exp, state, 300, jax.random.fold_in(jax.random.key(0), 300))
  name, protocol = sorted(metrics.mixtures.PROTOCOLS.items())[0]
  direct = metrics.mode_coverage(samples, exp.dataset.mixture.means, exp.dataset.mixture.std,
                                 threshold_stds=protocol.threshold_stds,
                                 min_count=protocol.min_count)
  assert saved["mode_coverage"][name]["counts"] == direct.counts.tolist()
  crit = saved["independent_critic"]
  assert crit["steps"][-1] == 3 and crit["network"].startswith("MLP critic")
  assert crit["train_data"] == "2500 fresh draws from the mixture"
  for png in ("samples.png", "modes.png", "critic.png"):
    assert (toy_run / "report" / png).is_file()
  assert "not applicable" in saved["likelihood"]
  table = evaluate.run_table(result)
  assert "modes covered" in table and "reverse KL" in table
  assert "independent critic: -W" in table
  assert "critic -W train / valid" in evaluate.summary_tables([result, result])


def test_mixture_critic_tells_the_data_from_a_collapsed_sampler():
  """The independent critic on the ring: a sampler of the data itself scores
  ``-W`` near 0, one that puts everything on one mode far below it."""
  from gengan_jax.evaluate import critic  # pylint: disable=g-import-not-at-top
  scores = {}
  for name, modes in (("data", 8), ("collapsed", 1)):
    exp = fake_runs.ring_experiment(modes)
    out, history = critic.evaluate_mixture_critic(exp, None, jax.random.key(0), steps=300,
                                                  num_examples=500, seed=0)
    assert out["valid_negative_wasserstein"] == history.valid.tolist()
    scores[name] = history.valid[-1]
  assert scores["data"] > -0.1 and scores["collapsed"] < -0.5, scores


def test_mixture_protocols_on_a_perfect_sampler():
  """A 'model' that samples the data itself: every mode, ~98.9% within 3 std."""
  from gengan_jax.data import toy
  mix = toy.toy_mixture("grid")
  means = jnp.asarray(mix.means, jnp.float32)

  def sample(state, key, num):
    del state
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (num,), 0, len(mix.means))
    return means[idx] + mix.std * jax.random.normal(k2, (num, 2))

  exp = types.SimpleNamespace(algorithm=types.SimpleNamespace(sample=sample),
                              dataset=types.SimpleNamespace(mixture=mix))
  out, arrays = evaluate.evaluate_mixture(exp, None, jax.random.key(0), None)
  for name, protocol in metrics.mixtures.PROTOCOLS.items():
    r = out[name]
    assert r["num_samples"] == protocol.num_samples == 2500
    assert r["modes_covered"] == 25 and sum(r["counts"]) > 0
    # P(|x - mu| <= 3 std) = 1 - exp(-9/2) = 0.9889 in 2-D; 4 binomial std at n=2500.
    assert abs(r["high_quality_fraction"] - (1 - math.exp(-4.5))) < 4 * math.sqrt(
        0.9889 * 0.0111 / 2500)
    if "reverse_kl" in protocol.reports:
      assert 0.0 <= r["reverse_kl"] < 0.02
  assert out["veegan"]["counts"] == out["pacgan"]["counts"]  # same settings, same samples
  assert arrays["samples"].shape == (2500, 2)


def test_image_run_every_metric(image_run, tiny_classifier):
  result = evaluate.evaluate_run(str(image_run), classifier=tiny_classifier, num_samples=40,
                                 critic_steps=3, ms_ssim_pairs=20)
  saved = json.loads((image_run / "evaluation.json").read_text())
  assert saved["kind"] == "images" and saved["num_samples"] == 40
  assert "training data" in saved["held_out_data"]  # an npz file has no held-out split
  assert saved["classifier"]["path"] == tiny_classifier
  c = saved["classifier_metrics"]
  for k in ("fid", "kid", "precision", "recall", "density", "coverage"):
    assert math.isfinite(c["samples_vs_held_out"][k]), k
  assert saved["reference"] == "first vs second half of the training data"
  assert all(0.0 <= c["reference"][k] <= 1.0 for k in ("precision", "recall", "coverage"))
  # The inception scores, recomputed here from the classifier's logits on the
  # same images (the samples drawn with the evaluation's first key, seed 0;
  # the held-out images, here the training data; the same batching, so the
  # same logits) and the same 10 consecutive splits, with the softmax and KL
  # written out in float64. The run's samples are nearly constant and so are
  # the random classifier's predictions: the IS is 1 + ~1e-11, and
  # "1 <= IS <= 10" would hold for anything. So the comparison is on IS - 1;
  # it fails if the evaluation scores other images (another key; the held-out
  # data, IS - 1 ~ 2e-4), other logits, or splits or averages differently. The
  # tolerance covers float64 rounding of KL terms ~1e-11 (the JSON's IS
  # itself keeps IS - 1 to ~1e-5 relative).
  exp, state, _ = evaluate.load_run(str(image_run))
  samples = evaluate.draw_samples(exp, state, 40, jax.random.split(jax.random.key(0))[0])
  logits_fn, _ = clf.load_mnist_classifier(tiny_classifier)

  def excess_is(images, num_splits=10):
    z = np.asarray(clf.apply_in_batches(logits_fn, images), np.float64)
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    n, scores = len(z), []
    for s in range(num_splits):
      part = log_p[s * n // num_splits:(s + 1) * n // num_splits]
      log_marginal = np.log(np.exp(part).mean(0))
      scores.append(np.expm1((np.exp(part) * (part - log_marginal)).sum(1).mean()))
    return np.mean(scores)

  np.testing.assert_allclose(c["inception_score"]["samples"] - 1.0, excess_is(samples),
                             rtol=1e-3)
  np.testing.assert_allclose(c["inception_score"]["held_out"] - 1.0,
                             excess_is(np.asarray(exp.dataset.data)), rtol=1e-6)
  np.testing.assert_allclose(sum(c["class_histogram"]["samples"]), 1.0)
  d = saved["ms_ssim_diversity"]
  assert d["num_pairs"] == 20 and all(math.isfinite(d[k]) for k in ("samples", "held_out"))
  crit = saved["independent_critic"]
  assert len(crit["train_negative_wasserstein"]) == len(crit["valid_negative_wasserstein"]) >= 1
  assert crit["steps"][-1] == 3
  lat = saved["latent_statistics"]  # alpha-GAN has an encoder
  assert lat["prior"] == "gaussian" and len(lat["mean"]) == 3
  # Active units and reconstruction error, recomputed from the model's own
  # encode / reconstruct of the same held-out images (here the training data).
  real = np.asarray(exp.dataset.data)
  codes = np.asarray(exp.algorithm.encode(state, real))
  act = saved["active_units"]
  np.testing.assert_allclose(act["activity"], codes.var(0, ddof=1), rtol=1e-5, atol=1e-12)
  assert act["active"] == int((codes.var(0, ddof=1) > 1e-2).sum()) and act["dimensions"] == 3
  rec = np.asarray(exp.algorithm.reconstruct(state, real), np.float64)
  np.testing.assert_allclose(saved["reconstruction_error"]["mse_per_pixel"],
                             np.mean(np.square(real - rec)), rtol=1e-5)
  assert "not applicable" in saved["likelihood"]
  for png in ("samples.png", "modes.png", "critic.png", "latent.png"):
    assert (image_run / "report" / png).is_file(), png
  assert "MNIST FID" in evaluate.run_table(result)
  assert saved["inception_metrics"].startswith("skipped")
  assert "first vs second half" in evaluate.summary_tables([result, result])


def _fake_inception(images):
  """A stand-in feature extractor: 16 pixel sums as features, 10 as logits."""
  x = np.asarray(images, np.float64).reshape(len(images), 16, -1).sum(-1)
  return x, x[:, :10]


def test_features_match_a_direct_computation(image_run, tiny_classifier):
  """FID in the JSON equals the metric on features computed here."""
  result = evaluate.evaluate_run(str(image_run), classifier=tiny_classifier, num_samples=40,
                                 critic_steps=0, ms_ssim_pairs=4, write=False,
                                 inception=_fake_inception)
  exp, state, _ = evaluate.load_run(str(image_run))
  samples = evaluate.draw_samples(exp, state, 40, jax.random.split(jax.random.key(0))[0])
  _, features_fn = clf.load_mnist_classifier(tiny_classifier)
  fid = metrics.fid_from_features(np.asarray(features_fn(exp.dataset.data)),
                                  np.asarray(features_fn(samples)))
  np.testing.assert_allclose(result["classifier_metrics"]["samples_vs_held_out"]["fid"], fid,
                             rtol=1e-6)
  half = np.asarray(features_fn(exp.dataset.data))
  ref = metrics.fid_from_features(half[:24], half[24:])
  np.testing.assert_allclose(result["classifier_metrics"]["reference"]["fid"], ref, rtol=1e-6)
  assert result["independent_critic"].startswith("skipped")
  # The pluggable (Inception) extractor sees the same samples and data.
  inc = result["inception_metrics"]
  np.testing.assert_allclose(
      inc["samples_vs_held_out"]["fid"],
      metrics.fid_from_features(_fake_inception(exp.dataset.data)[0],
                                _fake_inception(samples)[0]), rtol=1e-6)
  is_mean, _ = metrics.inception_score(_fake_inception(samples)[1], num_splits=10)
  np.testing.assert_allclose(inc["inception_score"]["samples"], is_mean, rtol=1e-6)
  assert "Inception FID" in evaluate.run_table(result)


def test_missing_classifier_fails_with_instructions(image_run, tmp_path):
  with pytest.raises(FileNotFoundError, match="train_classifier"):
    evaluate.evaluate_run(str(image_run), classifier=str(tmp_path / "none"), num_samples=8,
                          critic_steps=0, ms_ssim_pairs=2, write=False)


def test_missing_run_is_reported(tmp_path):
  with pytest.raises(FileNotFoundError, match="config.json"):
    evaluate.load_run(str(tmp_path))


def test_stacked_mnist_run(tmp_path, tiny_classifier):
  from tests.data._idx_writer import write_mnist
  write_mnist(tmp_path, "train5k", 16, seed=0)
  write_mnist(tmp_path, "t10k", 16, seed=1)
  c = _config("dcgan", dict(source="stacked_mnist", directory=str(tmp_path), split="train5k",
                            num_images=32, batch_size=8),
              dict(arch="dcgan", latent_dim=3, base_features=2))
  loop.train(c, str(tmp_path / "run"))
  result = evaluate.evaluate_run(str(tmp_path / "run"), classifier=tiny_classifier,
                                 num_samples=24, critic_steps=0, ms_ssim_pairs=4)
  assert result["kind"] == "stacked_mnist"
  assert "held-out digits" in result["held_out_data"]
  sm = result["stacked_mnist"]
  assert sm["samples"]["num_samples"] == 24
  assert sm["held_out"]["num_samples"] == 24  # as many stacked held-out images as samples
  assert 1 <= sm["samples"]["modes"] <= 24
  for part in ("samples", "held_out"):
    assert 0 <= sm[part]["confident_share"] <= 1 and sm[part]["threshold"] == 0.9
    assert sm[part]["confident_modes"] <= sm[part]["modes"]
    assert sm[part]["confident_modes"] <= round(24 * sm[part]["confident_share"])
  assert (tmp_path / "run" / "report" / "modes.png").is_file()
  assert "Stacked MNIST modes" in evaluate.run_table(result)
  assert "modes of confident samples" in evaluate.run_table(result)


def test_command_line_prints_tables(toy_run, capsys):
  from absl import flags
  evaluate.evaluate_run(str(toy_run), num_samples=300)
  fv = flags.FlagValues()
  evaluate.define_flags(fv)
  fv(["evaluate", f"--workdir={toy_run}", f"--workdir={toy_run}", "--reuse"])
  results = evaluate.run(fv)
  assert len(results) == 2
  out = capsys.readouterr().out
  assert out.count("(reused)") == 2
  assert "| dcgan_ring | 2 |" in out  # the summary table, one row per run
  assert "reverse KL (PacGAN; 300 samples, 3 std)" in out


def test_held_out_images_prefers_the_test_split(tmp_path):
  from gengan_jax import data
  from tests.data._idx_writer import write_mnist
  write_mnist(tmp_path, "train5k", 6, seed=0)
  test_images, _ = write_mnist(tmp_path, "t10k", 5, seed=1)
  cfg = ml_collections.ConfigDict(dict(data=dict(source="idx", directory=str(tmp_path),
                                                 split="train5k")))
  ds = data.make_dataset(cfg.data)
  images, desc, held_out = evaluate.held_out_images(cfg, ds)
  assert held_out and desc.startswith("idx/test (5 held-out")
  np.testing.assert_array_equal(images, data.preprocess_images(test_images[..., None]))
  # Evaluating a model of the test split itself: no held-out data left.
  cfg.data.split = "test"
  images, desc, held_out = evaluate.held_out_images(cfg, data.make_dataset(cfg.data))
  assert not held_out and "training data" in desc and len(images) == 5


def test_classifier_flag_names_the_library_default():
  from absl import flags
  fv = flags.FlagValues()
  evaluate.define_flags(fv)
  assert clf.DEFAULT_CLASSIFIER_PATH in fv["classifier"].help
  assert clf.ENV_VAR in fv["classifier"].help


def test_repository_entry_point_is_the_library_command():
  from experiments import evaluate as entry
  from gengan_jax.evaluate import cli
  assert entry.main is cli.main and entry.define_flags is cli.define_flags
  assert entry.run is cli.run and entry.evaluate_run is evaluate.evaluate_run


def test_library_command_runs_outside_the_repository(toy_run, tmp_path):
  """``python -m gengan_jax.evaluate`` from another directory (as when installed)."""
  evaluate.evaluate_run(str(toy_run), num_samples=300)
  root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS="cpu")
  done = subprocess.run([sys.executable, "-m", "gengan_jax.evaluate", f"--workdir={toy_run}",
                         "--reuse"], cwd=tmp_path, env=env, capture_output=True, text=True,
                        timeout=300, check=False)
  assert done.returncode == 0, done.stderr
  assert "(reused)" in done.stdout and "reverse KL (PacGAN; 300 samples, 3 std)" in done.stdout
  helped = subprocess.run([sys.executable, "-m", "gengan_jax.evaluate", "--help"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
  assert helped.returncode == 0 and "--workdir" in helped.stdout, helped.stderr
  squeeze = lambda text: "".join(text.split())  # noqa: E731  (absl wraps the help)
  assert squeeze(clf.DEFAULT_CLASSIFIER_PATH) in squeeze(helped.stdout)
