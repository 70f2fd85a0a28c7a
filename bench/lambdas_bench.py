"""Benchmark for the Lambda functions (not a test: it prints figures and asserts nothing).

    python bench/lambdas_bench.py

- stream consumer throughput on a 10,000-record Kinesis batch, S3 excluded (a counting no-op
  client stands in for S3), next to a bare base64 + json.loads loop over the same records;
- S3 PUTs per batch, counted on that client (1 for a clean batch, 2 with malformed records);
- each function folder's deployment zip size (ZIP_DEFLATED, __pycache__ excluded).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import random
import sys
import time
import uuid
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDAS = REPO_ROOT / "lambdas"
sys.path.insert(0, str(REPO_ROOT))

from program.components.function import code_files  # noqa: E402 (after the repo root is on sys.path)

BATCH = 10_000
RUNS = 7
STREAM_ARN = "arn:aws:kinesis:us-west-2:123456789012:stream/item-events"


def load_consumer():
    # By file path, as Lambda imports handler.handler from the root of the function's zip; the zip's
    # root also holds lambdas/shared as `shared/` (program/components/function.py code_files).
    sys.path.insert(0, str(LAMBDAS))
    spec = importlib.util.spec_from_file_location(
        "stream_consumer_handler", LAMBDAS / "stream_consumer" / "handler.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CountingS3:
    """Stands in for the S3 client: counts PutObject calls and bytes, sends nothing."""

    def __init__(self):
        self.puts = []

    def put_object(self, **params):
        self.puts.append((params["Key"], len(params["Body"])))
        return {}


def kinesis_batch(size: int) -> list[dict]:
    """Records shaped like the api's item.updated events."""
    rng = random.Random(7)
    records = []
    for n in range(size):
        item_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        item = {
            "id": item_id,
            "name": f"widget {n}",
            "price": round(rng.random() * 100, 2),
            "qty": rng.randrange(1000),
            "tags": ["blue", "large"],
            "version": n % 5 + 1,
            "createdAt": "2025-01-01T00:00:00.000Z",
            "updatedAt": "2025-01-01T00:00:01.000Z",
        }
        payload = {
            "type": "item.updated",
            "id": item_id,
            "version": item["version"],
            "item": item,
            "at": item["updatedAt"],
        }
        sequence = f"4959{n:052d}"
        records.append(
            {
                "kinesis": {
                    "partitionKey": item_id,
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(json.dumps(payload).encode()).decode(),
                    "approximateArrivalTimestamp": 1700000000.0 + n / 1000,
                },
                "eventID": f"shardId-000000000000:{sequence}",
                "eventSourceARN": STREAM_ARN,
            }
        )
    return records


def best_of(runs: int, func) -> float:
    """Fastest of several runs: the least disturbed by other load on the machine."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        timings.append(time.perf_counter() - start)
    return min(timings)


def zip_folder(folder: Path) -> tuple[int, int]:
    """(size in bytes, file count) of the folder zipped the way it is deployed (with lambdas/shared)."""
    files = code_files(folder.name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, path in sorted(files.items()):
            archive.write(path, arcname)
    return len(buffer.getvalue()), len(files)


def main() -> None:
    os.environ.setdefault("RESULTS_BUCKET", "bench-results")
    consumer = load_consumer()
    s3 = CountingS3()
    consumer._clients["s3"] = s3
    consumer.LOG.disabled = True  # keep the per-batch log line out of the table

    records = kinesis_batch(BATCH)
    event = {"Records": records}

    def raw_decode():
        for record in records:
            json.loads(base64.b64decode(record["kinesis"]["data"]))

    raw = best_of(RUNS, raw_decode)
    handled = best_of(RUNS, lambda: consumer.handler(event, None))

    s3.puts.clear()
    consumer.handler(event, None)
    clean_puts = list(s3.puts)
    s3.puts.clear()
    broken = dict(records[1], kinesis={**records[1]["kinesis"], "data": "not base64!"})
    consumer.handler({"Records": [records[0], broken, *records[2:]]}, None)
    dirty_puts = len(s3.puts)
    raw_bytes = sum(len(base64.b64decode(r["kinesis"]["data"])) for r in records)

    rows = [
        ("raw base64+json.loads loop", f"{BATCH / raw:,.0f} rec/s", f"{raw * 1000:.1f} ms/batch"),
        (
            "stream consumer (S3 excluded)",
            f"{BATCH / handled:,.0f} rec/s",
            f"{handled * 1000:.1f} ms/batch, {handled / raw:.2f}x raw",
        ),
        (
            "S3 PUTs, clean batch",
            str(len(clean_puts)),
            "data/<stream>/<shard>/<first>-<last>.jsonl.gz",
        ),
        ("S3 PUTs, 1 malformed record", str(dirty_puts), "data/ + errors/"),
        (
            "data object size",
            f"{clean_puts[0][1]:,} B",
            f"gzip level {consumer.GZIP_LEVEL}, {raw_bytes / clean_puts[0][1]:.1f}x smaller "
            f"than the {raw_bytes:,} B of record data",
        ),
    ]
    # The Python zip functions (a handler.py at the folder's root); pipeline/ prints its own sizes.
    for folder in sorted(p.parent for p in LAMBDAS.glob("*/handler.py") if p.parent.name != "shared"):
        size, files = zip_folder(folder)
        rows.append((f"zip lambdas/{folder.name}", f"{size:,} B", f"{files} file(s), deflated"))
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    print(f"Lambda benchmark: {BATCH:,}-record batch, best of {RUNS} runs")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>{value_width}}  {note}".rstrip())


if __name__ == "__main__":
    main()
