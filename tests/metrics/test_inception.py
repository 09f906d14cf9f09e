"""Tests for gengan_jax.metrics.inception (no weights are needed or downloaded).

The forward pass was checked once against torch-fidelity's
FeatureExtractorInceptionV3 with the same random weights (pool3 relative
error 2e-7); that needs torch-fidelity's source, so it is not repeated here.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax.metrics import inception


def test_resize_bilinear_tf1_hand_checked():
  # TF1 (align_corners=False, no half-pixel centres): output i reads source
  # i * 2 / 4 = 0, 0.5, 1, 1.5 -> clamped: [a, (a + b) / 2, b, b].
  x = jnp.asarray([[0.0, 4.0], [8.0, 12.0]])[None, :, :, None]
  out = np.asarray(inception.resize_bilinear_tf1(x, 4))[0, :, :, 0]
  rows = np.array([0.0, 4.0, 8.0, 8.0])  # first column: 0, 4, 8, 8
  expected = rows[:, None] + np.array([0.0, 2.0, 4.0, 4.0])[None, :]
  np.testing.assert_allclose(out, expected)
  y = jnp.asarray(np.random.default_rng(0).uniform(size=(2, 5, 5, 3)))
  np.testing.assert_allclose(inception.resize_bilinear_tf1(y, 5), y, rtol=1e-6)


@functools.lru_cache(maxsize=1)
def _flax_template():
  return jax.eval_shape(inception.InceptionV3().init, jax.random.key(0),
                        jnp.zeros((1, 75, 75, 3)))


@functools.lru_cache(maxsize=1)
def _torch_style_state_cached():
  return _torch_style_state(np.random.default_rng(0))


def _torch_style_state(rng):
  """A state dict with torch names and layouts, built from the Flax template."""
  normal = lambda shape: rng.standard_normal(shape, dtype=np.float32)
  state = {}
  for keypath, leaf in jax.tree_util.tree_flatten_with_path(_flax_template())[0]:
    names = [k.key for k in keypath][1:]
    if names[-2] == "conv":
      h, w, i, o = leaf.shape
      state[".".join(names[:-1]) + ".weight"] = normal((o, i, h, w))
    elif names[-2] == "bn":
      torch_name = {"scale": "weight", "bias": "bias", "mean": "running_mean",
                    "var": "running_var"}[names[-1]]
      state[".".join(names[:-1]) + "." + torch_name] = normal(leaf.shape)
    else:
      state["fc.weight" if names[-1] == "kernel" else "fc.bias"] = normal(
          leaf.shape[::-1])
  return state


def test_architecture_matches_the_torch_conversions():
  state = _torch_style_state_cached()
  # Names and shapes of pytorch-fid / torch-fidelity checkpoints.
  assert state["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
  assert state["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)
  assert state["Mixed_6b.branch7x7_2.conv.weight"].shape == (128, 128, 1, 7)
  assert state["Mixed_7c.branch3x3dbl_3b.bn.running_var"].shape == (384,)
  assert state["fc.weight"].shape == (1008, 2048)
  params = sum(v.size for k, v in state.items() if "running" not in k)
  # torchvision's Inception3 without the auxiliary head has 23,834,568
  # parameters for 1000 classes; the FID graph has 1008: + 8 * 2048 + 8.
  assert params == 23_834_568 + 8 * 2048 + 8


def test_convert_round_trip_and_errors():
  state = dict(_torch_style_state_cached())
  state["Conv2d_1a_3x3.bn.num_batches_tracked"] = np.array(3)  # ignored
  variables = inception.convert_torch_state_dict(state)
  np.testing.assert_allclose(variables["params"]["Conv2d_1a_3x3"]["conv"]["kernel"],
                             state["Conv2d_1a_3x3.conv.weight"].transpose(2, 3, 1, 0), rtol=1e-6)
  np.testing.assert_allclose(variables["batch_stats"]["Mixed_7c"]["branch_pool"]["bn"]["var"],
                             state["Mixed_7c.branch_pool.bn.running_var"], rtol=1e-6)
  np.testing.assert_allclose(variables["params"]["fc"]["kernel"], state["fc.weight"].T, rtol=1e-6)
  assert (jax.tree_util.tree_structure(variables)
          == jax.tree_util.tree_structure(_flax_template()))
  missing = dict(state)
  del missing["Mixed_6e.branch7x7dbl_5.bn.bias"]
  with pytest.raises(KeyError, match="Mixed_6e.branch7x7dbl_5.bn.bias"):
    inception.convert_torch_state_dict(missing)
  bad = dict(state, **{"fc.bias": np.zeros(1000)})
  with pytest.raises(ValueError, match="fc/bias"):
    inception.convert_torch_state_dict(bad)


def test_missing_weights_say_where_to_get_them(tmp_path):
  with pytest.raises(FileNotFoundError, match="pytorch-fid") as e:
    inception.load_inception_v3(tmp_path / "pt_inception.pth")
  assert "gengan_jax.metrics.inception convert" in str(e.value)
