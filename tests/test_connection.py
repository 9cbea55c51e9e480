"""How people reach their server: TLS with their own CA, proxies, gateway headers, keys."""

from __future__ import annotations

import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import zorac_command
from tests.forwarding_proxy import ForwardingProxy
from zorac_repl.devserver import DevServer


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [zorac_command(), *args],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevServer, Path]]:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost", "gpu-box.test").configure_cert(context)
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    server = DevServer(tls=context).start()
    yield server, pem
    server.stop()


def test_a_private_ca_is_trusted_with_ca_bundle(ca):
    server, pem = ca
    result = _run("hi [[tokens=5]]", "--base-url", server.base_url, "--ca-bundle", str(pem))
    assert result.returncode == 0, result.stderr
    assert server.base_url.startswith("https://") and result.stdout.strip()


def test_ssl_cert_file_is_honoured(ca):
    server, pem = ca
    result = _run("hi [[tokens=5]]", "--base-url", server.base_url, SSL_CERT_FILE=str(pem))
    assert result.returncode == 0, result.stderr


def test_an_untrusted_certificate_is_refused_in_one_line(ca):
    server, _ = ca
    result = _run("hi", "--base-url", server.base_url)
    assert result.returncode == 3
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "is not trusted" in line and "--ca-bundle" in line and "--insecure" in line


def test_insecure_skips_the_check_with_a_warning(ca):
    server, _ = ca
    result = _run("hi [[tokens=5]]", "--base-url", server.base_url, "--insecure")
    assert result.returncode == 0, result.stderr
    assert "TLS certificate checks are off (--insecure)" in result.stderr
    assert result.stderr.count("--insecure") == 1


def test_an_unreadable_ca_file_is_one_line(tmp_path):
    result = _run("hi", "--ca-bundle", str(tmp_path / "missing.pem"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"zorac-repl: --ca-bundle: '{tmp_path / 'missing.pem'}' "
        "is not valid; expected a readable file."
    )


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    running = ForwardingProxy(html_error_hosts=("down.test",)).start()
    yield running
    running.stop()


def test_a_host_only_the_proxy_reaches_goes_through_it(server, proxy):
    url = f"http://gpu-box.test:{server.port}/v1"
    result = _run("hi [[tokens=5]]", "--base-url", url, HTTP_PROXY=proxy.url)
    assert result.returncode == 0, result.stderr
    assert any("gpu-box.test" in line for line in proxy.seen)
    # NO_PROXY sends it direct, where the name does not resolve.
    proxy.seen.clear()
    result = _run("hi", "--base-url", url, HTTP_PROXY=proxy.url, NO_PROXY="gpu-box.test")
    assert result.returncode == 3 and proxy.seen == []


def test_proxy_flag_overrides_the_environment(server, proxy):
    url = f"http://gpu-box.test:{server.port}/v1"
    result = _run(
        "hi [[tokens=5]]", "--base-url", url, "--proxy", proxy.url, HTTP_PROXY="http://127.0.0.1:9"
    )  # nothing listens there
    assert result.returncode == 0, result.stderr
    assert proxy.seen


def test_loopback_never_goes_through_a_proxy(server, proxy):
    result = _run(
        "hi [[tokens=5]]",
        "--base-url",
        server.base_url,
        HTTP_PROXY=proxy.url,
        HTTPS_PROXY=proxy.url,
    )
    assert result.returncode == 0, result.stderr
    assert proxy.seen == []


def test_a_proxys_html_error_page_is_one_clear_line(server, proxy):
    result = _run(
        "hi",
        "--base-url",
        f"http://down.test:{server.port}/v1",
        "--model",
        "m",
        HTTP_PROXY=proxy.url,
    )
    assert result.returncode == 4
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "<html" not in line.lower()
    assert "answered HTTP 502 with a web page" in line and "--proxy" in line


def test_headers_reach_the_server_and_bad_ones_are_refused(fresh_requests):
    result = _run(
        "hi [[tokens=5]]",
        "--base-url",
        fresh_requests.base_url,
        "-H",
        "X-Gate: s3cret-value",
        "--header",
        "CF-Access-Client-Id: abc.access",
    )
    assert result.returncode == 0, result.stderr
    headers = fresh_requests.chat_requests()[-1].headers
    assert headers["x-gate"] == "s3cret-value"
    assert headers["cf-access-client-id"] == "abc.access"
    assert all(r.headers.get("x-gate") == "s3cret-value" for r in fresh_requests.requests)
    result = _run("hi", "-H", "no colon here")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "zorac-repl: --header: the header has no ':' between a name and a value, e.g. "
        "'X-Api-Key: abc123' (its text is not shown: it may be a secret)."
    )


def test_openai_custom_headers_are_honoured_as_the_sdk_does(fresh_requests):
    result = _run(
        "hi [[tokens=5]]",
        "--base-url",
        fresh_requests.base_url,
        "-H",
        "X-Both: from-flag",
        OPENAI_CUSTOM_HEADERS="X-Env: from-env\nX-Both: from-env",
    )
    assert result.returncode == 0, result.stderr
    headers = fresh_requests.chat_requests()[-1].headers
    assert headers["x-env"] == "from-env" and headers["x-both"] == "from-flag"


@pytest.fixture(scope="module")
def keyed() -> Iterator[DevServer]:
    server = DevServer(api_key="k-1234567890").start()
    yield server
    server.stop()


def test_api_key_command_and_file_supply_the_key(keyed, tmp_path):
    result = _run(
        "hi [[tokens=5]]", "--base-url", keyed.base_url, ZORAC_API_KEY_COMMAND="echo k-1234567890"
    )
    assert result.returncode == 0, result.stderr
    assert keyed.chat_requests()[-1].headers["authorization"] == "Bearer k-1234567890"
    key_file = tmp_path / "key"
    key_file.write_text("k-1234567890\n")
    result = _run("hi [[tokens=5]]", "--base-url", keyed.base_url, "--api-key-file", str(key_file))
    assert result.returncode == 0, result.stderr


def test_a_failing_key_command_is_one_line(keyed):
    result = _run(
        "hi",
        "--base-url",
        keyed.base_url,
        ZORAC_API_KEY_COMMAND="sh -c 'echo no such entry >&2; exit 1'",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "zorac-repl: API_KEY_COMMAND failed with exit code 1; run it yourself to see why."
    )


def test_a_key_on_the_command_line_is_warned_about(keyed):
    result = _run("hi [[tokens=5]]", "--base-url", keyed.base_url, "--api-key", "k-1234567890")
    assert result.returncode == 0, result.stderr
    assert "--api-key is visible to other users in the process list" in result.stderr
    assert "k-1234567890" not in result.stderr


def test_openai_api_base_is_accepted_after_openai_base_url(server):
    result = _run("hi [[tokens=5]]", OPENAI_API_BASE=server.base_url)
    assert result.returncode == 0, result.stderr
    result = _run(
        "hi [[tokens=5]]", OPENAI_API_BASE="http://127.0.0.1:9/v1", OPENAI_BASE_URL=server.base_url
    )
    assert result.returncode == 0, result.stderr


def test_https_through_a_proxy_with_a_private_ca(ca, proxy):
    server, pem = ca
    url = f"https://gpu-box.test:{server.port}/v1"
    result = _run(
        "hi [[tokens=5]]", "--base-url", url, "--ca-bundle", str(pem), HTTPS_PROXY=proxy.url
    )
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("CONNECT gpu-box.test:") for line in proxy.seen)
