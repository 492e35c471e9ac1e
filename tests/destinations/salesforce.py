"""Salesforce REST on 127.0.0.1: sObject Collections upsert / delete and Bulk API 2.0 ingest jobs.

Implements: Bearer auth (401 ``INVALID_SESSION_ID``); ``PATCH /services/data/vXX.X/composite/sobjects/
{SObject}/{ExternalIdField}`` (at most 200 records, else 400 ``EXCEEDED_ID_LIMIT``; an unknown field is
``INVALID_FIELD`` for the whole request; per record, in order: ``LastName`` required
(``REQUIRED_FIELD_MISSING``), an invalid ``Email`` (``INVALID_EMAIL_ADDRESS``), ids in ``reject``);
``DELETE /composite/sobjects?ids=`` (at most 200); Bulk API 2.0 (``POST /jobs/ingest``, ``PUT
.../batches`` CSV, ``PATCH`` to ``UploadComplete``, ``GET`` state — ``InProgress`` once, then
``JobComplete`` — and ``successfulResults`` / ``failedResults`` CSVs with ``sf__Id``/``sf__Created``/
``sf__Error``).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from .common import ContractServer, Req, bearer, reply

TOKEN = "00Dxx0000000000!sf-test-token"
FIELDS = {"Lead": {"Lifecycle_Contact_Id__c", "Email", "FirstName", "LastName", "Phone", "Company", "Status",
                   "LeadSource", "Lifecycle_Stage__c"}}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SalesforceServer(ContractServer):
    def __init__(self, token: str = TOKEN, version: str = "v60.0"):
        super().__init__(auth=bearer(token), unauthorized=reply(401, [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]))
        self.records: dict[str, dict[str, Any]] = {}   # by Salesforce id
        self.by_ext: dict[str, str] = {}
        self.next_id = 1
        self.reject: dict[str, str] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        base = f"/services/data/{version}"
        self.route("PATCH", f"{base}/composite/sobjects/(\\w+)/(\\w+)", self._upsert)
        self.route("DELETE", f"{base}/composite/sobjects", self._delete)
        self.route("POST", f"{base}/jobs/ingest", self._create_job)
        self.route("PUT", f"{base}/jobs/ingest/(\\w+)/batches", self._upload)
        self.route("PATCH", f"{base}/jobs/ingest/(\\w+)", self._close)
        self.route("GET", f"{base}/jobs/ingest/(\\w+)", self._job)
        self.route("GET", f"{base}/jobs/ingest/(\\w+)/(successfulResults|failedResults)/", self._results)

    def _apply(self, sobject: str, ext_field: str, rec: dict[str, Any]) -> dict[str, Any]:
        ext = str(rec.get(ext_field) or "")
        if ext in self.reject:
            return {"success": False, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                                  "message": self.reject[ext], "fields": []}]}
        existing = self.by_ext.get(ext)
        merged = {**(self.records[existing] if existing else {}), **rec}
        if not merged.get("LastName"):
            return {"success": False, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING",
                                                  "message": "Required fields are missing: [LastName]",
                                                  "fields": ["LastName"]}]}
        if merged.get("Email") and not _EMAIL.match(str(merged["Email"])):
            return {"success": False, "errors": [{"statusCode": "INVALID_EMAIL_ADDRESS",
                                                  "message": "Email: invalid email address", "fields": ["Email"]}]}
        if existing is None:
            existing = f"00Q{self.next_id:012d}"
            self.next_id += 1
            self.by_ext[ext] = existing
        self.records[existing] = merged
        return {"id": existing, "success": True, "errors": [], "created": existing == self.by_ext[ext] and not rec.get("_seen")}

    def _upsert(self, req: Req):
        sobject, ext_field = req.path.split("/")[-2:]
        body = req.json or {}
        records = body.get("records") or []
        if len(records) > 200:
            return reply(400, [{"message": "Maximum number of records is 200", "errorCode": "EXCEEDED_ID_LIMIT"}])
        allowed = FIELDS.get(sobject)
        if allowed is None:
            return reply(404, [{"message": f"The requested resource does not exist: {sobject}", "errorCode": "NOT_FOUND"}])
        for rec in records:
            unknown = set(rec) - allowed - {"attributes"}
            if unknown:
                return reply(400, [{"message": f"No such column '{sorted(unknown)[0]}' on sobject of type {sobject}",
                                    "errorCode": "INVALID_FIELD"}])
        results = [self._apply(sobject, ext_field, {k: v for k, v in r.items() if k != "attributes"}) for r in records]
        return reply(200, results)

    def _delete(self, req: Req):
        ids = [i for i in (req.query.get("ids") or "").split(",") if i]
        if len(ids) > 200:
            return reply(400, [{"message": "Maximum number of ids is 200", "errorCode": "EXCEEDED_ID_LIMIT"}])
        out = []
        for sf_id in ids:
            if sf_id in self.records:
                rec = self.records.pop(sf_id)
                self.by_ext = {e: i for e, i in self.by_ext.items() if i != sf_id}
                out.append({"id": sf_id, "success": True, "errors": []})
                del rec
            else:
                out.append({"id": sf_id, "success": False,
                            "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]})
        return reply(200, out)

    # --- Bulk API 2.0 --------------------------------------------------------------------------------
    def _create_job(self, req: Req):
        body = req.json or {}
        if body.get("operation") != "upsert" or body.get("contentType") != "CSV":
            return reply(400, [{"message": "unsupported job", "errorCode": "INVALIDJOB"}])
        job_id = f"750{len(self.jobs) + 1:012d}"
        self.jobs[job_id] = {"id": job_id, "object": body["object"], "externalIdFieldName": body["externalIdFieldName"],
                             "state": "Open", "csv": "", "polls": 0}
        return reply(200, {"id": job_id, "state": "Open", "object": body["object"], "operation": "upsert"})

    def _upload(self, req: Req):
        job = self.jobs.get(req.path.split("/")[-2])
        if job is None or job["state"] != "Open":
            return reply(400, [{"message": "job not open", "errorCode": "INVALIDJOB"}])
        job["csv"] += req.body.decode("utf-8")
        return reply(201)

    def _close(self, req: Req):
        job = self.jobs.get(req.path.split("/")[-1])
        if job is None or (req.json or {}).get("state") != "UploadComplete":
            return reply(400, [{"message": "bad state change", "errorCode": "INVALIDJOB"}])
        job["state"] = "UploadComplete"
        ok, failed = [], []
        for row in csv.DictReader(io.StringIO(job["csv"])):
            rec = {k: v for k, v in row.items() if v != ""}
            res = self._apply(job["object"], job["externalIdFieldName"], rec)
            if res["success"]:
                ok.append({"sf__Id": res["id"], "sf__Created": "true", **row})
            else:
                failed.append({"sf__Id": "", "sf__Error": f"{res['errors'][0]['statusCode']}:{res['errors'][0]['message']}",
                               **row})
        job["results"] = {"successfulResults": ok, "failedResults": failed}
        return reply(200, {"id": job["id"], "state": "UploadComplete"})

    def _job(self, req: Req):
        job = self.jobs.get(req.path.split("/")[-1])
        if job is None:
            return reply(404, [{"message": "no such job", "errorCode": "NOT_FOUND"}])
        if job["state"] == "UploadComplete":
            job["polls"] += 1
            state = "InProgress" if job["polls"] == 1 else "JobComplete"
            if state == "JobComplete":
                job["state"] = state
            return reply(200, {"id": job["id"], "state": state})
        return reply(200, {"id": job["id"], "state": job["state"]})

    def _results(self, req: Req):
        parts = req.path.strip("/").split("/")
        job, kind = self.jobs.get(parts[-2]), parts[-1]
        rows = (job or {}).get("results", {}).get(kind, [])
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return reply(200, buf.getvalue(), {"Content-Type": "text/csv"})

    def state(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {ext: dict(self.records[sf_id]) for ext, sf_id in self.by_ext.items()}
