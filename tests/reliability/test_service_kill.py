"""SIGKILL of the design service at random points of a burst of edits (issue #21): 10 trials in the default run,
100 in the slow one. Each trial forks a fresh service process (``fw_server.serve.run`` over the same SQLite home),
a client adds layers and comments as fast as it can, the process is killed at a random moment, and the next
process must show every acknowledged operation exactly once (an operation in flight at the kill: at most once),
and every design must load."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.reliability.faults import ServiceZygote
from tests.reliability.world import record
from tests.support.service import SERVICE_ENV, TOKENS, token_table

pytestmark = pytest.mark.service

USERS = ("alice", "bob", "carol", "dave")
MAX_LAYERS = 40           # under the free tier's 50 layers per design


@dataclass
class Trial:
    user: str
    design_id: str
    acked_layers: list[str] = field(default_factory=list)
    acked_comments: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)   # sent, no answer (the kill came first)
    versions: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)     # answered, but not 2xx (must not happen)


def _session(user: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"token {TOKENS[user]}"
    return s


def _burst(base: str, trial: Trial, stop: threading.Event, tag: str) -> None:
    s = _session(trial.user)
    i = 0
    while not stop.is_set() and len(trial.acked_layers) < MAX_LAYERS:
        kind = "comment" if i % 3 == 2 else "layer"
        name = f"{tag}-{kind}-{i}"
        trial.in_flight.append(name)
        try:
            if kind == "layer":
                r = s.post(f"{base}/designs/{trial.design_id}/layers", timeout=30,
                           json={"item_id": "acc-leather-belt", "name": name})
            else:
                r = s.post(f"{base}/designs/{trial.design_id}/comments", timeout=30, json={"text": name})
        except requests.RequestException:
            return                      # the process is gone: this one stays "in flight"
        trial.in_flight.remove(name)
        if r.status_code not in (200, 201):
            trial.refused.append(f"{name}: {r.status_code} {r.text[:200]}")
            return
        (trial.acked_layers if kind == "layer" else trial.acked_comments).append(name)
        i += 1


def _check(base: str, trial: Trial) -> tuple[int, list[str]]:
    """(operations checked, problems) for one trial's design, read through a fresh service process."""
    s = _session(trial.user)
    problems: list[str] = []
    design = s.get(f"{base}/designs/{trial.design_id}", params={"count_view": "false"}, timeout=30)
    if design.status_code != 200:
        return 0, [f"design {trial.design_id} does not load: {design.status_code} {design.text[:200]}"]
    names = [x["name"] for x in design.json()["layers"]]
    comments = [c["text"] for c in s.get(f"{base}/designs/{trial.design_id}/comments", timeout=30).json()]
    for name in trial.acked_layers:
        if names.count(name) != 1:
            problems.append(f"acknowledged layer {name} is there {names.count(name)} times")
    for text in trial.acked_comments:
        if comments.count(text) != 1:
            problems.append(f"acknowledged comment {text} is there {comments.count(text)} times")
    for name in trial.in_flight:
        if names.count(name) + comments.count(name) > 1:
            problems.append(f"in-flight {name} applied twice")
    known = set(trial.acked_layers) | set(trial.acked_comments) | set(trial.in_flight)
    stray = [n for n in names[1:] + comments if n not in known]   # layer 0 is the trial's base layer
    if stray:
        problems.append(f"operations nobody sent: {stray}")
    history = s.get(f"{base}/designs/{trial.design_id}/history", timeout=30).json()
    versions = [h["version"] for h in history if h["action"] == "add_layer"]
    if versions != sorted(set(versions)):
        problems.append(f"add_layer versions not strictly increasing: {versions}")
    return len(trial.acked_layers) + len(trial.acked_comments), problems


@pytest.fixture
def zygote(tmp_path: Path) -> Iterator[ServiceZygote]:
    env: dict[str, str | None] = {
           "FW_HOME": str(tmp_path / "fw"), "FW_SERVICE_TOKENS": token_table(), "FW_SERVICE_AUTH": "static",
           "FW_SERVICE_SECRET": uuid.uuid4().hex, "FW_SERVICE_RATE_LIMIT": "1000000", "FW_QUEUE": "local",
           **dict.fromkeys(SERVICE_ENV)}  # none of the shared stores: SQLite and files under FW_HOME
    z = ServiceZygote(env)
    yield z
    z.close()


def _run_trials(zygote: ServiceZygote, n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    trials: list[Trial] = []
    checked, problems, in_flight = 0, [], 0
    started = time.monotonic()
    for t in range(n):
        zygote.spawn()
        base = zygote.base
        if trials:                                   # the previous process was killed: is everything there?
            c, p = _check(base, trials[-1])
            checked, problems = checked + c, problems + p
        user = USERS[t % len(USERS)]
        s = _session(user)
        r = s.post(f"{base}/designs", json={"name": f"trial {t}"}, timeout=30)
        assert r.status_code == 201, r.text
        did = r.json()["id"]
        assert s.post(f"{base}/designs/{did}/layers", json={"item_id": "sil-aline-dress", "name": "base"},
                      timeout=30).status_code == 201
        trial = Trial(user, did)
        trials.append(trial)
        stop = threading.Event()
        worker = threading.Thread(target=_burst, args=(base, trial, stop, f"t{t}"), daemon=True)
        worker.start()
        time.sleep(rng.uniform(0.02, 0.6))           # a random point of the burst
        zygote.kill()
        stop.set()
        worker.join(30)
        assert not trial.refused, trial.refused
        in_flight += len(trial.in_flight)
    zygote.spawn()
    c, p = _check(zygote.base, trials[-1])
    checked, problems = checked + c, problems + p
    for trial in trials:                             # every design still loads in the last process
        r = _session(trial.user).get(f"{zygote.base}/designs/{trial.design_id}", timeout=30)
        if r.status_code != 200:
            problems.append(f"design of trial {trials.index(trial)} does not load: {r.status_code}")
    zygote.kill()
    assert not problems, "\n".join(problems)
    figures = {"trials": n, "kills": n, "acknowledged_checked": checked, "in_flight_at_kill": in_flight,
               "lost": 0, "duplicated": 0, "seconds": round(time.monotonic() - started, 1)}
    assert checked >= n, f"the bursts acknowledged too little to prove anything: {figures}"
    return figures


def test_sigkill_of_the_service_at_random_points_loses_no_acknowledged_edit(zygote: ServiceZygote) -> None:
    record("service_sigkill", **_run_trials(zygote, 10, seed=21))


@pytest.mark.slow
def test_sigkill_of_the_service_100_times(zygote: ServiceZygote) -> None:
    record("service_sigkill_slow", **_run_trials(zygote, 100, seed=2100))
