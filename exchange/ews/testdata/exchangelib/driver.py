#!/usr/bin/python3
"""Drives Python exchangelib (Debian's python3-exchangelib 4.9) against
calbridge's EWS and Autodiscover handlers, for TestExchangelibInterop in
interop_exchangelib_test.go.

Input (stdin), one JSON object:

    {
      "hosts": {"mail.example": "127.0.0.1:41234", ...},  # name -> loopback address:port
      "cases": [
        {
          "name": "configured",
          "email": "organizer@example.com",       # the Account's address
          "username": "...", "password": "...",    # Basic credentials
          "url": "https://127.0.0.1:41234/EWS/Exchange.asmx",  # or null with "autodiscover"
          "autodiscover": null | "pox" | "soap",
          "build": [14, 2] | null,                 # a configured server version, or probe
          "queries": [
            {"name": "...", "tz": "UTC", "start": "2024-03-05T00:00:00",
             "end": "2024-03-07T00:00:00", "interval": 30, "view": "FreeBusyMerged",
             "mailboxes": ["a@example.com", ...]}
          ]
        }
      ]
    }

Output (stdout), a JSON array with one object per case: its name, the
EWS URL, auth type and server version exchangelib settled on (the version
when the Account was made and after the last answer), and per query what
Protocol.get_free_busy_info returned, mailbox by mailbox: the FreeBusyView
(view type, merged string, calendar events with naive wall times in the
query's zone, working periods and their zone) or the error exchangelib
returned in its place. A case that raised has "error", "message",
"traceback" and the exchangelib wire log (requests and responses) instead.

Exit status 3 means exchangelib cannot be imported here.

The script never touches the network: host names resolve only as "hosts"
says (port 443 goes to the loopback port given), everything else fails to
resolve, DNS queries (Autodiscover's A and SRV look-ups) are answered from
"hosts" without a resolver, TLS certificates are not verified (the
documented BaseProtocol.HTTP_ADAPTER_CLS = NoVerifyHTTPAdapter), and the
Autodiscover cache lives in TMPDIR, which the test points at a temporary
directory.
"""

import io
import json
import logging
import socket
import sys
import traceback
import warnings

SPEC = json.load(sys.stdin)
HOSTS = {h.lower(): addr for h, addr in SPEC.get("hosts", {}).items()}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _mapped(host, port):
    """The loopback (host, port) that host:port stands for, or None."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).lower().rstrip(".")
    if name in LOOPBACK:
        return name, port
    addr = HOSTS.get(name)
    if addr is None:
        return None
    if str(port) not in ("443", "https"):
        return None  # only the TLS port is served (Autodiscover step 3's plain HTTP is not)
    ip, _, p = addr.rpartition(":")
    return ip, int(p)


_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    target = _mapped(host, port)
    if target is None:
        raise socket.gaierror(socket.EAI_NONAME, f"driver: {host!r} port {port} is not a test host")
    return _real_getaddrinfo(target[0], target[1], family, type, proto, flags)


socket.getaddrinfo = _getaddrinfo

try:
    import dns.name
    import dns.resolver

    import exchangelib
    from exchangelib import DELEGATE, Account, Configuration, Credentials, EWSDateTime, EWSTimeZone
    from exchangelib.protocol import BaseProtocol, NoVerifyHTTPAdapter, Protocol
    from exchangelib.version import Build, Version
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"driver: exchangelib is not importable: {e}", file=sys.stderr)
    sys.exit(3)


class _Answer(list):
    """What dns.resolver.Resolver.resolve returns, as far as exchangelib reads it."""


class _A:
    def __init__(self, address):
        self.address = address

    def to_text(self):
        return self.address


class _OfflineResolver:
    """Stands in for dns.resolver.Resolver: A records for the test hosts,
    NXDOMAIN for everything else (SRV look-ups included), no network."""

    def __init__(self, *args, **kwargs):
        self.timeout = 1
        self.lifetime = 1

    def resolve(self, qname, rdtype="A", *args, **kwargs):
        name = str(qname).lower().rstrip(".")
        rdtype = str(rdtype).upper().rsplit(".", 1)[-1]
        if rdtype == "A" and name in HOSTS:
            return _Answer([_A(HOSTS[name].rpartition(":")[0])])
        raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(name or "invalid.")])

    query = resolve


def _resolve(qname, rdtype="A", *args, **kwargs):
    return _OfflineResolver().resolve(qname, rdtype)


dns.resolver.Resolver = _OfflineResolver
dns.resolver.resolve = _resolve
dns.resolver.query = _resolve

BaseProtocol.HTTP_ADAPTER_CLS = NoVerifyHTTPAdapter
warnings.filterwarnings("ignore")  # urllib3's InsecureRequestWarning, naive-datetime notes

# exchangelib's wire log (exchangelib.util.xml: request and response bodies)
# and its debug log, kept per case and printed only when a case fails.
_wire = io.StringIO()
_handler = logging.StreamHandler(_wire)
_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
_log = logging.getLogger("exchangelib")
_log.setLevel(logging.DEBUG)
_log.addHandler(_handler)
_log.propagate = False


def _iso(dt):
    return None if dt is None else dt.isoformat()


def _time(t):
    return None if t is None else t.strftime("%H:%M")


def _transition(tr):
    if tr is None:
        return None
    return {
        "bias": tr.bias,
        "time": _time(tr.time),
        "day_order": tr.occurrence,
        "month": tr.iso_month,
        "weekday": tr.weekday,
    }


def _view(v):
    if isinstance(v, Exception):
        return {"error": type(v).__name__, "message": str(v)}
    out = {
        "view_type": v.view_type,
        "merged": v.merged,
        "events": None,
        "working_hours": None,
        "working_hours_timezone": None,
    }
    if v.calendar_events is not None:
        out["events"] = []
        for ev in v.calendar_events:
            e = {"start": _iso(ev.start), "end": _iso(ev.end), "busy_type": ev.busy_type, "details": None}
            d = ev.details
            if d is not None:
                e["details"] = {
                    "id": d.id,
                    "subject": d.subject,
                    "location": d.location,
                    "is_meeting": d.is_meeting,
                    "is_recurring": d.is_recurring,
                    "is_exception": d.is_exception,
                    "is_reminder_set": d.is_reminder_set,
                    "is_private": d.is_private,
                }
            out["events"].append(e)
    if v.working_hours is not None:
        out["working_hours"] = [
            {"weekdays": list(p.weekdays or []), "start": _time(p.start), "end": _time(p.end)} for p in v.working_hours
        ]
    tz = v.working_hours_timezone
    if tz is not None:
        out["working_hours_timezone"] = {
            "bias": tz.bias,
            "standard": _transition(tz.standard_time),
            "daylight": _transition(tz.daylight_time),
        }
    return out


def _dt(s, tz):
    """A naive "YYYY-MM-DDTHH:MM:SS" wall time in tz."""
    y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
    h, mi, sec = int(s[11:13]), int(s[14:16]), int(s[17:19])
    return EWSDateTime(y, mo, d, h, mi, sec, tzinfo=tz)


def run_case(case):
    credentials = Credentials(case["username"], case["password"])
    version = None
    if case.get("build"):
        version = Version(build=Build(*case["build"]))
    if case.get("autodiscover"):
        account = Account(
            primary_smtp_address=case["email"],
            credentials=credentials,
            autodiscover=case["autodiscover"],
            access_type=DELEGATE,
            default_timezone=EWSTimeZone("UTC"),
        )
    else:
        config = Configuration(service_endpoint=case["url"], credentials=credentials, version=version)
        account = Account(
            primary_smtp_address=case["email"],
            config=config,
            autodiscover=False,
            access_type=DELEGATE,
            default_timezone=EWSTimeZone("UTC"),
        )
    protocol = account.protocol
    out = {
        "name": case["name"],
        "ews_url": protocol.service_endpoint,
        "auth_type": protocol.auth_type,
        # The version the Account started with (configured, from
        # Autodiscover, or probed), and the one it ended with: exchangelib
        # adopts the ServerVersionInfo header of every answer.
        "initial_version": {"build": str(protocol.version.build), "api": protocol.version.api_version},
        "queries": [],
    }
    for q in case["queries"]:
        tz = EWSTimeZone(q["tz"])
        views = protocol.get_free_busy_info(
            accounts=[(m, "Required", False) for m in q["mailboxes"]],
            start=_dt(q["start"], tz),
            end=_dt(q["end"], tz),
            merged_free_busy_interval=q.get("interval", 30),
            requested_view=q["view"],
        )
        out["queries"].append({"name": q["name"], "results": [_view(v) for v in views]})
    out["version"] = {"build": str(protocol.version.build), "api": protocol.version.api_version}
    return out


def main():
    results = []
    for case in SPEC["cases"]:
        _wire.seek(0)
        _wire.truncate()
        try:
            results.append(run_case(case))
            if SPEC.get("debug"):
                results[-1]["wire"] = _wire.getvalue()
        except Exception as e:  # report, and go on with the next case
            results.append(
                {
                    "name": case["name"],
                    "error": type(e).__name__,
                    "message": str(e),
                    "traceback": traceback.format_exc(),
                    "wire": _wire.getvalue()[-20000:],
                }
            )
        finally:
            Protocol.clear_cache()
    exchangelib.close_connections()
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
