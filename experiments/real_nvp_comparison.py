r"""Maximum likelihood against WGAN-GP for the same Real NVP (Danihelka et al. 2017).

Danihelka, Lakshminarayanan, Uria, Wierstra & Dayan, "Comparison of maximum
likelihood and GAN-based training of Real NVPs" (2017) train one Real NVP
two ways and measure both on two axes: the exact held-out likelihood (the
generator is a flow, so it has one however it was trained) and an
*independent* Wasserstein critic, trained from scratch to tell held-out
data from samples (:mod:`gengan_jax.metrics.critic`). This script does that
for a ``real_nvp_mle`` and a ``real_nvp_wgan`` run and prints one table:

* **MNIST** (8-bit images): bits per dimension in 8-bit space on the 10,000
  test digits and on the 5,000 training digits, one uniform dequantisation
  draw each (``gengan_jax.metrics.bits_per_dim`` with ``data_range_bins=256,
  data_range=2.0``; an estimate of an upper bound on the discrete model's
  bits, Theis et al. 2016);
* **ring / grid** (continuous 2-D data): the negative log-density in nats
  per example and in bits per dimension of the continuous density
  (``data_range_bins=None``: no quantisation, so it can be negative), on
  10,000 fresh draws of the mixture;
* the independent critic's negative Wasserstein estimate ``-W`` (higher is
  better; 0 for a perfect model up to the critic's noise; the mean and
  spread of its last five estimates, each on 1,000 examples), the critic
  trained on one half of the held-out set (MNIST: the first 5,000 test
  digits; toys: 10,000 fresh draws) against model samples and measured on
  the other half (``valid``) and on its own half (``train``); a reference
  row gives the same critic's ``-W`` when the "model" is real data (MNIST:
  the training digits; toys: fresh mixture draws).

It also writes pictures to ``--image_dir``: samples of both models side by
side (``real_nvp_<data>_samples.png``; on the toys with the models'
densities) and the critics' curves (``real_nvp_<data>_critic.png``).

Usage (after training both, e.g. with ``python -m experiments.train
--config=experiments/configs/real_nvp_mle.py:mnist --workdir=...``)::

  python -m experiments.real_nvp_comparison --mle=/tmp/runs/mle \
      --wgan=/tmp/runs/wgan [--critic_steps=2000] [--image_dir=docs/images]
"""

from __future__ import annotations

import os
import time

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from absl import app, flags

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gengan_jax import data, metrics  # noqa: E402
from gengan_jax.evaluate.loading import draw_samples, held_out_images, load_run  # noqa: E402
from gengan_jax.metrics import critic as critic_lib  # noqa: E402

FLAGS = flags.FLAGS
CHUNK = 500


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags (when run as a script, not at import)."""
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("mle", None, "A real_nvp_mle run's directory.", **fv)
  flags.DEFINE_string("wgan", None, "A real_nvp_wgan run's directory (same data).", **fv)
  flags.DEFINE_integer("critic_steps", 2000, "Steps of each independent critic.", **fv)
  flags.DEFINE_integer("toy_examples", 10000, "Held-out draws of a 2-D mixture.", **fv)
  flags.DEFINE_string("image_dir", "docs/images", "Where to write the pictures ('' for none).",
                      **fv)
  flags.DEFINE_integer("seed", 0, "Seed of the dequantisation, samples and critics.", **fv)


def log_likelihoods(exp, state, x: np.ndarray, key: jax.Array) -> np.ndarray:
  """The run's exact ``log_likelihood`` of every example of ``x`` (chunk ``i``
  dequantised with ``fold_in(key, i)``), nats, ``[N]``."""
  fn = jax.jit(exp.algorithm.log_likelihood)
  out = []
  for i, s in enumerate(range(0, len(x), CHUNK)):
    chunk = x[s:s + CHUNK]
    pad = CHUNK - len(chunk)  # one compiled shape
    padded = np.concatenate([chunk, chunk[:1].repeat(pad, 0)]) if pad else chunk
    out.append(np.asarray(fn(state, jnp.asarray(padded), jax.random.fold_in(key, i)))[:len(chunk)])
  return np.concatenate(out).astype(np.float64)


def evaluation_sets(exp, seed: int, toy_examples: int) -> dict:
  """Held-out data for the likelihood and the critic, and a real-data reference."""
  if isinstance(exp.dataset, data.MixtureDataset):
    mix = exp.dataset.mixture
    rng = np.random.default_rng(seed + 1)
    draw = lambda: mix.sample(rng, toy_examples).astype(np.float32)  # noqa: E731
    held, critic_train, reference = draw(), draw(), draw()
    return dict(kind="toy", held_out=held, critic_train=critic_train, critic_valid=held,
                reference=reference, train=None,
                description=f"{toy_examples} fresh draws of the {mix.name} mixture")
  test, desc, is_held_out = held_out_images(exp.config, exp.dataset)
  if not is_held_out:
    raise ValueError(f"no held-out split for {exp.dataset.name}: {desc}")
  half = len(test) // 2
  return dict(kind="images", held_out=test, critic_train=test[:half], critic_valid=test[half:],
              reference=np.asarray(exp.dataset.data), train=np.asarray(exp.dataset.data),
              description=desc)


def likelihood_numbers(exp, state, sets: dict, key: jax.Array) -> dict:
  x = sets["held_out"]
  d = int(np.prod(x.shape[1:]))
  ll = log_likelihoods(exp, state, x, key)
  if sets["kind"] == "toy":
    bpd = metrics.bits_per_dim(jnp.asarray(ll, jnp.float32), d, data_range_bins=None)
    return {"nll_nats": float(-ll.mean()), "bits_per_dim": float(np.mean(bpd))}
  to_bits = lambda v: float(np.mean(metrics.bits_per_dim(  # noqa: E731
      jnp.asarray(v, jnp.float32), d, data_range_bins=256, data_range=2.0)))
  train_ll = log_likelihoods(exp, state, sets["train"], jax.random.fold_in(key, 10**6))
  return {"bits_per_dim": to_bits(ll), "train_bits_per_dim": to_bits(train_ll)}


def critic_settings(sets: dict) -> critic_lib.IndependentCritic:
  if sets["kind"] == "toy":
    return critic_lib.IndependentCritic(arch="mlp", hidden=(128, 128, 128))
  return critic_lib.IndependentCritic(arch="dcgan", base_features=32)


def last(values: np.ndarray, n: int = 5) -> str:
  """``mean +- sd`` of the last ``n`` estimates of a critic's curve (each is noisy)."""
  v = np.asarray(values[-n:], np.float64)
  return f"{v.mean():.3f} ± {v.std():.3f}"


def run_critic(sets: dict, sample_fn, key: jax.Array, steps: int) -> critic_lib.CriticHistory:
  return critic_lib.train_independent_critic(
      sets["critic_train"], sets["critic_valid"], sample_fn, key, steps=steps,
      critic=critic_settings(sets))


def data_sampler(x: np.ndarray):
  """``sample_fn`` that returns random examples of ``x`` (the real-data reference)."""
  def sample_fn(key, n):
    idx = np.asarray(jax.random.randint(key, (n,), 0, len(x)))
    return x[idx]
  return sample_fn


def model_sampler(exp, state):
  fn = jax.jit(exp.algorithm.sample, static_argnums=2)
  return lambda k, n: np.asarray(fn(state, k, n))


def density_grid(exp, state, lim: float, n: int = 200):
  xs = np.linspace(-lim, lim, n, dtype=np.float32)
  grid = np.stack(np.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2)
  ll = log_likelihoods(exp, state, grid, jax.random.key(0))
  return xs, ll.reshape(n, n)


def pictures(image_dir: str, tag: str, runs: dict, sets: dict, histories: dict) -> list[str]:
  os.makedirs(image_dir, exist_ok=True)
  paths = []
  names = list(runs)
  if sets["kind"] == "images":
    panels = [("test digits", sets["held_out"][:64])] + [
        (f"{n} samples", runs[n]["samples"][:64]) for n in names]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.3), dpi=100)
    for ax, (title, imgs) in zip(axes, panels):
      imgs = (np.clip(imgs, -1, 1) + 1) / 2
      grid = imgs[:64, :, :, 0].reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(224, 224)
      ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
      ax.set_title(title, fontsize=10)
      ax.axis("off")
  else:
    lim = float(np.abs(sets["held_out"]).max()) * 1.25
    fig, axes = plt.subplots(2, len(names), figsize=(4.5 * len(names), 9), dpi=72)
    for j, n in enumerate(names):
      xs, ll = density_grid(runs[n]["exp"], runs[n]["state"], lim)
      ax = axes[0, j]
      ax.imshow(np.clip(ll, ll.max() - 12.0, None), origin="lower",
                extent=(-lim, lim, -lim, lim), cmap="magma")
      ax.set_title(f"{n}: log p (12 nats below its max in black)", fontsize=10)
      ax = axes[1, j]
      s = runs[n]["samples"][:2500]
      ax.scatter(sets["held_out"][:2500, 0], sets["held_out"][:2500, 1], s=2, c="k",
                 alpha=0.3, label="data")
      ax.scatter(s[:, 0], s[:, 1], s=2, c="tab:orange", alpha=0.5, label="samples")
      ax.set_xlim(-lim, lim)
      ax.set_ylim(-lim, lim)
      ax.set_aspect("equal")
      ax.legend(fontsize=8, loc="upper right")
      ax.set_title(f"{n}: 2,500 samples", fontsize=10)
  fig.tight_layout()
  path = os.path.join(image_dir, f"real_nvp_{tag}_samples.png")
  fig.savefig(path)
  plt.close(fig)
  paths.append(path)

  fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=100)
  for n, h in histories.items():
    ax.plot(h.steps, h.valid, label=f"{n} (validation half)")
  ax.axhline(0.0, color="k", lw=0.6)
  ax.set_xlabel("independent critic step")
  ax.set_ylabel("negative Wasserstein estimate -W")
  ax.set_title(f"independent Wasserstein critic, {tag}", fontsize=10)
  ax.legend(fontsize=8)
  fig.tight_layout()
  path = os.path.join(image_dir, f"real_nvp_{tag}_critic.png")
  fig.savefig(path)
  plt.close(fig)
  paths.append(path)
  return paths


def compare(mle_dir: str, wgan_dir: str, *, critic_steps: int, toy_examples: int,
            image_dir: str, seed: int) -> tuple[str, list[str]]:
  """Evaluates both runs; returns the table (markdown) and the pictures written."""
  key = jax.random.key(seed)
  runs, rows, histories, sets = {}, [], {}, None
  for name, workdir in (("real_nvp_mle", mle_dir), ("real_nvp_wgan", wgan_dir)):
    t0 = time.time()
    exp, state, step = load_run(workdir)
    if exp.config.algorithm != name:
      raise ValueError(f"{workdir} is a {exp.config.algorithm} run; expected {name}.")
    if sets is None:
      sets = evaluation_sets(exp, seed, toy_examples)
      tag = exp.dataset.mixture.name if sets["kind"] == "toy" else "mnist"
    numbers = likelihood_numbers(exp, state, sets, jax.random.fold_in(key, 1))
    history = run_critic(sets, model_sampler(exp, state), jax.random.fold_in(key, 2),
                         critic_steps)
    samples = draw_samples(exp, state, 2500 if sets["kind"] == "toy" else 64,
                           jax.random.fold_in(key, 3))
    runs[name] = dict(exp=exp, state=state, samples=samples)
    histories[name] = history
    rows.append((name, step, numbers, history))
    print(f"{name}: step {step}, {numbers}, critic -W valid {history.valid[-1]:.4f} "
          f"({time.time() - t0:.0f} s)", flush=True)
  reference = run_critic(sets, data_sampler(sets["reference"]), jax.random.fold_in(key, 2),
                         critic_steps)
  histories["real data"] = reference

  if sets["kind"] == "toy":
    header = ("| model | steps | held-out NLL (nats) | bits/dim (continuous) "
              "| critic -W (valid) | critic -W (train) |\n|---|---|---|---|---|---|")
    lines = [f"| {n} | {s} | {v['nll_nats']:.3f} | {v['bits_per_dim']:.3f} "
             f"| {last(h.valid)} | {last(h.train)} |" for n, s, v, h in rows]
    lines.append(f"| real data (fresh draws) | - | - | - | {last(reference.valid)} "
                 f"| {last(reference.train)} |")
  else:
    header = ("| model | steps | test bits/dim (8-bit) | train bits/dim (8-bit) "
              "| critic -W (valid) | critic -W (train) |\n|---|---|---|---|---|---|")
    lines = [f"| {n} | {s} | {v['bits_per_dim']:.3f} | {v['train_bits_per_dim']:.3f} "
             f"| {last(h.valid)} | {last(h.train)} |" for n, s, v, h in rows]
    lines.append(f"| real data (training digits) | - | - | - | {last(reference.valid)} "
                 f"| {last(reference.train)} |")
  note = (f"held-out set: {sets['description']}; independent critic: "
          f"{critic_settings(sets)}, {critic_steps} steps, seed {seed}; -W: mean +- sd of its "
          "last 5 estimates (every steps/20 steps, 1,000 examples and samples each)")
  table = "\n".join([header] + lines + ["", note])
  paths = pictures(image_dir, tag, runs, sets, histories) if image_dir else []
  return table, paths


def main(argv):
  del argv
  if not FLAGS.mle or not FLAGS.wgan:
    raise app.UsageError("--mle and --wgan are required: a real_nvp_mle and a real_nvp_wgan "
                         "run on the same data.")
  table, paths = compare(FLAGS.mle, FLAGS.wgan, critic_steps=FLAGS.critic_steps,
                         toy_examples=FLAGS.toy_examples, image_dir=FLAGS.image_dir,
                         seed=FLAGS.seed)
  print(table)
  for p in paths:
    print("wrote", p)


if __name__ == "__main__":
  define_flags()
  app.run(main)
