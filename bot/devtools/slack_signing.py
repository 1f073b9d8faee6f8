"""``SignedSlackClient``: sends Slack-shaped requests to the app, signed as Slack signs them (v0 HMAC-SHA256).

Slash commands, block actions (button clicks), view submissions, shortcuts and Events API deliveries
(including ``function_executed``, a Workflow Builder step's run) are built the way Slack builds them, with
response_urls, trigger_ids and step executions issued by a ``FakeSlackApi`` so that replies land somewhere
they can be read.  Used by ``roombot demo`` and the tests.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.devtools.fake_slack import TEAM_ID, FakeSlackApi

__all__ = ["SignedSlackClient", "SlackDelivery"]


@dataclass(frozen=True)
class SlackDelivery:
    """What one signed request produced: the HTTP answer, the payload sent, its response_url if any."""

    response: httpx.Response
    payload: Mapping[str, Any]
    response_url: str | None = None

    @property
    def status_code(self) -> int:
        return self.response.status_code


class SignedSlackClient:
    """Builds Slack-shaped payloads, signs them like Slack (v0 HMAC-SHA256) and POSTs them with httpx."""

    def __init__(self, fake: FakeSlackApi, signing_secret: str, target: Callable[[], str]) -> None:
        self.fake = fake
        self._verifier = SignatureVerifier(signing_secret)
        self._target = target  # returns the app's /slack/events URL
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self._http.close()

    # ----- raw ------------------------------------------------------------------------------------
    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        signed: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``body`` to the app; ``timestamp``/``signature`` override the real ones (for negative tests)."""
        sent_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            stamp = str(int(time.time()) if timestamp is None else timestamp)
            sent_headers["X-Slack-Request-Timestamp"] = stamp
            sent_headers["X-Slack-Signature"] = signature or self._signature(stamp, body)
        response = self._http.post(self._target(), content=body.encode(), headers=sent_headers)
        if response.status_code == 200 and response.content:
            try:
                answer = response.json()
            except ValueError:
                answer = {"text": response.text}
            if isinstance(answer, dict):
                self.fake.record_ack(answer)
        return response

    # ----- payloads -------------------------------------------------------------------------------
    def _signature(self, stamp: str, body: str) -> str:
        signature = self._verifier.generate_signature(timestamp=stamp, body=body)
        if signature is None:  # slack_sdk returns None only for a missing timestamp or body
            raise ValueError("could not sign the request")
        return signature

    def slash(self, command: str, text: str = "", *, user_id: str = "U1", channel_id: str = "C1",
              **post_options: Any) -> SlackDelivery:
        response_url = self.fake.new_response_url(channel_id=channel_id, user_id=user_id)
        payload = {
            "token": "deprecated-verification-token", "team_id": TEAM_ID, "team_domain": "roombot-test",
            "channel_id": channel_id, "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(),
            "command": command, "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": self.fake.new_trigger_id(),
        }
        response = self.post(urlencode(payload), "application/x-www-form-urlencoded", **post_options)
        return SlackDelivery(response, payload, response_url)

    def block_action(self, action_id: str, value: str = "", *, user_id: str = "U1", channel_id: str = "C1",
                     block_id: str = "actions", message_ts: str | None = None,
                     view: Mapping[str, Any] | None = None, message: Mapping[str, Any] | None = None,
                     is_ephemeral: bool = False, label: str | None = None, **post_options: Any) -> SlackDelivery:
        """A button click on a message in ``channel_id`` (or in ``view``, a modal, when given).

        ``message`` (``text``/``blocks``) is the clicked message as Slack echoes it back; ``label`` the button's text.
        """
        action = {"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                  "text": {"type": "plain_text", "text": label or action_id}, "action_ts": self._ts()}
        payload: dict[str, Any] = {
            "type": "block_actions", **self._who(user_id), "api_app_id": "A0TEST",
            "token": "deprecated-verification-token", "trigger_id": self.fake.new_trigger_id(),
            "actions": [action], "is_enterprise_install": False, "enterprise": None,
        }
        response_url = None
        if view is not None:
            payload.update(container={"type": "view", "view_id": view.get("id")}, view=dict(view))
        else:
            ts = message_ts or self._ts()
            response_url = self.fake.new_response_url(channel_id=channel_id, user_id=user_id, message_ts=ts)
            payload.update(
                container={"type": "message", "message_ts": ts, "channel_id": channel_id,
                           "is_ephemeral": is_ephemeral},
                channel={"id": channel_id, "name": "general"},
                message={"type": "message", "ts": ts, "text": (message or {}).get("text", ""),
                         "blocks": list((message or {}).get("blocks") or [])},
                response_url=response_url,
            )
        return self._interactive(payload, response_url, **post_options)

    def view_submission(self, callback_id: str, values: Mapping[str, Any], *, user_id: str = "U1",
                        private_metadata: str = "", **post_options: Any) -> SlackDelivery:
        """``values`` is ``view.state.values``: ``{block_id: {action_id: {"type": ..., "value": ...}}}``."""
        view = {"id": f"V{next(self._ids):06d}", "team_id": TEAM_ID, "type": "modal", "callback_id": callback_id,
                "private_metadata": private_metadata, "state": {"values": dict(values)}, "hash": self._ts(),
                "title": {"type": "plain_text", "text": "roombot"}, "blocks": []}
        payload = {"type": "view_submission", **self._who(user_id), "api_app_id": "A0TEST",
                   "token": "deprecated-verification-token", "trigger_id": self.fake.new_trigger_id(),
                   "view": view, "response_urls": [], "is_enterprise_install": False, "enterprise": None}
        return self._interactive(payload, None, **post_options)

    def global_shortcut(self, callback_id: str, *, user_id: str = "U1", **post_options: Any) -> SlackDelivery:
        payload = {"type": "shortcut", **self._who(user_id), "callback_id": callback_id,
                   "trigger_id": self.fake.new_trigger_id(), "action_ts": self._ts(),
                   "token": "deprecated-verification-token", "is_enterprise_install": False, "enterprise": None}
        return self._interactive(payload, None, **post_options)

    def message_shortcut(self, callback_id: str, message_text: str, *, user_id: str = "U1",
                         channel_id: str = "C1", author_id: str = "U2", **post_options: Any) -> SlackDelivery:
        ts = self._ts()
        response_url = self.fake.new_response_url(channel_id=channel_id, user_id=user_id)
        payload = {"type": "message_action", **self._who(user_id), "callback_id": callback_id,
                   "trigger_id": self.fake.new_trigger_id(), "action_ts": self._ts(),
                   "token": "deprecated-verification-token", "channel": {"id": channel_id, "name": "general"},
                   "message_ts": ts, "message": {"type": "message", "user": author_id, "ts": ts, "text": message_text},
                   "response_url": response_url, "is_enterprise_install": False, "enterprise": None}
        return self._interactive(payload, response_url, **post_options)

    def event(self, event: Mapping[str, Any], *, event_id: str | None = None, retry_num: int | None = None,
              retry_reason: str = "http_timeout", **post_options: Any) -> SlackDelivery:
        """An Events API delivery; ``retry_num`` adds Slack's X-Slack-Retry-Num/-Reason headers."""
        payload = {
            "token": "deprecated-verification-token", "team_id": TEAM_ID, "api_app_id": "A0TEST",
            "event": dict(event), "type": "event_callback", "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()), "is_ext_shared_channel": False,
            "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True,
                                "is_enterprise_install": False}],
        }
        headers = dict(post_options.pop("headers", None) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason})
        response = self.post(json.dumps(payload), "application/json", headers=headers, **post_options)
        return SlackDelivery(response, payload)

    def function_executed(self, callback_id: str, inputs: Mapping[str, Any], *,
                          definition: Mapping[str, Any] | None = None, **options: Any) -> SlackDelivery:
        """A custom step run as a step of a workflow: Slack's ``function_executed`` event.

        The shape is Slack's (https://docs.slack.dev/reference/events/function_executed/): the step's
        definition (``function``: id, callback_id, title, description, type, its parameters as lists, app_id,
        dates), the run's ``inputs``, ``function_execution_id``, ``workflow_execution_id``, ``event_ts`` and
        the run's workflow token ``bot_access_token``; the execution and its token are issued by the fake, so
        ``functions.completeSuccess`` / ``functions.completeError`` made with that token are accepted there.
        ``definition`` is the step as ``manifest.yml`` declares it (``title``, ``description``,
        ``input_parameters`` and ``output_parameters`` keyed by name).
        """
        execution = self.fake.new_function_execution(callback_id)
        declared = definition or {}
        now = int(time.time())
        function = {
            "id": f"Fn{next(self._ids):010d}", "callback_id": callback_id,
            "title": str(declared.get("title", callback_id)), "description": str(declared.get("description", "")),
            "type": "app", "input_parameters": _parameter_list(declared.get("input_parameters")),
            "output_parameters": _parameter_list(declared.get("output_parameters")), "app_id": "A0TEST",
            "date_created": now, "date_updated": now, "date_deleted": 0,
        }
        event = {
            "type": "function_executed", "function": function, "inputs": dict(inputs),
            "function_execution_id": execution.function_execution_id,
            "workflow_execution_id": execution.workflow_execution_id, "event_ts": self._ts(),
            "bot_access_token": execution.bot_access_token,
        }
        return self.event(event, **options)

    def app_home_opened(self, user_id: str = "U1", **options: Any) -> SlackDelivery:
        event = {"type": "app_home_opened", "user": user_id, "channel": f"D{user_id}", "tab": "home",
                 "event_ts": self._ts()}
        return self.event(event, **options)

    # ----- internals ------------------------------------------------------------------------------
    def _interactive(self, payload: Mapping[str, Any], response_url: str | None, **post_options: Any) -> SlackDelivery:
        body = urlencode({"payload": json.dumps(payload)})
        response = self.post(body, "application/x-www-form-urlencoded", **post_options)
        return SlackDelivery(response, payload, response_url)

    @staticmethod
    def _who(user_id: str) -> dict[str, Any]:
        return {"user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
                "team": {"id": TEAM_ID, "domain": "roombot-test"}}

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"


def _parameter_list(declared: Any) -> list[dict[str, Any]]:
    """A manifest's parameters (keyed by name) as the event lists them: ``[{"name": ..., "type": ...}, ...]``."""
    if not isinstance(declared, Mapping):
        return []
    return [{**dict(spec), "name": str(name)} for name, spec in declared.items() if isinstance(spec, Mapping)]
