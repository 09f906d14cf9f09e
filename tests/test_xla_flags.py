"""tests.xla_flags: a flag the installed XLA does not know is left out, not fatal."""

import os

from tests import xla_flags


def test_the_probe_tells_a_known_flag_from_an_unknown_one():
  assert xla_flags.xla_accepts("--xla_force_host_platform_device_count=2")
  # XLA aborts the process on an unknown flag: the probe's child, not the tests.
  assert not xla_flags.xla_accepts("--xla_no_such_flag_in_any_xla=true")


def test_the_flags_follow_the_probe(monkeypatch):
  monkeypatch.setenv("GENGAN_JAX_TESTS_FUSION_FLAG", "0")
  assert xla_flags.xla_flags(2) == "--xla_force_host_platform_device_count=2"
  monkeypatch.setenv("GENGAN_JAX_TESTS_FUSION_FLAG", "1")
  assert xla_flags.xla_flags(8) == ("--xla_force_host_platform_device_count=8 "
                                    + xla_flags.FUSION_FLAG)
  monkeypatch.delenv("GENGAN_JAX_TESTS_FUSION_FLAG")
  monkeypatch.setattr(xla_flags, "xla_accepts", lambda flag: False)
  assert xla_flags.fast_compile_flags() == []
  assert os.environ["GENGAN_JAX_TESTS_FUSION_FLAG"] == "0"
