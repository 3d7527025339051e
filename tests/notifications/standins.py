"""Local stand-ins for the SMS providers' APIs: a threaded http.server on loopback that
answers as 阿里云 Dysmsapi (RPC style, JSON) and 腾讯云 SMS (API 3.0, JSON) do, so that the
backends are tested through the official SDKs with only the endpoint changed. The
stand-ins keep what they were sent; a test scripts an error or a delay for the next
calls (`script`), and decides each message's receipt (`report`)."""

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    action: str
    params: dict
    headers: dict


@dataclass
class Scripted:
    """What the stand-in does for the next call: answer `body` with `status`, or wait
    `delay` seconds first (longer than the client's timeout: a timeout)."""

    body: dict | None = None
    status: int = 200
    delay: float = 0.0


@dataclass
class StandIn:
    provider: str  # "aliyun" or "tencent"
    calls: list[Call] = field(default_factory=list)
    scripted: deque = field(default_factory=deque)
    sent: list[dict] = field(default_factory=list)  # messages accepted
    reports: list[dict] = field(default_factory=list)  # receipts decided by the test
    url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def script(self, *answers: Scripted) -> None:
        self.scripted.extend(answers)

    def actions(self) -> list[str]:
        return [call.action for call in self.calls]

    def report(self, *, index: int, delivered: bool, code: str = "") -> None:
        """The receipt of the `index`-th message accepted."""
        self.reports.append({"message": self.sent[index], "delivered": delivered, "code": code})

    # --- answers as the providers' APIs give them --------------------------------------

    def answer(self, call: Call) -> tuple[int, dict]:
        if self.provider == "aliyun":
            return self._aliyun(call)
        return self._tencent(call)

    def _aliyun(self, call: Call) -> tuple[int, dict]:
        request_id = f"req-{next(self._ids)}"
        if call.action == "SendSms":
            biz_id = f"{900000 + len(self.sent)}^0"
            self.sent.append(
                {
                    "phone": call.params["PhoneNumbers"],
                    "out_id": call.params.get("OutId", ""),
                    "biz_id": biz_id,
                    "template": call.params.get("TemplateCode"),
                }
            )
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}
        if call.action == "QuerySendDetails":
            details = []
            for sent in self.sent:
                if sent["phone"] != call.params.get("PhoneNumber"):
                    continue
                if call.params.get("BizId") and sent["biz_id"] != call.params["BizId"]:
                    continue
                report = next((r for r in self.reports if r["message"] is sent), None)
                status = 1 if report is None else (3 if report["delivered"] else 2)
                details.append(
                    {
                        "PhoneNum": sent["phone"],
                        "SendStatus": status,
                        "ErrCode": "DELIVERED" if status == 3 else (report or {}).get("code", ""),
                        "TemplateCode": sent["template"],
                        "Content": "",
                        "SendDate": "2026-11-30 18:00:00",
                        "ReceiveDate": "2026-11-30 18:00:05" if report else "",
                        "OutId": sent["out_id"],
                    }
                )
            return 200, {
                "Code": "OK",
                "Message": "OK",
                "RequestId": request_id,
                "TotalCount": len(details),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
            }
        return 404, {
            "Code": "InvalidAction.NotFound",
            "Message": call.action,
            "RequestId": request_id,
        }

    def _tencent(self, call: Call) -> tuple[int, dict]:
        request_id = f"req-{next(self._ids)}"
        if call.action == "SendSms":
            statuses = []
            for phone in call.params["PhoneNumberSet"]:
                serial = f"2645:{100000 + len(self.sent)}"
                self.sent.append(
                    {
                        "phone": phone,
                        "session": call.params.get("SessionContext", ""),
                        "serial": serial,
                        "template": call.params.get("TemplateId"),
                        "params": call.params.get("TemplateParamSet"),
                    }
                )
                statuses.append(
                    {
                        "SerialNo": serial,
                        "PhoneNumber": phone,
                        "Fee": 1,
                        "SessionContext": call.params.get("SessionContext", ""),
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                )
            return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
        if call.action == "PullSmsSendStatus":
            # A queue: each receipt is handed out once.
            limit = int(call.params.get("Limit", 100))
            batch, self.reports[:] = self.reports[:limit], self.reports[limit:]
            return 200, {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": "2026-11-30 18:00:05",
                            "NationCode": "86",
                            "PurePhoneNumber": r["message"]["phone"][3:],
                            "PhoneNumber": r["message"]["phone"],
                            "SerialNo": r["message"]["serial"],
                            "ReportStatus": "SUCCESS" if r["delivered"] else "FAIL",
                            "Description": "DELIVRD" if r["delivered"] else r["code"],
                            "SessionContext": r["message"]["session"],
                        }
                        for r in batch
                    ],
                    "RequestId": request_id,
                }
            }
        return 200, {
            "Response": {
                "Error": {"Code": "InvalidAction", "Message": call.action},
                "RequestId": request_id,
            }
        }


def aliyun_error(code: str, message: str = "") -> dict:
    """A Dysmsapi answer refusing the message (HTTP 200, the code in the body)."""
    return {"Code": code, "Message": message or code, "RequestId": "req-error"}


def tencent_status_error(code: str, message: str = "") -> dict:
    """A 腾讯云 SendSms answer whose one status is refused (HTTP 200, the code per number)."""
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "",
                    "PhoneNumber": "+8613900000001",
                    "Fee": 0,
                    "SessionContext": "",
                    "Code": code,
                    "Message": message or code,
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "req-error",
        }
    }


def tencent_error(code: str, message: str = "") -> dict:
    """A 腾讯云 API 3.0 error answer (the whole call refused)."""
    return {
        "Response": {"Error": {"Code": code, "Message": message or code}, "RequestId": "req-error"}
    }


def _handler(standin: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            query = dict(parse_qsl(urlsplit(self.path).query))
            headers = {key.lower(): value for key, value in self.headers.items()}
            if standin.provider == "aliyun":
                params = {**query, **dict(parse_qsl(raw))}
                action = headers.get("x-acs-action") or params.get("Action", "")
            else:
                params = json.loads(raw) if raw else {}
                action = headers.get("x-tc-action", "")
            call = Call(action=action, params=params, headers=headers)
            standin.calls.append(call)
            scripted = standin.scripted.popleft() if standin.scripted else None
            if scripted is not None and scripted.body is not None:
                status, body = scripted.status, scripted.body
            else:
                # Accepted before any delay: a timeout loses the answer, not the message.
                status, body = standin.answer(call)
            if scripted is not None and scripted.delay:
                time.sleep(scripted.delay)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            pass

    return Handler


def serve(provider: str):
    """Starts a stand-in on a free loopback port; returns it and a function that stops it."""
    standin = StandIn(provider=provider)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return standin, stop
