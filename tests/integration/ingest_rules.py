#!/usr/bin/env python3
"""ingest_rules.py RAAS — every rule of events.md driven through `raas ingest`, one case per
rule, each case in a fresh `raas init` directory: the field rules (id, customer, type, time,
properties), unknown fields, repeated keys, the nesting and size limits, the 128-character
number limit, exact numbers, idempotency (duplicates in other notations, conflicts), the
24-hour rule, the NDJSON line rules, stdin, `unmatched`, `--atomic`, the clock rule of cli.md
and the errors of a missing FILE or an uninitialised directory.

Every check compares the exit code, stdout byte for byte (the ingest report, key order and
error texts included) and stderr where it is a message. Exits 1 if any case fails.
"""
import json
import os
import sys

from raas_cases import Suite, lines_bytes

S = Suite("ingest rules", "raas-ingest-rules-")
RAAS = S.raas
NOW = "2026-01-10T00:00:00Z"
T0 = "2026-01-05T00:00:00Z"
WORK = S.work
case = S.case
fail = S.fail
fresh = S.fresh
run = S.run
expect = S.expect


def ingest(data, lines, now=NOW, *extra, raw=None):
    """Ingests LINES (a list of strings, each followed by a newline) or RAW bytes."""
    return S.ingest(data, lines, now, *extra, raw=raw)


def ev(**fields):
    """An event line: id, customer, type, time first (in that order), then the rest; a field
    given as ... is left out."""
    e = {"id": "e1", "customer": "acme", "type": "t.x", "time": T0}
    e.update(fields)
    e = {k: v for k, v in e.items() if v is not ...}
    return json.dumps(e, separators=(",", ":"), ensure_ascii=False)


def report(accepted=0, duplicates=0, rejected=(), conflicts=(), unmatched=(0, ())):
    """The exact report line raas must print: rejected/conflicts are (line, id, error)."""
    doc = {
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": [{"line": l, "id": i, "error": e} for l, i, e in rejected],
        "conflicts": [{"line": l, "id": i, "error": e} for l, i, e in conflicts],
        "unmatched": {"count": unmatched[0], "customers": list(unmatched[1])},
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def one(what, line, code=0, stdout=None, now=NOW):
    """Ingests one line into a fresh directory and compares the report."""
    d = fresh()
    expect(what, ingest(d, [line], now), code, stdout, "")
    return d


def accepted1(customer="acme"):
    return report(accepted=1, unmatched=(1, [customer]))


def rejected1(id_, error, line=1):
    return report(rejected=[(line, id_, error)])


DUP = report(duplicates=1)
CONFLICT_TEXT = "id already used with different content (the stored event is kept)"


def conflict1(id_="e1", line=1):
    return report(conflicts=[(line, id_, CONFLICT_TEXT)])


# ---------------------------------------------------------------- id


ID_RULE = "(printable ASCII without spaces)"


@case
def id_lengths():
    one("id of 1 byte", ev(id="a"), 0, accepted1())
    one("id of 128 bytes", ev(id="a" * 128), 0, accepted1())
    one("id of 0 bytes", ev(id=""), 0, rejected1("", "id: must be 1 to 128 bytes long (it is 0)"))
    one("id of 129 bytes", ev(id="a" * 129), 0,
        rejected1("a" * 129, "id: must be 1 to 128 bytes long (it is 129)"))


@case
def id_characters():
    printable = "".join(chr(c) for c in range(0x21, 0x7F))
    one("id of every printable ASCII character", ev(id=printable), 0, accepted1())
    one("id with a space", ev(id="a b"), 0,
        rejected1("a b", f"id: ' ' at position 2 is not allowed {ID_RULE}"))
    one("id with a tab", ev(id="a\tb"), 0,
        rejected1("a\tb", f"id: byte 0x09 at position 2 is not allowed {ID_RULE}"))
    one("id with DEL", ev(id="a\x7f"), 0,
        rejected1("a\x7f", f"id: byte 0x7f at position 2 is not allowed {ID_RULE}"))
    one("id with a non-ASCII letter", ev(id="a\u00e9"), 0,
        rejected1("a\u00e9", f"id: byte 0xc3 at position 2 is not allowed {ID_RULE}"))
    one("id with a no-break space", ev(id="a\u00a0"), 0,
        rejected1("a\u00a0", f"id: byte 0xc2 at position 2 is not allowed {ID_RULE}"))


@case
def id_with_nul_is_echoed():
    # events.md: "`id` is `null` when the event has none (or it is not a string)" — "a\u0000b"
    # is a string, so the report names it.
    one("id with an escaped NUL", ev(id="a\x00b"), 0,
        rejected1("a\x00b", f"id: byte 0x00 at position 2 is not allowed {ID_RULE}"))


@case
def id_types():
    one("id a number", ev(id=5), 0, rejected1(None, "id: must be a string"))
    one("id null", ev(id=None), 0, rejected1(None, "id: must be a string"))
    one("id missing", ev(id=...), 0, rejected1(None, "id: required field is missing"))
    d = fresh()
    raw = b'{"id":"a\xffb","customer":"acme","type":"t.x","time":"2026-01-05T00:00:00Z"}\n'
    expect("id invalid UTF-8", ingest(d, None, raw=raw), 0,
           rejected1(None, "id: invalid UTF-8"), "")


# ---------------------------------------------------------------- customer and type

NAME_RULE = "(only A-Z a-z 0-9 . _ : -)"


@case
def customer_and_type_rules():
    for field in ("customer", "type"):
        def acc(v):
            return accepted1(v if field == "customer" else "acme")

        one(f"{field} of 1 byte", ev(**{field: "a"}), 0, acc("a"))
        one(f"{field} of 128 bytes", ev(**{field: "b" * 128}), 0, acc("b" * 128))
        one(f"{field} of every allowed character class",
            ev(**{field: "AZaz09._:-"}), 0, acc("AZaz09._:-"))
        one(f"{field} of 0 bytes", ev(**{field: ""}), 0,
            rejected1("e1", f"{field}: must be 1 to 128 bytes long (it is 0)"))
        one(f"{field} of 129 bytes", ev(**{field: "b" * 129}), 0,
            rejected1("e1", f"{field}: must be 1 to 128 bytes long (it is 129)"))
        for bad, shown in (("a/b", "'/'"), ("a b", "' '"), ("a@b", "'@'"), ("a+b", "'+'"),
                           ("a~", "'~'")):
            pos = bad.index(shown[1]) + 1
            one(f"{field} {bad!r}", ev(**{field: bad}), 0,
                rejected1("e1", f"{field}: {shown} at position {pos} is not allowed {NAME_RULE}"))
        one(f"{field} non-ASCII", ev(**{field: "\u00e9"}), 0,
            rejected1("e1", f"{field}: byte 0xc3 at position 1 is not allowed {NAME_RULE}"))
        one(f"{field} with a newline", ev(**{field: "a\nb"}), 0,
            rejected1("e1", f"{field}: byte 0x0a at position 2 is not allowed {NAME_RULE}"))
        one(f"{field} a number", ev(**{field: 1}), 0,
            rejected1("e1", f"{field}: must be a string"))
        one(f"{field} missing", ev(**{field: ...}), 0,
            rejected1("e1", f"{field}: required field is missing"))


# ---------------------------------------------------------------- time


@case
def time_accepted_forms():
    for t in ("2026-01-05T00:00:00Z", "2026-01-05T08:00:00+08:00", "2026-01-04T14:30:00-09:30",
              "2026-01-05T00:00:00+00:00", "2026-01-05T00:00:00.1Z",
              "2026-01-05T00:00:00.123456Z", "2024-02-29T12:00:00Z", "0001-01-01T00:00:00Z",
              "2026-01-05T23:59:59.999999+08:00"):
        one(f"time {t}", ev(time=t), 0, accepted1())
    for n in ("1767571200", "0", "-1", "-0"):
        one(f"time {n} (Unix seconds)",
            '{"id":"e1","customer":"acme","type":"t.x","time":%s}' % n, 0, accepted1())


@case
def time_rejected_forms():
    cases = [
        ("2026-01-05T00:00:00.1234567Z", "time: more than 6 fractional digits (microseconds at most)"),
        ("2026-01-05T00:00:00.Z", "time: a '.' must be followed by 1 to 6 fractional digits"),
        ("2026-01-05t00:00:00Z", "time: lower-case 't' is not allowed: separate date and time with 'T'"),
        ("2026-01-05T00:00:00z", "time: lower-case 'z' is not allowed: use 'Z'"),
        ("2026-01-05T00:00:00-00:00", "time: -00:00 (unknown offset) is not allowed: use 'Z' or +00:00"),
        ("2026-01-05T23:59:60Z", "time: second 60 is out of range (00-59; leap seconds are not allowed)"),
        ("2025-02-29T00:00:00Z", "time: day 29 does not exist in 2025-02"),
        ("2026-04-31T00:00:00Z", "time: day 31 does not exist in 2026-04"),
        ("2026-13-01T00:00:00Z", "time: month 13 does not exist (months are 01-12)"),
        ("2026-01-05T24:00:00Z", "time: hour 24 is out of range (00-23)"),
        ("2026-01-05T00:60:00Z", "time: minute 60 is out of range (00-59)"),
        ("2026-01-05T00:00:00+24:00", "time: offset hour 24 is out of range (00-23)"),
        ("2026-01-05T00:00:00+08:60", "time: offset minute 60 is out of range (00-59)"),
        ("2026-01-05T00:00:00", "time: not an RFC 3339 timestamp: the time zone ('Z' or +HH:MM / -HH:MM) is missing"),
        ("2026-01-05 00:00:00Z", "time: a space is not allowed: separate date and time with 'T'"),
        ("2026-01-05T00:00:00+0800", "time: not an RFC 3339 timestamp"),
        ("1767571200", "time: not an RFC 3339 timestamp"),
        (" 2026-01-05T00:00:00Z", "time: not an RFC 3339 timestamp"),
    ]
    for t, err in cases:
        one(f"time {t!r}", ev(time=t), 0, rejected1("e1", err))
    for raw in ("1767571200.0", "1.7675712e9", "1767571200E0", "1e9"):
        one(f"time {raw} (not an integer)",
            '{"id":"e1","customer":"acme","type":"t.x","time":%s}' % raw, 0,
            rejected1("e1", "time: Unix seconds must be an integer (no fraction or exponent)"))
    one("time Unix seconds beyond year 9999",
        '{"id":"e1","customer":"acme","type":"t.x","time":99999999999999999999}', 0,
        rejected1("e1", "time: Unix time 99999999999999999999 is outside the years 0000-9999"))
    for v in (True, None, {"t": 1}):
        one(f"time {v!r}", ev(time=v), 0, rejected1(
            "e1", "time: must be an RFC 3339 timestamp string or an integer of Unix seconds"))
    one("time missing", ev(time=...), 0, rejected1("e1", "time: required field is missing"))


# ---------------------------------------------------------------- properties, fields, keys


@case
def properties_must_be_an_object():
    for v in ([1], None, "x", 5, True):
        one(f"properties {v!r}", ev(properties=v), 0,
            rejected1("e1", "properties: must be an object"))
    one("properties {}", ev(properties={}), 0, accepted1())
    one("properties with any JSON values",
        ev(properties={"s": "x", "n": -2.5e-3, "b": False, "z": None, "a": [1, {"k": []}],
                       "o": {"p": {"q": "r"}}, "a.b": 1, "": 2}), 0, accepted1())


@case
def unknown_top_level_field():
    one("unknown field source", ev(source="crm"), 0, rejected1("e1", "source: unknown field"))
    one("Properties (wrong case)", ev(Properties={}), 0,
        rejected1("e1", "Properties: unknown field"))
    one("received (not a field of an event)", ev(received=NOW), 0,
        rejected1("e1", "received: unknown field"))


@case
def repeated_keys():
    base = ev()[:-1]  # without the closing brace; 71 characters
    one("repeated top-level id", base + ',"id":"e1"}', 0,
        rejected1("e1", 'column 73: repeated key "id"'))
    one("repeated top-level type", base + ',"type":"t.y"}', 0,
        rejected1("e1", 'column 73: repeated key "type"'))
    one("repeated nested key", base + ',"properties":{"a":{"b":1,"b":2}}}', 0,
        rejected1("e1", 'properties.a: repeated key "b"'))
    one("repeated key with the same value", base + ',"properties":{"a":1,"a":1}}', 0,
        rejected1("e1", 'properties: repeated key "a"'))
    one("repeated key inside an array", base + ',"properties":{"a":[{"b":1,"b":1}]}}', 0,
        rejected1("e1", 'properties.a[0]: repeated key "b"'))
    one("repeated key, one escaped", base + ',"properties":{"a":1,"\\u0061":2}}', 0,
        rejected1("e1", 'properties: repeated key "a"'))


def nested_objects(n):
    s = "1"
    for _ in range(n):
        s = '{"a":' + s + "}"
    return s


@case
def nesting_depth():
    # The event object is level 1 and properties level 2.
    one("depth 16 (objects)", ev()[:-1] + ',"properties":' + nested_objects(15) + "}", 0,
        accepted1())
    one("depth 17 (objects)", ev()[:-1] + ',"properties":' + nested_objects(16) + "}", 0,
        rejected1("e1", "properties" + ".a" * 15 + ": nesting deeper than 16"))
    one("depth 16 (arrays)", ev()[:-1] + ',"properties":{"a":' + "[" * 14 + "1" + "]" * 14 + "}}",
        0, accepted1())
    one("depth 17 (arrays)", ev()[:-1] + ',"properties":{"a":' + "[" * 15 + "1" + "]" * 15 + "}}",
        0, rejected1("e1", "properties.a" + "[0]" * 14 + ": nesting deeper than 16"))


@case
def event_size_limit():
    template = ev(properties={"s": "@"})
    fixed = len(template) - 1
    for size, terminator in ((65536, "\n"), (65536, "\r\n"), (65536, ""),
                             (65537, "\n"), (65537, "\r\n"), (65537, "")):
        line = template.replace("@", "a" * (size - fixed))
        assert len(line) == size
        want = accepted1() if size <= 65536 else rejected1("e1", "event longer than 65536 bytes")
        d = fresh()
        expect(f"event of {size} bytes + {terminator!r}",
               ingest(d, None, raw=(line + terminator).encode()), 0, want, "")
    # A line far beyond the limit, its id after the long part (not read: null), then a good
    # line; the same line with its id first (reported).
    d = fresh()
    big = '{"properties":{"s":"' + "a" * (1 << 20) + '"},' + ev(id="big")[1:]
    expect("a 1 MiB line, id last", ingest(d, [big, ev(id="after")]), 0,
           report(1, 0, [(1, None, "event longer than 65536 bytes")], [], (1, ["acme"])), "")
    # The id counts only within the first 65,537 bytes, however much of the line was read.
    d = fresh()
    late = '{"properties":{"s":"' + "a" * 66000 + '"},' + ev(id="late")[1:]
    expect("a 66 KB line, id after its first 65,537 bytes", ingest(d, [late]), 0,
           report(0, 0, [(1, None, "event longer than 65536 bytes")], [], (0, [])), "")
    d = fresh()
    early = '{"properties":{"s":"' + "a" * 65450 + '"},' + ev(id="early")[1:]
    expect("a 65,547-byte line, id within its first 65,537 bytes", ingest(d, [early]), 0,
           report(0, 0, [(1, "early", "event longer than 65536 bytes")], [], (0, [])), "")
    d = fresh()
    big = ev(id="big")[:-1] + ',"properties":{"s":"' + "a" * (1 << 20) + '"}}'
    expect("a 1 MiB line, id first", ingest(d, [ev(id="before"), big, ev(id="after")]), 0,
           report(2, 0, [(2, "big", "event longer than 65536 bytes")], [], (2, ["acme"])), "")


# ---------------------------------------------------------------- numbers


@case
def number_length_limit():
    ok = ["1e127", "1E127", "1e+127", "-1e126", "0." + "1" * 126, "-0." + "1" * 125, "1e-126",
          "1" * 128, "10e126", "1.0e126", "0e-126", "0e999999999", "-0", "100e-2"]
    bad = ["1e128", "-1e127", "0." + "1" * 127, "-0." + "1" * 126, "1e-127", "1" * 129,
           "0e-127", "1.5e-126", "1e99999999", "1e-99999999"]
    for n in ok:
        one(f"number {n[:20]}... ({len(n)} chars)", ev()[:-1] + ',"properties":{"x":%s}}' % n,
            0, accepted1())
    for n in bad:
        one(f"number {n[:20]}... ({len(n)} chars)", ev()[:-1] + ',"properties":{"x":%s}}' % n,
            0, rejected1("e1", "properties.x: number out of range"))
    one("number out of range in an array", ev()[:-1] + ',"properties":{"x":[1,1e128]}}', 0,
        rejected1("e1", "properties.x[1]: number out of range"))
    one("number out of range in an object", ev()[:-1] + ',"properties":{"x":{"y":1e128}}}', 0,
        rejected1("e1", "properties.x.y: number out of range"))


def with_value(v, id_="e1"):
    return ev(id=id_)[:-1] + ',"properties":{"v":%s}}' % v


@case
def numbers_kept_exactly():
    pairs_dup = [
        ("12345678901234567890123456789.5", "1.23456789012345678901234567895e28"),
        ("1e100", "1" + "0" * 100),
        ("0.1", "1e-1"),
        ("-0", "0"),
        ("1e126", "10e125"),
    ]
    pairs_conflict = [
        ("12345678901234567890123456789.5", "12345678901234567890123456789.6"),
        ("123456789012345678901234567890123", "123456789012345678901234567890124"),
        ("0.1", "0.1000000000000000000000000000000000000001"),
        ("9007199254740993", "9007199254740992"),
    ]
    for a, b in pairs_dup:
        d = fresh()
        expect(f"store {a[:24]}", ingest(d, [with_value(a)]), 0, accepted1(), "")
        expect(f"{b[:24]} is the same number as {a[:24]}", ingest(d, [with_value(b)]), 0,
               DUP, "")
    for a, b in pairs_conflict:
        d = fresh()
        expect(f"store {a[:24]}", ingest(d, [with_value(a)]), 0, accepted1(), "")
        expect(f"{b[:24]} differs from {a[:24]}", ingest(d, [with_value(b)]), 0, conflict1(), "")


# ---------------------------------------------------------------- idempotency

ORIG_PROPS = '{"a":1000,"b":"A","c":{"x":62,"y":[1,2]}}'


def full(time=T0, props=ORIG_PROPS, type_="t.x", id_="e1", customer="acme"):
    return ('{"id":"%s","customer":"%s","type":"%s","time":"%s","properties":%s}'
            % (id_, customer, type_, time, props))


@case
def duplicates_in_other_notations():
    variants = {
        "the same line": full(),
        "1e3 for 1000": full(props='{"a":1e3,"b":"A","c":{"x":62,"y":[1,2]}}'),
        "62.0 and 1000.000": full(props='{"a":1000.000,"b":"A","c":{"x":62.0,"y":[1,2]}}'),
        "reordered keys": '{"properties":{"c":{"y":[1,2],"x":62},"b":"A","a":1000},'
                          '"time":"2026-01-05T00:00:00Z","type":"t.x","customer":"acme","id":"e1"}',
        "+08:00 for the same instant": full(time="2026-01-05T08:00:00+08:00"),
        "-09:30 for the same instant": full(time="2026-01-04T14:30:00-09:30"),
        ".000000 fraction": full(time="2026-01-05T00:00:00.000000Z"),
        "Unix seconds": '{"id":"e1","customer":"acme","type":"t.x","time":1767571200,'
                        '"properties":' + ORIG_PROPS + "}",
        "\\u0041 for A": full(props='{"a":1000,"b":"\\u0041","c":{"x":62,"y":[1,2]}}'),
        "escaped key": full(props='{"\\u0061":1000,"b":"A","c":{"x":62,"y":[1,2]}}'),
        "escaped id": full(id_="\\u00651"),
        "whitespace": ' { "id" : "e1" , "customer":"acme","type":"t.x","time":"2026-01-05T00:00:00Z",'
                      '"properties":{ "a" : 1000 , "b":"A","c":{"x":62,"y":[ 1 , 2 ]}}}  ',
    }
    for name, line in variants.items():
        d = fresh()
        expect("store the original", ingest(d, [full()]), 0, accepted1(), "")
        expect(f"duplicate: {name}", ingest(d, [line], "2026-01-10T00:00:01Z"), 0, DUP, "")
    d = fresh()
    expect("store without properties", ingest(d, [ev()]), 0, accepted1(), "")
    expect("properties {} is the default", ingest(d, [ev(properties={})]), 0, DUP, "")


@case
def conflicts_keep_the_stored_event():
    variants = {
        "another value": full(props='{"a":1001,"b":"A","c":{"x":62,"y":[1,2]}}'),
        "array order": full(props='{"a":1000,"b":"A","c":{"x":62,"y":[2,1]}}'),
        "1 microsecond later": full(time="2026-01-05T00:00:00.000001Z"),
        "another type": full(type_="t.y"),
        "a missing property": full(props='{"a":1000,"b":"A","c":{"x":62}}'),
        "a string for a number": full(props='{"a":"1000","b":"A","c":{"x":62,"y":[1,2]}}'),
        "an extra null": full(props='{"a":1000,"b":"A","c":{"x":62,"y":[1,2]},"d":null}'),
    }
    for name, line in variants.items():
        d = fresh()
        expect("store the original", ingest(d, [full()]), 0, accepted1(), "")
        expect(f"conflict: {name}", ingest(d, [line]), 0, conflict1(), "")
        expect(f"after the conflict ({name}) the original is still a duplicate",
               ingest(d, [full()]), 0, DUP, "")
        expect(f"the conflicting event ({name}) still conflicts", ingest(d, [line]), 0,
               conflict1(), "")


@case
def ids_are_per_customer():
    d = fresh()
    expect("the same id for two customers in one file",
           ingest(d, [full(), full(customer="beta")]), 0,
           report(2, 0, [], [], (2, ["acme", "beta"])), "")
    expect("each is a duplicate of its own", ingest(d, [full(customer="beta"), full()]), 0,
           report(duplicates=2), "")


@case
def duplicates_and_conflicts_inside_one_file():
    d = fresh()
    expect("dup, conflict, dup in one file",
           ingest(d, [with_value("1"), with_value("1e0"), with_value("2"), with_value("1.0")]),
           0, report(1, 2, [], [(3, "e1", CONFLICT_TEXT)], (1, ["acme"])), "")
    d = fresh()
    expect("in-file conflict against a line of the same batch (--batch 1)",
           ingest(d, [with_value("2"), with_value("1"), with_value("2")], NOW, "--batch", "1"),
           0, report(1, 1, [], [(2, "e1", CONFLICT_TEXT)], (1, ["acme"])), "")
    d = fresh()
    expect("a rejected line does not claim its id",
           ingest(d, [ev(time="bad"), ev()]), 0,
           report(1, 0, [(1, "e1", "time: not an RFC 3339 timestamp")], [], (1, ["acme"])), "")


@case
def duplicates_and_conflicts_in_the_older_index():
    # The index has a recent part and an older one, which the next writer fills once the
    # recent part holds 2^19 ids (docs/internals/store.md); lookups in the older part run in
    # the parallel stage of ingest. Store the original and the fillers, let a writer move
    # them into the older part, and check every notation against it.
    d = fresh()
    fillers = 1 << 19
    lines = [full()] + [ev(id=f"f{i}") for i in range(fillers)]
    expect("original and fillers", ingest(d, lines), 0,
           report(fillers + 1, 0, [], [], (fillers + 1, ["acme"])), "")
    hot = os.path.join(d, "tenants", "t-default", "state", "ids-hot.tbl")

    def hot_count():
        # The table's header (src/store/idtable.c): magic, capacity, count as u64 at 0, 8, 16.
        with open(hot, "rb") as f:
            return int.from_bytes(f.read(24)[16:24], "little")
    if hot_count() != fillers + 1:
        fail(f"ids-hot.tbl holds {hot_count()} ids before the move, not {fillers + 1}")
    expect("the next writer moves them into the older part", ingest(d, []), 0, report(), "")
    if hot_count() != 0:
        fail(f"ids-hot.tbl holds {hot_count()} ids: the ids were not moved")
        return
    dups = [full(),
            full(props='{"a":1e3,"b":"A","c":{"x":62,"y":[1,2]}}'),
            full(time="2026-01-05T08:00:00+08:00"),
            '{"properties":{"c":{"y":[1,2],"x":62},"b":"A","a":1000},'
            '"time":"2026-01-05T00:00:00Z","type":"t.x","customer":"acme","id":"e1"}',
            ev(id="f7"), ev(id=f"f{fillers - 1}")]
    conflicts = [full(props='{"a":1001,"b":"A","c":{"x":62,"y":[1,2]}}'),
                 full(type_="t.y"), ev(id="f9", time="2026-01-05T00:00:01Z")]
    expect("duplicates and conflicts found in the older part",
           ingest(d, dups + conflicts + [ev(id="new")], "2026-01-10T00:00:01Z"), 0,
           report(1, len(dups), [],
                  [(len(dups) + 1, "e1", CONFLICT_TEXT), (len(dups) + 2, "e1", CONFLICT_TEXT),
                   (len(dups) + 3, "f9", CONFLICT_TEXT)], (1, ["acme"])), "")
    expect("the same again: the new id is now found in the recent part",
           ingest(d, [ev(id="new"), full()], "2026-01-10T00:00:02Z"), 0,
           report(duplicates=2), "")


# ---------------------------------------------------------------- received time


def at(i, t):
    return ev(id=f"e{i}", time=t)


@case
def twenty_four_hour_rule():
    err = "time: more than 24 hours after the received time (received 2026-01-10T00:00:00Z)"
    d = fresh()
    lines = [at(1, "2026-01-11T00:00:00Z"), at(2, "2026-01-11T00:00:00.000001Z"),
             at(3, "2026-01-11T08:00:00+08:00"), at(4, "2026-01-11T08:00:00.000001+08:00"),
             at(5, "2026-01-10T23:59:59.999999Z"),
             '{"id":"e6","customer":"acme","type":"t.x","time":1768089600}',
             '{"id":"e7","customer":"acme","type":"t.x","time":1768089601}',
             at(8, "9999-12-31T23:59:59Z"), at(9, "1970-01-01T00:00:00Z")]
    expect("exactly 24 h accepted, 24 h + 1 us rejected", ingest(d, lines), 0,
           report(5, 0, [(2, "e2", err), (4, "e4", err), (7, "e7", err), (8, "e8", err)], [],
                  (5, ["acme"])), "")
    d = fresh()
    expect("--now with an offset", ingest(d, [at(1, "2026-01-11T00:00:00Z"),
                                              at(2, "2026-01-11T00:00:00.000001Z")],
                                          "2026-01-10T08:00:00+08:00"), 0,
           report(1, 0, [(2, "e2", err)], [], (1, ["acme"])), "")
    d = fresh()
    expect("--now with a fraction", ingest(d, [at(1, "2026-01-11T00:00:00.5Z"),
                                               at(2, "2026-01-11T00:00:00.500001Z")],
                                           "2026-01-10T00:00:00.5Z"), 0,
           report(1, 0, [(2, "e2", "time: more than 24 hours after the received time "
                                   "(received 2026-01-10T00:00:00.500000Z)")], [],
                  (1, ["acme"])), "")


# ---------------------------------------------------------------- NDJSON lines


@case
def blank_lines_count():
    d = fresh()
    raw = (ev(id="e1") + "\n\n" + ev(id="e2") + "\n   \n{bad\n\t\n" + ev(id="e3") + "\n\n").encode()
    expect("blank and whitespace-only lines are skipped but counted", ingest(d, None, raw=raw),
           0, report(3, 0, [(5, None, "column 2: expected a string key or '}'")], [],
                     (3, ["acme"])), "")
    d = fresh()
    expect("an empty file", ingest(d, None, raw=b""), 0, report(), "")
    d = fresh()
    expect("only newlines", ingest(d, None, raw=b"\n\r\n\n"), 0, report(), "")


@case
def crlf_and_last_line():
    d = fresh()
    raw = (ev(id="e1") + "\r\n\r\n" + ev(id="e2") + "\r\n{bad\r\n" + ev(id="e3")).encode()
    expect("CRLF lines, last line without newline", ingest(d, None, raw=raw), 0,
           report(3, 0, [(4, None, "column 2: expected a string key or '}'")], [],
                  (3, ["acme"])), "")
    d = fresh()
    expect("a last invalid line without newline",
           ingest(d, None, raw=(ev() + "\nx").encode()), 0,
           report(1, 0, [(2, None, "column 1: expected a value")], [], (1, ["acme"])), "")
    d = fresh()
    # CR is JSON whitespace: the trailing character is the '{' after it, at column 74.
    expect("a lone CR is not a line break",
           ingest(d, None, raw=(ev(id="e1") + "\r" + ev(id="e2") + "\n").encode()), 0,
           rejected1("e1", "column 74: trailing characters after the JSON value"), "")


@case
def malformed_lines():
    cases = [
        ("[1]", None, "an event must be a JSON object"),
        ("hello", None, "column 1: expected a value"),
        ("  hello", None, "column 3: expected a value"),
        ('{"id":"e1" x}', "e1", "column 12: expected ',' or '}'"),
        ('{"a":1,}', None, "column 8: expected a string key"),
        (ev() + " x", "e1", "column 74: trailing characters after the JSON value"),
        (ev() + "{}", "e1", "column 73: trailing characters after the JSON value"),
    ]
    for line, id_, err in cases:
        one(f"malformed {line[:30]!r}", line, 0, rejected1(id_, err))
    d = fresh()
    expect("a BOM", ingest(d, None, raw=("\ufeff" + ev() + "\n").encode()), 0,
           rejected1(None, "column 1: expected a value"), "")


@case
def stdin_dash():
    d = fresh()
    expect("ingest - reads stdin",
           run(d, "ingest", "-", "--now", NOW, stdin=lines_bytes([ev(), ev(id="e2")])), 0,
           report(2, 0, [], [], (2, ["acme"])), "")
    expect("stdin again: duplicates",
           run(d, "ingest", "-", "--now", NOW, stdin=lines_bytes([ev()])), 0, DUP, "")


@case
def missing_file_and_uninitialised():
    d = fresh()
    missing = os.path.join(WORK.name, "no-such-file.ndjson")
    expect("a missing FILE", run(d, "ingest", missing, "--now", NOW), 2, "",
           f"{missing}: cannot open: No such file or directory\n")
    nodir = os.path.join(WORK.name, "never-initialised")
    expect("an uninitialised directory",
           run(nodir, "ingest", "-", "--now", NOW, stdin=lines_bytes([ev()])), 2, "",
           f"{nodir}: not a raas data directory (create one with: raas init {nodir})\n")
    empty = os.path.join(WORK.name, "empty-dir")
    os.mkdir(empty)
    expect("an empty, uninitialised directory",
           run(empty, "ingest", "-", "--now", NOW, stdin=lines_bytes([ev()])), 2, "",
           f"{empty}: not a raas data directory (create one with: raas init {empty})\n")
    expect("missing FILE argument", run(d, "ingest", "--now", NOW), 1, "",
           "missing argument (usage: raas ingest FILE|-; see raas help ingest)\n")
    expect("a bad --now", run(d, "ingest", "-", "--now", "2026-01-10", stdin=b""), 2, "",
           "--now: not an RFC 3339 timestamp: the time (THH:MM:SS and a zone) is missing\n")


@case
def directory_as_file_names_the_path():
    # cli.md: a FILE that cannot be opened is exit 2 and "the message says what and where";
    # `raas contract apply DIR` words it so.
    d = fresh()
    expect("a directory as FILE", run(d, "ingest", WORK.name, "--now", NOW), 2, "",
           f"{WORK.name}: cannot read: Is a directory\n")


# ---------------------------------------------------------------- unmatched


def apply(data, doc, now="2026-01-01T00:00:00Z"):
    return S.apply(data, doc, now)


def contract(id_, customer, results, **extra):
    doc = {"id": id_, "customer": customer, "currency": "USD", "period": "month",
           "start": "2026-01-01", "results": results}
    doc.update(extra)
    return doc


UNIT = {"model": "unit", "amount": "1"}
C_ACME = contract("c1", "acme", [
    {"name": "r1", "on": "t.on", "entity": "k", "reversed_by": {"on": "t.rev"}, "price": UNIT},
    {"name": "r2", "on": "t.on2", "entity": "k", "requires": {"on": "t.req", "within": "7d"},
     "price": UNIT}])
C_BETA = contract("c2", "beta", [{"name": "r1", "on": "t.beta", "price": UNIT}])


def typed(id_, customer, type_):
    return ev(id=id_, customer=customer, type=type_)


@case
def unmatched_events():
    d = fresh()
    expect("apply c1", apply(d, C_ACME), 0, '{"id":"c1","version":1}\n', "")
    expect("apply c2", apply(d, C_BETA), 0, '{"id":"c2","version":1}\n', "")
    lines = [typed("1", "acme", "t.on"), typed("2", "acme", "t.rev"), typed("3", "acme", "t.req"),
             typed("4", "acme", "t.on2"), typed("5", "acme", "t.beta"),
             typed("6", "beta", "t.on"), typed("7", "beta", "t.beta"),
             typed("8", "zed", "t.on"), typed("9", "Zed", "t.on"), typed("10", "_x", "t.on"),
             typed("11", "-x", "t.on"), typed("12", "acme", "T.ON"), typed("13", "acme", "t.o"),
             typed("1", "acme", "t.on"), typed("8", "zed", "t.on")]
    # Unmatched: 5 (type of another customer's contract), 6, 8-11 (no contract), 12, 13.
    expect("on, reversed_by.on and requires.on match; customers byte-sorted",
           ingest(d, lines), 0,
           report(13, 2, [], [], (8, ["-x", "Zed", "_x", "acme", "beta", "zed"])), "")
    expect("duplicates are not counted as unmatched", ingest(d, lines), 0,
           report(duplicates=15), "")


@case
def unmatched_across_versions_and_contracts():
    d = fresh()
    expect("apply c1 v1", apply(d, C_ACME), 0, '{"id":"c1","version":1}\n', "")
    v2 = json.loads(json.dumps(C_ACME))
    v2["results"][0]["price"] = {"model": "unit", "amount": "2"}
    expect("apply c1 v2", apply(d, v2, "2026-03-15T00:00:00Z"), 0,
           '{"id":"c1","version":2}\n', "")
    expect("a second contract of acme", apply(d, contract("c3", "acme", [
        {"name": "s", "on": "t.other", "price": UNIT}]), "2026-03-15T00:00:00Z"), 0,
        '{"id":"c3","version":1}\n', "")
    expect("types of every version and every contract of the customer match",
           ingest(d, [typed("1", "acme", "t.on"), typed("2", "acme", "t.rev"),
                      typed("3", "acme", "t.req"), typed("4", "acme", "t.other"),
                      typed("5", "acme", "t.none")], "2026-03-16T00:00:00Z"), 0,
           report(5, 0, [], [], (1, ["acme"])), "")
    d = fresh()
    expect("events before any contract are unmatched",
           ingest(d, [typed("1", "acme", "t.on")]), 0, report(1, 0, [], [], (1, ["acme"])), "")
    expect("apply c1 later", apply(d, C_ACME, NOW), 0, '{"id":"c1","version":1}\n', "")
    expect("new events of that type are matched now",
           ingest(d, [typed("2", "acme", "t.on")]), 0, report(accepted=1), "")
    d = fresh()
    bad = dict(C_ACME, foo=1)
    expect("an invalid contract is not stored", apply(d, bad), 2, "", "foo: unknown field\n")
    expect("so its types do not match", ingest(d, [typed("1", "acme", "t.on")]), 0,
           report(1, 0, [], [], (1, ["acme"])), "")


# ---------------------------------------------------------------- --atomic

ATOMIC_MSG = "--atomic: nothing stored (the batch has rejected or conflicting events)\n"


@case
def atomic_batches():
    d = fresh()
    expect("store e1", ingest(d, [at(1, T0)], NOW), 0, accepted1(), "")
    bad = '{"id":"bad","customer":"acme","type":"t.x","time":"x"}'
    expect("atomic with one bad line",
           ingest(d, [at(1, T0), at(2, T0), bad, at(3, T0), at(1, T0)], "2026-01-12T00:00:00Z",
                  "--atomic"), 2,
           report(0, 2, [(3, "bad", "time: not an RFC 3339 timestamp")]), ATOMIC_MSG)
    expect("atomic with a conflict",
           ingest(d, [at(2, T0), at(1, "2026-01-05T00:00:01Z")], "2026-01-12T00:00:00Z",
                  "--atomic"), 2, report(conflicts=[(2, "e1", CONFLICT_TEXT)]), ATOMIC_MSG)
    expect("atomic with an in-batch duplicate and a bad line",
           ingest(d, [at(4, T0), at(4, T0), "x"], "2026-01-12T00:00:00Z", "--atomic"), 2,
           report(0, 1, [(3, None, "column 1: expected a value")]), ATOMIC_MSG)
    expect("atomic in batches of 1 with a bad last line",
           ingest(d, [at(5, T0), at(6, T0), "x"], "2026-01-12T00:00:00Z", "--atomic",
                  "--batch", "1"), 2,
           report(0, 0, [(3, None, "column 1: expected a value")]), ATOMIC_MSG)
    # Nothing was stored and no clock was recorded: 2026-01-11 is before the failed batches'
    # clock (2026-01-12) but after the last successful one (2026-01-10).
    expect("nothing of the failed batches was stored",
           ingest(d, [at(1, T0), at(2, T0), at(3, T0), at(4, T0), at(5, T0), at(6, T0)],
                  "2026-01-11T00:00:00Z"), 0, report(5, 1, [], [], (5, ["acme"])), "")
    expect("a successful atomic batch",
           ingest(d, [at(7, T0), at(1, T0)], "2026-01-11T00:00:00Z", "--atomic"), 0,
           report(1, 1, [], [], (1, ["acme"])), "")
    expect("an empty atomic batch", ingest(d, [], "2026-01-11T00:00:00Z", "--atomic"), 0,
           report(), "")


@case
def atomic_failure_reports_nothing_unmatched():
    d = fresh()
    expect("unmatched events in a failed atomic batch",
           ingest(d, [typed("1", "nobody", "t.x"), typed("2", "nobody", "t.y"), "{"], NOW,
                  "--atomic"), 2,
           report(rejected=[(3, None, "column 2: expected a string key or '}'")]), ATOMIC_MSG)
    expect("the same batch without --atomic",
           ingest(d, [typed("1", "nobody", "t.x"), typed("2", "nobody", "t.y"), "{"], NOW), 0,
           report(2, 0, [(3, None, "column 2: expected a string key or '}'")], [],
                  (2, ["nobody"])), "")


# ---------------------------------------------------------------- the clock


def clock_msg(given, recorded):
    return (f"--now: {given} is before the data directory's clock {recorded} "
            f"(a data directory's clock never goes backwards)\n")


@case
def clock_never_goes_backwards():
    d = fresh()
    expect("ingest at 2026-01-10", ingest(d, [at(1, T0)], NOW), 0, accepted1(), "")
    expect("an earlier --now", ingest(d, [at(2, T0)], "2026-01-09T23:59:59.999999Z"), 2, "",
           clock_msg("2026-01-09T23:59:59.999999Z", NOW))
    expect("an earlier --now with an offset",
           ingest(d, [at(2, T0)], "2026-01-10T07:59:59+08:00"), 2, "",
           clock_msg("2026-01-09T23:59:59Z", NOW))
    expect("the rejected command stored nothing; the same clock is fine",
           ingest(d, [at(2, T0)], "2026-01-10T08:00:00+08:00"), 0, accepted1(), "")
    expect("a duplicate-only ingest later", ingest(d, [at(1, T0)], "2026-02-01T00:00:00Z"), 0,
           DUP, "")
    expect("it recorded its clock", ingest(d, [at(3, T0)], "2026-01-20T00:00:00Z"), 2, "",
           clock_msg("2026-01-20T00:00:00Z", "2026-02-01T00:00:00Z"))
    missing = os.path.join(WORK.name, "missing.ndjson")
    expect("a failed command (missing FILE) at a later clock",
           run(d, "ingest", missing, "--now", "2026-03-01T00:00:00Z"), 2, "",
           f"{missing}: cannot open: No such file or directory\n")
    expect("records no clock", ingest(d, [at(3, T0)], "2026-02-15T00:00:00Z"), 0, accepted1(),
           "")


@case
def clock_of_a_first_ingest_that_stores_nothing():
    # cli.md: ingest is a writing command and records its clock unless it fails; a report
    # with exit 0 is a success even when every line was rejected (or the file is empty).
    for name, lines in (("every line rejected", ["x"]), ("an empty file", [])):
        d = fresh()
        expect(f"first ingest: {name}", ingest(d, lines, "2026-02-01T00:00:00Z"), 0,
               report(rejected=[(1, None, "column 1: expected a value")] if lines else []), "")
        expect(f"after {name}, an earlier clock is rejected",
               ingest(d, [at(1, T0)], "2026-01-20T00:00:00Z"), 2, "",
               clock_msg("2026-01-20T00:00:00Z", "2026-02-01T00:00:00Z"))


if __name__ == "__main__":
    sys.exit(S.main())
