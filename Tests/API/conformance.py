#!/usr/bin/env python3
"""The API against its document, web/openapi.yaml:

1. the document is valid OpenAPI 3.1 (openapi-spec-validator);
2. schemathesis drives a real `clearsky up` (free ports, its own data folder) with a signed-in
   user's token, within a fixed example count and time budget: no 5xx, and every answer conforms to
   the document (status, content type, headers, schema).

Run by `make test` with the tools of Tests/API/requirements.txt (in .build/api-tools). Set
API_MAX_EXAMPLES / API_MAX_SECONDS to search longer. Reports go to $API_REPORTS (default: a temporary
folder, kept on failure)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CLEARSKY_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Support"))
from cluster import Cluster, request  # noqa: E402

# Left out of the generated requests, each for a reason the document's readers would accept:
EXCLUDED = {
    "logOutEverywhere": "it revokes the token the run signs in with; AccountJourneyTests covers it",
    "events": "a stream that stays open by design; EventStreamTests covers it",
}


def main():
    document, _ = read_from_filename(os.path.join(ROOT, "web", "openapi.yaml"))
    validate(document)
    print(f"api: web/openapi.yaml is valid OpenAPI {document['openapi']} ({len(document['paths'])} paths)")

    data = tempfile.mkdtemp(prefix="clearsky-api-")
    reports = os.environ.get("API_REPORTS") or tempfile.mkdtemp(prefix="clearsky-api-reports-")
    up = Cluster(BIN, data)
    failed = True
    try:
        url = up.url
        token = up.user("schema")
        # Something to find: an image of the user's (generated IDs mostly miss it, examples name none).
        photo = open(os.path.join(ROOT, "Sources", "TestImages", "Resources", "building.jpg"), "rb").read()
        request("POST", url + "/v1/images?key=schema/building.jpg", photo, token, "image/jpeg")

        command = [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", url + "/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                        "response_headers_conformance,response_schema_conformance",
            "--max-examples", os.environ.get("API_MAX_EXAMPLES", "20"),
            "--max-time", os.environ.get("API_MAX_SECONDS", "180"),
            "--phases", "examples,coverage,fuzzing",
            # One worker: Python 3.11's ast module keeps its recursion depth per interpreter, so
            # hypothesis describing lambdas in two threads at once fails with "AST constructor
            # recursion depth mismatch" (CPython gh-106905), a runtime error of the tool, not the API.
            "--workers", "1", "--seed", "20261207", "--request-timeout", "30",
            "--suppress-health-check", "all",
            "--report", "junit", "--report-dir", reports,
        ]
        for operation in EXCLUDED:
            command += ["--exclude-operation-id", operation]
        started = time.time()
        run = subprocess.run(command, cwd=reports)
        print(f"api: schemathesis finished in {time.time() - started:.0f} s with exit status {run.returncode}")
        failed = run.returncode != 0
    finally:
        up.stop()
        shutil.rmtree(data, ignore_errors=True)
        if failed:
            print(f"api: failed; reports in {reports}; the cluster's last log lines:\n" + "".join(up.log), file=sys.stderr)
        elif not os.environ.get("API_REPORTS"):
            shutil.rmtree(reports, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
