"""The certificate cache: reuse, expiry (TTL and notAfter), bound, failures not cached,
thread safety. Through the app where time allows, on CertificateCache with a fake clock
where it does not."""
from __future__ import annotations

import threading
import time

import pytest
from cryptography import x509

from skill.verify import CertificateCache
from support.cert_server import Route
from support.envelopes import envelope
from support.http import assert_json_error


def _serve_good(cert_server, pki, name):
    path = f"/echo.api/{name}.pem"
    return path, cert_server.route(path, Route("pem", pki.chains["good"]))


def _cache_of(app):
    return app.extensions["compassion_coach"]["signature_verifier"].cache


def test_second_request_with_the_same_url_does_not_download_again(
        client, post_signed, cert_server, pki):
    path, url = _serve_good(cert_server, pki, "cache-reuse")
    for _ in range(3):
        assert post_signed(client, envelope(), cert_url=url).status_code == 200
    assert cert_server.hits_for(path) == 1


def test_cache_key_and_download_are_the_normalised_url(app, post_signed, cert_server, pki):
    # Fragments, queries, encodings, case and the default port name one object: one
    # download, one cache entry. Variants no longer evict the real entry, and cost none.
    path, url = _serve_good(cert_server, pki, "cache-normalised")
    variants = ([f"{url}#{i}" for i in range(20)] + [f"{url}?v={i}" for i in range(20)]
                + [url.replace("cache-normalised", "%63ache-normalised"),
                   url.replace("https://s3.amazonaws.com", "HTTPS://S3.amazonaws.COM:443"),
                   url.replace("/echo.api/", "/echo.api/./x/../")])
    client = app.test_client()
    for variant in variants:
        assert post_signed(client, envelope(), cert_url=variant).status_code == 200, variant
    assert cert_server.hits_for(path) == 1
    cache = _cache_of(app)
    assert len(cache) == 1 and url in cache


def test_expired_entry_is_downloaded_again(make_app, post_signed, cert_server, pki):
    ttl_s = 0.3
    client = make_app(CERT_CACHE_TTL_S=ttl_s).test_client()
    path, url = _serve_good(cert_server, pki, "cache-ttl")
    assert post_signed(client, envelope(), cert_url=url).status_code == 200
    assert post_signed(client, envelope(), cert_url=url).status_code == 200
    assert cert_server.hits_for(path) == 1
    time.sleep(ttl_s + 0.1)
    assert post_signed(client, envelope(), cert_url=url).status_code == 200
    assert cert_server.hits_for(path) == 2


def test_cache_stays_within_its_bound(make_app, post_signed, cert_server, pki):
    app = make_app(CERT_CACHE_MAX_ENTRIES=2)
    client = app.test_client()
    served = [_serve_good(cert_server, pki, f"cache-bound-{i}") for i in range(4)]
    for _, url in served:
        assert post_signed(client, envelope(), cert_url=url).status_code == 200
    cache = _cache_of(app)
    assert len(cache) == 2
    # Least recently used went first: the oldest URL is downloaded again.
    oldest_path, oldest_url = served[0]
    assert oldest_url not in cache and served[-1][1] in cache
    assert post_signed(client, envelope(), cert_url=oldest_url).status_code == 200
    assert cert_server.hits_for(oldest_path) == 2
    assert len(cache) == 2


def test_concurrent_requests_on_a_cold_cache_download_once(app, post_signed, cert_server, pki):
    # Threads arriving together (start-up, a new Amazon certificate) share one download.
    path = "/echo.api/cache-concurrent.pem"
    url = cert_server.route(path, Route("pem", pki.chains["good"], delay_s=0.2))
    statuses, lock = [], threading.Lock()

    def call():
        status = post_signed(app.test_client(), envelope(), cert_url=url).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    assert cert_server.hits_for(path) == 1


def test_failed_downloads_are_not_cached(client, post_signed, cert_server, pki):
    path = "/echo.api/cache-after-failure.pem"
    url = cert_server.route(path, Route("status", b"down", status=503))
    assert_json_error(post_signed(client, envelope(), cert_url=url), 400)
    cert_server.route(path, Route("pem", pki.chains["good"]))
    assert post_signed(client, envelope(), cert_url=url).status_code == 200
    assert cert_server.hits_for(path) == 2


def test_rejected_chains_are_not_cached(app, post_signed, cert_server, pki):
    path = "/echo.api/cache-after-rejection.pem"
    url = cert_server.route(path, Route("pem", pki.chains["wrong-san"]))
    assert_json_error(post_signed(app.test_client(), envelope(), cert_url=url), 400)
    assert url not in _cache_of(app)


# --------------------------------------------------------------------------- CertificateCache

class FakeClock:
    def __init__(self, now_s: float = 1_800_000_000.0):
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture(scope="module")
def a_cert(pki):
    return x509.load_pem_x509_certificates(pki.chains["good"])[0]


def test_entry_never_outlives_the_certificate(a_cert):
    clock = FakeClock()
    cache = CertificateCache(ttl_s=3600, max_entries=4, clock=clock)
    cache.put("u", a_cert, not_after_s=clock.now_s + 10)
    clock.now_s += 9
    assert cache.get("u") is a_cert
    clock.now_s += 1
    assert cache.get("u") is None and len(cache) == 0


def test_entry_expires_after_the_ttl(a_cert):
    clock = FakeClock()
    cache = CertificateCache(ttl_s=60, max_entries=4, clock=clock)
    cache.put("u", a_cert, not_after_s=clock.now_s + 86400)
    clock.now_s += 59.9
    assert cache.get("u") is a_cert
    clock.now_s += 0.1
    assert cache.get("u") is None


def test_get_refreshes_recency(a_cert):
    cache = CertificateCache(ttl_s=60, max_entries=2, clock=FakeClock())
    cache.put("a", a_cert, 2e9)
    cache.put("b", a_cert, 2e9)
    assert cache.get("a") is a_cert  # "a" is now the most recent
    cache.put("c", a_cert, 2e9)
    assert "a" in cache and "b" not in cache and "c" in cache


def test_concurrent_use_keeps_the_bound(a_cert):
    max_entries = 8
    cache = CertificateCache(ttl_s=60, max_entries=max_entries)
    errors = []

    def worker(n):
        try:
            for i in range(300):
                url = f"u{(n * 7 + i) % 40}"
                cache.put(url, a_cert, time.time() + 60)
                cache.get(f"u{i % 40}")
                assert len(cache) <= max_entries
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(cache) == max_entries
