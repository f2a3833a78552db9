"""bot.serving.proxy: the nginx configuration both deployments use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.serving import proxy

DEPLOY = Path(proxy.__file__).parent / "deploy"


def compose_config() -> str:
    return proxy.render(["rasa:5005"], ["actions:5055"], "8080", "5055", "/tmp/nginx", "stderr")


def test_the_committed_compose_config_is_what_render_gives() -> None:
    assert (DEPLOY / "nginx.conf").read_text(encoding="utf-8") == compose_config(), \
        "regenerate: python -m bot.serving.proxy --rasa rasa:5005 --actions actions:5055 " \
        "> bot/serving/deploy/nginx.conf"


def test_every_replica_is_an_upstream_and_a_failed_one_is_skipped() -> None:
    text = proxy.render(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], ["127.0.0.1:4"],
                        "127.0.0.1:80", "127.0.0.1:81", "/run", "/run/error.log")
    assert text.count("server 127.0.0.1:") == 4
    assert "proxy_next_upstream error timeout non_idempotent;" in text
    assert "proxy_next_upstream_tries 3;" in text
    assert "access_log off;" in text and "server_tokens off;" in text
    assert "X-Served-By" not in text


def test_the_replica_header_is_only_for_load_tests() -> None:
    text = proxy.render(["a:1"], ["b:2"], "80", "81", "/run", "stderr", served_by=True)
    assert "add_header X-Served-By $upstream_addr always;" in text


@pytest.mark.parametrize("rasa, actions, per_minute", [([], ["b:2"], 120), (["a:1"], [], 120),
                                                       (["a:1"], ["b:2"], 0)])
def test_a_config_that_could_not_serve_is_refused(rasa, actions, per_minute) -> None:
    with pytest.raises(ValueError):
        proxy.render(rasa, actions, "80", "81", "/run", "stderr", per_minute=per_minute)


def test_nginx_itself_accepts_the_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    config = tmp_path / "nginx.conf"
    config.write_text(proxy.render(["127.0.0.1:5005"], ["127.0.0.1:5055"], "127.0.0.1:8080",
                                   "127.0.0.1:8081", str(tmp_path), str(tmp_path / "e.log")))
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(config)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
