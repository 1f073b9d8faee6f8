"""slack_sdk's ``WebClient`` over one kept-alive connection pool (urllib3's) per process.

slack_sdk's sync client sends each call through ``urllib.request.urlopen``: a new TCP (and TLS) connection per
call.  A booking dispatch makes four Slack calls (its reminder edited, a progress card posted and edited
twice), and in a burst of 1,000 the Slack calls took more of the process's CPU than anything else.
:class:`PooledWebClient` changes only the transport — the one method that opens the URL — so everything
slack_sdk does around it stays: its retry handlers (a connection error is raised as ``URLError``, an HTTP
error status as ``HTTPError``, as urllib would), rate-limit answers, ``SlackResponse`` and its errors.  A
client given its own ``proxy`` or ``ssl`` context keeps slack_sdk's urllib path, which honours them.

urllib3 rather than httpx here: measured on loopback, a kept-alive httpx call cost more CPU than urllib's
new connection (1.7 against 1.0 ms), urllib3's cost 0.35 ms.  The pool is made lazily in each process
(``roombot serve`` builds its clients before gunicorn forks) and is safe to share between threads.
``pooled_like`` turns Bolt's per-request client into one of these (``bot.slack.middleware``): Bolt makes a
new ``WebClient`` per request, and workflow steps replace its token.
"""

from __future__ import annotations

import email.message
import io
import os
import threading
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import urllib3
from slack_sdk import WebClient

POOL_CONNECTIONS = 16  # kept open per host: more threads than this call Slack at once only in bursts

_pools: dict[int, urllib3.PoolManager] = {}
_pools_lock = threading.Lock()


def shared_pool() -> urllib3.PoolManager:
    """This process's pool (a forked child gets its own, never its parent's sockets)."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(pid)
            if pool is None:
                _pools.clear()  # a parent's pool, inherited through fork: not ours to use or close
                # retries=False: slack_sdk's retry handlers decide; a stale kept-alive connection is still
                # replaced by urllib3 before the request is sent.
                pool = _pools[pid] = urllib3.PoolManager(maxsize=POOL_CONNECTIONS, retries=False)
    return pool


class PooledWebClient(WebClient):
    """``WebClient`` whose calls go through :func:`shared_pool` (see the module's docstring)."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or self.ssl is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        body = req.data if isinstance(req.data, bytes) else None  # slack_sdk always sends bytes (or nothing)
        try:
            response = shared_pool().request("POST", url, body=body, headers=dict(req.header_items()),
                                             timeout=self.timeout, redirect=False, preload_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            raise TimeoutError("the Slack API did not answer in time") from None
        except urllib3.exceptions.HTTPError as error:  # could not connect, or the connection broke
            raise URLError(str(error)) from None  # urllib3 names the host, port and path: no token, no body
        headers = dict(response.headers.items())
        if response.status >= 400:
            message = email.message.Message()
            for key, value in headers.items():
                message[key] = value
            raise HTTPError(url, response.status, response.reason or "", message, io.BytesIO(response.data))
        # The Content-Type read by the email package, as urllib's response headers read it for slack_sdk.
        kind = email.message.Message()
        kind["Content-Type"] = response.headers.get("Content-Type", "")
        if kind.get_content_type() == "application/gzip":  # admin.analytics.getFile
            return {"status": response.status, "headers": headers, "body": response.data}
        text = response.data.decode(kind.get_content_charset() or "utf-8")
        return {"status": response.status, "headers": headers, "body": text}


def pooled_like(client: WebClient) -> PooledWebClient:
    """A :class:`PooledWebClient` with ``client``'s token, URL, timeout, team, logger and retry handlers."""
    if isinstance(client, PooledWebClient):
        return client
    pooled = PooledWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                             proxy=client.proxy, headers=client.headers, logger=client.logger,
                             retry_handlers=list(client.retry_handlers))
    pooled.default_params = dict(client.default_params)  # the team_id Bolt gave it
    return pooled
