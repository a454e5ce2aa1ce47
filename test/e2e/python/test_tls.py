"""TLS and mutual TLS with real clients (ADBC Flight SQL driver, pyarrow.flight) against private
servers started with throwaway certificates from test/e2e/tls/make-certs.sh."""

import os
import subprocess

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import helpers

dbapi = helpers.flightsql

MAKE_CERTS = os.path.join(helpers.REPO_ROOT, "test", "e2e", "tls", "make-certs.sh")
TLS_ROOT_CERTS = "adbc.flight.sql.client_option.tls_root_certs"
MTLS_CERT_CHAIN = "adbc.flight.sql.client_option.mtls_cert_chain"
MTLS_PRIVATE_KEY = "adbc.flight.sql.client_option.mtls_private_key"


class Certs:
    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)

    def pem(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def text(self, name):
        return self.pem(name).decode("ascii")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("skein-tls-certs"))
    subprocess.run(["bash", MAKE_CERTS, directory], check=True, capture_output=True)
    return Certs(directory)


def _server(tls):
    srv = helpers.PrivateServer({"tls": tls})
    assert srv.uri.startswith("grpc+tls://127.0.0.1:"), srv.uri
    return srv


@pytest.fixture(scope="module")
def tls_server(certs):
    srv = _server({"certFile": certs.path("server.pem"), "keyFile": certs.path("server.key")})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mtls_server(certs):
    srv = _server({"certFile": certs.path("server.pem"), "keyFile": certs.path("server.key"),
                   "clientCaFile": certs.path("ca.pem")})
    yield srv
    srv.stop()


def _adbc_answer(server, **options):
    conn = helpers.connect(server, **options)
    try:
        return helpers.query_rows(conn, "SELECT 6 * 7 AS answer, 'over tls' AS how")
    finally:
        conn.close()


def _adbc_refused(server, **options):
    """The error message of a connection + query that must fail."""
    with pytest.raises(dbapi.Error) as info:
        _adbc_answer(server, **options)
    return str(info.value)


def _refused_for_certificate(message, expected="certificate"):
    # The server ends the TLS handshake: the client reads its alert ("certificate required"), or,
    # when the connection is already gone before it reads, sees only UNAVAILABLE ("broken pipe").
    assert expected in message or "(Unavailable;" in message, message


def _flight_answer(server, **tls):
    client = flight.FlightClient(server.uri, **tls)
    try:
        opts = flight.FlightCallOptions(headers=[client.authenticate_basic_token(server.user, server.password)])
        info = client.get_flight_info(helpers.statement_descriptor("SELECT 42 AS answer"), opts)
        return pa.concat_tables([client.do_get(ep.ticket, opts).read_all() for ep in info.endpoints]).to_pylist()
    finally:
        client.close()


# --- TLS ------------------------------------------------------------------------------------------

def test_adbc_over_tls_with_the_ca(tls_server, certs):
    assert _adbc_answer(tls_server, **{TLS_ROOT_CERTS: certs.text("ca.pem")}) == [(42, "over tls")]


def test_adbc_without_the_ca_is_refused(tls_server):
    message = _adbc_refused(tls_server)
    assert "certificate signed by unknown authority" in message, message


def test_adbc_trusting_another_ca_is_refused(tls_server, certs):
    message = _adbc_refused(tls_server, **{TLS_ROOT_CERTS: certs.text("rogue-ca.pem")})
    assert "certificate signed by unknown authority" in message, message


def test_plaintext_client_is_refused_by_a_tls_server(tls_server):
    plain = helpers.Server(tls_server.uri.replace("grpc+tls://", "grpc://"), tls_server.user, tls_server.password)
    _adbc_refused(plain)


def test_pyarrow_flight_over_tls(tls_server, certs):
    assert _flight_answer(tls_server, tls_root_certs=certs.pem("ca.pem")) == [{"answer": 42}]


def test_pyarrow_flight_without_the_ca_is_refused(tls_server):
    # pyarrow reports a failed TLS handshake as Unavailable or Internal, depending on when it notices
    with pytest.raises(flight.FlightError):
        _flight_answer(tls_server)


# --- mutual TLS -------------------------------------------------------------------------------------

def test_adbc_mtls_with_a_client_certificate(mtls_server, certs):
    rows = _adbc_answer(mtls_server, **{TLS_ROOT_CERTS: certs.text("ca.pem"),
                                        MTLS_CERT_CHAIN: certs.text("client.pem"),
                                        MTLS_PRIVATE_KEY: certs.text("client.key")})
    assert rows == [(42, "over tls")]


def test_adbc_mtls_without_a_client_certificate_is_refused(mtls_server, certs):
    message = _adbc_refused(mtls_server, **{TLS_ROOT_CERTS: certs.text("ca.pem")})
    _refused_for_certificate(message, "certificate required")


def test_adbc_mtls_with_a_certificate_from_another_ca_is_refused(mtls_server, certs):
    message = _adbc_refused(mtls_server, **{TLS_ROOT_CERTS: certs.text("ca.pem"),
                                            MTLS_CERT_CHAIN: certs.text("rogue-client.pem"),
                                            MTLS_PRIVATE_KEY: certs.text("rogue-client.key")})
    # (the Go client does not even offer a certificate the server's CA list does not name)
    _refused_for_certificate(message)


def test_pyarrow_flight_mtls(mtls_server, certs):
    rows = _flight_answer(mtls_server, tls_root_certs=certs.pem("ca.pem"),
                          cert_chain=certs.pem("client.pem"), private_key=certs.pem("client.key"))
    assert rows == [{"answer": 42}]
    # pyarrow reports a failed TLS handshake as Unavailable or Internal, depending on when it notices
    with pytest.raises(flight.FlightError):
        _flight_answer(mtls_server, tls_root_certs=certs.pem("ca.pem"))
    with pytest.raises(flight.FlightError):
        _flight_answer(mtls_server, tls_root_certs=certs.pem("ca.pem"),
                       cert_chain=certs.pem("rogue-client.pem"), private_key=certs.pem("rogue-client.key"))
