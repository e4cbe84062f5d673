"""TLS verification: on by default, a private CA via ca_file, or explicitly disabled."""

import pytest

import iamcore


def test_untrusted_certificate_is_rejected_by_default(emulator, iam):
    with pytest.raises(iamcore.TLSError) as info:
        iam(url=emulator.https, timeout=3).token()
    e = info.value
    assert isinstance(e, iamcore.TransportError)
    assert e.code == "tls"
    assert e.status is None
    assert emulator.count() == 0  # no HTTP request got through


def test_ca_file_is_trusted(emulator, iam):
    token = iam(url=emulator.https, ca_file=emulator.ca_file).token()
    assert token.count(".") == 2
    requests = emulator.requests()
    assert [r["scheme"] for r in requests] == ["https"]


def test_verification_can_be_disabled(emulator, iam):
    with pytest.warns(iamcore.InsecureTLSWarning):
        auth = iam(url=emulator.https, disable_ssl_verification=True)
    token = auth.token()
    assert token.count(".") == 2
    assert emulator.count() == 1


def test_container_over_https_with_ca_file(emulator, container):
    assert container(url=emulator.https, ca_file=emulator.ca_file).token().count(".") == 2
    assert emulator.count() == 1


def test_container_rejects_untrusted_certificate(emulator, container):
    with pytest.raises(iamcore.TLSError):
        container(url=emulator.https, timeout=3).token()


def test_ssl_cert_file_is_trusted_without_ca_file(emulator, iam, monkeypatch):
    # As OpenSSL, Python and the curl tool read it (docs/behaviour.md, "TLS").
    monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_file)
    assert iam(url=emulator.https).token().count(".") == 2
    assert emulator.count() == 1


def test_ca_file_wins_over_ssl_cert_file(emulator, iam, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    assert iam(url=emulator.https, ca_file=emulator.ca_file).token().count(".") == 2


def test_ssl_cert_file_naming_no_file_is_a_tls_error(emulator, iam, monkeypatch, tmp_path):
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    with pytest.raises(iamcore.TLSError) as info:
        iam(url=emulator.https, timeout=3).token()
    assert str(missing) in str(info.value)
    assert emulator.count() == 0
