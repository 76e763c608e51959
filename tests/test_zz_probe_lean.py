from __future__ import annotations
import json
from typing import Any
import pytest
from domain.organisation import Grant
from tests.conftest import add_user, client_for, enrol_over_http, login

COUNTY, OTHER = "130425", "130426"
P = f"/api/v1/counties/{COUNTY}/submissions"

@pytest.fixture
def c(sqlite_url, scheme_document):
    with client_for(sqlite_url) as cl:
        assert cl.post("/api/v1/schemes", json=scheme_document).status_code == 201
        enrol_over_http(cl, COUNTY)
        enrol_over_http(cl, OTHER, name="魏县")
        add_user(cl.app.state.platform, "other.coordinator", Grant("g-o", "county_coordinator", county=OTHER))
        yield cl

def both(c, content, ctype="application/json", path=P, headers=None, n=[0]):
    h = dict(headers or {})
    if ctype is not None:
        h["Content-Type"] = ctype
    a = c.post(path, content=content, headers=h)
    b = c.post(path + "?fastapi=1", content=content, headers=h)
    return a, b

def show(label, a, b):
    def strip(r):
        try:
            j = r.json()
            if isinstance(j, dict):
                j = {k: v for k, v in j.items() if k not in ("version", "position")}
            return j
        except Exception:
            return r.text[:200]
    ok = a.status_code == b.status_code and strip(a) == strip(b)
    print(f"{'SAME' if ok else 'DIFF'} {label}: lean={a.status_code} {str(strip(a))[:160]} | full={b.status_code} {str(strip(b))[:160]}")

def test_probe(c):
    per = iter(range(1, 13))
    def body(**kw):
        d = {"indicator": "1.2", "period": "2023-%02d" % next(per) if "period" not in kw else kw.pop("period"), "value": 12}
        d.update(kw); return json.dumps(d).encode()
    cases = [
        ("deep array", b"[" * 100000, "application/json"),
        ("deep in comment", b'{"indicator":"1.2","period":"2023-01","value":1,"comment":' + b"[" * 900 + b"]" * 900 + b"}", "application/json"),
        ("deep 500 comment", b'{"indicator":"1.2","period":"2023-01","value":1,"comment":' + b"[" * 500 + b"]" * 500 + b"}", "application/json"),
        ("huge int", b'{"indicator":"1.2","period":"2023-01","value":' + b"9" * 5000 + b"}", "application/json"),
        ("NaN", b'{"indicator":"1.2","period":"2023-01","value":NaN}', "application/json"),
        ("Infinity", b'{"indicator":"1.2","period":"2023-01","value":Infinity}', "application/json"),
        ("non-utf8", b'{"indicator":"1.2","period":"2023-01","value":1,"comment":"\xff"}', "application/json"),
        ("bom", b'\xef\xbb\xbf{"indicator":"1.2","period":"2023-01","value":12}', "application/json"),
        ("charset", b'{"indicator":"1.2","period":"2023-01","value":12}', "application/json; charset=utf-8"),
        ("upper", b'{"indicator":"1.2","period":"2023-01","value":12}', "APPLICATION/JSON"),
        ("merge", b'{"indicator":"1.2","period":"2023-01","value":12}', "application/merge-patch+json"),
        ("dupkeys", b'{"indicator":"1.2","period":"2023-01","value":12,"value":13}', "application/json"),
        ("string body", b'"abc"', "application/json"),
        ("empty", b'', "application/json"),
        ("no ctype", b'{"indicator":"1.2","period":"2023-01","value":12}', None),
        ("text/json", b'{"indicator":"1.2","period":"2023-01","value":12}', "text/json"),
        ("weird ctype", b'{"indicator":"1.2","period":"2023-01","value":12}', 'application/json; charset="'),
        ("fw string num", b'{"indicator":"1.2","period":"2023-01","value":"\xef\xbc\x91\xef\xbc\x92"}', "application/json"),
        ("float", b'{"indicator":"1.2","period":"2023-01","value":12.0}', "application/json"),
        ("1e400", b'{"indicator":"1.2","period":"2023-01","value":1e400}', "application/json"),
        ("true value", b'{"indicator":"1.2","period":"2023-01","value":true}', "application/json"),
    ]
    for label, content, ct in cases:
        show(label, *both(c, content, ct))
    v = b'{"indicator":"1.2","period":"2023-02","value":12}'
    for code in ["%20130425", "%EF%BC%91%EF%BC%93%EF%BC%90%EF%BC%94%EF%BC%92%EF%BC%95", "130425%20", "13042a"]:
        show("code " + code, *both(c, v, path=f"/api/v1/counties/{code}/submissions"))
    other = login(c, "other.coordinator")
    show("other county", *both(c, v, headers=other))
    show("other county, bad body", *both(c, b'[]', headers=other))
    show("anon", *both(c, v, headers={"Authorization": ""}))
    show("basic", *both(c, v, headers={"Authorization": "Basic Zm9vOmJhcg=="}))
    show("bearer lower", *both(c, v, headers={"Authorization": c.headers["Authorization"].replace("Bearer", "bearer")}))
    show("empty key + bearer", *both(c, v, headers={"X-API-Key": ""}))
    show("bad key + bearer", *both(c, v, headers={"X-API-Key": "rek_nope"}))
