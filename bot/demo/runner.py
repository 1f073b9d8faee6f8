"""``roombot demo``: start the environment, play the script, check that no passcode reached the channel.

Exit 0 when every step went as expected, 1 when one did not (the last line says which), 2 when the demo
could not even start.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TextIO

from bot.demo.conversation import Conversation, StepReport
from bot.demo.environment import DemoEnvironment
from bot.demo.render import strings_in
from bot.demo.script import STEPS, passcodes_in_play

RULE = "─" * 100


def main(args: argparse.Namespace | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    # Keep the app's own warnings readable between the conversation lines (they never carry passcodes).
    logging.basicConfig(level=logging.WARNING, format="   (log) %(levelname)s %(name)s: %(message)s")
    if hasattr(out, "reconfigure"):
        # ✓, ✗ and emoji on a terminal that cannot show them become "?" rather than a UnicodeEncodeError.
        out.reconfigure(errors="replace")
    started = time.monotonic()
    print("roombot demo: the whole bot on this machine, with nothing to configure.", file=out)
    env = DemoEnvironment()
    try:
        env.start()
    except Exception as error:  # noqa: BLE001 — say what failed in one line instead of a traceback
        env.stop()
        print(f"roombot demo: could not start the demo environment: {type(error).__name__}: {error}", file=out)
        return 2
    try:
        return play(env, out, started)
    finally:
        env.stop()


def play(env: DemoEnvironment, out: TextIO, started: float) -> int:
    c = Conversation(env, out)
    _print_setup(c)
    reports: list[StepReport] = []
    for number, step in enumerate(STEPS, start=1):
        c.line(f"── {number}/{len(STEPS)}  {step.title} ".ljust(len(RULE), "─"))
        c.report = StepReport(f"{number}. {step.title}")
        try:
            step.play(c)
        except Exception as error:  # noqa: BLE001 — one broken step must not hide the others
            c.show()
            c.fail(f"the step stopped with {type(error).__name__}: {error}")
        reports.append(c.report)

    c.line("── Summary ".ljust(len(RULE), "─"))
    c.report = StepReport("no passcode in #general")
    _check_no_passcode_in_channel(c)
    reports.append(c.report)
    for report in reports[:-1]:
        c.line(f"   {'✓' if report.ok else '✗'} {report.title}")
    c.line()
    elapsed = time.monotonic() - started
    failed = [report for report in reports if not report.ok]
    if not failed:
        c.line(f"roombot demo: all {len(STEPS)} steps went as expected ({elapsed:.1f} s).")
        c.line("Next: docs/slack.md and docs/zoom.md explain how to connect roombot to your Slack workspace and Zoom "
               "account.")
        return 0
    first = failed[0]
    c.line(f"roombot demo: FAILED — {len(failed)} step(s) did not go as expected; first: {first.title}: "
           f"{first.failures[0]}")
    return 1


def _print_setup(c: Conversation) -> None:
    env = c.env
    app = env.instances["events"][1].url
    legacy = env.instances["jsonrpc"][1].url
    c.line()
    c.line(f"   Zoom simulator      {env.sim.api_url}")
    c.line(f"   database            {env.database_url} (temporary, migrated to the latest schema)")
    c.line(f"   fake Slack Web API  {env.slack.api_url}")
    c.line(f"   roombot             {app}/slack/events  (ZOOM_ROOMS_API=events)")
    c.line(f"   roombot, 2nd        {legacy}/slack/events  (ZOOM_ROOMS_API=jsonrpc, same database)")
    c.line(f"   rooms synced        {', '.join(env.synced)}")
    c.line("   people              alice, bob, and ada (a roombot admin), all in #general")
    c.line()
    c.line("   Each command and click below is a signed HTTP request to roombot's real /slack/events endpoint;")
    c.line("   what follows it is what Slack shows: '#general |' lines everyone sees, '(only you can see this)'")
    c.line("   lines only that person sees.")
    c.line()


def _check_no_passcode_in_channel(c: Conversation) -> None:
    passcodes = passcodes_in_play(c)
    channel = c.channel_messages()
    leaks = sorted({p for m in channel for s in strings_in([m.text, m.blocks]) for p in passcodes if p in s})
    leaks += sorted({p for line in c.channel_log for p in passcodes if p in line} - set(leaks))
    if leaks:
        c.fail(f"a passcode was posted in #general ({len(leaks)} of {len(passcodes)} passcodes)")
    else:
        c.ok(f"no passcode was posted in #general ({len(passcodes)} passcodes checked against "
             f"{len(channel)} channel messages, buttons included)")
    c.line()
