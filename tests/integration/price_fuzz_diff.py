#!/usr/bin/env python3
"""Randomized differential test: `raas price` against price_reference.py.

usage: price_fuzz_diff.py RAAS [N] [SEED]     (N default 3000, SEED default 20260101)

Generates N random prices and quantities (all models and measures, 1-64 tiers, boundary and
boundary +- 1e-12 quantities, zero quantities, halves in the 13th digit, overflow-provoking
magnitudes, ~15 % deliberately malformed prices, a few usage errors), runs `raas price` once
per case and compares the exit code and, for exit 0, the exact stdout. Prints the first 20
mismatches with the full command line, then "price_fuzz_diff: N cases, M mismatches"; exits 1
on any mismatch.
"""

import concurrent.futures
import decimal
import os
import random
import shlex
import subprocess
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import price_reference as ref  # noqa: E402

decimal.getcontext().prec = 2000  # exact arithmetic when building cases
D12 = Decimal("1e-12")


# ---------------------------------------------------------------- JSON text building

class Raw:
    """A JSON number (or any raw JSON token) written exactly as given."""

    def __init__(self, text):
        self.text = text


def dump(v):
    if isinstance(v, Raw):
        return v.text
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ",".join(dump(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(dump(k) + ":" + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, (int, Decimal)):
        return str(v)
    raise TypeError(v)


def plain(d):
    """Decimal -> plain text, no exponent, no trailing fractional zeros."""
    s = "{:f}".format(d)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ---------------------------------------------------------------- random numbers

def rand_digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def rand_exp(rng):
    """A decimal exponent for a magnitude: mostly modest, sometimes 1e-12 .. 1e25."""
    r = rng.random()
    if r < 0.55:
        return rng.randint(-2, 3)
    if r < 0.8:
        return rng.randint(-12, 8)
    return rng.randint(-12, 25)


def rand_amount_str(rng, exp=None, frac=None):
    """An amount string [0-9]+(\\.[0-9]{1,12})? of magnitude ~10^exp."""
    r = rng.random()
    if r < 0.05:
        return "0"
    if r < 0.08:
        return rng.choice(["1", "0.5", "1.00", "0.000000000001", "0.000000000005",
                           "99999999999999999999999999", "99999999999999999999999999.999999999999"])
    if exp is None:
        exp = rand_exp(rng)
    if frac is None:
        frac = rng.randint(0, 12)
    if exp >= 0:
        ip = rng.choice("123456789") + rand_digits(rng, exp)
    else:
        ip = "0"
        frac = max(frac, -exp)
        frac = min(frac, 12)
    if frac:
        fd = list(rand_digits(rng, frac))
        if exp < 0:
            for i in range(-exp - 1):
                fd[i] = "0"
            fd[-exp - 1] = rng.choice("123456789")
        s = ip + "." + "".join(fd)
    else:
        s = ip
    if rng.random() < 0.03:
        s = "00" + s  # leading zeros match the amount syntax
    return s


def rand_pos_dec(rng, exp, frac):
    return Decimal(rand_amount_str(rng, exp, frac)) or Decimal(1)


def bound_json(rng, d, count):
    """up_to / size / free as a JSON number or a decimal string, exact value d."""
    s = plain(d)
    r = rng.random()
    if r < 0.3:
        return s  # decimal string
    if count and r < 0.4 and d != 0:
        # exact-value number forms of an integer: 5.0, 5.00, 5e0, 1e1
        dn = d.normalize()
        t = dn.as_tuple()
        if t.exponent > 0:
            return Raw("".join(map(str, t.digits)) + "e" + str(t.exponent))
        return Raw(s + rng.choice([".0", ".00", "e0", "E+0"]))
    if not count and r < 0.4 and d != 0 and "." in s:
        ip, fp = s.split(".")
        return Raw(((ip + fp).lstrip("0") or "0") + "e-" + str(len(fp)))  # 25e-1
    return Raw(s)


def gen_tiers_bounds(rng, count, n):
    bounds = []
    big = rng.random() < 0.1
    if count:
        cur = Decimal(0)
        step_exp = rng.choice([0, 0, 1, 1, 2, 3, 6]) if not big else rng.randint(10, 24)
        for _ in range(n - 1):
            cur += rng.randint(1, 10 ** step_exp)
            bounds.append(cur)
    else:
        cur = Decimal(0)
        frac = rng.randint(0, 12)
        step_exp = rng.choice([-12, -3, -1, 0, 0, 1, 2, 4]) if not big else rng.randint(10, 24)
        for _ in range(n - 1):
            step = rand_pos_dec(rng, max(step_exp, -frac) if frac else max(step_exp, 0),
                                frac)
            if step <= 0:
                step = D12
            cur += step
            bounds.append(cur)
    return [b for b in bounds if b < ref.LIMIT]


def gen_price(rng):
    """A valid price as a dict (with Raw numbers) plus info for quantities."""
    model = rng.choice(["unit", "graduated", "volume", "package", "percentage",
                        "graduated", "volume"])
    p = {"model": model}
    info = {"model": model, "points": [Decimal(0)]}
    if model == "percentage":
        count = False
        if rng.random() < 0.3:
            p["measure"] = "value"
    else:
        m = rng.choice([None, "count", "value", "value"])
        if m is not None:
            p["measure"] = m
        count = m != "value"
    info["count"] = count
    if model == "unit":
        p["amount"] = rand_amount_str(rng)
    elif model in ("graduated", "volume"):
        r = rng.random()
        n = 1 if r < 0.08 else (64 if r < 0.12 else
                                rng.randint(2, 6) if r < 0.85 else rng.randint(7, 63))
        bounds = gen_tiers_bounds(rng, count, n)
        tiers = []
        common_exp = rand_exp(rng)
        for b in bounds + [None]:
            t = {}
            if rng.random() < 0.1:
                t["amount"] = rand_amount_str(rng, common_exp)
                t["up_to"] = None if b is None else bound_json(rng, b, count)
            else:
                t["up_to"] = None if b is None else bound_json(rng, b, count)
                t["amount"] = rand_amount_str(rng, common_exp)
            if rng.random() < 0.3:
                t["flat"] = rand_amount_str(rng)
            tiers.append(t)
        p["tiers"] = tiers
        info["points"] += bounds
    elif model == "package":
        if count:
            size = Decimal(rng.choice([1, 1, 2, 3, 10, 100, 7, rng.randint(1, 10 ** 6),
                                       rng.randint(1, 10 ** 25)]))
        else:
            size = rand_pos_dec(rng, rng.randint(-12, 4), rng.randint(0, 12))
        p["size"] = bound_json(rng, size, count)
        p["amount"] = rand_amount_str(rng)
        free = Decimal(0)
        if rng.random() < 0.4:
            if count:
                free = Decimal(rng.choice([0, 1, 10, rng.randint(0, 1000)]))
            else:
                free = Decimal(rand_amount_str(rng, rng.randint(-3, 4)))
            p["free"] = bound_json(rng, free, count)
        info["points"] += [free + size * k for k in range(0, 4)]
    else:
        p["rate"] = rand_amount_str(rng, rng.choice([-12, -4, -3, -2, -1, -1, 0, 1, 5, 20]))
        lo = hi = None
        if rng.random() < 0.4:
            lo = rand_amount_str(rng, rng.randint(-3, 3))
            p["min"] = lo
        if rng.random() < 0.4:
            hi = rand_amount_str(rng, rng.randint(-2, 5))
            if lo is not None and Decimal(hi) < Decimal(lo):
                lo, hi = hi, lo
                p["min"] = lo
            p["max"] = hi
        keys = list(p)
        rng.shuffle(keys)
        p = {k: p[k] for k in keys}
    return p, info


def value_text(rng, d):
    """A command-line value with exact value d (occasionally in another exact form)."""
    s = plain(d)
    r = rng.random()
    if r < 0.08 and d != 0:
        neg = s.startswith("-")
        a = s.lstrip("-")
        if "." in a:
            ip, fp = a.split(".")
            m = (ip + fp).lstrip("0") or "0"
            t = m + "e-" + str(len(fp))
        else:
            z = len(a) - len(a.rstrip("0"))
            t = (a.rstrip("0") + "e" + str(z)) if z else (a + "e0")
        return ("-" if neg else "") + t
    if r < 0.10 and not s.startswith("-"):
        return "+" + s
    if r < 0.12 and "." not in s:
        return s + ".000"
    return s


def gen_values(rng, info):
    """Command-line values for measure value / percentage."""
    pts = info["points"]
    n = rng.choice([1, 1, 1, 2, 2, 3, 4, 8])
    r = rng.random()
    if r < 0.55 and info["model"] != "percentage":
        base = rng.choice(pts)
        target = base + rng.choice([0, 0, D12, -D12, Decimal("0.5"), Decimal(1)])
        if rng.random() < 0.1:
            target = -target
    elif r < 0.65:
        target = Decimal(0)
    else:
        target = Decimal(rand_amount_str(rng, rand_exp(rng)))
        if rng.random() < 0.15:
            target = -target
    parts = []
    for _ in range(n - 1):
        x = Decimal(rand_amount_str(rng, rng.randint(-12, 4)))
        if rng.random() < 0.2:
            x = -x
        parts.append(x)
    parts.append(target - sum(parts, Decimal(0)))
    out = []
    for x in parts:
        s = value_text(rng, x)
        rr = rng.random()
        if rr < 0.08:
            # a half (or more/less) in the 13th digit: exercises rounding when read
            if "e" not in s and "E" not in s:
                ip, _, fp = s.partition(".")
                s = ip + "." + fp.ljust(12, "0") + rng.choice(
                    ["5", "5", "4", "6", "50", "49999", "500001"])
        elif rr < 0.1:
            s = rng.choice(["1e25", "-1e25", "9.9999999999999e25", "1e26", "-1e26",
                            "99999999999999999999999999.9999999999995",
                            "99999999999999999999999999.9999999999994",
                            "1e-13", "5e-13", "-5e-13", "0.0000000000005", "1E3", "1e+3",
                            "1e99999", "1e-99999"])
        out.append(s)
    return out


def gen_count(rng, info):
    pts = [p for p in info["points"] if p == p.to_integral_value()]
    r = rng.random()
    if r < 0.6:
        q = rng.choice(pts) + rng.choice([0, 0, 1, -1, 2])
    elif r < 0.7:
        q = Decimal(0)
    elif r < 0.85:
        q = Decimal(rng.randint(0, 10 ** rng.randint(1, 6)))
    else:
        q = Decimal(rng.randint(0, 10 ** rng.randint(7, 27)))
    if q < 0:
        q = Decimal(0)
    s = plain(q)
    if rng.random() < 0.03:
        s = "00" + s
    return s


# ---------------------------------------------------------------- malformed prices

def mutate(rng, p):
    """One random mutation of a valid price dict; returns JSON text."""
    model = p["model"]
    tiers = p.get("tiers")

    def pick_amount_key():
        keys = [k for k in ("amount", "rate", "min", "max") if k in p]
        if tiers and (not keys or rng.random() < 0.7):
            t = rng.choice(tiers)
            return t, rng.choice([k for k in ("amount", "flat") if k in t])
        return p, rng.choice(keys)

    kind = rng.randrange(24)
    if kind == 0:  # amount-like field: wrong type
        o, k = pick_amount_key()
        o[k] = rng.choice([Raw(o[k]) if o[k][0] != "0" or o[k] == "0" else Raw("1"),
                           True, None, [o[k]], {"v": o[k]}, Raw("5")])
    elif kind == 1:  # amount-like field: bad syntax
        o, k = pick_amount_key()
        v = o[k]
        o[k] = rng.choice(["-" + v, "+" + v, "." + v.replace(".", ""), v + ".", v + "e2",
                           "1e2", " " + v, v + " ", "", "abc", v + "x", "0x10", "1,5",
                           v + ("" if "." in v else ".") + "0000000000001",
                           "1." + "1" * 13, "1" + "0" * 26, "-0", "NaN", "Infinity"])
    elif kind == 2:  # 13 fractional digits
        o, k = pick_amount_key()
        o[k] = rng.choice(["0.0000000000001", "1.1234567890123", "0.5000000000000"])
    elif kind == 3:  # missing required field
        req = {"unit": ["model", "amount"], "graduated": ["model", "tiers"],
               "volume": ["model", "tiers"], "package": ["model", "size", "amount"],
               "percentage": ["model", "rate"]}[model]
        del p[rng.choice(req)]
    elif kind == 4:  # unknown top-level field / field of another model
        p[rng.choice(["amont", "tiers", "size", "free", "rate", "min", "max", "amount",
                      "flat", "up_to", "currency", "Model", ""])] = rng.choice(
            ["1", Raw("1"), None, [{"up_to": None, "amount": "1"}]])
        if len(p) > 2 and rng.random() < 0.5:  # not always at the end
            keys = list(p)
            rng.shuffle(keys)
            p = {k: p[k] for k in keys}
    elif kind == 5:  # unknown model / measure
        if rng.random() < 0.5:
            p["model"] = rng.choice(["tiered", "Unit", "UNIT", "", "stairstep", Raw("1"),
                                     None, ["unit"]])
        else:
            p["measure"] = rng.choice(["sum", "Count", "", "values", Raw("1"), None,
                                       True] + (["count"] if model == "percentage" else []))
    elif kind == 6:  # not JSON / not an object
        t = dump(p)
        return rng.choice([t[:-1], t[: rng.randrange(1, len(t))], t + "}", t + " x",
                           "[" + t + "]", '"unit"', "null", "", t.replace('"', "'", 2),
                           t.replace(":", ":NaN,\"z\":", 1),
                           # a repeated key (the first one, written twice)
                           "{" + t[1:t.index(",") + 1] + t[1:] if "," in t else t + "{"])
    elif tiers is None and kind < 16:
        if model == "package":
            count = p.get("measure", "count") == "count"
            k = rng.choice(["size", "free"])
            p[k] = rng.choice([Raw("0"), Raw("-1"), Raw("-10"), "-5", Raw("2.5") if count
                               else Raw("0"), "2.5" if count else "0", True, None, "abc",
                               "1e2", Raw("1e26"), Raw("0.0000000000001"),
                               "0.1234567890123", Raw("1" + "0" * 26), [Raw("1")]]
                              + ([Raw("0")] if k == "size" else []))
        elif model == "percentage":
            p["min"], p["max"] = "5", "1"
        else:
            p["amount"] = Raw("5")
    elif tiers is not None and kind < 16:
        count = p.get("measure", "count") == "count"
        n = len(tiers)
        sub = rng.randrange(10)
        if sub == 0 and n >= 2:  # equal or decreasing up_to
            i = rng.randrange(1, n - 1) if n > 2 else 1
            if i == n - 1:
                tiers[i]["up_to"] = tiers[i - 1]["up_to"]
            else:
                tiers[i]["up_to"] = tiers[i - 1]["up_to"]
        elif sub == 1 and n >= 3:  # swap two bounds
            i = rng.randrange(0, n - 2)
            tiers[i]["up_to"], tiers[i + 1]["up_to"] = tiers[i + 1]["up_to"], tiers[i]["up_to"]
        elif sub == 2:  # last not null
            tiers[-1]["up_to"] = Raw("100000000000000000000000")
        elif sub == 3 and n >= 2:  # null not last
            tiers[rng.randrange(0, n - 1)]["up_to"] = None
        elif sub == 4:  # tiers wrong type / empty / too many
            p["tiers"] = rng.choice([[], {"up_to": None, "amount": "1"}, "tiers", None,
                                     [{"up_to": Raw(str(i + 1)), "amount": "1"}
                                      for i in range(64)] + [{"up_to": None, "amount": "1"}],
                                     ["x"], [None]])
        elif sub == 5:  # missing tier field
            i = rng.randrange(n)
            if i < n - 1 and rng.random() < 0.5:
                del tiers[i]["up_to"]
            else:
                del tiers[i]["amount"]
        elif sub == 6:  # unknown tier field
            tiers[rng.randrange(n)][rng.choice(["flatt", "upto", "size", "", "Amount"])] = "1"
        elif sub == 7 and n >= 2:  # bad up_to value
            i = rng.randrange(n - 1)
            tiers[i]["up_to"] = rng.choice(
                [Raw("0"), Raw("-1"), "0", "-3", True, "ten", "", Raw("1e26"),
                 "1e3", Raw("0.0000000000001"), "1.1234567890123",
                 [Raw("1")], {"n": 1}, Raw("1" + "0" * 26)]
                + ([Raw("2.5"), "2.5", Raw("0.5")] if count else [Raw("-0.5")]))
        elif sub == 8:
            tiers[rng.randrange(n)] = rng.choice(["1", Raw("1"), None, [], True])
        else:
            tiers[rng.randrange(n)]["amount"] = rng.choice([Raw("1"), Raw("2.5"), "-1",
                                                           "1e2", ".5", None])
    else:  # value-syntax corner on a valid price: handled by the caller (bad Qs)
        return None
    return dump(p)


BAD_COUNT_Q = ["2.5", "-1", "1e3", "", "+1", " 1", "1 ", "ten", "0x10", "1.0", "１"]
BAD_VALUE_Q = ["", "x1", ".5", "5.", "1e", "e5", "1.2.3", "1e2.5", " 1", "1 ",
               "NaN", "inf", "0x10", "1,5", "1_000", "+-1", "1e+", "٣", "+", "+.5"]


def gen_case(rng):
    p, info = gen_price(rng)
    r = rng.random()
    count = info["count"]
    if count:
        args = [gen_count(rng, info)]
    else:
        args = gen_values(rng, info)
    if r < 0.15:
        text = mutate(rng, p)
        if text is not None:
            return text, args
        r = 0.16
    text = dump(p)
    if r < 0.19:  # a bad Q
        bad = rng.choice(BAD_COUNT_Q if count else BAD_VALUE_Q)
        if count:
            args = [bad]
        else:
            args[rng.randrange(len(args))] = bad
    elif r < 0.205:  # usage errors
        args = [] if (rng.random() < 0.4 or not count) else args + [rng.choice(["1", "0", "x"])]
    return text, args


# ---------------------------------------------------------------- running

def run_case(raas, text, args):
    cp = subprocess.run([raas, "price", text] + args, stdin=subprocess.DEVNULL,
                        capture_output=True, timeout=30)
    return cp.returncode, cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    raas = argv[1]
    n = int(argv[2]) if len(argv) > 2 else 3000
    seed = int(argv[3]) if len(argv) > 3 else 20260101
    rng = random.Random(seed)
    cases = [gen_case(rng) for _ in range(n)]
    expected = [ref.stdout_for(t, a) for t, a in cases]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        got = list(ex.map(lambda c: run_case(raas, *c), cases))
    mismatches = 0
    stats = {}
    for (text, args), (erc, eout), (grc, gout, gerr) in zip(cases, expected, got):
        stats[erc] = stats.get(erc, 0) + 1
        ok = erc == grc and (erc != 0 or eout == gout)
        if ok:
            continue
        mismatches += 1
        if mismatches <= 20:
            print("MISMATCH: %s" % shlex.join([raas, "price", text] + args))
            print("  expected: exit %d %s" % (erc, (eout or "").strip()))
            print("  actual:   exit %d %s %s" % (grc, gout.strip(),
                                                  gerr.strip().replace("\n", " | ")[:300]))
    print("(expected exit codes: %s)" % ", ".join("%d: %d" % kv for kv in sorted(stats.items())))
    print("price_fuzz_diff: %d cases, %d mismatches" % (n, mismatches))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
