"""Runs last: after everything above the shared server still answers."""

import pyarrow as pa

import helpers


def test_server_still_serving(connect, flight_session):
    assert helpers.query_rows(connect(), "SELECT 42") == [(42,)]
    _, tables = flight_session.query("SELECT 42 AS answer")
    assert pa.concat_tables(tables).to_pylist() == [{"answer": 42}]
