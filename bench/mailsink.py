"""The SMTP side of the notification benchmark (bench/notify.py), each in its own process.

    .venv/bin/python -m bench.mailsink serve --port 8825
    .venv/bin/python -m bench.mailsink send --port 8825 --recipients FILE

`serve`: an SMTP server (aiosmtpd) on 127.0.0.1 whose handler only counts: messages,
recipients (per address), bytes, connections, and the times of the first and last message
(CLOCK_MONOTONIC, which is the same clock in every process of the machine). It prints
nothing per message. The runner drives it through stdin, one command a line, and reads one
JSON line per command from stdout:

    reset        zero every count                          -> {"ok": true}
    count        {"messages": n, "sessions": n}            (cheap: for the progress bar)
    stats        everything, with the count per recipient
    quit         stop

`send`: the raw baseline, a plain aiosmtplib client without a database. It composes one
message per language with mijn.notifications.mail.compose_news (the same e-mail the worker
sends), times composing --compose-sample more, prints READY and waits for a line GO on
stdin; then it opens one connection and sends one message to every address of the file
(lines "address language"), changing only To and Message-ID, with send_message as the
worker does, says QUIT, prints one JSON line with its times, and exits at the next line on
stdin (so that the runner can read its CPU time while it still exists).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingHandler:
    """Counts what arrives; keeps nothing else."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.sessions = 0
        self.bytes = 0
        self.recipients: Counter[str] = Counter()
        self.multi_recipient = 0
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.messages += 1
        self.bytes += len(envelope.content or b"")
        if len(envelope.rcpt_tos) != 1:
            self.multi_recipient += 1
        for address in envelope.rcpt_tos:
            self.recipients[address.lower()] += 1
        return "250 OK"

    def stats(self, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "messages": self.messages, "sessions": self.sessions, "bytes": self.bytes,
            "recipient_addresses": len(self.recipients),
            "recipients_total": sum(self.recipients.values()),
            "multi_recipient_messages": self.multi_recipient,
            "first_message_at": self.first, "last_message_at": self.last,
        }
        if full:
            out["per_recipient"] = dict(self.recipients)
        return out


async def serve(port: int) -> None:
    """Run the sink until stdin says quit (or closes)."""
    loop = asyncio.get_running_loop()
    handler = CountingHandler()

    def factory() -> SMTP:
        handler.sessions += 1
        # hostname given: aiosmtpd would otherwise look up the machine's FQDN per connection
        return SMTP(handler, hostname="bench-sink.localhost", ident="bench-sink",
                    command_call_limit=None)

    server = await loop.create_server(factory, "127.0.0.1", port, backlog=128)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(json.dumps({"ready": True, "port": port}), flush=True)
    try:
        while True:
            line = (await reader.readline()).decode().strip()
            if line in ("", "quit"):
                break
            if line == "reset":
                handler.reset()
                answer: dict[str, Any] = {"ok": True}
            elif line == "count":
                answer = {"messages": handler.messages, "sessions": handler.sessions}
            elif line == "stats":
                answer = handler.stats(full=True)
            else:
                answer = {"error": f"unknown command {line!r}"}
            print(json.dumps(answer), flush=True)
    finally:
        server.close()
        await server.wait_closed()


async def send(port: int, recipients_path: str, compose_sample: int) -> dict[str, Any]:
    """The raw baseline: the worker's e-mail over one connection, no database."""
    from bench.product import compose_news, load_settings  # only here: the sink needs no mijn

    settings = load_settings()
    text = Path(recipients_path).read_text(encoding="utf-8")  # noqa: ASYNC240 - before timing
    pairs = [line.split() for line in text.splitlines() if line.strip()]
    templates = {lang: compose_news(settings, lang, "x@example.nl")
                 for lang in sorted({lang for _, lang in pairs})}
    started = time.perf_counter()
    for n in range(compose_sample):
        compose_news(settings, ("nl", "en")[n % 2], f"burger{n}@example.nl")
    compose_s = time.perf_counter() - started
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("READY", flush=True)
    if (await reader.readline()).decode().strip() != "GO":
        print(json.dumps({"error": "no GO"}), flush=True)
        return {}
    cpu0 = time.process_time()
    t0 = time.monotonic()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
    await client.connect()
    t_connected = time.monotonic()
    errors = 0
    for address, lang in pairs:
        message = templates[lang]
        message.replace_header("To", address)
        message.replace_header("Message-ID", make_msgid(domain="localhost"))
        try:
            await client.send_message(message)
        except aiosmtplib.SMTPException:
            errors += 1
    t_sent = time.monotonic()
    await client.quit()
    result = {
        "messages": len(pairs), "errors": errors, "start": t0, "connected": t_connected,
        "sent": t_sent, "end": time.monotonic(), "send_s": round(t_sent - t_connected, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "compose_sample": compose_sample,
        "compose_us_per_message": round(1e6 * compose_s / max(compose_sample, 1), 1),
    }
    # Stay alive until the runner has read this process's CPU time, then exit.
    print(json.dumps(result), flush=True)
    await reader.readline()
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="SMTP sink and raw sender for bench/notify.py")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=8825)
    c = sub.add_parser("send")
    c.add_argument("--port", type=int, default=8825)
    c.add_argument("--recipients", required=True, help="file of 'address language' lines")
    c.add_argument("--compose-sample", type=int, default=2000)
    args = p.parse_args(argv)
    if args.command == "serve":
        asyncio.run(serve(args.port))
    else:
        asyncio.run(send(args.port, args.recipients, args.compose_sample))


if __name__ == "__main__":
    main()
