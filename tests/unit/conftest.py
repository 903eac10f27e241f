"""Unit tests run without the network: a socket opened here is a test in the wrong folder."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a unit test opened a socket: move it to a folder of full-stack tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "bind", refuse)
