r"""The discrete-latent VAEs on MNIST: gumbel_vae's test bounds, vq_vae's reconstructions.

Reads runs trained by the loop on the 5,000 training digits of
``../shared/data/mnist`` with the configs' ``mnist`` variants::

  python -m experiments.train --config=experiments/configs/gumbel_vae.py:mnist \
      --workdir=/tmp/discrete/gumbel_mnist
  python -m experiments.train --config=experiments/configs/vq_vae.py:mnist \
      --workdir=/tmp/discrete/vq_mnist

and measures them on the 10,000 test digits (``t10k-*``)::

  python -m experiments.discrete_vae_mnist --gumbel_workdir=/tmp/discrete/gumbel_mnist \
      --vq_workdir=/tmp/discrete/vq_mnist [--k=1000] [--k_examples=1000] \
      [--images_dir=docs/images]

* ``gumbel_vae`` (a Bernoulli decoder): every digit binarised dynamically
  *once* (a Bernoulli draw of each pixel with its grey level as the
  probability, from the evaluation's seed; the same binary digits for every
  number), in nats per digit: the discrete model's ELBO (one-hot codes, the
  categorical KL analytic, one draw of the reconstruction term per digit;
  ``gumbel_vae.elbo``), the training objective (the relaxed ELBO at the
  run's final temperature; not a bound on the discrete model), the
  importance-weighted bound ``log_likelihood`` with ``k = 1`` on every digit
  and with ``k`` (1,000) on the first ``k_examples`` (CPU-sized), and the
  ELBO of the 5,000 training digits (overfitting).
* ``vq_vae``: the mean squared error of the reconstructions per pixel, in
  grey levels scaled to ``[0, 1]``, on the test and the training digits; the
  codebook perplexity ``exp H`` of the test digits' code assignments (all
  ``10,000 x M``) and how many of the ``K`` codes they use.

Writes ``<workdir>/discrete_eval.json``, prints Markdown tables, and saves
64 samples and 32 test digits beside their reconstructions as
``<images_dir>/{gumbel_vae,vq_vae}_mnist_{samples,reconstructions}.png``.
"""

from __future__ import annotations

import json
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from gengan_jax import losses
from gengan_jax.algorithms import gumbel_vae, vq_vae
from gengan_jax.evaluate.loading import held_out_images, load_run
from gengan_jax.train import plots

flags.DEFINE_string("gumbel_workdir", None, "A gumbel_vae run on MNIST (skipped if unset).")
flags.DEFINE_string("vq_workdir", None, "A vq_vae run on MNIST (skipped if unset).")
flags.DEFINE_integer("k", 1000, "Importance samples of gumbel_vae's bound.")
flags.DEFINE_integer("k_examples", 1000, "Test digits measured with k samples (CPU-sized).")
flags.DEFINE_integer("batch", 500, "Digits per compiled call.")
flags.DEFINE_integer("seed", 0, "The evaluation's key (binarisation, draws, samples).")
flags.DEFINE_string("images_dir", "docs/images", "Where the pictures go ('' for none).")
FLAGS = flags.FLAGS


def _batched(fn, x: np.ndarray, batch: int, key: jax.Array | None = None) -> np.ndarray:
  """``fn`` over ``x`` in batches of ``batch`` (the last one padded), concatenated."""
  out = []
  for i in range(0, len(x), batch):
    chunk = x[i:i + batch]
    pad = batch - len(chunk)
    if pad:
      chunk = np.concatenate([chunk, np.repeat(chunk[-1:], pad, 0)])
    res = fn(chunk) if key is None else fn(chunk, jax.random.fold_in(key, i))
    out.append(np.asarray(res)[:batch - pad])
  return np.concatenate(out)


def _training_digits(exp) -> np.ndarray:
  return np.asarray(exp.dataset.data)


def _pictures(name: str, samples: np.ndarray, x: np.ndarray, rec: np.ndarray,
              title: str) -> list[str]:
  if not FLAGS.images_dir:
    return []
  os.makedirs(FLAGS.images_dir, exist_ok=True)
  s_path = os.path.join(FLAGS.images_dir, f"{name}_mnist_samples.png")
  r_path = os.path.join(FLAGS.images_dir, f"{name}_mnist_reconstructions.png")
  plots.image_grid(s_path, samples[:64], title=f"{title}: samples")
  pairs = np.stack([x[:32], rec[:32]], axis=1).reshape((-1,) + x.shape[1:])
  plots.image_grid(r_path, pairs, title=f"{title}: test digit | reconstruction")
  return [s_path, r_path]


def evaluate_gumbel(workdir: str) -> dict:
  exp, state, step = load_run(workdir)
  cfg = state.config
  key = jax.random.key(FLAGS.seed)
  test, desc, _ = held_out_images(exp.config, exp.dataset)
  # One dynamic binarisation of each digit, the same for every number below.
  x = np.asarray(losses.binarize(jnp.asarray(test), jax.random.fold_in(key, 1)))
  train = np.asarray(losses.binarize(jnp.asarray(_training_digits(exp)),
                                     jax.random.fold_in(key, 2)))
  elbo = jax.jit(lambda xb, k: gumbel_vae.elbo(state, xb, k))
  relaxed = jax.jit(lambda xb, k: gumbel_vae.relaxed_elbo(state, xb, k))
  bound1 = jax.jit(lambda xb, k: gumbel_vae.log_likelihood(state, xb, k, num_samples=1))
  bound_k = jax.jit(lambda xb, k: gumbel_vae.log_likelihood(state, xb, k,
                                                            num_samples=FLAGS.k))
  t = time.time()
  out = {"run": workdir, "step": step, "test_data": desc,
         "binarization": "dynamic, one draw per digit (seed %d)" % FLAGS.seed,
         "temperature": float(gumbel_vae.temperature(cfg, state.step - 1)),
         "kl": cfg.kl, "straight_through": cfg.straight_through}
  out["test_elbo"] = float(_batched(elbo, x, FLAGS.batch, jax.random.fold_in(key, 3)).mean())
  out["test_relaxed_objective"] = float(
      _batched(relaxed, x, FLAGS.batch, jax.random.fold_in(key, 4)).mean())
  out["test_bound_k1"] = float(_batched(bound1, x, FLAGS.batch, jax.random.fold_in(key, 5)).mean())
  out["train_elbo"] = float(_batched(elbo, train, FLAGS.batch, jax.random.fold_in(key, 6)).mean())
  n = min(FLAGS.k_examples, len(x))
  sub = x[:n]
  kb = max(1, min(FLAGS.batch, 100))
  out[f"test_bound_k{FLAGS.k}_first{n}"] = float(
      _batched(bound_k, sub, kb, jax.random.fold_in(key, 7)).mean())
  out[f"test_elbo_first{n}"] = float(
      _batched(elbo, sub, FLAGS.batch, jax.random.fold_in(key, 8)).mean())
  codes = _batched(jax.jit(lambda xb: gumbel_vae.encode(state, xb)), x, FLAGS.batch)
  out["test_code_perplexity"] = float(gumbel_vae.code_perplexity(jnp.asarray(codes),
                                                                 cfg.num_classes))
  out["seconds"] = round(time.time() - t, 1)
  samples = np.asarray(jax.jit(lambda k: gumbel_vae.sample(state, k, 64))(
      jax.random.fold_in(key, 9)))
  rec = np.asarray(jax.jit(lambda xb: gumbel_vae.reconstruct(state, xb))(x[:32]))
  out["pictures"] = _pictures("gumbel_vae", samples, x, rec, f"gumbel_vae, step {step}")
  return out


def evaluate_vq(workdir: str) -> dict:
  exp, state, step = load_run(workdir)
  cfg = state.config
  key = jax.random.key(FLAGS.seed)
  test, desc, _ = held_out_images(exp.config, exp.dataset)
  train = _training_digits(exp)
  rec_fn = jax.jit(lambda xb: vq_vae.reconstruct(state, xb))
  enc_fn = jax.jit(lambda xb: vq_vae.encode(state, xb))
  t = time.time()

  def mse01(x):
    rec = _batched(rec_fn, x, FLAGS.batch)
    return float(np.mean(np.square((rec - x) / 2.0))), rec

  test_mse, rec = mse01(test)
  train_mse, _ = mse01(train)
  codes = _batched(enc_fn, test, FLAGS.batch)
  counts = np.bincount(codes.reshape(-1), minlength=cfg.num_codes)
  out = {"run": workdir, "step": step, "test_data": desc, "ema": cfg.ema,
         "codes": f"{cfg.latent_dim} vectors of width {cfg.embedding_dim}, {cfg.num_codes} codes",
         "test_mse_01": test_mse, "train_mse_01": train_mse,
         "test_codebook_perplexity": float(vq_vae.perplexity(jnp.asarray(codes), cfg.num_codes)),
         "test_codes_used": int((counts > 0).sum()),
         "bits_per_digit": cfg.latent_dim * math.log2(cfg.num_codes),
         "seconds": round(time.time() - t, 1)}
  # The training log's last perplexity (a batch's, at the last logged step).
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    last = [json.loads(line) for line in f if line.strip()][-1]
  out["train_batch_perplexity_last_log"] = last.get("perplexity")
  samples = np.asarray(jax.jit(lambda k: vq_vae.sample(state, k, 64))(jax.random.fold_in(key, 9)))
  out["pictures"] = _pictures("vq_vae", samples, test, rec, f"vq_vae, step {step}")
  return out


def _table(rows: dict) -> str:
  lines = ["| quantity | value |", "|---|---|"]
  for k, v in rows.items():
    lines.append(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |")
  return "\n".join(lines)


def main(argv):
  del argv
  for name, workdir, fn in (("gumbel_vae", FLAGS.gumbel_workdir, evaluate_gumbel),
                            ("vq_vae", FLAGS.vq_workdir, evaluate_vq)):
    if not workdir:
      continue
    res = fn(workdir)
    with open(os.path.join(workdir, "discrete_eval.json"), "w") as f:
      json.dump(res, f, indent=1)
    print(f"\n### {name}\n\n{_table(res)}\n", flush=True)


if __name__ == "__main__":
  app.run(main)
