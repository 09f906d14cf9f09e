r"""Evaluates a trained run with every metric that applies to its data and model.

Usage::

  python -m experiments.evaluate --workdir=workdirs/alpha_gan_mnist \
      [--workdir=workdirs/dcgan_mnist ...] [--classifier=PATH] \
      [--num_samples=N] [--critic_steps=1000] [--seed=0]

For each work directory (written by ``python -m experiments.train``) it reads
``config.json``, restores the latest checkpoint, draws samples and computes:

* **mixtures of Gaussians** (``data.source='toy'``): modes covered, share of
  high-quality samples and reverse KL over modes, under the VEEGAN and the
  PacGAN protocols (:mod:`gengan_jax.metrics.mixtures`);
* **MNIST-like 28x28 digits** (``'idx'``, ``'npz'``, ``'tfds'`` with 28x28x1
  images), with the features and logits of the MNIST evaluation classifier
  (:mod:`gengan_jax.metrics.classifier`): "MNIST FID" and KID, "MNIST IS",
  precision/recall, density/coverage, the classifier's class histogram; the
  MS-SSIM sample diversity with its references on real data and on real data
  plus noise; an independent Wasserstein critic (Danihelka et al. 2017)
  trained on half of the held-out data against samples and measured on the
  other half; reference values of the same metrics between the training and
  the held-out data;
* with ``--inception=<weights file>``, for any images: the same FID, KID, IS
  and precision/recall, density/coverage on the pool3 features and logits of
  the FID Inception-v3 (:mod:`gengan_jax.metrics.inception`; the weights are
  a local file, never downloaded -- slow on a CPU);
* **Stacked MNIST** (``'stacked_mnist'``): the above on the channels read as
  separate digits, plus the number of the 1000 modes covered and the KL of
  the mode histogram to the uniform distribution;
* **latent statistics** (Rosca et al. 2017, Appendix D) when the algorithm
  has an encoder (``encode``): the codes of held-out data against the prior;
* **likelihood** (bits/dim, IWAE) only when the model defines one -- none
  of the GANs here does, and the output says so.

It writes ``<workdir>/evaluation.json`` (every number, with the settings
that produced it), pictures in ``<workdir>/report/`` (samples, mode
histogram, critic curves, latent statistics) and prints a table (Markdown,
one row per metric; with several ``--workdir`` flags also one summary table
per kind of data, one row per run).

Held-out data: for IDX sources (``'idx'``, ``'stacked_mnist'``) the ``test``
split (``t10k-*``) in the same directory (for Stacked MNIST, as many images
as samples stacked from the held-out digits); when there is none (e.g. an
``npz`` file) the training data itself, which the JSON records, and the
reference values then compare two halves of the training data. The
feature metrics (FID, KID, precision/recall, density/coverage) use at most
10,000 examples per set, a seeded random subset of larger sets (the
nearest-neighbour ones cost O(N^2)); the inception score uses every sample.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from absl import app, flags

def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags in ``flag_values``.

  Called when the module runs as a script (not at import, so importing it
  next to another entry point defines no clashing ``--workdir``/``--seed``).
  """
  fv = {"flag_values": flag_values}
  flags.DEFINE_multi_string("workdir", None, "Run directory (repeatable).", **fv)
  flags.DEFINE_string(
      "classifier", None, "MNIST classifier directory (default: $GENGAN_MNIST_CLASSIFIER or "
      "experiments/assets/mnist_classifier).", **fv)
  flags.DEFINE_integer(
      "num_samples", None, "Model samples (default: 2,500 for mixtures as in VEEGAN/PacGAN; "
      "10,000 for images, the size of the MNIST test set; 26,000 for Stacked MNIST as in "
      "PacGAN).", **fv)
  flags.DEFINE_integer("critic_steps", 1000,
                       "Independent critic training steps (0: skip the critic).", **fv)
  flags.DEFINE_string(
      "inception", None, "Inception-v3 FID weights (.pth or converted .npz; see "
      "gengan_jax.metrics.inception): adds Inception FID/KID/IS/precision-recall for images.",
      **fv)
  flags.DEFINE_integer("ms_ssim_pairs", 2000, "Random pairs for MS-SSIM diversity.", **fv)
  flags.DEFINE_integer("seed", 0, "Seed of the evaluation's samples and draws.", **fv)
  flags.DEFINE_bool(
      "reuse", False, "Print the tables from an existing <workdir>/evaluation.json instead of "
      "evaluating again (runs without one are evaluated).", **fv)
  flags.DEFINE_integer("step", None, "Checkpoint step to evaluate (default: latest).", **fv)


DEFAULT_IMAGE_SAMPLES = 10_000
_SAMPLE_CHUNK = 500
_MAX_FEATURE_EXAMPLES = 10_000


# ----------------------------------------------------------------------------
# Loading a run.


def load_run(workdir: str, *, step: int | None = None):
  """Rebuilds a run's experiment and restores its checkpoint.

  Args:
    workdir: a directory written by :func:`gengan_jax.train.loop.train`.
    step: the checkpoint to restore (default: the latest).

  Returns:
    ``(experiment, state, step)``; the state is on the first local device.

  Raises:
    FileNotFoundError: no ``config.json`` or no checkpoint.
  """
  import jax  # pylint: disable=g-import-not-at-top
  import ml_collections  # pylint: disable=g-import-not-at-top

  from gengan_jax.train import Checkpointer  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.loop import Experiment  # pylint: disable=g-import-not-at-top

  workdir = os.path.abspath(workdir)
  config_path = os.path.join(workdir, "config.json")
  if not os.path.isfile(config_path):
    raise FileNotFoundError(
        f"evaluate: {config_path!r} does not exist; --workdir must be a directory written "
        "by `python -m experiments.train`.")
  with open(config_path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  exp = Experiment(config)
  state = exp.init_state()
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"))
  try:
    if ckpt.latest_step() is None:
      raise FileNotFoundError(f"evaluate: no checkpoint in {ckpt.directory!r}.")
    step = ckpt.latest_step() if step is None else step
    state, _ = ckpt.restore(state, step)
  finally:
    ckpt.close()
  # Evaluation runs on one device: sampling, encoding and the metrics' own
  # networks then share it (the run's mesh shards only the training batch).
  # Through the host: on a mesh with Explicit axes a direct device_put keeps
  # the arrays' mesh type, and jit then asks for the whole mesh.
  state = jax.device_put(jax.device_get(state), jax.devices()[0])
  return exp, state, int(step)


def draw_samples(exp, state, num: int, key) -> "np.ndarray":
  """``num`` samples in chunks of 500 (one compiled shape); host float32."""
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  chunk = min(num, _SAMPLE_CHUNK)
  fn = jax.jit(exp.algorithm.sample, static_argnums=2)
  out = [np.asarray(fn(state, jax.random.fold_in(key, i), chunk))
         for i in range(math.ceil(num / chunk))]
  return np.concatenate(out)[:num].astype(np.float32)


def held_out_images(config, dataset, num_stacked: int = 26_000):
  """The real images to compare with: the held-out split when there is one.

  Args:
    config: the run's config.
    dataset: its training dataset.
    num_stacked: Stacked MNIST images to stack from the held-out digits.

  Returns:
    ``(images in [-1, 1] [N, H, W, C], description, is_held_out)``; without a
    held-out split, the training data and ``is_held_out=False``.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top

  from gengan_jax import data  # pylint: disable=g-import-not-at-top
  from gengan_jax.data import stacked_mnist  # pylint: disable=g-import-not-at-top

  source = config.data.source
  if source in ("idx", "stacked_mnist") and config.data.get("split") != "test":
    try:
      digits, labels = data.load_mnist_idx(config.data.directory, "test")
    except FileNotFoundError:
      digits = None
    if digits is not None and source == "idx":
      return data.preprocess_images(digits), f"idx/test ({len(digits)} held-out images)", True
    if digits is not None and labels is not None:
      stacked, _, _ = stacked_mnist.stack_digits(digits, labels, num_stacked, seed=1)
      return (data.preprocess_images(stacked),
              f"stacked_mnist/test ({len(stacked)} images stacked from {len(digits)} "
              "held-out digits)", True)
  return (np.asarray(dataset.data), f"{dataset.name} (the training data: no held-out split)",
          False)


# ----------------------------------------------------------------------------
# Metrics.


def _finite(x: float) -> float | int | str:
  """JSON-safe number: ints kept; non-finite floats as 'inf', '-inf', 'nan'."""
  if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
    return int(x)
  x = float(x)
  return x if math.isfinite(x) else str(x)


def evaluate_mixture(exp, state, key, num_samples: int | None) -> tuple[dict, dict]:
  """Mode coverage under the VEEGAN and the PacGAN protocols.

  Each protocol (:data:`gengan_jax.metrics.mixtures.PROTOCOLS`) fixes the
  number of samples, the high-quality threshold and the mode criterion, and
  lists the numbers its paper reports; protocols with the same sample count
  are evaluated on the same samples.

  Args:
    exp: the run's experiment (its dataset is a mixture).
    state: the restored state.
    key: the evaluation's key.
    num_samples: overrides every protocol's sample count (``None``: keep).

  Returns:
    ``(metrics, arrays)``: per protocol its settings and reported numbers
    plus the per-mode counts; and the samples and counts for the pictures.
  """
  import jax  # pylint: disable=g-import-not-at-top

  from gengan_jax.metrics import mixtures  # pylint: disable=g-import-not-at-top

  mix = exp.dataset.mixture
  out, arrays, drawn = {}, {"means": mix.means}, {}
  for name, protocol in mixtures.PROTOCOLS.items():
    n = num_samples or protocol.num_samples
    if n not in drawn:
      drawn[n] = draw_samples(exp, state, n, jax.random.fold_in(key, n))
    cov = mixtures.mode_coverage(drawn[n], mix.means, mix.std,
                                 threshold_stds=protocol.threshold_stds,
                                 min_count=protocol.min_count)
    values = cov.as_dict()
    out[name] = {"num_samples": n, "threshold_stds": protocol.threshold_stds,
                 "min_count": protocol.min_count, "num_modes": cov.num_modes,
                 "reported": list(protocol.reports), "reference": protocol.reference,
                 **{k: _finite(values[k]) for k in protocol.reports},
                 "counts": [int(c) for c in cov.counts]}
    arrays.setdefault("samples", drawn[n])
    arrays.setdefault("counts", cov.counts)
  return out, arrays


def _as_digits(x):
  """``[N, H, W, C]`` -> ``[N*C, H, W, 1]``: every channel as its own digit."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  n, h, w, c = x.shape
  return np.moveaxis(x, -1, 0).reshape(c * n, h, w, 1)


def _feature_metrics(f_real, f_fake, *, seed: int) -> dict:
  from gengan_jax import metrics  # pylint: disable=g-import-not-at-top
  subset = min(1000, len(f_real), len(f_fake))
  kid_mean, kid_std = metrics.kernel_inception_distance(f_real, f_fake, num_subsets=100,
                                                        subset_size=subset, seed=seed)
  return {
      "fid": metrics.fid_from_features(f_real, f_fake),
      "kid": kid_mean, "kid_std": kid_std, "kid_subset_size": subset,
      **metrics.precision_recall(f_real, f_fake, k=3),
      **metrics.density_coverage(f_real, f_fake, k=5),
  }


def _extractor_metrics(extract, sets, *, seed: int, description: str) -> tuple[dict, dict]:
  """FID, KID, precision/recall, density/coverage and IS from one network.

  Args:
    extract: ``images [N, H, W, C] -> (features [M, D], logits [M, K])``.
    sets: ``(name, images)`` for ``samples``, ``held_out`` and the two
      reference sets ``ref_a``, ``ref_b`` (real vs real).
    seed: seed of the KID subsets.
    description: what the features are, for the JSON.

  Returns:
    ``(metrics, logits)``: the numbers (samples vs held-out, the real-vs-real
    reference, the inception score of samples and held-out data) and the
    logits of samples and held-out data.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top

  from gengan_jax import metrics  # pylint: disable=g-import-not-at-top
  # Nearest-neighbour metrics cost O(N^2): at most 10,000 examples per set,
  # a seeded random subset of larger ones (e.g. Stacked MNIST's 3 x 26,000
  # digits, stored channel after channel).
  cap = _MAX_FEATURE_EXAMPLES
  feats, logits = {}, {}
  for i, (name, x) in enumerate(sets):
    f, l = extract(x)
    f = np.asarray(f)
    if len(f) > cap:
      f = f[np.sort(np.random.default_rng([seed, i]).permutation(len(f))[:cap])]
    feats[name] = f
    if name in ("samples", "held_out"):
      logits[name] = np.asarray(l)
  is_mean, is_std = metrics.inception_score(logits["samples"], num_splits=10)
  ref_mean, ref_std = metrics.inception_score(logits["held_out"], num_splits=10)
  return {
      "features": f"{description} ({feats['samples'].shape[1]}-D features)",
      "num_features": {k: int(len(v)) for k, v in feats.items()},
      "samples_vs_held_out": _feature_metrics(feats["held_out"], feats["samples"], seed=seed),
      "reference": _feature_metrics(feats["ref_a"], feats["ref_b"], seed=seed),
      "inception_score": {"samples": is_mean, "samples_std": is_std, "held_out": ref_mean,
                          "held_out_std": ref_std, "num_splits": 10},
  }, logits


def evaluate_images(exp, state, key, *, classifier, num_samples: int, critic_steps: int,
                    ms_ssim_pairs: int, seed: int, log: Callable[[str], None],
                    inception: Callable[[Any], tuple[Any, Any]] | None = None
                    ) -> tuple[dict, dict]:
  """Every image metric that applies; see the module docstring.

  Args:
    exp: the run's :class:`~gengan_jax.train.loop.Experiment`.
    state: its restored state.
    key: the evaluation's key.
    classifier: ``(logits_fn, features_fn)`` of the MNIST evaluation
      classifier, or ``None`` when the images are not 28x28 digits.
    num_samples: model samples.
    critic_steps: independent-critic steps (0: skip).
    ms_ssim_pairs: pairs for the MS-SSIM diversity.
    seed: seed of the subset and pair draws.
    log: progress messages.
    inception: ``images -> (features, logits)`` of Inception-v3 (e.g.
      :func:`gengan_jax.metrics.inception.load_inception_v3`), or ``None``
      to skip the Inception metrics.

  Returns:
    ``(metrics, arrays)``: JSON-able numbers and what the pictures need.
  """
  import jax  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top

  from gengan_jax.metrics import classifier as clf  # pylint: disable=g-import-not-at-top
  # The package exports the function ms_ssim, which hides the module's name.
  ms_ssim = importlib.import_module("gengan_jax.metrics.ms_ssim")

  cfg = exp.config
  timings, clock = {}, [time.time()]

  def mark(stage: str) -> None:  # wall seconds of each stage, for the JSON
    now = time.time()
    timings[stage] = round(now - clock[0], 1)
    clock[0] = now

  k_samples, k_critic = jax.random.split(key)
  samples = draw_samples(exp, state, num_samples, k_samples)
  real, real_desc, is_held_out = held_out_images(cfg, exp.dataset, num_stacked=num_samples)
  train = np.asarray(exp.dataset.data)
  if not is_held_out:
    # No held-out split: the reference compares two halves of the training data.
    half = len(train) // 2
    ref_a, ref_b = train[:half], train[half:]
    ref_desc = "first vs second half of the training data"
  else:
    ref_a, ref_b = real, train
    ref_desc = "held-out vs training data"
  out: dict[str, Any] = {"held_out_data": real_desc, "num_samples": int(num_samples),
                         "num_held_out": int(len(real)), "num_train": int(len(train)),
                         "reference": ref_desc}
  arrays: dict[str, Any] = {"samples": samples}
  stacked = cfg.data.source == "stacked_mnist"
  mark("samples_and_data")

  sets = (("samples", samples), ("held_out", real), ("ref_a", ref_a), ("ref_b", ref_b))
  if classifier is not None:
    logits_fn, features_fn = classifier
    log("classifier features and logits")

    def extract(x):  # every channel read as a digit
      digits = _as_digits(x)
      return (clf.apply_in_batches(features_fn, digits), clf.apply_in_batches(logits_fn, digits))

    per = "digit channels" if stacked else "images"
    out["classifier_metrics"], logits = _extractor_metrics(
        extract, sets, seed=seed,
        description=f"MNIST classifier penultimate layer and logits, on the {per}")
    hist = {name: np.bincount(np.argmax(l, -1), minlength=10) / len(l)
            for name, l in logits.items()}
    out["classifier_metrics"]["class_histogram"] = {k: v.tolist() for k, v in hist.items()}
    arrays["class_histogram"] = hist
    if stacked:
      from gengan_jax.metrics import stacked_mnist as sm  # pylint: disable=g-import-not-at-top
      res = {}
      for name, x in (("samples", samples), ("held_out", real)):
        counts = sm.mode_counts(clf.stacked_digits(logits_fn, x))
        res[name] = {k: _finite(v) for k, v in sm.stacked_mnist_modes(counts, min_count=1).items()}
        arrays.setdefault("mode_counts", {})[name] = np.asarray(counts)
      out["stacked_mnist"] = res
  else:
    out["classifier_metrics"] = "not applicable: the MNIST classifier reads 28x28 digits"
  mark("classifier_metrics")
  if inception is not None:
    log("Inception-v3 features and logits")
    out["inception_metrics"], _ = _extractor_metrics(
        inception, sets, seed=seed, description="Inception-v3 pool3 features and logits")
    mark("inception_metrics")
  else:
    out["inception_metrics"] = "skipped: no Inception-v3 weights given (--inception=<file>)"
  log("MS-SSIM diversity")
  refs = ms_ssim.diversity_references(real, num_pairs=ms_ssim_pairs, seed=seed)
  out["ms_ssim_diversity"] = {
      "samples": ms_ssim.diversity(samples, num_pairs=ms_ssim_pairs, seed=seed),
      "held_out": refs["real"], "held_out_plus_noise": refs["real_plus_noise"],
      "noise_std": 0.1, "num_pairs": ms_ssim_pairs,
      "scales": ms_ssim.scales_that_fit(samples.shape[1], samples.shape[2]),
  }
  mark("ms_ssim_diversity")

  if critic_steps > 0:
    from gengan_jax.metrics import critic  # pylint: disable=g-import-not-at-top
    log(f"independent Wasserstein critic ({critic_steps} steps)")
    half = len(real) // 2
    jitted_sample = jax.jit(exp.algorithm.sample, static_argnums=2)
    # On the host: the state lives on the run's mesh, the critic on one device.
    sample_fn = lambda k, n: np.asarray(jitted_sample(state, k, n))  # noqa: E731
    settings = critic.IndependentCritic(arch="dcgan")
    history = critic.train_independent_critic(
        real[:half], real[half:], sample_fn, k_critic, steps=critic_steps, critic=settings)
    out["independent_critic"] = {
        "train_data": f"first {half} of the {real_desc}",
        "valid_data": f"the other {len(real) - half}",
        "network": f"DCGAN critic without batch norm, {settings.base_features} base features",
        "batch_size": settings.batch_size, "learning_rate": settings.learning_rate,
        "gradient_penalty_weight": settings.gradient_penalty_weight,
        **_jsonable(history.as_dict())}
    arrays["critic"] = history
    mark("independent_critic")
  else:
    out["independent_critic"] = "skipped (--critic_steps=0)"

  if exp.algorithm.encode is not None:
    from gengan_jax.metrics import latent  # pylint: disable=g-import-not-at-top
    codes = clf.apply_in_batches(jax.jit(lambda x: exp.algorithm.encode(state, x)), real)
    prior = "sphere" if cfg.algorithm == "age" else "gaussian"
    stats = latent.latent_statistics(codes, prior=prior)
    out["latent_statistics"] = {"codes_of": real_desc, "prior": prior, **_jsonable(stats)}
    arrays["latent"] = (codes, prior, stats)
  else:
    out["latent_statistics"] = f"not applicable: {cfg.algorithm} has no encoder"
  mark("latent_statistics")
  out["seconds_per_stage"] = timings
  return out, arrays


def _jsonable(x: Any) -> Any:
  """Numbers, arrays and dicts to JSON-able values (arrays as lists)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  if isinstance(x, dict):
    return {str(k): _jsonable(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [_jsonable(v) for v in x]
  if hasattr(x, "_asdict"):
    return _jsonable(x._asdict())
  if hasattr(x, "__dataclass_fields__"):
    import dataclasses  # pylint: disable=g-import-not-at-top
    return _jsonable(dataclasses.asdict(x))
  a = np.asarray(x) if not isinstance(x, str) else x
  if isinstance(a, np.ndarray):
    if a.ndim == 0:
      v = a.item()
      return _finite(v) if isinstance(v, float) else v
    return _jsonable(a.tolist())
  if isinstance(x, float):
    return _finite(x)
  return x


def likelihood_note(algorithm) -> str:
  """Why there is (no) likelihood for this model."""
  if algorithm.log_likelihood is not None:
    return "available"
  return (f"not applicable: {algorithm.name} is an implicit model "
          "(no log-likelihood, and no decoder likelihood for an IWAE bound)")


# ----------------------------------------------------------------------------
# Pictures.


def write_report(report_dir: str, exp, arrays: dict) -> list[str]:
  """Writes the report's PNGs; returns their paths."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top

  from gengan_jax import data  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import plots  # pylint: disable=g-import-not-at-top

  os.makedirs(report_dir, exist_ok=True)
  paths = []
  title = f"{exp.config.algorithm} on {exp.dataset.name}"
  samples = arrays["samples"]
  path = os.path.join(report_dir, "samples.png")
  if isinstance(exp.dataset, data.MixtureDataset):
    real = exp.dataset.mixture.sample(np.random.default_rng(0), len(samples))
    plots.scatter_samples(path, samples, real, means=arrays["means"], title=title)
  else:
    plots.image_grid(path, samples[:64], title=title + ": samples")
  paths.append(path)

  path = os.path.join(report_dir, "modes.png")
  if "counts" in arrays:  # mixtures: samples per mode (VEEGAN protocol).
    counts = np.asarray(arrays["counts"])
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.bar(np.arange(len(counts)), counts, color="tab:orange")
    ax.axhline(counts.sum() / len(counts), color="k", lw=0.8, ls="--", label="uniform")
    ax.set_xlabel("mode")
    ax.set_ylabel("high-quality samples")
    ax.legend(fontsize=8)
    ax.set_title(title + ": samples per mode", fontsize=9)
  elif "mode_counts" in arrays:  # Stacked MNIST: 1000 modes as a 10 x 100 image.
    fig, axes = plt.subplots(2, 1, figsize=(8, 3.6), dpi=100)
    for ax, name in zip(axes, ("samples", "held_out")):
      c = np.asarray(arrays["mode_counts"][name], np.float64)
      im = ax.imshow(c.reshape(10, 100), aspect="auto", cmap="viridis")
      ax.set_yticks(range(10))
      ax.tick_params(labelsize=6)
      ax.set_ylabel("first digit")
      ax.set_title(f"{name}: images per mode (columns: last two digits)", fontsize=8)
      fig.colorbar(im, ax=ax)
  elif "class_histogram" in arrays:  # digits: the classifier's class histogram.
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    h = arrays["class_histogram"]
    ax.bar(np.arange(10) - 0.2, h["samples"], width=0.4, label="samples", color="tab:orange")
    ax.bar(np.arange(10) + 0.2, h["held_out"], width=0.4, label="held-out data",
           color="tab:blue")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit predicted by the MNIST classifier")
    ax.set_ylabel("share")
    ax.legend(fontsize=8)
    ax.set_title(title + ": class histogram", fontsize=9)
  else:
    fig = None
  if fig is not None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

  if "critic" in arrays:
    from gengan_jax.metrics import critic  # pylint: disable=g-import-not-at-top
    path = os.path.join(report_dir, "critic.png")
    critic.plot_critic_history(path, arrays["critic"], title=title + ": independent critic")
    paths.append(path)

  if "latent" in arrays:
    from gengan_jax.metrics import latent  # pylint: disable=g-import-not-at-top
    codes, prior, stats = arrays["latent"]
    path = os.path.join(report_dir, "latent.png")
    latent.plot_latent_statistics(path, stats, title=f"{title}: codes of held-out data "
                                  f"vs the {prior} prior")
    paths.append(path)
  return paths


# ----------------------------------------------------------------------------
# The whole evaluation of one run.


def evaluate_run(workdir: str, *, classifier: Any = None, num_samples: int | None = None,
                 critic_steps: int = 1000, ms_ssim_pairs: int = 2000, seed: int = 0,
                 step: int | None = None, write: bool = True, inception: Any = None,
                 log: Callable[[str], None] = lambda s: None) -> dict:
  """Evaluates one run; writes ``evaluation.json`` and ``report/`` when ``write``.

  Args:
    workdir: the run's directory.
    classifier: the MNIST evaluation classifier: a directory (``None``: the
      default, see :func:`gengan_jax.metrics.classifier.classifier_path`) or
      a pair ``(logits_fn, features_fn)``. Loaded only for 28x28 digits.
    num_samples: model samples (default 2,500 for mixtures, 10,000 for
      images).
    critic_steps: independent-critic steps (0: skip it).
    ms_ssim_pairs: pairs for the MS-SSIM diversity.
    seed: the evaluation's seed (samples, subsets, pairs, critic).
    step: checkpoint step (default: the latest).
    write: write ``evaluation.json`` and the report.
    inception: Inception-v3 weights (a file for
      :func:`gengan_jax.metrics.inception.load_inception_v3`) or an
      ``images -> (features, logits)`` function; ``None`` skips the
      Inception metrics (slow on a CPU: 299x299 inputs).
    log: progress messages.

  Returns:
    The evaluation as a dict (what ``evaluation.json`` holds).
  """
  import jax  # pylint: disable=g-import-not-at-top

  from gengan_jax import data  # pylint: disable=g-import-not-at-top
  from gengan_jax.data import stacked_mnist  # pylint: disable=g-import-not-at-top
  from gengan_jax.metrics import classifier as clf  # pylint: disable=g-import-not-at-top

  t0 = time.time()
  workdir = os.path.abspath(workdir)
  log(f"loading {workdir}")
  exp, state, ckpt_step = load_run(workdir, step=step)
  key = jax.random.key(seed)
  result: dict[str, Any] = {
      "workdir": workdir, "algorithm": exp.config.algorithm, "data": exp.dataset.name,
      "data_source": exp.config.data.source, "step": ckpt_step,
      "settings": {"seed": seed, "critic_steps": critic_steps, "ms_ssim_pairs": ms_ssim_pairs},
  }
  if isinstance(exp.dataset, data.MixtureDataset):
    result["kind"] = "mixture"
    metrics_out, arrays = evaluate_mixture(exp, state, key, num_samples)
    result["mode_coverage"] = metrics_out
  else:
    shape = tuple(exp.dataset.element_shape)
    digits = len(shape) == 3 and shape[:2] == (28, 28) and shape[2] in (1, 3)
    result["kind"] = "stacked_mnist" if exp.config.data.source == "stacked_mnist" else "images"
    if digits:
      if classifier is None or isinstance(classifier, (str, os.PathLike)):
        path = clf.classifier_path(classifier)
        classifier = clf.load_mnist_classifier(path)
        record = clf.load_classifier(path)[2]
        result["classifier"] = {"path": path, **{k: record["meta"].get(k) for k in (
            "test_accuracy", "train_split", "test_split") if k in record["meta"]}}
      else:
        result["classifier"] = {"path": "given by the caller"}
    else:
      classifier = None
    n = num_samples or (stacked_mnist.NUM_EVAL_SAMPLES if result["kind"] == "stacked_mnist"
                        else DEFAULT_IMAGE_SAMPLES)
    if isinstance(inception, (str, os.PathLike)):
      result["inception"] = {"path": os.path.abspath(inception)}
      inception = importlib.import_module("gengan_jax.metrics.inception").load_inception_v3(
          inception)
    metrics_out, arrays = evaluate_images(
        exp, state, key, classifier=classifier, num_samples=n, critic_steps=critic_steps,
        ms_ssim_pairs=ms_ssim_pairs, seed=seed, log=log, inception=inception)
    result.update(metrics_out)
  result["likelihood"] = likelihood_note(exp.algorithm)
  if write and jax.process_index() == 0:
    log("pictures")
    result["report"] = write_report(os.path.join(workdir, "report"), exp, arrays)
  result["seconds"] = round(time.time() - t0, 1)
  if write and jax.process_index() == 0:
    with open(os.path.join(workdir, "evaluation.json"), "w") as f:
      json.dump(_jsonable(result), f, indent=1)
  return result


# ----------------------------------------------------------------------------
# Tables.


def _fmt(x: Any, spec: str = ".3f") -> str:
  if isinstance(x, str):
    return x
  if x is None:
    return "-"
  return format(float(x), spec)


def run_table(result: dict) -> str:
  """One run's metrics as a Markdown table: metric | samples | reference."""
  rows = [("metric", "samples", "reference (real data)")]
  if result["kind"] == "mixture":
    for label, field, r in _mixture_columns(result["mode_coverage"]):
      rows.append((f"{_FIELD_NAMES[field]} ({label})", _mixture_value(field, r),
                   _FIELD_IDEAL[field]))
  else:
    c = result.get("classifier_metrics")
    if isinstance(c, dict):
      s, t = c["samples_vs_held_out"], c["reference"]
      rows += [("MNIST FID", _fmt(s["fid"], ".2f"), _fmt(t["fid"], ".2f") + f" ({result['reference']})"),
               ("MNIST KID", f"{s['kid']:.4g} +- {s['kid_std']:.2g}", f"{t['kid']:.4g}"),
               ("MNIST IS", f"{c['inception_score']['samples']:.2f}",
                f"{c['inception_score']['held_out']:.2f} (held-out)"),
               ("precision", _fmt(s["precision"]), _fmt(t["precision"])),
               ("recall", _fmt(s["recall"]), _fmt(t["recall"])),
               ("density", _fmt(s["density"]), _fmt(t["density"])),
               ("coverage", _fmt(s["coverage"]), _fmt(t["coverage"]))]
    c = result.get("inception_metrics")
    if isinstance(c, dict):
      s, t = c["samples_vs_held_out"], c["reference"]
      rows += [("Inception FID", _fmt(s["fid"], ".2f"), _fmt(t["fid"], ".2f")),
               ("Inception KID", f"{s['kid']:.4g} +- {s['kid_std']:.2g}", f"{t['kid']:.4g}"),
               ("Inception IS", f"{c['inception_score']['samples']:.2f}",
                f"{c['inception_score']['held_out']:.2f} (held-out)"),
               ("Inception precision / recall", f"{s['precision']:.3f} / {s['recall']:.3f}",
                f"{t['precision']:.3f} / {t['recall']:.3f}")]
    if "stacked_mnist" in result:
      sm, ref = result["stacked_mnist"]["samples"], result["stacked_mnist"]["held_out"]
      rows += [("Stacked MNIST modes (of 1000)", str(sm["modes"]), str(ref["modes"])),
               ("Stacked MNIST KL to uniform", _fmt(sm["kl_to_uniform"]),
                _fmt(ref["kl_to_uniform"]))]
    d = result["ms_ssim_diversity"]
    rows.append(("MS-SSIM diversity (1 - mean MS-SSIM)", _fmt(d["samples"]),
                 f"{_fmt(d['held_out'])} real, {_fmt(d['held_out_plus_noise'])} real+noise"))
    crit = result.get("independent_critic")
    if isinstance(crit, dict):
      rows.append(("independent critic: -W (train / valid, last)",
                   f"{_fmt(crit['train_negative_wasserstein'][-1])} / "
                   f"{_fmt(crit['valid_negative_wasserstein'][-1])}", "0"))
    lat = result.get("latent_statistics")
    if isinstance(lat, dict) and "kl_gaussian_fit_to_prior" in lat:
      rows.append((f"latent: KL from a Gaussian fit of the codes to the {lat['prior']} prior",
                   _fmt(lat["kl_gaussian_fit_to_prior"]), "0"))
  rows.append(("likelihood", result["likelihood"].split(":")[0], "-"))
  return _markdown(rows)


_PROTOCOL_NAMES = {"veegan": "VEEGAN", "pacgan": "PacGAN"}
_FIELD_NAMES = {"modes_covered": "modes covered", "high_quality_fraction": "high-quality samples",
                "reverse_kl": "reverse KL"}
_FIELD_IDEAL = {"modes_covered": "all", "high_quality_fraction": "98.9% (3 std in 2-D)",
                "reverse_kl": "0"}


def _mixture_columns(coverage: dict) -> list[tuple[str, str, dict]]:
  """``(label, field, values)`` per reported number, protocols with the same
  settings merged (they are evaluated on the same samples, so they agree)."""
  groups: dict[tuple, list[str]] = {}
  for name, r in coverage.items():
    groups.setdefault((r["num_samples"], r["threshold_stds"], r["min_count"]), []).append(name)
  out = []
  for (n, std, _), names in groups.items():
    fields = []
    for name in names:
      fields += [f for f in coverage[name]["reported"] if f not in fields]
    for field in fields:
      who = [_PROTOCOL_NAMES.get(m, m) for m in names if field in coverage[m]["reported"]]
      source = next(m for m in names if field in coverage[m]["reported"])
      out.append((f"{', '.join(who)}; {n} samples, {std:g} std", field, coverage[source]))
  return out


def _mixture_value(field: str, r: dict) -> str:
  if field == "modes_covered":
    return f"{r['modes_covered']} / {r['num_modes']}"
  if field == "high_quality_fraction":
    return f"{100 * float(r['high_quality_fraction']):.1f}%"
  return _fmt(r[field])


def _markdown(rows: Sequence[Sequence[str]]) -> str:
  lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
  lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
  return "\n".join(lines)


def summary_tables(results: Sequence[dict]) -> str:
  """One Markdown table per kind of data, one row per run."""
  out = []
  mix = [r for r in results if r["kind"] == "mixture"]
  if mix:
    columns = _mixture_columns(mix[0]["mode_coverage"])
    rows = [["run", "step"] + [f"{_FIELD_NAMES[f]} ({label})" for label, f, _ in columns]]
    for r in mix:
      cols = _mixture_columns(r["mode_coverage"])
      rows.append([os.path.basename(r["workdir"]), str(r["step"])] +
                  [_mixture_value(f, v) for _, f, v in cols])
    out.append(_markdown(rows))
  img = [r for r in results if r["kind"] != "mixture"]
  if img:
    rows = [["run", "step", "FID", "KID", "IS", "precision", "recall", "density",
             "coverage", "MS-SSIM div.", "critic -W train / valid", "latent KL", "seconds"]]
    for r in img:
      c = r.get("classifier_metrics")
      s = c["samples_vs_held_out"] if isinstance(c, dict) else {}
      crit = r.get("independent_critic")
      lat = r.get("latent_statistics")
      rows.append([
          os.path.basename(r["workdir"]), str(r["step"]),
          _fmt(s.get("fid"), ".2f"),
          _fmt(s["kid"], ".4g") if s else "-",
          _fmt(c["inception_score"]["samples"], ".2f") if s else "-",
          _fmt(s.get("precision")), _fmt(s.get("recall")), _fmt(s.get("density")),
          _fmt(s.get("coverage")), _fmt(r["ms_ssim_diversity"]["samples"]),
          (f"{_fmt(crit['train_negative_wasserstein'][-1], '.2f')} / "
           f"{_fmt(crit['valid_negative_wasserstein'][-1], '.2f')}")
          if isinstance(crit, dict) else "-",
          _fmt(lat.get("kl_gaussian_fit_to_prior")) if isinstance(lat, dict) else "-",
          _fmt(r["seconds"], ".0f")])
    ref = img[0]
    c = ref.get("classifier_metrics")
    if isinstance(c, dict):
      t = c["reference"]
      d = ref["ms_ssim_diversity"]
      rows.append([f"*data: {ref['reference']}*", "-", _fmt(t["fid"], ".2f"),
                   _fmt(t["kid"], ".4g"), _fmt(c["inception_score"]["held_out"], ".2f"),
                   _fmt(t["precision"]), _fmt(t["recall"]), _fmt(t["density"]),
                   _fmt(t["coverage"]),
                   f"{_fmt(d['held_out'])} (+noise {_fmt(d['held_out_plus_noise'])})",
                   "0 / 0", "0", "-"])
    out.append(_markdown(rows))
  return "\n\n".join(out)


def run(fv: flags.FlagValues) -> list[dict]:
  """Evaluates (or reloads, with ``--reuse``) every ``--workdir``; prints tables."""
  from gengan_jax.core import ConfigError  # pylint: disable=g-import-not-at-top
  if not fv.workdir:
    sys.exit("error: pass --workdir=<run directory> (repeatable).")
  results = []
  for workdir in fv.workdir:
    saved = os.path.join(os.path.abspath(workdir), "evaluation.json")
    if fv.reuse and os.path.isfile(saved):
      with open(saved) as f:
        results.append(json.load(f))
      print(f"\n{saved} (reused)\n")
      print(run_table(results[-1]))
      continue
    try:
      result = evaluate_run(
          workdir, classifier=fv.classifier, num_samples=fv.num_samples,
          critic_steps=fv.critic_steps, ms_ssim_pairs=fv.ms_ssim_pairs, seed=fv.seed,
          step=fv.step, inception=fv.inception,
          log=lambda s, w=workdir: print(f"[{os.path.basename(w)}] {s}", flush=True))
    except (ConfigError, FileNotFoundError) as e:
      sys.exit(f"error: {e}")
    results.append(result)
    print(f"\n{result['algorithm']} on {result['data']}, step {result['step']} "
          f"({result['seconds']:.0f} s)\n")
    print(run_table(result))
    print(f"\n  evaluation : {os.path.join(result['workdir'], 'evaluation.json')}")
    for p in result.get("report", []):
      print(f"  picture    : {p}")
  if len(results) > 1:
    print("\n" + summary_tables(results))
  return results


def main(argv):
  del argv
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it reads.
  run(flags.FLAGS)


if __name__ == "__main__":
  define_flags()
  app.run(main)
