"""The whole evaluation of one run: load, measure, write ``evaluation.json`` and pictures."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import jax

from gengan_jax import data, metrics
from gengan_jax.data import stacked_mnist
from gengan_jax.evaluate import _json
from gengan_jax.evaluate.critic import evaluate_divergence_critics, evaluate_mixture_critic
from gengan_jax.evaluate.images import DEFAULT_IMAGE_SAMPLES, evaluate_images
from gengan_jax.evaluate.likelihood import (DEFAULT_LIKELIHOOD_SAMPLES, MIXTURE_EXAMPLES,
                                           evaluate_likelihood)
from gengan_jax.evaluate.loading import load_run
from gengan_jax.evaluate.mixtures import evaluate_mixture
from gengan_jax.evaluate.report import likelihood_note, write_report
from gengan_jax.metrics import classifier as clf


def _parameters(exp: Any, average: bool) -> str:
  """Which parameters an evaluation scored: ``'trained'`` or the run's average."""
  decay = exp.train_config.ema_decay
  return f"moving average (train.ema_decay={decay})" if decay and average else "trained"


def evaluate_run(workdir: str, *, classifier: Any = None, num_samples: int | None = None,
                 critic_steps: int = 1000, ms_ssim_pairs: int = 2000, seed: int = 0,
                 step: int | None = None, write: bool = True, inception: Any = None,
                 likelihood_samples: int = DEFAULT_LIKELIHOOD_SAMPLES,
                 likelihood_examples: int | None = None,
                 divergence_critic_steps: int = 0, divergence_critic_seeds: int = 3,
                 average: bool = True, log: Callable[[str], None] = lambda s: None) -> dict:
  """Evaluates one run; writes ``evaluation.json`` and ``report/`` when ``write``.

  A mixture of Gaussians gets :func:`~.mixtures.evaluate_mixture` and the
  independent critic (:func:`~.critic.evaluate_mixture_critic`); images get
  :func:`~.images.evaluate_images`, with the MNIST classifier when they are
  28x28 digits (one or three channels). A model with ``log_likelihood`` also
  gets :func:`~.likelihood.evaluate_likelihood` (``held_out_likelihood``).

  Args:
    workdir: the run's directory.
    classifier: the MNIST evaluation classifier: a directory (``None``: the
      default, see :func:`gengan_jax.metrics.classifier.classifier_path`) or
      a pair ``(logits_fn, features_fn)``. Loaded only for 28x28 digits.
    num_samples: model samples (default 2,500 for mixtures, 10,000 for
      images, 26,000 for Stacked MNIST).
    critic_steps: independent-critic steps (0: skip it).
    ms_ssim_pairs: pairs for the MS-SSIM diversity.
    seed: the evaluation's seed (samples, subsets, pairs, critic).
    step: checkpoint step (default: the latest).
    write: write ``evaluation.json`` and the report.
    inception: Inception-v3 weights (a file for
      :func:`gengan_jax.metrics.inception.load_inception_v3`) or an
      ``images -> (features, logits)`` function; ``None`` skips the
      Inception metrics (slow on a CPU: 299x299 inputs).
    likelihood_samples: ``k`` of an importance-weighted bound (0: skip the
      held-out likelihood).
    likelihood_examples: at most this many held-out examples for it
      (``None``: all).
    divergence_critic_steps: steps of each of Im et al.'s four divergence
      critics (:func:`~.critic.evaluate_divergence_critics`; 0: skip them).
    divergence_critic_seeds: critic seeds per divergence (mean and spread).
    average: for a run with ``train.ema_decay`` > 0, evaluate its
      parameters' moving average (the default) or, ``False``, the trained
      parameters (see :func:`gengan_jax.use.load`); recorded in the
      settings as ``parameters``.
    log: progress messages.

  Returns:
    The evaluation as a dict (what ``evaluation.json`` holds).

  Raises:
    FileNotFoundError: no run at ``workdir``, or no classifier where one is
      needed (the message says how to make it).
  """
  t0 = time.time()
  workdir = os.path.abspath(workdir)
  log(f"loading {workdir}")
  exp, state, ckpt_step = load_run(workdir, step=step, average=average)
  key = jax.random.key(seed)
  result: dict[str, Any] = {
      "workdir": workdir, "algorithm": exp.config.algorithm, "data": exp.dataset.name,
      "data_source": exp.config.data.source, "step": ckpt_step,
      "settings": {"seed": seed, "critic_steps": critic_steps, "ms_ssim_pairs": ms_ssim_pairs,
                   "divergence_critic_steps": divergence_critic_steps,
                   "divergence_critic_seeds": divergence_critic_seeds,
                   "parameters": _parameters(exp, average)},
  }
  if isinstance(exp.dataset, data.MixtureDataset):
    result["kind"] = "mixture"
    metrics_out, arrays = evaluate_mixture(exp, state, key, num_samples)
    result["mode_coverage"] = metrics_out
    if critic_steps > 0:
      log(f"independent Wasserstein critic ({critic_steps} steps)")
      result["independent_critic"], arrays["critic"] = evaluate_mixture_critic(
          exp, state, jax.random.fold_in(key, 2), steps=critic_steps,
          num_examples=MIXTURE_EXAMPLES, seed=seed)
    else:
      result["independent_critic"] = "skipped (--critic_steps=0)"
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
      inception = metrics.load_inception_v3(inception)
    metrics_out, arrays = evaluate_images(
        exp, state, key, classifier=classifier, num_samples=n, critic_steps=critic_steps,
        ms_ssim_pairs=ms_ssim_pairs, seed=seed, log=log, inception=inception,
        feature_cache=os.path.join(workdir, "feature_cache"))
    result.update(metrics_out)
  if divergence_critic_steps > 0:
    log(f"divergence critics (GAN, least squares, WGAN-GP, MMD): {divergence_critic_seeds} "
        f"seeds x {divergence_critic_steps} steps each")
    result["divergence_critics"] = evaluate_divergence_critics(
        exp, state, jax.random.fold_in(key, 3), steps=divergence_critic_steps,
        num_seeds=divergence_critic_seeds, seed=seed)
  else:
    result["divergence_critics"] = "skipped (--divergence_critic_steps=0)"
  result["likelihood"] = likelihood_note(exp.algorithm)
  if exp.algorithm.log_likelihood is not None and likelihood_samples > 0:
    result["held_out_likelihood"] = evaluate_likelihood(
        exp, state, jax.random.fold_in(key, 1), num_samples=likelihood_samples,
        max_examples=likelihood_examples, seed=seed, log=log)
  if write and jax.process_index() == 0:
    log("pictures")
    result["report"] = write_report(os.path.join(workdir, "report"), exp, arrays)
  result["seconds"] = round(time.time() - t0, 1)
  if write and jax.process_index() == 0:
    with open(os.path.join(workdir, "evaluation.json"), "w") as f:
      json.dump(_json.jsonable(result), f, indent=1)
  return result
