"""A load client: threads that each play listeners doing whole practices over HTTP.

``run_clients(...)`` starts ``processes`` client processes (spawned) with ``threads``
threads each, for ``duration_s``, and returns their merged ``Report``. Each simulated
listener opens the skill, does a practice to its end (which records a history entry),
and says goodbye; some go the check-in way (feeling, yes, a rating before, the practice,
a rating after) so the entry's id and ratings are known to the client too.

What the client knows, per listener, is what the database must hold afterwards:
* ``completed``: practices whose final turn was answered with 200 (a record must exist);
* ``unknown``: practices whose final request got no answer (connection error): the
  record may or may not exist;
* ``entries``: (user, entry id, before, after) for check-in practices, after = None when
  the rating-after answer was not received (then either value is fine).
Every request uses a fresh connection (``Connection: close``), so a connection error
always means the server dropped or refused that request, never a stale keep-alive.
"""
from __future__ import annotations

import collections
import http.client
import json
import multiprocessing
import random
import time
import uuid
from dataclasses import dataclass, field

from load_support import envelope

#: (fixture, slot values): short practices, so a minute holds many whole ones.
PRACTICES = [
    ("breathing_three_minutes", {"minutes": "1"}), ("breathing_three_minutes", {"minutes": "2"}),
    ("breathing_no_slots", {}), ("grounding", {}), ("kind_action", {}), ("safe_place", {}),
    ("kind_memory", {}), ("kind_friend", {}), ("body_scan", {}), ("loving_kindness", {}),
]
APOLOGY = "something went wrong"
REQUEST_TIMEOUT_S = 30.0


class ConnectionFailed(Exception):
    pass


class BadStatus(Exception):
    pass


@dataclass
class Report:
    completed: collections.Counter = field(default_factory=collections.Counter)
    unknown: collections.Counter = field(default_factory=collections.Counter)
    entries: list = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    connection_errors: int = 0
    apologies: int = 0
    samples: list = field(default_factory=list)       # first few problems, for messages
    latencies: list = field(default_factory=list)
    requests: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0

    def merge(self, other: "Report") -> None:
        self.completed.update(other.completed)
        self.unknown.update(other.unknown)
        self.entries += other.entries
        self.statuses.update(other.statuses)
        self.connection_errors += other.connection_errors
        self.apologies += other.apologies
        self.samples += other.samples[: max(0, 20 - len(self.samples))]
        self.latencies += other.latencies
        self.requests += other.requests
        if other.started_at:
            self.started_at = min(self.started_at or other.started_at, other.started_at)
        self.finished_at = max(self.finished_at, other.finished_at)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))]

    def summary(self) -> str:
        span = max(1e-9, self.finished_at - self.started_at)
        return (f"{self.requests} requests in {span:.1f} s ({self.requests / span:.0f}/s), "
                f"statuses {dict(self.statuses)}, connection errors {self.connection_errors}, "
                f"apologies {self.apologies}, practices completed {sum(self.completed.values())}"
                f" (+{sum(self.unknown.values())} unknown), latency p50 "
                f"{self.percentile(0.5) * 1000:.0f} ms p99 {self.percentile(0.99) * 1000:.0f} ms "
                f"max {max(self.latencies or [0]) * 1000:.0f} ms")


class Listener:
    def __init__(self, port: int, user_id: str, report: Report, pause_s: float):
        self.port, self.user_id, self.report, self.pause_s = port, user_id, report, pause_s
        self.new_session()

    def new_session(self):
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes, self.new = {}, True

    def say(self, name: str, **slots) -> dict:
        body = json.dumps(envelope(name, self.user_id, self.session_id, self.attributes,
                                   self.new, **slots)).encode()
        if self.pause_s:
            time.sleep(self.pause_s)
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("POST", "/alexa", body=body,
                         headers={"Content-Type": "application/json", "Connection": "close"})
            res = conn.getresponse()
            data = res.read()
        except (OSError, http.client.HTTPException) as e:
            self.report.connection_errors += 1
            if len(self.report.samples) < 20:
                self.report.samples.append(f"{name}: {type(e).__name__}: {e}")
            raise ConnectionFailed(name) from e
        finally:
            conn.close()
        self.report.latencies.append(time.monotonic() - started)
        self.report.requests += 1
        self.report.statuses[res.status] += 1
        if res.status != 200:
            if len(self.report.samples) < 20:
                self.report.samples.append(f"{name}: HTTP {res.status}: {data[:200]!r}")
            raise BadStatus(name)
        answer = json.loads(data)
        speech = (answer["response"].get("outputSpeech") or {}).get("ssml", "")
        if APOLOGY in speech:
            self.report.apologies += 1
            if len(self.report.samples) < 20:
                self.report.samples.append(f"{name}: the kind apology")
        self.attributes = answer.get("sessionAttributes") or {}
        self.new = False
        if answer["response"].get("shouldEndSession", True) is not False:
            self.new_session()
        return answer

    def practice(self, rng: random.Random, checkin: bool) -> None:
        """One whole practice; updates the report. Any failure abandons it."""
        self.new_session()
        final_pending = False
        try:
            self.say("launch")
            before = None
            if checkin:
                self.say("remember_ratings")                     # ratings are kept only by consent
                self.say(rng.choice(["checkin_anxious", "checkin_self_critical"]))
                self.say("yes")                                  # asks the rating before
                before = rng.randint(0, 10)
                final_pending = True                             # this may be the last turn
                self.say("rating_seven", rating=str(before))     # starts the practice
            else:
                name, slots = rng.choice(PRACTICES)
                final_pending = True
                self.say(name, **slots)
            while isinstance(self.attributes.get("practice"), dict):
                p = self.attributes["practice"]
                final_pending = p["turn"] + 2 >= p["count"]
                self.say("continue")
            final_pending = False
            self.report.completed[self.user_id] += 1
            if checkin:
                entry = (self.attributes.get("rating") or {}).get("entry")
                after = rng.randint(0, 10)
                record = [self.user_id, entry, before, None]
                self.report.entries.append(record)
                self.say("rating_seven", rating=str(after))
                record[3] = after
            self.say("no")                                       # goodbye
        except (ConnectionFailed, BadStatus):
            if final_pending:
                self.report.unknown[self.user_id] += 1


def _thread_main(port, user_prefix, shared_user, deadline, seed, checkin_share, pause_s,
                 per_user, max_practices, report):
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < deadline and (max_practices is None or n < max_practices):
        # shared_user: every thread of every process plays the same listeners, in turn:
        # practices 0..per_user-1 as the first, then the next, ...
        user = f"{shared_user if shared_user else user_prefix}U{n // per_user}"
        Listener(port, user, report, pause_s).practice(rng, rng.random() < checkin_share)
        n += 1


def _process_main(port, run_id, index, threads, duration_s, shared_user, checkin_share,
                  pause_s, per_user, max_practices, start_at, queue):
    import threading
    report = Report()
    while time.time() < start_at:            # all processes start together
        time.sleep(0.005)
    report.started_at = time.time()
    deadline = time.monotonic() + duration_s
    reports = [Report() for _ in range(threads)]
    workers = [threading.Thread(target=_thread_main, args=(
        port, f"amzn1.ask.account.LOAD{run_id}P{index}T{t}", shared_user, deadline,
        hash((run_id, index, t)) & 0xFFFFFFFF, checkin_share, pause_s, per_user, max_practices,
        reports[t]))
        for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for r in reports:
        report.merge(r)
    report.finished_at = time.time()
    queue.put(report)


def run_clients(port: int, *, processes: int, threads: int, duration_s: float,
                shared_user: str | None = None, checkin_share: float = 0.3,
                pause_s: float = 0.0, per_user: int = 20, max_practices: int | None = None,
                join_timeout_s: float | None = None, during=None) -> Report:
    """Run the client processes to the end and merge their reports. Each thread stops at
    ``duration_s`` or after ``max_practices`` practices, and plays a new listener every
    ``per_user`` practices: its own (one per thread), or with ``shared_user`` the same
    sequence of listeners as every other thread (f"{shared_user}U0", "U1", ...). ``during(elapsed_s)``
    is called about every 0.1 s from this process while they run (e.g. to kill a worker);
    the processes are killed (by their own handles) if they overrun."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    run_id = uuid.uuid4().hex[:8]
    start_at = time.time() + 2.0                     # spawn start-up
    procs = [ctx.Process(target=_process_main, args=(
        port, run_id, i, threads, duration_s, shared_user, checkin_share, pause_s, per_user,
        max_practices, start_at, queue), daemon=True) for i in range(processes)]
    for p in procs:
        p.start()
    reports: list[Report] = []
    limit = time.monotonic() + 2.0 + duration_s + (join_timeout_s or REQUEST_TIMEOUT_S + 30)
    begun = time.time()
    try:
        while len(reports) < processes:
            if time.monotonic() > limit:
                raise AssertionError(f"load clients overran: {len(reports)}/{processes} reported")
            if during is not None:
                during(time.time() - start_at)
            try:
                reports.append(queue.get(timeout=0.1))
            except Exception:   # queue.Empty
                pass
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
    total = Report()
    for r in reports:
        total.merge(r)
    total.started_at = total.started_at or begun
    return total

