"""``train.steps_per_call``: several steps per compiled call give the run of
one step per call (values, checkpoints, logs, resuming from any step, NaN
handling), and the intervals must line up with the calls."""

import numpy as np
import pytest

from gengan_jax.core import ConfigError
from gengan_jax.train import loop, nonfinite
from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.writers import read_metrics
from tests.train import _runs
from tests.train.test_nonfinite import _nan_data_config, nan_data_allowed  # noqa: F401

# A scan compiles the step into a loop body: XLA may fuse it differently, so
# the values agree to float32 rounding rather than bit for bit.
TOL = dict(rtol=2e-5, atol=1e-6)


def _config(steps, k, **train):
  """The two-player family (two networks: the scan's semantics are the
  algorithm's business only through train_step, and it compiles fastest)."""
  every = dict(log_every=4, checkpoint_every=4, keep_checkpoints=10)
  every.update(train)
  return _runs.config("gan", steps, steps_per_call=k, **every)


def _logged(workdir, key="generator_loss"):
  return {r["step"]: r[key] for r in read_metrics(str(workdir / "metrics.jsonl"))
          if key in r}


def test_several_steps_per_call_equal_one_per_call(tmp_path):
  _, one = loop.train(_config(8, 1), str(tmp_path / "one"))
  summary, four = loop.train(_config(8, 4), str(tmp_path / "four"))
  assert summary["step"] == 8 and int(four.step) == 8
  for a, b in zip(_runs.leaves(one), _runs.leaves(four), strict=True):
    np.testing.assert_allclose(a, b, **TOL)
  logged_one, logged_four = _logged(tmp_path / "one"), _logged(tmp_path / "four")
  assert sorted(logged_four) == [4, 8]
  np.testing.assert_allclose([logged_four[t] for t in (4, 8)],
                             [logged_one[t] for t in (4, 8)], **TOL)
  ckpt = Checkpointer(str(tmp_path / "four" / "checkpoints"))
  assert ckpt.all_steps() == [4, 8]
  ckpt.close()


def test_resume_from_a_step_between_calls(tmp_path):
  """Resumed at step 3 with 4 steps per call: single steps to 4, one call of
  4 to 8, single steps to the end at 10 (not a multiple of 4)."""
  _, straight = loop.train(_config(10, 1, log_every=2, checkpoint_every=2),
                           str(tmp_path / "straight"))
  loop.train(_config(3, 1, log_every=1, checkpoint_every=1), str(tmp_path / "run"))
  summary, resumed = loop.train(_config(10, 4), str(tmp_path / "run"))
  assert summary["step"] == 10 and int(resumed.step) == 10
  for a, b in zip(_runs.leaves(straight), _runs.leaves(resumed), strict=True):
    np.testing.assert_allclose(a, b, **TOL)
  ckpt = Checkpointer(str(tmp_path / "run" / "checkpoints"))
  assert ckpt.all_steps() == [1, 2, 3, 4, 8, 10]
  ckpt.close()


def test_nan_inside_a_call_names_its_step(tmp_path, nan_data_allowed):  # noqa: F811
  c, _, _ = _nan_data_config(tmp_path, "stop", 10, "gan")  # example read by step 3
  c.train.update(steps_per_call=5, log_every=5, checkpoint_every=5)
  with pytest.raises(nonfinite.NonFiniteError) as e:
    loop.train(c, str(tmp_path / "run"))
  msg = str(e.value)
  assert msg.startswith("step 3: NaN or Inf in "), msg
  assert "no checkpoint was written before it" in msg
  ckpt = Checkpointer(str(tmp_path / "run" / "checkpoints"))
  assert ckpt.all_steps() == []
  ckpt.close()


def test_skip_counts_the_same_with_several_steps_per_call(tmp_path, nan_data_allowed):  # noqa: F811
  c, _, _ = _nan_data_config(tmp_path, "skip", 12, "gan")
  one, _ = loop.train(c, str(tmp_path / "one"))
  c.train.update(steps_per_call=4, log_every=4, checkpoint_every=4)
  four, state = loop.train(c, str(tmp_path / "four"))
  assert one["nonfinite_skips"] >= 2
  assert four["nonfinite_skips"] == one["nonfinite_skips"]
  assert all(np.isfinite(x).all() for x in _runs.leaves(state))


@pytest.mark.parametrize("key", ["log_every", "checkpoint_every", "plot_every"])
def test_intervals_must_be_multiples_of_steps_per_call(key):
  c = _config(8, 4)
  c.train[key] = 6
  with pytest.raises(ConfigError, match=rf"train\.{key}=6 is not a multiple of "
                                        r"train\.steps_per_call=4"):
    loop.Experiment(c)


def test_steps_per_call_must_be_a_positive_int():
  with pytest.raises(ConfigError, match="train.steps_per_call"):
    loop.Experiment(_config(8, 0))
