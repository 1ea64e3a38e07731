"""Import of a generated transactions CSV through POST /api/import, in its own process.
Prints one JSON object.

    python -m bench.import_run <sqlite url of a generated portfolio> <token> <empty dir>

The CSV comes from GET /api/export of the generated portfolio; it is then imported into a
fresh account of a fresh SQLite database (dry run, then for real), and the imported rows are
counted.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench.generator import PASSWORD, settings_for
from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.models import Transaction
from portfolio_tracker.db.session import build_engine


def _post(
    client: TestClient, url: str, data: bytes, token: str
) -> tuple[float, float, dict[str, int]]:
    """(wall seconds, this process's CPU seconds, the report). The app runs in this process,
    so the CPU time is the request's own work, less sensitive to a busy machine."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    start, cpu = time.perf_counter(), time.process_time()
    response = client.post(url, content=data, headers=headers)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if response.status_code not in (200, 201):
        raise SystemExit(f"{url}: {response.status_code} {response.text[:500]}")
    report: dict[str, int] = response.json()
    return elapsed, cpu, report


def main(source_url: str, token: str, workdir: str) -> None:
    with TestClient(create_app(settings_for(source_url), build_engine(source_url))) as client:
        start = time.perf_counter()
        headers = {"Authorization": f"Bearer {token}"}
        exported = client.get("/api/export?format=csv", headers=headers)
        export_s = time.perf_counter() - start
        exported.raise_for_status()
    data = exported.content

    url = f"sqlite:///{Path(workdir) / 'import.db'}"
    engine = build_engine(url)
    upgrade(engine)
    # No price downloads after the import: the timing is the import's alone.
    settings = settings_for(url).model_copy(update={"price_backfill_on_create": False})
    with TestClient(create_app(settings, engine)) as client:
        signup = {"email": "importer@example.com", "password": PASSWORD}
        new_token = client.post("/api/auth/signup", json=signup).json()["token"]
        dry_s, _, _ = _post(client, "/api/import?dry_run=true", data, new_token)
        import_s, import_cpu_s, report = _post(client, "/api/import", data, new_token)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Transaction)).scalar_one()
    if stored != report["transactions"] or report["rows"] != report["transactions"]:
        raise SystemExit(f"imported {stored} rows, report says {report}")
    print(
        json.dumps(
            {
                "rows": report["rows"],
                "assets": report["assets_created"],
                "megabytes": len(data) / 1e6,
                "export_s": export_s,
                "dry_run_s": dry_s,
                "import_s": import_s,
                "import_cpu_s": import_cpu_s,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
