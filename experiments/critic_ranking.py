r"""Do the four divergence critics rank MNIST models like the MNIST FID? (Im et al. 2018)

Im, Ma, Taylor & Branson ("Quantitatively evaluating GANs with divergences
proposed for training", ICLR 2018) train a new critic of each GAN objective
from scratch against a model's samples and read its divergence estimate on
held-out data; their qualitative check is that the critics rank models of
clearly different quality in the same order. This script repeats it on
MNIST::

  nice -n 5 flock /tmp/gengan_heavy.lock python -m experiments.critic_ranking \
      --workdir=workdirs/critic_ranking [--data_dir=../shared/data/mnist] \
      [--critic_steps=500] [--critic_seeds=3]

The models (trained here, or reused when their work directories exist):

* ``dcgan@100``, ``dcgan@500``, ``dcgan@2000``: one DCGAN run
  (``experiments/configs/dcgan.py:mnist``: non-saturating loss, G updated
  twice per D update, Adam 2e-4 / 0.5 / 0.999, batch 64, the 5,000 ``train5k``
  digits) restored at 100, 500 and 2,000 steps;
* ``collapsed``: the same config for 500 steps with the discriminator's
  learning rate 1e-9, i.e. frozen at its random initialisation: the generator
  climbs one fixed critic's logit, and every ``z`` goes to the same few
  images (mode collapse by construction);
* ``data (train5k)``: a reference "model" that samples the training digits
  themselves (what a perfect model of the training set would score against
  the test digits).

For each, the four critics of :mod:`gengan_jax.metrics.divergence_critics`
(GAN: Jensen-Shannon in nats; least squares: Pearson chi^2 of the data from
the mixture; WGAN-GP: W1; learned-kernel MMD^2), with the evaluation's image
critic (:data:`gengan_jax.evaluate.critic.IMAGE_CRITIC`: a BN-free DCGAN
critic, 32 base features, Adam 1e-4 / 0 / 0.9, batch 64), trained for
``--critic_steps`` steps on the first 5,000 MNIST test digits against fresh
samples and read on the other 5,000 (``--eval_size`` digits and samples per
estimate), mean +- sd over ``--critic_seeds`` critic seeds; and the MNIST FID
(features of the library's MNIST classifier, ``--fid_samples`` samples against
the 10,000 test digits).

It prints a Markdown table, each metric's ranking of the models (best first)
and whether it is FID's, and writes ``results.json`` and ``samples.png``
(16 samples per model, one row each) to ``--workdir``.
"""

from __future__ import annotations

import json
import math
import os
import time

import jax
import numpy as np
from absl import app, flags, logging

from gengan_jax import metrics
from gengan_jax.configs import common
from gengan_jax.configs import dcgan as dcgan_config
from gengan_jax.evaluate import critic as evaluate_critic
from gengan_jax.evaluate.loading import draw_samples, held_out_images, load_run
from gengan_jax.metrics import classifier as clf
from gengan_jax.metrics import divergence_critics
from gengan_jax.train import loop, plots

FROZEN_LEARNING_RATE = 1e-9  # the collapsed run's discriminator

COLUMNS = {"gan": "JS (GAN critic)", "least_squares": "chi^2 (LS critic)",
           "wasserstein_gp": "W1 (WGAN-GP critic)", "mmd": "MMD^2 (MMD critic)"}


def define_flags(fv: flags.FlagValues = flags.FLAGS) -> None:
  kw = {"flag_values": fv}
  flags.DEFINE_string("workdir", "workdirs/critic_ranking", "Where runs and results go.", **kw)
  flags.DEFINE_string("data_dir", None, "MNIST IDX folder (default: the configs' "
                      "mnist_directory(), e.g. ../shared/data/mnist).", **kw)
  flags.DEFINE_integer("critic_steps", 500, "Steps of each divergence critic.", **kw)
  flags.DEFINE_integer("critic_seeds", 3, "Critic seeds per divergence and model.", **kw)
  flags.DEFINE_integer("eval_size", 1000, "Held-out digits and samples per estimate.", **kw)
  flags.DEFINE_integer("fid_samples", 10000, "Samples for the MNIST FID.", **kw)
  flags.DEFINE_string("classifier", None, "MNIST classifier (default: the library's).", **kw)
  flags.DEFINE_integer("seed", 0, "Seed of the critics and samples.", **kw)
  flags.DEFINE_list("dcgan_steps", ["100", "500", "2000"],
                    "DCGAN checkpoints to compare (the run trains to the last).", **kw)
  flags.DEFINE_integer("collapsed_steps", 500, "Steps of the collapsed run.", **kw)
  flags.DEFINE_bool("reference", True, "Also measure the training digits themselves "
                    "(a perfect model of the training set).", **kw)


def models(dcgan_steps: list[int], collapsed_steps: int,
           reference: bool = True) -> list[tuple[str, str, int]]:
  """``(label, run, checkpoint step)`` of each model; run ``'data'`` (with
  ``reference``) samples the training digits themselves."""
  return ([(f"dcgan@{s}", "dcgan", s) for s in dcgan_steps]
          + [("collapsed", "collapsed", collapsed_steps)]
          + ([("data (train5k)", "data", 0)] if reference else []))


def run_config(run: str, data_dir: str, checkpoints: list[int]):
  """The config of ``run`` (``'dcgan'``, ``'collapsed'``): dcgan.py:mnist, trained to
  the last of ``checkpoints`` and keeping every one of them."""
  c = dcgan_config.get_config("mnist")
  c.data.directory = data_dir
  c.train.steps = max(checkpoints)
  c.train.checkpoint_every = math.gcd(*checkpoints)
  c.train.keep_checkpoints = max(checkpoints) // c.train.checkpoint_every + 1
  c.train.plot_every = 0
  c.train.progress = False
  if run == "collapsed":
    c.model.discriminator_optimizer.learning_rate = FROZEN_LEARNING_RATE
  return c


def train_runs(root: str, data_dir: str, checkpoints: dict[str, list[int]]) -> dict[str, str]:
  """Trains (or resumes, or reuses) the runs to their last checkpoints; their work directories."""
  out = {}
  for run, steps in checkpoints.items():
    workdir = os.path.join(root, run)
    out[run] = workdir
    summary = os.path.join(workdir, "summary.json")
    if os.path.isfile(summary):
      with open(summary) as f:
        if json.load(f).get("step", 0) >= max(steps):
          print(f"[{run}] reusing {workdir}", flush=True)
          continue
    t0 = time.time()
    print(f"[{run}] training {max(steps)} steps in {workdir}", flush=True)
    loop.train(run_config(run, data_dir, steps), workdir)
    print(f"[{run}] trained in {time.time() - t0:.0f} s", flush=True)
  return out


def ranking(values: dict[str, float]) -> list[str]:
  """Labels ordered best (lowest) first."""
  return sorted(values, key=lambda k: values[k])


def markdown_table(results: dict, names: list[str]) -> str:
  header = ["model", "MNIST FID"] + [COLUMNS[n] for n in names]
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for label, r in results.items():
    cells = [label, f"{r['fid']:.2f}"] + [
        f"{r['divergences'][n]['mean']:.4f} +- {r['divergences'][n]['std']:.4f}" for n in names]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def main(argv) -> None:
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it reads.
  fv = flags.FLAGS
  data_dir = fv.data_dir or common.mnist_directory()
  root = os.path.abspath(fv.workdir)
  os.makedirs(root, exist_ok=True)
  dcgan_steps = sorted(int(s) for s in fv.dcgan_steps)
  model_list = models(dcgan_steps, fv.collapsed_steps, fv.reference)
  runs = train_runs(root, data_dir, {"dcgan": dcgan_steps, "collapsed": [fv.collapsed_steps]})

  logits_fn, features_fn = clf.load_mnist_classifier(clf.classifier_path(fv.classifier))
  del logits_fn
  exp0, _, _ = load_run(runs["dcgan"], step=dcgan_steps[0])
  real, real_desc, held_out = held_out_images(exp0.config, exp0.dataset)
  if not held_out:
    raise SystemExit(f"error: no held-out test digits next to {data_dir}.")
  train_digits = np.asarray(exp0.dataset.data, np.float32)
  half = len(real) // 2
  f_real = clf.apply_in_batches(features_fn, real)
  names = list(divergence_critics.OBJECTIVES)
  key = jax.random.key(fv.seed)
  settings = evaluate_critic.IMAGE_CRITIC
  results, grids = {}, []
  for label, run, step in model_list:
    t0 = time.time()
    if run == "data":
      dev = jax.device_put(train_digits)
      sample_fn = jax.jit(
          lambda k, n: dev[jax.random.randint(k, (n,), 0, dev.shape[0])], static_argnums=1)
      samples = np.asarray(sample_fn(jax.random.fold_in(key, 1), fv.fid_samples))
    else:
      exp, state, got = load_run(runs[run], step=step)
      assert got == step, (run, step, got)
      jitted = jax.jit(exp.algorithm.sample, static_argnums=2)
      sample_fn = lambda k, n, s=state, j=jitted: np.asarray(j(s, k, n))  # noqa: E731
      samples = draw_samples(exp, state, fv.fid_samples, jax.random.fold_in(key, 1))
    fid = metrics.fid_from_features(f_real, clf.apply_in_batches(features_fn, samples))
    grids.append(samples[:16])
    print(f"[{label}] MNIST FID {fid:.2f}; critics ...", flush=True)
    est = divergence_critics.estimate_divergences(
        real[:half], real[half:], sample_fn, key, steps=fv.critic_steps,
        num_seeds=fv.critic_seeds, critic=settings, eval_size=fv.eval_size)
    results[label] = {"run": run, "step": step, "fid": float(fid),
                      "divergences": {k: v.as_dict() for k, v in est.items()},
                      "seconds": round(time.time() - t0, 1)}
    print(f"[{label}] " + ", ".join(f"{k} {v.mean:.4f} +- {v.std:.4f}" for k, v in est.items())
          + f" ({time.time() - t0:.0f} s)", flush=True)

  labels = [m[0] for m in model_list if m[1] != "data"]
  orders = {"MNIST FID": ranking({m: results[m]["fid"] for m in labels})}
  for n in names:
    orders[COLUMNS[n]] = ranking({m: results[m]["divergences"][n]["mean"] for m in labels})
  agree = {k: v == orders["MNIST FID"] for k, v in orders.items()}

  table = markdown_table(results, names)
  lines = [table, "", "Rankings of the models (best first; the data reference left out):"]
  lines += [f"* {k}: {' < '.join(v)}{'' if agree[k] else '  (differs from FID)'}"
            for k, v in orders.items()]
  lines.append(f"\nAll four critics rank the models as the MNIST FID does: "
               f"{'yes' if all(agree.values()) else 'no'}.")
  report = "\n".join(lines)
  print("\n" + report)

  plots.image_grid(os.path.join(root, "samples.png"), np.concatenate(grids), columns=16,
                   title="rows: " + ", ".join(m[0] for m in model_list))
  settings_out = {"critic_steps": fv.critic_steps, "critic_seeds": fv.critic_seeds,
                  "eval_size": fv.eval_size, "fid_samples": fv.fid_samples, "seed": fv.seed,
                  "critic": evaluate_critic.describe_network(settings),
                  "critic_learning_rate": settings.learning_rate,
                  "critic_batch_size": settings.batch_size,
                  "critic_train_data": f"first {half} of the {real_desc}",
                  "critic_valid_data": f"the other {len(real) - half}",
                  "collapsed_run": f"dcgan.py:mnist with the discriminator's learning rate "
                                   f"{FROZEN_LEARNING_RATE} for {fv.collapsed_steps} steps"}
  with open(os.path.join(root, "results.json"), "w") as f:
    json.dump({"settings": settings_out, "results": results, "orders": orders,
               "agree_with_fid": agree, "report": report}, f, indent=1)
  print(f"\n  results : {os.path.join(root, 'results.json')}\n"
        f"  samples : {os.path.join(root, 'samples.png')}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
