"""Damaged checkpoints are detected, set aside (never deleted) with a warning
naming the fault, and the newest good one is restored."""

import glob
import hashlib
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.core import ConfigError
from gengan_jax.train import loop
from gengan_jax.train.checkpoint import (Checkpointer, CheckpointError, CheckpointMismatchError,
                                         CheckpointWarning, fingerprint, structure)
from tests.train import _runs


def _state(v):
  return {"w": jnp.full((3, 4), v, jnp.float32), "b": jnp.arange(5, dtype=jnp.float32) * v,
          "step": jnp.int32(int(v))}


def _two_checkpoints(directory):
  ckpt = Checkpointer(directory, max_to_keep=5)
  for step in (1, 2):
    ckpt.save(step, _state(step), {"step": step})
  ckpt.close()


def _data_files(step_dir):
  return [f for f in glob.glob(os.path.join(step_dir, "state", "**"), recursive=True)
          if os.path.isfile(f) and f"{os.sep}d{os.sep}" in f]


def _truncate(step_dir):
  for f in _data_files(step_dir):
    with open(f, "r+b") as fh:
      fh.truncate(os.path.getsize(f) // 2)


def _flip_bytes(step_dir):
  for f in _data_files(step_dir):
    b = bytearray(open(f, "rb").read())
    for i in range(len(b) // 2, len(b) // 2 + 8):
      b[i] ^= 0xFF
    open(f, "wb").write(bytes(b))


def _half_written(step_dir):
  os.remove(os.path.join(step_dir, "state", "manifest.ocdbt"))


def _bad_record(step_dir):
  with open(os.path.join(step_dir, "meta", "metadata"), "w") as f:
    f.write('{"step": 2, "fingerprint": ')


def _other_arrays(step_dir):
  # Valid arrays, but not the ones saved at this step: only the fingerprint can tell.
  shutil.rmtree(os.path.join(step_dir, "state"))
  shutil.copytree(os.path.join(os.path.dirname(step_dir), "1", "state"),
                  os.path.join(step_dir, "state"))


def _emptied(step_dir):
  shutil.rmtree(step_dir)
  os.makedirs(step_dir)


@pytest.mark.parametrize("damage, reason", [
    (_truncate, r"arrays cannot be read"),
    (_flip_bytes, r"arrays cannot be read|SHA-256 fingerprint"),
    (_half_written, r"arrays cannot be read"),
    (_bad_record, r"JSON record cannot be read \(JSONDecodeError"),
    (_other_arrays, r"do not match the SHA-256 fingerprint written when it was saved"),
    (_emptied, r"JSON record cannot be read"),
])
def test_damaged_latest_falls_back_to_the_newest_good_one(tmp_path, damage, reason):
  d = str(tmp_path / "checkpoints")
  _two_checkpoints(d)
  damage(os.path.join(d, "2"))
  ckpt = Checkpointer(d)
  with pytest.warns(CheckpointWarning, match=rf"checkpoints/2 is damaged: .*({reason})") as w:
    state, meta, step = ckpt.restore_latest_good(_state(0))
  # One damage warning; orbax's abandoned reader may add an unrelated
  # RuntimeWarning ("coroutine ... was never awaited") when garbage-collected.
  assert len([r for r in w if issubclass(r.category, CheckpointWarning)]) == 1
  assert step == 1 and meta["step"] == 1
  for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(_state(1))):
    np.testing.assert_array_equal(a, b)
  # The good checkpoint stays; the damaged one is moved aside, not deleted.
  assert ckpt.all_steps() == [1]
  moved = os.listdir(tmp_path / "checkpoints.damaged")
  assert [m.split(".")[0] for m in moved] == ["2"]
  # Saving step 2 again works (nothing of the damaged one is in the way).
  ckpt.save(2, _state(2), {"step": 2})
  ckpt.close()
  assert Checkpointer(d).all_steps() == [1, 2]


def test_every_checkpoint_damaged_is_one_clear_error(tmp_path):
  d = str(tmp_path / "checkpoints")
  _two_checkpoints(d)
  _bad_record(os.path.join(d, "2"))
  _truncate(os.path.join(d, "1"))
  ckpt = Checkpointer(d)
  with pytest.warns(CheckpointWarning):
    with pytest.raises(CheckpointError, match=r"every checkpoint in .* is damaged.*step 2: its "
                       r"JSON record.*step 1: its arrays cannot be read.*new --workdir"):
      ckpt.restore_latest_good(_state(0))
  assert sorted(m.split(".")[0] for m in os.listdir(tmp_path / "checkpoints.damaged")) == [
      "1", "2"]


def test_a_checkpoint_of_another_config_is_a_config_error_and_nothing_moves(tmp_path):
  d = str(tmp_path / "checkpoints")
  _two_checkpoints(d)
  other = dict(_state(0), w=jnp.zeros((3, 5), jnp.float32))
  ckpt = Checkpointer(d)
  with pytest.raises(CheckpointMismatchError,
                     match=r"different config \(w is float32\(3, 4\) in the checkpoint, "
                     r"float32\(3, 5\) in the state\)"):
    ckpt.restore_latest_good(other)
  assert ckpt.all_steps() == [1, 2]
  assert not os.path.exists(tmp_path / "checkpoints.damaged")
  assert issubclass(CheckpointMismatchError, ConfigError)


def test_fingerprint_is_sha256_of_the_documented_bytes():
  tree = {"b": np.arange(3, dtype=np.int32), "a": np.ones((2, 2), np.float32)}
  h = hashlib.sha256()
  for name in ("a", "b"):  # dict keys in sorted order, as jax flattens them
    x = tree[name]
    h.update(f"{name}|{x.dtype.str}|{x.shape}|".encode())
    h.update(x.tobytes())
  assert fingerprint(tree) == h.hexdigest()
  flipped = dict(tree, a=tree["a"].copy())
  flipped["a"].view(np.uint32)[1, 1] ^= 1  # one bit of one value
  assert fingerprint(flipped) != fingerprint(tree)
  assert structure(tree) == [["a", [2, 2], "float32"], ["b", [3], "int32"]]


def test_train_resumes_past_a_truncated_checkpoint_bit_for_bit(tmp_path):
  c6 = _runs.config("alpha_gan", 6)
  _, straight = loop.train(c6, str(tmp_path / "straight"))
  loop.train(_runs.config("alpha_gan", 4), str(tmp_path / "run"))
  _truncate(str(tmp_path / "run" / "checkpoints" / "4"))
  with pytest.warns(CheckpointWarning, match=r"checkpoints/4 is damaged: its arrays cannot"):
    summary, resumed = loop.train(c6, str(tmp_path / "run"))
  assert summary["step"] == 6
  for a, b in zip(_runs.leaves(straight), _runs.leaves(resumed), strict=True):
    np.testing.assert_array_equal(a, b)


def test_resuming_with_another_seed_is_refused(tmp_path):
  loop.train(_runs.config("alpha_gan", 2), str(tmp_path))
  c = _runs.config("alpha_gan", 4)
  c.seed = 4
  with pytest.raises(CheckpointMismatchError, match=r"config value seed=4 differs from the 3"):
    loop.train(c, str(tmp_path))
