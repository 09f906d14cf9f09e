"""Runs written by earlier versions still load and resume.

``written_before/gan_80f760f`` is a two-step run of ``_runs.config("gan", 2)``
(``keep_checkpoints=1``) written by commit 80f760f, before the states gained
an optional average of the parameters: its ``config.json`` and its
checkpoint, as a user's old run directory holds them. Every restore checks
the checkpoint's SHA-256 fingerprint, so a load that succeeds restored it
bit for bit.
"""

import os
import shutil

import jax
import numpy as np
import pytest

from gengan_jax import use
from gengan_jax.train import loop
from gengan_jax.train.checkpoint import Checkpointer, CheckpointMismatchError
from tests.train import _runs

WRITTEN_BEFORE = os.path.join(os.path.dirname(__file__), "written_before", "gan_80f760f")


@pytest.fixture
def old_run(tmp_path):
  workdir = str(tmp_path / "run")
  shutil.copytree(WRITTEN_BEFORE, workdir)
  return workdir


def _steps(workdir):
  ckpt = Checkpointer(os.path.join(workdir, "checkpoints"), read_only=True)
  try:
    return ckpt.all_steps()
  finally:
    ckpt.close()


def test_an_old_run_loads(old_run):
  model = use.load(old_run)
  assert model.step == 2
  assert np.isfinite(model.sample(16)).all()


def test_an_old_run_resumes(old_run):
  c = _runs.config("gan", 4, keep_checkpoints=1)
  summary, state = loop.train(c, old_run)
  assert summary["step"] == 4 and int(state.step) == 4
  assert not os.path.exists(os.path.join(old_run, "checkpoints.damaged"))


def test_an_old_run_resumed_with_an_average_is_one_line_and_moves_nothing(old_run):
  c = _runs.config("gan", 4, ema_decay=0.9)
  with pytest.raises(CheckpointMismatchError, match="train.ema_decay decides"):
    loop.train(c, old_run)
  assert _steps(old_run) == [2]
  assert not os.path.exists(os.path.join(old_run, "checkpoints.damaged"))


def test_a_tree_that_differs_only_in_an_empty_node_is_a_mismatch_not_damage(tmp_path):
  """The leaf check cannot see a node without leaves (a ``None`` field);
  orbax refuses it, and that is another structure, not a damaged file."""
  directory = str(tmp_path / "checkpoints")
  saved = {"a": jax.numpy.arange(3.0)}
  ckpt = Checkpointer(directory)
  ckpt.save(1, saved, {"step": 1})
  ckpt.close()
  ckpt = Checkpointer(directory)
  try:
    with pytest.raises(CheckpointMismatchError, match="another state structure"):
      ckpt.restore_latest_good({"a": saved["a"], "b": None})
    assert ckpt.all_steps() == [1]
    state, _, _ = ckpt.restore_latest_good(saved)
    np.testing.assert_array_equal(state["a"], saved["a"])
  finally:
    ckpt.close()
  assert not os.path.exists(directory + ".damaged")
