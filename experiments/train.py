r"""Trains one experiment config; restartable.

Usage::

  python -m experiments.train --config=experiments/configs/alpha_gan_ring.py \
      --workdir=workdirs/alpha_gan_ring [--config.train.steps=2000 ...]

Any config value can be overridden with ``--config.<path>=<value>``. Running
the same command again with the same ``--workdir`` resumes from the latest
checkpoint (raise ``--config.train.steps`` to train for longer).
"""

from __future__ import annotations

import json
import logging
import sys

from absl import app, flags
from ml_collections import config_flags

from gengan_jax.algorithms.config import ConfigError

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Path to an experiment config file (experiments/configs/*.py).",
    lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints, metrics and pictures.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  logging.getLogger("absl").setLevel(logging.WARNING)
  logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
  import jax  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import loop  # pylint: disable=g-import-not-at-top
  cfg = _CONFIG.value
  try:
    summary, _ = loop.train(cfg, _WORKDIR.value)
  except (ConfigError, FileNotFoundError) as e:
    sys.exit(f"error: {e}")
  if jax.process_index() == 0:
    print(json.dumps({"evaluation": summary["evaluation"],
                      "final_metrics": summary["final_metrics"]}, indent=1))
    print(f"\nDone: step {summary['step']} of {cfg.algorithm} on {summary['data']}.")
    print(f"  work directory : {summary['workdir']}")
    for p in summary["pictures"]:
      print(f"  picture        : {p}")
    print(f"  metrics        : {summary['metrics_file']} (TensorBoard: {summary['workdir']}/tensorboard)")
    print(f"  summary        : {summary['workdir']}/summary.json")
    print(f"  checkpoints    : {summary['checkpoints']}")


if __name__ == "__main__":
  app.run(main)
