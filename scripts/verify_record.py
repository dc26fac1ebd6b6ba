#!/usr/bin/env python3
"""Checks a Raffler draw record (raffler-draw/1) on its own, with Python's standard library.

    python3 scripts/verify_record.py record.json

Download the record from the raffle's verify page (/verify/<CODE>), then run this. For every draw
it recomputes the winner from the published inputs and says whether it matches. It checks the
seed against the commitment shown on every screen since the start, each draw's entries against
their hash, and that each beacon randomness is SHA-256 of its signature. It does not check the
beacon's BLS signature itself (that needs a pairing library; the verify page does it, and
docs/fairness.md says how to do it with drand's own tools). Exit status 0: every draw checks out.
"""
import hashlib
import hmac
import json
import sys

SCHEME = "raffler-draw/1"


def entries_hash(entries):
    h = hashlib.sha256()
    for e in entries:
        h.update(f"{e['id']}\t{e['name']}\n".encode())
    return h.hexdigest()


def pick(seed, code, draw, ehash, randomness, still_in):
    """The index of the winning entry, or None when nobody is left."""
    if not any(still_in):
        return None
    n = len(still_in)
    limit = (2**64 - 1) // n * n  # rejection sampling: no modulo bias
    message = f"{SCHEME}\n{code}\n{draw}\n{ehash}\n{randomness or 'none'}\n".encode()
    counter = 0
    while True:
        mac = hmac.new(seed, message + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        x = int.from_bytes(mac[:8], "big")
        if x < limit and still_in[x % n]:
            return x % n
        counter += 1


def check_draw(record, seed, d):
    ehash = entries_hash(d["entries"])
    if d.get("entries_hash") != ehash:
        return "MISMATCH entries_hash"
    # A tab or a line break in a name could merge or split entries under the same hash.
    if any(any(ord(c) < 32 or 127 <= ord(c) < 160 for c in e["name"]) for e in d["entries"]):
        return "MISMATCH entries"
    if d["outcome"] == "spinning":
        return "pending (still spinning)"
    if d["outcome"] == "beacon_late":
        if d.get("winner") is not None or d.get("beacon_round") is None:
            return "MISMATCH outcome"
        return "void: the beacon round did not come in time"
    randomness = None
    if d.get("beacon_round") is not None:
        # The round must have been still to come when the draw started.
        chain = record.get("beacon_chain") or {}
        due = chain.get("genesis_time", 0) + (d["beacon_round"] - 1) * chain.get("period", 0)
        if not chain or d.get("started_at") is None or due <= d["started_at"] // 1000:
            return "MISMATCH beacon_round"
        sig = bytes.fromhex(d["beacon_signature"])
        randomness = hashlib.sha256(sig).hexdigest()
        if randomness != d.get("beacon_randomness"):
            return "MISMATCH beacon_randomness"
    if seed is None:
        return "pending (the seed is published when the raffle ends)"
    still_in = [e["id"] not in d["withdrawn"] for e in d["entries"]]
    index = pick(seed, record["code"], d["draw"], ehash, randomness, still_in)
    winner = d["entries"][index] if index is not None else None
    if winner != d.get("winner"):
        return "MISMATCH winner"
    if winner is None:
        return "void: nobody was left to win"
    how = f"beacon round {d['beacon_round']}" if randomness else "seed only: trusts the server's operator"
    return f"ok: {winner['name']} ({how})"


def main(path):
    with open(path, encoding="utf-8") as f:
        record = json.load(f)
    if record.get("scheme") != SCHEME or not record.get("commitment"):
        print("not verifiable: this raffle is from before verifiable draws")
        return 1
    seed = None
    if record.get("seed"):
        seed = bytes.fromhex(record["seed"])
        if hashlib.sha256(seed).hexdigest() != record["commitment"]:
            print("MISMATCH seed: it is not the one committed to at the start")
            return 1
    print(f"raffle {record['code']}, commitment {record['commitment'][:8].upper()}")
    failed = 0
    last_round = 0
    for number, d in enumerate(record["draws"], start=1):
        # Draws are numbered 1, 2, 3... with no gap; each waits for a later round than the last.
        round_ = d.get("beacon_round")
        if d["draw"] != number:
            verdict = "MISMATCH draw"
        elif round_ is not None and round_ <= last_round:
            verdict = "MISMATCH beacon_round"
        else:
            verdict = check_draw(record, seed, d)
        last_round = round_ if round_ is not None else last_round
        failed += verdict.startswith("MISMATCH")
        print(f"draw {d['draw']}: {verdict}")
    print(f"{len(record['draws']) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
