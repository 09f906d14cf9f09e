r"""The AAE's code discriminator as a KL estimator, against Monte Carlo.

Rosca, Lakshminarayanan & Mohamed, "Distribution matching in variational
inference" (arXiv:1802.06847, 2018), the section "Classifier probabilities
can be used for learning, but not for estimation". An AAE (Makhzani et al.
2016, :mod:`gengan_jax.algorithms.aae`) with a Gaussian encoder
``q(z | x) = N(mu(x), sigma(x)^2)`` trains a code discriminator ``C`` to tell
prior samples ``z ~ p(z) = N(0, I)`` (label 1) from codes
``z ~ q(z) = E_{p_d(x)} q(z | x)`` (label 0) with the logistic loss and equal
batches, so its optimal logit is the log density ratio (the density-ratio
trick, Mohamed & Lakshminarayanan 2016, eq. 6-7)

.. math::

  l^*(z) = \log\frac{p(z)}{q(z)}
  \quad\Rightarrow\quad
  \mathrm{KL}(q(z) \,\|\, p(z)) = -\mathbb E_{q(z)}[l^*(z)]
  = \mathbb E_{q(z)}\Big[\log\frac{1 - C(z)}{C(z)}\Big]

(:func:`gengan_jax.ratio.reverse_kl_estimate`). Every ``--every`` steps this
script compares, on held-out digits ``x_1..x_N`` (the first
``--eval_examples`` test digits) with codes ``z_n ~ q(z | x_n)``:

* **discriminator**: ``-mean_n l_C(z_n)``, the training-time ``C``'s estimate
  (:func:`discriminator_kl`);
* **mixture Monte Carlo**: ``KL(q_N(z) || p(z))`` of the aggregate posterior
  of the ``N`` Gaussian posteriors (:func:`gengan_jax.metrics.elbo_surgery`:
  the closed-form average KL minus a Monte Carlo ``I[n; z]``, with its
  standard error). By the convexity of KL its expectation over the ``N``
  examples is at least the population ``KL(q(z) || p(z))``, and the gap is
  large once ``I[n; z]`` reaches ``log N`` (posteriors narrow and apart: the
  mixture is then ``N`` spikes whatever the spread of the means);
* **k-NN**: ``KL(q(z) || p(z))`` of the population's aggregate posterior
  from the ``N`` codes as samples, by the Kozachenko-Leonenko entropy
  (:func:`gengan_jax.metrics.knn_kl`), blind to the width of each posterior;
* **fresh critic** (every ``--critic_every`` steps and at the end): a new
  code discriminator of ``C``'s architecture trained from scratch,
  ``--critic_steps`` steps, on the frozen encoder's codes of the training
  digits (fresh draws each step) against fresh prior samples, evaluated on
  the same held-out codes. It separates the lag of the training-time ``C``
  (one step per encoder step) from the limits of the classifier itself;
* **Bayes-optimal C** (logged, not plotted): the estimate of the exact ratio
  for the codes ``C`` is trained on, ``mean_n [log q_train(z_n) -
  log p(z_n)]`` with ``q_train`` the mixture of the training digits'
  posteriors; in expectation ``KL(q_N || p) - KL(q_N || q_train)``, a lower
  bound on the population KL (very negative when held-out codes fall between
  narrow training posteriors: what an infinitely flexible ``C`` converges to
  does not generalise).

The posteriors are computed with the encoder's batch norm in training mode
over batches of the training batch size, as in ``train_step``, since those
are the codes ``C`` is trained on; the mixture KL of the inference-mode
posteriors (running averages) is logged beside it (``mc_kl_inference_mode``).

``--data=mnist``: ``experiments/configs/aae.py:mnist`` (DCGAN-style encoder
and decoder, 8-D codes, ``C`` of 2 x 1000 ReLU units, batch 64, Adam 2e-4)
with ``encoder='gaussian'``, trained on the 5,000 digits of
``../shared/data/mnist`` (``train5k``), evaluated on the test digits.
``--data=ring``: ``aae.py:ring`` (MLPs, 2-D codes) on 5,000 points of the
8-Gaussian ring, evaluated on fresh ones.

Usage::

  python -m experiments.aae_kl --workdir=/tmp/aae_kl [--data=mnist|ring] \
      [--steps=3000] [--every=100] [--eval_examples=2000] \
      [--critic_every=500] [--critic_steps=2000] [--images_dir=docs/images]

Writes ``<workdir>/log.jsonl`` (one line per evaluation), ``results.json``,
``results.md`` (the table, also printed), ``aae_kl_estimates.png``
(``aae_kl_estimates_ring.png`` for the ring; copied to ``--images_dir``), the
final ``state.msgpack`` and the held-out posteriors ``posteriors.npz``
(``mean``, ``log_scale``, ``[N, K]``, batch-statistics mode).
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import time
from typing import Any

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from gengan_jax import algorithms, data, losses, ratio
from gengan_jax.algorithms import aae
from gengan_jax.configs import aae as aae_config
from gengan_jax.configs import common
from gengan_jax.core import OptimizerConfig
from gengan_jax.core import train_state as ts
from gengan_jax.metrics.elbo_surgery import elbo_surgery, log_aggregate_posterior
from gengan_jax.metrics.knn_kl import knn_kl
from gengan_jax.train import plots

DATA = ("mnist", "ring")
TRAIN_EXAMPLES = 5000  # the ring's fixed training set, the size of MNIST's train5k
_LOG_2PI = math.log(2.0 * math.pi)


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("workdir", None, "Output folder.", **fv)
  flags.DEFINE_enum("data", "mnist", DATA, "The aae.py config variant and its data.", **fv)
  flags.DEFINE_integer("steps", 3000, "Training steps.", **fv)
  flags.DEFINE_integer("every", 100, "Steps between evaluations (one compiled chunk).", **fv)
  flags.DEFINE_integer("eval_examples", 2000, "Held-out examples (the first N test digits).",
                       **fv)
  flags.DEFINE_integer("critic_every", 500, "Steps between fresh-critic estimates (and at "
                       "the last step); 0: none.", **fv)
  flags.DEFINE_integer("critic_steps", 2000, "Training steps of each fresh critic.", **fv)
  flags.DEFINE_integer("critic_batch", 256, "Codes and prior samples per critic step.", **fv)
  flags.DEFINE_float("critic_learning_rate", 1e-3, "The fresh critic's Adam step size.", **fv)
  flags.DEFINE_integer("seed", None, "Seed (default: the config's).", **fv)
  flags.DEFINE_string("mnist_dir", None, "MNIST IDX folder (default: the configs').", **fv)
  flags.DEFINE_string("images_dir", None, "Also copy the plot here.", **fv)


def discriminator_kl(code_logits: jax.typing.ArrayLike) -> tuple[float, float]:
  r"""``KL(q || p)`` read off a code discriminator's logits on codes ``z ~ q``.

  With prior samples labelled real and codes fake (equal class
  probabilities), the logit estimates ``log p(z) / q(z)``, so

  .. math::

    \widehat{\mathrm{KL}}(q \| p) = -\frac1M \sum_m l(z_m)
      = \frac1M \sum_m \log\frac{1 - C(z_m)}{C(z_m)}, \qquad z_m \sim q,

  (:func:`gengan_jax.ratio.reverse_kl_estimate`) with the Monte Carlo
  standard error ``std(l) / sqrt(M)`` (of the sampling only, not of the
  classifier's error).

  Args:
    code_logits: ``[M]`` logits ``log C / (1 - C)`` on held-out codes.

  Returns:
    ``(estimate, standard_error)`` in nats.

  References:
    Rosca, Lakshminarayanan & Mohamed, "Distribution matching in variational
    inference", arXiv:1802.06847, 2018 ("Classifier probabilities can be
    used for learning, but not for estimation").
    Mohamed & Lakshminarayanan, arXiv:1610.03483, 2016, Sec. 3.1.
  """
  logits = np.asarray(code_logits, np.float64)
  if logits.ndim != 1 or len(logits) < 2:
    raise ValueError(f"`code_logits` must be [M] with M >= 2, got shape {logits.shape}.")
  return float(ratio.reverse_kl_estimate(logits)), float(np.std(logits) / math.sqrt(len(logits)))


def gaussian_log_prior(z: np.ndarray) -> np.ndarray:
  """``log N(z; 0, I)``, ``[M, K] -> [M]``, nats."""
  return -0.5 * (z.shape[1] * _LOG_2PI + np.sum(np.square(z), axis=1))


def config_of(name: str) -> tuple[Any, int, int]:
  """``aae.py:<name>`` with the Gaussian encoder: ``(Config, batch_size, seed)``."""
  c = aae_config.get_config(name)
  c.model.encoder = "gaussian"
  return algorithms.from_mapping(aae.Config, c.model), c.data.batch_size, c.seed


def load_data(name: str, mnist_dir: str | None, eval_examples: int,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
  """``(x_train, x_eval)``: MNIST's train5k and test digits in ``[-1, 1]``, or ring points."""
  if name == "mnist":
    directory = mnist_dir or common.mnist_directory()
    x_train = data.preprocess_images(data.load_mnist_idx(directory, "train5k")[0])
    x_eval = data.preprocess_images(data.load_mnist_idx(directory, "test")[0])
    return x_train, x_eval[:eval_examples]
  mixture = data.toy_mixture(name)
  return (mixture.sample(np.random.default_rng(seed), TRAIN_EXAMPLES),
          mixture.sample(np.random.default_rng(seed + 1), eval_examples))


@functools.partial(jax.jit, static_argnames="train")
def _posterior_batches(encoder: ts.TrainState, xs: jax.Array, train: bool):
  return jax.lax.map(lambda xb: ts.forward(encoder, xb, train=train), xs)


def posteriors(encoder: ts.TrainState, x: np.ndarray, batch_size: int, *,
               train: bool = True) -> tuple[np.ndarray, np.ndarray]:
  """``(mu, log sigma)`` of ``q(z | x_n)`` for every row, ``[N, K]`` each (float64).

  With ``train=True`` batch norm uses the statistics of consecutive batches of
  ``batch_size`` (as in ``train_step``; the last batch is filled up from the
  start); with ``train=False`` the running averages.
  """
  n = len(x)
  idx = np.arange(-(-n // batch_size) * batch_size) % n
  xs = jnp.asarray(x[idx].reshape(-1, batch_size, *x.shape[1:]))
  mean, log_scale = _posterior_batches(encoder, xs, train)
  k = mean.shape[-1]
  return (np.asarray(mean, np.float64).reshape(-1, k)[:n],
          np.asarray(log_scale, np.float64).reshape(-1, k)[:n])


@jax.jit
def _logits(critic: ts.TrainState, z: jax.Array) -> jax.Array:
  return ts.forward(critic, z, train=False)


@functools.partial(jax.jit, static_argnames=("hidden", "steps", "batch_size", "learning_rate"))
def _train_critic(key, means, log_scales, *, hidden, steps, batch_size, learning_rate):
  init_key, key = jax.random.split(key)
  critic = ts.create(aae.code_discriminator(hidden), init_key,
                     jnp.zeros((batch_size, means.shape[1])),
                     OptimizerConfig(learning_rate, 0.9, 0.999))

  def step(c_state, k):
    index_key, eps_key, prior_key = jax.random.split(k, 3)
    n = jax.random.randint(index_key, (batch_size,), 0, means.shape[0])
    z_codes = losses.gaussian_sample(eps_key, means[n], log_scales[n])
    z_prior = jax.random.normal(prior_key, z_codes.shape)

    def loss_fn(c):
      return (losses.discriminator_real_loss(c(z_prior)).mean()
              + losses.discriminator_fake_loss(c(z_codes)).mean()), None

    c_state, loss, _ = ts.minimize(c_state, loss_fn)
    return c_state, loss

  critic, loss = jax.lax.scan(step, critic, jax.random.split(key, steps))
  return critic, loss


def fresh_critic_logits(key: jax.Array, train_means: np.ndarray, train_log_scales: np.ndarray,
                        z_eval: np.ndarray, *, hidden: tuple[int, ...], steps: int,
                        batch_size: int, learning_rate: float) -> tuple[np.ndarray, float]:
  """Logits on ``z_eval`` of a new ``C`` trained on the frozen codes; and its final loss.

  The critic has ``C``'s architecture (:func:`aae.code_discriminator`) and
  loss (prior samples real, codes fake, equal batches); each step draws
  ``batch_size`` codes ``z ~ q(z | x_n)``, ``n`` uniform over the training
  examples, and as many prior samples. Adam (0.9, 0.999).
  """
  critic, loss = _train_critic(key, jnp.asarray(train_means, jnp.float32),
                               jnp.asarray(train_log_scales, jnp.float32), hidden=hidden,
                               steps=steps, batch_size=batch_size, learning_rate=learning_rate)
  logits = _logits(critic, jnp.asarray(z_eval, jnp.float32))
  # The mean loss of the last 10% of steps: log 4 = 1.386 is a critic at chance.
  return np.asarray(logits), float(jnp.mean(loss[-max(1, steps // 10):]))


def evaluate(state: aae.State, x_train: np.ndarray, x_eval: np.ndarray, seed: int, *,
             batch_size: int, critic: dict | None) -> dict:
  """The estimates of one checkpoint (see the module docstring), a flat dict.

  The draws of the codes (numpy), of the Monte Carlo estimates and of the
  fresh critic are seeded by ``(seed, step)``.
  """
  step = int(state.step)
  mean, log_scale = posteriors(state.encoder, x_eval, batch_size)
  eps = np.random.default_rng((seed, step)).normal(size=mean.shape)
  z = mean + np.exp(log_scale) * eps
  logits = np.asarray(_logits(state.code_discriminator, jnp.asarray(z, jnp.float32)))
  out = {"step": step}
  out["discriminator_kl"], out["discriminator_kl_se"] = discriminator_kl(logits)
  surgery = elbo_surgery(mean, log_scale, seed=seed * 1_000_003 + step)
  out.update(mc_kl=surgery.marginal_kl, mc_kl_se=surgery.mutual_information_se,
             average_kl=surgery.average_kl, mutual_information=surgery.mutual_information,
             log_num_examples=surgery.log_num_examples,
             mean_log_scale=float(np.mean(log_scale)))
  inference = elbo_surgery(*posteriors(state.encoder, x_eval, batch_size, train=False),
                           seed=seed * 1_000_003 + step)
  out["mc_kl_inference_mode"] = inference.marginal_kl
  train_mean, train_log_scale = posteriors(state.encoder, x_train, batch_size)
  optimal = log_aggregate_posterior(z, train_mean, train_log_scale) - gaussian_log_prior(z)
  out["knn_kl"] = knn_kl(z, gaussian_log_prior(z))
  # The k-NN estimate's own stability: other neighbours, half the codes.
  out["knn_kl_k1"] = knn_kl(z, gaussian_log_prior(z), k=1)
  out["knn_kl_k5"] = knn_kl(z, gaussian_log_prior(z), k=5)
  half = z[:max(len(z) // 2, 4)]
  out["knn_kl_half"] = knn_kl(half, gaussian_log_prior(half))
  out["optimal_kl"] = float(np.mean(optimal))
  out["optimal_kl_se"] = float(np.std(optimal) / math.sqrt(len(optimal)))
  if critic is not None:
    t0 = time.time()
    critic_logits, critic_loss = fresh_critic_logits(
        jax.random.fold_in(jax.random.key(seed), step), train_mean, train_log_scale, z,
        hidden=state.config.code_discriminator_hidden, **critic)
    out["critic_kl"], out["critic_kl_se"] = discriminator_kl(critic_logits)
    out["critic_loss"] = critic_loss
    out["critic_seconds"] = round(time.time() - t0, 1)
  return out


def train_and_evaluate(cfg: aae.Config, x_train: np.ndarray, x_eval: np.ndarray, *,
                       batch_size: int, seed: int, steps: int, every: int,
                       critic_every: int, critic: dict, log_path: str,
                       log=print) -> tuple[aae.State, list[dict]]:
  """Trains ``aae`` in compiled chunks of ``every`` steps, evaluating before and after each.

  Returns the final state and one record per evaluation.
  """
  state = jax.jit(aae.init, static_argnums=1)(jax.random.key(seed), cfg,
                                             jnp.asarray(x_train[:batch_size]))
  key = jax.random.key(seed + 1)
  run = jax.jit(lambda st, xs: jax.lax.scan(lambda s, b: aae.train_step(s, b, key), st, xs))
  rng = np.random.default_rng(seed)
  per_pass = len(x_train) // batch_size
  order = np.concatenate([rng.permutation(len(x_train))[:per_pass * batch_size]
                          for _ in range(-(-steps // per_pass))])
  records, t0, start = [], time.time(), 0
  with open(log_path, "w") as f:
    while True:
      wants_critic = critic_every > 0 and (start % critic_every == 0 or start == steps)
      record = evaluate(state, x_train, x_eval, seed + 2,
                        batch_size=batch_size, critic=critic if wants_critic else None)
      if start > 0:
        record.update({k: float(np.mean(v)) for k, v in metrics.items()})
      record["seconds"] = round(time.time() - t0, 1)
      records.append(record)
      f.write(json.dumps(record) + "\n")
      f.flush()
      log(json.dumps(record))
      if start == steps:
        return state, records
      n = min(every, steps - start)
      idx = order[start * batch_size:(start + n) * batch_size]
      state, metrics = run(state, jnp.asarray(
          x_train[idx].reshape(n, 1, batch_size, *x_train.shape[1:])))
      start += n


def plot(path: str, records: list[dict], title: str) -> None:
  """KL estimates against the step (left) and ``C``'s mean probabilities (right)."""
  plt = plots.pyplot()
  r = {k: np.array([rec.get(k, np.nan) for rec in records], np.float64)
       for k in {k for rec in records for k in rec}}
  step = r["step"]
  fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]})
  ax.plot(step, r["mc_kl"], "-", color="grey",
          label="KL(q_N || p) of the N posteriors' mixture (elbo_surgery)")
  ax.fill_between(step, r["mc_kl"] - 2 * r["mc_kl_se"], r["mc_kl"] + 2 * r["mc_kl_se"],
                  color="grey", alpha=0.3, lw=0)
  ax.plot(step, r["knn_kl"], "k-", label="KL(q || p), k-NN entropy of the N codes")
  ax.plot(step, r["discriminator_kl"], "C3-", label="training-time discriminator C")
  ax.fill_between(step, r["discriminator_kl"] - 2 * r["discriminator_kl_se"],
                  r["discriminator_kl"] + 2 * r["discriminator_kl_se"], color="C3", alpha=0.3,
                  lw=0)
  if "critic_kl" in r:
    ok = np.isfinite(r["critic_kl"])
    ax.errorbar(step[ok], r["critic_kl"][ok], yerr=2 * r["critic_kl_se"][ok], fmt="o",
                color="C0", capsize=3, label="fresh critic (C's net, trained from scratch)")
  values = np.concatenate([r[k] for k in ("mc_kl", "knn_kl", "discriminator_kl", "critic_kl")
                           if k in r])
  values = values[np.isfinite(values)]
  if np.all(values > 0):
    ax.set_yscale("log")
  else:
    ax.set_yscale("symlog", linthresh=0.1)
    ax.axhline(0.0, color="grey", lw=0.5)
  ax.set_xlabel("training step")
  ax.set_ylabel("estimate of KL(q(z) || p(z)), nats (bands: 2 SE)")
  ax.set_title(title, fontsize=10)
  ax.legend(fontsize=8)
  ax.grid(alpha=0.3, which="both")
  if "c_prior" in r:
    ax2.plot(step, r["c_prior"], "C2-", label="C on prior samples (real)")
    ax2.plot(step, r["c_codes"], "C3-", label="C on codes (fake)")
    ax2.axhline(0.5, color="grey", lw=0.5)
    ax2.set_ylim(0, 1)
    ax2.legend(fontsize=8)
  ax2.set_xlabel("training step")
  ax2.set_ylabel("mean C(z) over the preceding steps' batches")
  ax2.set_title("the probabilities that train the encoder", fontsize=10)
  ax2.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def table(records: list[dict], rows: int = 7) -> str:
  """A markdown table of ``rows`` evenly spaced checkpoints and those with a fresh critic."""
  pick = set(np.linspace(0, len(records) - 1, min(rows, len(records))).round().astype(int))
  pick |= {i for i, rec in enumerate(records) if "critic_kl" in rec}
  lines = ["| step | k-NN KL(q \\|\\| p) | mixture KL(q_N \\|\\| p) | I[n; z] (log N) "
           "| C's estimate | fresh critic | Bayes-optimal C on q_train | mean log sigma |",
           "|---|---|---|---|---|---|---|---|"]
  for i in sorted(pick):
    rec = records[i]
    critic = (f"{rec['critic_kl']:.2f} +- {rec['critic_kl_se']:.2f}" if "critic_kl" in rec
              else "-")
    lines.append(f"| {rec['step']} | {rec['knn_kl']:.2f} | "
                 f"{rec['mc_kl']:.2f} +- {rec['mc_kl_se']:.2f} | "
                 f"{rec['mutual_information']:.2f} ({rec['log_num_examples']:.2f}) | "
                 f"{rec['discriminator_kl']:.2f} +- {rec['discriminator_kl_se']:.2f} | "
                 f"{critic} | {rec['optimal_kl']:.4g} | {rec['mean_log_scale']:.2f} |")
  return "\n".join(lines)


def main(argv, flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Trains, evaluates every ``--every`` steps and writes the log, table and plot."""
  del argv
  f = flag_values
  if not f.workdir:
    raise app.UsageError("pass --workdir")
  for name in ("steps", "every", "eval_examples", "critic_steps", "critic_batch"):
    if f[name].value < 1:
      raise app.UsageError(f"--{name}={f[name].value} is invalid: it must be >= 1.")
  if f.critic_every < 0:
    raise app.UsageError(f"--critic_every={f.critic_every} is invalid: 0 (none) or >= 1.")
  cfg, batch_size, seed = config_of(f.data)
  seed = seed if f.seed is None else f.seed
  x_train, x_eval = load_data(f.data, f.mnist_dir, f.eval_examples, seed)
  if len(x_eval) < 2:
    raise app.UsageError(f"--eval_examples={f.eval_examples} leaves {len(x_eval)} examples; "
                         "at least 2 are needed.")
  os.makedirs(f.workdir, exist_ok=True)
  print(f"aae_kl on {f.data}: {cfg}", flush=True)
  critic = dict(steps=f.critic_steps, batch_size=f.critic_batch,
                learning_rate=f.critic_learning_rate)
  state, records = train_and_evaluate(
      cfg, x_train, x_eval, batch_size=batch_size, seed=seed, steps=f.steps, every=f.every,
      critic_every=f.critic_every, critic=critic, log_path=os.path.join(f.workdir, "log.jsonl"))
  with open(os.path.join(f.workdir, "state.msgpack"), "wb") as fh:
    fh.write(flax.serialization.to_bytes(state))
  mean, log_scale = posteriors(state.encoder, x_eval, batch_size)
  np.savez(os.path.join(f.workdir, "posteriors.npz"), mean=mean, log_scale=log_scale)
  name = "aae_kl_estimates" + ("" if f.data == "mnist" else f"_{f.data}") + ".png"
  picture = os.path.join(f.workdir, name)
  plot(picture, records, f"AAE, Gaussian encoder, {f.data}: {cfg.latent_dim}-D codes, "
       f"{len(x_eval)} held-out examples")
  if f.images_dir:
    shutil.copy(picture, os.path.join(f.images_dir, name))
  text = table(records)
  print(text)
  with open(os.path.join(f.workdir, "results.md"), "w") as fh:
    fh.write(text + "\n")
  with open(os.path.join(f.workdir, "results.json"), "w") as fh:
    json.dump({"data": f.data, "config": str(cfg), "steps": f.steps, "every": f.every,
               "eval_examples": len(x_eval), "seed": seed, "critic": critic,
               "critic_every": f.critic_every, "picture": picture, "records": records},
              fh, indent=1)


if __name__ == "__main__":
  define_flags()
  app.run(main)
