"""Executors: junk Dask addresses and security files are one-line errors; workers die with the sweep
(tests/test_search_store_lock.py kills one)."""

from __future__ import annotations

import pytest

from cosim.errors import CosimError
from cosim.search.executors import dask_security, make_executor
from cosim.search.space import load_space
from test_search_toy import install, write_toy_space


@pytest.mark.parametrize("address", ["not an address", "tcp://", "http://example:8786", "x" * 5000])
def test_junk_scheduler_addresses_are_one_line_errors(tmp_path, address):
    pytest.importorskip("distributed")
    install()
    space = load_space(write_toy_space(tmp_path))
    with pytest.raises(CosimError) as e:
        make_executor("dask", space, scheduler=address)
    assert "\n" not in str(e.value) and len(str(e.value)) < 400


def test_security_file_must_name_tls_fields(tmp_path):
    pytest.importorskip("distributed")
    bad = tmp_path / "sec.yaml"
    bad.write_text("tls_ca_file: ca.pem\nshell: rm -rf /\n")
    with pytest.raises(CosimError, match="tls_ca_file"):
        dask_security(str(bad))
    with pytest.raises(CosimError, match="cannot be read"):
        dask_security(str(tmp_path / "missing.yaml"))


def test_scheduler_and_security_need_the_dask_executor(tmp_path):
    install()
    space = load_space(write_toy_space(tmp_path))
    with pytest.raises(CosimError, match="only used with --executor dask"):
        make_executor("serial", space, security="sec.yaml")
