"""Every image metric that applies to a run: feature metrics, diversity, critic, codes.

* with the MNIST evaluation classifier (28x28 digits;
  :mod:`gengan_jax.metrics.classifier`): "MNIST FID" and KID, "MNIST IS",
  precision/recall, density/coverage and the class histogram; for Stacked
  MNIST, on the channels read as separate digits, plus the 1000-mode count;
* with an Inception-v3 (any images; :mod:`gengan_jax.metrics.inception`): the
  same on its pool3 features and logits;
* the MS-SSIM sample diversity, with references on real data and on real
  data plus noise;
* an independent Wasserstein critic (Danihelka et al. 2017) trained on half
  of the held-out data against samples and measured on the other half;
* latent statistics (Rosca et al. 2017, Appendix D) and the active units
  (Burda et al. 2016) of the codes of held-out data, when the algorithm has
  an encoder; the reconstruction error of held-out data, when it
  reconstructs.

Each feature metric has a real-vs-real reference: held-out against training
data, or, without a held-out split, two halves of the training data.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from gengan_jax import metrics
from gengan_jax.evaluate import _json
from gengan_jax.evaluate.critic import IMAGE_CRITIC, evaluate_critic
from gengan_jax.evaluate.loading import draw_samples, held_out_images
from gengan_jax.metrics import classifier as clf
from gengan_jax.metrics import latent
from gengan_jax.metrics import stacked_mnist as sm

# The package exports the function ms_ssim, which hides the module's name.
ms_ssim = importlib.import_module("gengan_jax.metrics.ms_ssim")

# Model samples for images: the size of the MNIST test set.
DEFAULT_IMAGE_SAMPLES = 10_000
# Nearest-neighbour metrics cost O(N^2): at most this many examples per set.
MAX_FEATURE_EXAMPLES = 10_000

Extractor = Callable[[Any], tuple[Any, Any]]


def as_digits(x: np.ndarray) -> np.ndarray:
  """``[N, H, W, C]`` -> ``[N*C, H, W, 1]``: every channel as its own digit."""
  n, h, w, c = x.shape
  return np.moveaxis(x, -1, 0).reshape(c * n, h, w, 1)


def reconstruction_error(x: np.ndarray, x_hat: np.ndarray, description: str) -> dict:
  """The squared error of reconstructions ``x_hat`` of images ``x`` (both
  ``[N, H, W, C]`` in ``[-1, 1]``): per pixel (mean over everything) and per
  image (summed over its pixels, then the mean over images, with its
  standard error)."""
  per_image = np.square(np.asarray(x, np.float64) - x_hat).reshape(len(x), -1).sum(1)
  return {"of": description, "mse_per_pixel": float(per_image.mean() / np.prod(x.shape[1:])),
          "squared_error_per_image": float(per_image.mean()),
          "squared_error_per_image_se": float(per_image.std(ddof=1) / np.sqrt(len(x)))}


def feature_metrics(f_real: np.ndarray, f_fake: np.ndarray, *, seed: int) -> dict:
  """FID, KID, precision/recall and density/coverage of two feature sets.

  Args:
    f_real: ``[N, D]`` features of real data.
    f_fake: ``[M, D]`` features of the other set.
    seed: seed of the KID subsets (100 subsets of at most 1000 examples).

  Returns:
    The numbers by name (``fid``, ``kid``, ``kid_std``, ``kid_subset_size``,
    ``precision``, ``recall`` with k = 3, ``density``, ``coverage`` with k = 5).
  """
  subset = min(1000, len(f_real), len(f_fake))
  kid_mean, kid_std = metrics.kernel_inception_distance(f_real, f_fake, num_subsets=100,
                                                        subset_size=subset, seed=seed)
  return {
      "fid": metrics.fid_from_features(f_real, f_fake),
      "kid": kid_mean, "kid_std": kid_std, "kid_subset_size": subset,
      **metrics.precision_recall(f_real, f_fake, k=3),
      **metrics.density_coverage(f_real, f_fake, k=5),
  }


def cached_features(extract: Extractor, x: np.ndarray, *, cache_dir: str | None,
                    name: str) -> tuple[np.ndarray, np.ndarray]:
  """``extract(x)``, computed once and then read from ``cache_dir``.

  The file is ``<cache_dir>/features-<name>-<key>.npz``, ``key`` the first 16
  hex digits of the SHA-256 of the extractor's ``fingerprint`` (e.g. its
  weights' hash, :func:`gengan_jax.metrics.inception.load_inception_v3`) and
  of ``x`` (shape, dtype, bytes): other weights or other images are another
  file, never a stale one. Without a ``cache_dir`` or a ``fingerprint`` on
  ``extract``, nothing is cached. The file is written whole (to a temporary
  name, then renamed), by process 0 only.

  Args:
    extract: ``images -> (features, logits)``.
    x: the images.
    cache_dir: where the features are kept (``None``: no cache).
    name: a readable part of the file name (``'held_out'``, ``'ref_a'`` ...).

  Returns:
    ``(features, logits)`` as numpy arrays.
  """
  fingerprint = getattr(extract, "fingerprint", None)
  if cache_dir is None or fingerprint is None:
    f, l = extract(x)
    return np.asarray(f), np.asarray(l)
  x = np.ascontiguousarray(x)
  digest = hashlib.sha256(f"{fingerprint}|{x.shape}|{x.dtype}|".encode())
  digest.update(memoryview(x.reshape(-1)).cast("B"))
  path = os.path.join(cache_dir, f"features-{name}-{digest.hexdigest()[:16]}.npz")
  if os.path.isfile(path):
    with np.load(path) as cached:
      return cached["features"], cached["logits"]
  f, l = extract(x)
  f, l = np.asarray(f), np.asarray(l)
  if jax.process_index() == 0:
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.npz"
    np.savez(tmp, features=f, logits=l)
    os.replace(tmp, path)
  return f, l


def extractor_metrics(extract: Extractor, sets: Sequence[tuple[str, np.ndarray]], *,
                      seed: int, description: str, cache_dir: str | None = None
                      ) -> tuple[dict, dict]:
  """FID, KID, precision/recall, density/coverage and IS from one network.

  Args:
    extract: ``images [N, H, W, C] -> (features [M, D], logits [M, K])``.
    sets: ``(name, images)`` for ``samples``, ``held_out`` and the two
      reference sets ``ref_a``, ``ref_b`` (real vs real).
    seed: seed of the KID subsets and of the feature subsets.
    description: what the features are, for the JSON.
    cache_dir: where the real sets' features are kept between evaluations
      (:func:`cached_features`; the samples' are always computed).

  Returns:
    ``(metrics, logits)``: the numbers (samples vs held-out, the real-vs-real
    reference, the inception score of samples and held-out data) and the
    logits of samples and held-out data.
  """
  # At most MAX_FEATURE_EXAMPLES per set, a seeded random subset of larger
  # ones (e.g. Stacked MNIST's 3 x 26,000 digits, stored channel after channel).
  cap = MAX_FEATURE_EXAMPLES
  feats, logits = {}, {}
  for i, (name, x) in enumerate(sets):
    f, l = cached_features(extract, x, cache_dir=None if name == "samples" else cache_dir,
                           name=name)
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
      "samples_vs_held_out": feature_metrics(feats["held_out"], feats["samples"], seed=seed),
      "reference": feature_metrics(feats["ref_a"], feats["ref_b"], seed=seed),
      "inception_score": {"samples": is_mean, "samples_std": is_std, "held_out": ref_mean,
                          "held_out_std": ref_std, "num_splits": 10},
  }, logits


def evaluate_images(exp: Any, state: Any, key: jax.Array, *, classifier: Any,
                    num_samples: int, critic_steps: int, ms_ssim_pairs: int, seed: int,
                    log: Callable[[str], None], inception: Extractor | None = None,
                    feature_cache: str | None = None) -> tuple[dict, dict]:
  """Every image metric that applies; see the module docstring.

  Args:
    exp: the run's :class:`~gengan_jax.train.Experiment`.
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
    feature_cache: a directory (e.g. ``<workdir>/feature_cache``) where the
      Inception features of the real images (held-out and reference sets)
      are computed once and kept (:func:`cached_features`); ``None``: not
      kept.

  Returns:
    ``(metrics, arrays)``: JSON-able numbers and what the pictures need.
  """
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
      digits = as_digits(x)
      return (clf.apply_in_batches(features_fn, digits), clf.apply_in_batches(logits_fn, digits))

    per = "digit channels" if stacked else "images"
    out["classifier_metrics"], logits = extractor_metrics(
        extract, sets, seed=seed,
        description=f"MNIST classifier penultimate layer and logits, on the {per}")
    hist = {name: np.bincount(np.argmax(l, -1), minlength=10) / len(l)
            for name, l in logits.items()}
    out["classifier_metrics"]["class_histogram"] = {k: v.tolist() for k, v in hist.items()}
    arrays["class_histogram"] = hist
    if stacked:
      res = {}
      for name, x in (("samples", samples), ("held_out", real)):
        channel_logits = clf.stacked_logits(logits_fn, x)
        counts = sm.mode_counts(np.argmax(channel_logits, axis=-1))
        res[name] = {k: _json.finite(v)
                     for k, v in sm.stacked_mnist_modes(counts, min_count=1).items()}
        res[name].update(sm.confident_modes(np.asarray(jax.nn.softmax(channel_logits, axis=-1))))
        arrays.setdefault("mode_counts", {})[name] = np.asarray(counts)
      out["stacked_mnist"] = res
  else:
    out["classifier_metrics"] = "not applicable: the MNIST classifier reads 28x28 digits"
  mark("classifier_metrics")
  if inception is not None:
    log("Inception-v3 features and logits")
    out["inception_metrics"], _ = extractor_metrics(
        inception, sets, seed=seed, description="Inception-v3 pool3 features and logits",
        cache_dir=feature_cache)
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
    log(f"independent Wasserstein critic ({critic_steps} steps)")
    half = len(real) // 2
    out["independent_critic"], history = evaluate_critic(
        exp, state, k_critic, train=real[:half], valid=real[half:], steps=critic_steps,
        settings=IMAGE_CRITIC, train_desc=f"first {half} of the {real_desc}",
        valid_desc=f"the other {len(real) - half}")
    arrays["critic"] = history
    mark("independent_critic")
  else:
    out["independent_critic"] = "skipped (--critic_steps=0)"

  if exp.algorithm.encode is not None:
    codes = clf.apply_in_batches(jax.jit(lambda x: exp.algorithm.encode(state, x)), real)
    prior = "sphere" if cfg.algorithm == "age" else "gaussian"
    stats = latent.latent_statistics(codes, prior=prior)
    out["latent_statistics"] = {"codes_of": real_desc, "prior": prior, **_json.jsonable(stats)}
    arrays["latent"] = (codes, prior, stats)
    out["active_units"] = {
        "codes_of": real_desc, "codes": "encode(x): the posterior mean of a Gaussian or "
        "deterministic encoder, E(x, 0) of an implicit one",
        **_json.jsonable(latent.active_units(codes))}
  else:
    out["latent_statistics"] = f"not applicable: {cfg.algorithm} has no encoder"
    out["active_units"] = f"not applicable: {cfg.algorithm} has no encoder"
  mark("latent_statistics")
  if exp.algorithm.reconstruct is not None:
    rec = clf.apply_in_batches(jax.jit(lambda x: exp.algorithm.reconstruct(state, x)), real)
    out["reconstruction_error"] = reconstruction_error(real, rec, real_desc)
  else:
    out["reconstruction_error"] = f"not applicable: {cfg.algorithm} does not reconstruct"
  mark("reconstruction_error")
  out["seconds_per_stage"] = timings
  return out, arrays
