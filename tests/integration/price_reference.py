"""Independent reference implementation of `raas price` (contracts.md "Prices" and
"Arithmetic and rounding", cli.md `raas price`, docs/decisions.md "Pricing").

Written from the spec text only, with Python's decimal module (exact).

    price_amount(price_json_text, args) -> (exit_code, amount_string_or_None)

exit 0 with the formatted amount; exit 2 (invalid price, invalid Q, overflow) or
exit 1 (usage: no Q, or more than one Q with measure "count") with None.
"""

import decimal
import json
import re
from decimal import Decimal, ROUND_HALF_UP, ROUND_CEILING

CTX = decimal.Context(prec=2000, rounding=ROUND_HALF_UP,
                      Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                      traps=[decimal.InvalidOperation, decimal.DivisionByZero])

LIMIT = Decimal(10) ** 26          # magnitude at which anything overflows
QUANTUM = Decimal("1e-12")          # 12 fractional digits

AMOUNT_RE = re.compile(r"[0-9]+(\.[0-9]{1,12})?\Z")                    # contracts.md "Amounts"
VALUE_Q_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")  # decisions.md
COUNT_Q_RE = re.compile(r"[0-9]+\Z")                                   # decisions.md
# A "decimal string" for up_to / size / free: the spec does not give its syntax; read it like
# a command-line value (decisions.md), by exact value.
NUM_STR_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")

MODELS = {
    "unit": {"amount"},
    "graduated": {"tiers"},
    "volume": {"tiers"},
    "package": {"size", "amount", "free"},
    "percentage": {"rate", "min", "max"},
}
TIER_FIELDS = {"up_to", "amount", "flat"}


class Invalid(Exception):
    """exit 2"""


class Usage(Exception):
    """exit 1"""


def _check(d):
    if CTX.abs(d) >= LIMIT:
        raise Invalid("overflow")
    return d


def _round12(d):
    # Check before quantize too: a huge exact value cannot be quantized within prec.
    _check(d)
    return _check(d.quantize(QUANTUM, rounding=ROUND_HALF_UP, context=CTX))


def _mul(a, b):
    return _round12(CTX.multiply(a, b))


def _add(a, b):
    return _check(CTX.add(a, b))


def _sub(a, b):
    return _check(CTX.subtract(a, b))


def _frac_digits(d):
    """Fractional digits of the exact value (trailing zeros do not count)."""
    if d == 0:
        return 0
    exp = d.normalize(context=CTX).as_tuple().exponent
    return max(0, -exp)


def _amount(obj, key, problems):
    """An amount/flat/min/max/rate field: a JSON string [0-9]+(\\.[0-9]{1,12})?, < 10^26."""
    v = obj[key]
    if not isinstance(v, str) or not AMOUNT_RE.match(v):
        problems.append(key)
        return None
    d = Decimal(v)
    if d >= LIMIT:
        problems.append(key)
        return None
    return d


def _bound(v, count, allow_zero, name, problems):
    """up_to / size / free: a JSON number (exact value) or a decimal string."""
    if isinstance(v, bool) or v is None:
        problems.append(name)
        return None
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, str) and NUM_STR_RE.match(v):
        d = Decimal(v)
    else:
        problems.append(name)
        return None
    if not d.is_finite() or abs(d) >= LIMIT or _frac_digits(d) > 12:
        problems.append(name)
        return None
    if count and d != d.to_integral_value(context=CTX):
        problems.append(name)
        return None
    if count:
        ok = d >= (0 if allow_zero else 1)
    else:
        ok = d >= 0 if allow_zero else d > 0
    if not ok:
        problems.append(name)
        return None
    return d + 0  # drop a negative zero sign


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def _no_repeats(pairs):
    # The spec is silent for prices; events.md rejects repeated keys, and a repeated key in a
    # contract term must not silently win: refused.
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("repeated key " + k)
        d[k] = v
    return d


def parse_price(text):
    """Validate a price. Returns a dict; raises Invalid listing the problems."""
    try:
        doc = json.loads(text, parse_float=Decimal, parse_int=Decimal,
                         parse_constant=_reject_constant,
                         object_pairs_hook=_no_repeats)
    except (ValueError, RecursionError) as e:
        raise Invalid("JSON: %s" % e)
    if not isinstance(doc, dict):
        raise Invalid("price: not an object")
    problems = []
    model = doc.get("model")
    if "model" not in doc:
        raise Invalid("model: missing")
    if not isinstance(model, str) or model not in MODELS:
        raise Invalid("model: unknown")
    measure = doc.get("measure", "count" if model != "percentage" else "value")
    if "measure" in doc:
        m = doc["measure"]
        if not isinstance(m, str) or m not in ("count", "value"):
            problems.append("measure")
            measure = None
        elif model == "percentage" and m != "value":
            problems.append("measure")
            measure = None
    count = measure == "count"
    allowed = MODELS[model] | {"model", "measure"}
    for k in doc:
        if k not in allowed:
            problems.append(k)
    p = {"model": model, "measure": measure}
    if model in ("unit", "package"):
        if "amount" not in doc:
            problems.append("amount")
        else:
            p["amount"] = _amount(doc, "amount", problems)
    if model == "package":
        if "size" not in doc:
            problems.append("size")
        else:
            p["size"] = _bound(doc["size"], count, False, "size", problems)
        p["free"] = Decimal(0)
        if "free" in doc:
            p["free"] = _bound(doc["free"], count, True, "free", problems)
    if model == "percentage":
        if "rate" not in doc:
            problems.append("rate")
        else:
            p["rate"] = _amount(doc, "rate", problems)
        for k in ("min", "max"):
            p[k] = _amount(doc, k, problems) if k in doc else None
        if p["min"] is not None and p["max"] is not None and p["min"] > p["max"]:
            problems.append("min")
    if model in ("graduated", "volume"):
        tiers = doc.get("tiers")
        if "tiers" not in doc or not isinstance(tiers, list) or not 1 <= len(tiers) <= 64:
            problems.append("tiers")
        else:
            out = []
            prev = Decimal(0)  # last valid bound (None: refused, don't compare)
            for i, t in enumerate(tiers):
                name = "tiers[%d]" % i
                if not isinstance(t, dict):
                    problems.append(name)
                    continue
                for k in t:
                    if k not in TIER_FIELDS:
                        problems.append(name + "." + k)
                last = i == len(tiers) - 1
                up = None
                if "up_to" not in t:
                    problems.append(name + ".up_to")
                    prev = None
                elif t["up_to"] is None:
                    if not last:
                        problems.append(name + ".up_to")
                else:
                    if last:
                        problems.append(name + ".up_to")
                    up = _bound(t["up_to"], count, False, name + ".up_to", problems)
                    if up is not None and prev is not None and up <= prev:
                        problems.append(name + ".up_to")
                    prev = up
                amt = None
                if "amount" not in t:
                    problems.append(name + ".amount")
                else:
                    amt = _amount(t, "amount", problems)
                flat = Decimal(0)
                if "flat" in t:
                    flat = _amount(t, "flat", problems)
                out.append((up, amt, flat))
            p["tiers"] = out
    if problems:
        raise Invalid("; ".join(problems))
    return p


def _read_value(q):
    if not isinstance(q, str) or not VALUE_Q_RE.match(q):
        raise Invalid("Q: not a decimal")
    d = Decimal(q)
    _check(d)                # before quantize (huge exponents)
    return _round12(d) + 0   # rounded when read; -0 -> 0


def _read_count(q):
    if not isinstance(q, str) or not COUNT_Q_RE.match(q):
        raise Invalid("Q: not a count")
    return _check(Decimal(q))


def compute(p, args):
    model = p["model"]
    if model == "percentage":
        rate, lo, hi = p["rate"], p["min"], p["max"]
        total = Decimal(0)
        for v in (_read_value(a) for a in args):
            x = _mul(v, rate)
            if lo is not None and x < lo:
                x = lo
            if hi is not None and x > hi:
                x = hi
            total = _add(total, x)
        return total
    if p["measure"] == "count":
        q = _read_count(args[0])
    else:
        q = Decimal(0)
        for v in [_read_value(a) for a in args]:
            q = _add(q, v)
    if model == "unit":
        return _mul(q, p["amount"])
    if model == "package":
        rest = _sub(q, p["free"])
        if rest < 0:
            rest = Decimal(0)
        n = _check(CTX.divide(rest, p["size"]).to_integral_value(rounding=ROUND_CEILING,
                                                                  context=CTX))
        return _mul(n, p["amount"])
    tiers = p["tiers"]
    if model == "graduated":
        total = Decimal(0)
        lower = Decimal(0)
        for up, amt, flat in tiers:
            if q > lower:
                top = q if up is None or q < up else up
                part = _sub(top, lower)
                if part > 0:
                    total = _add(total, _mul(part, amt))
                    total = _add(total, flat)
            if up is None:
                break
            lower = up
        return total
    if model == "volume":
        if q <= 0:
            return Decimal(0)
        for up, amt, flat in tiers:
            if up is None or q <= up:
                return _add(_mul(q, amt), flat)
        raise AssertionError("last tier is unbounded")
    raise AssertionError(model)


def format_amount(d):
    """At most 12 fractional digits, no trailing zeros, no trailing point, "0" for zero."""
    d = d.quantize(QUANTUM, rounding=ROUND_HALF_UP, context=CTX)
    if d == 0:
        return "0"
    s = "{:f}".format(d)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def price_amount(price_json_text, args):
    """Returns (exit_code, amount_string_or_None) of `raas price PRICE_JSON ARGS...`."""
    args = list(args)
    for a in args:
        # cli.md: an unknown option is a usage error; "-5" is a (negative) value.
        if a.startswith("-") and not (len(a) > 1 and a[1].isdigit() and a[1].isascii()):
            return 1, None
    if not args:
        return 1, None          # missing argument Q
    with decimal.localcontext(CTX):
        return _price_amount(price_json_text, args)


def _price_amount(price_json_text, args):
    try:
        p = parse_price(price_json_text)
        if p["measure"] == "count" and len(args) > 1:
            return 1, None      # extra argument
        return 0, format_amount(compute(p, args))
    except Invalid:
        return 2, None
    except decimal.InvalidOperation:
        return 2, None


def stdout_for(price_json_text, args):
    """The exact stdout expected for an exit-0 run."""
    rc, amount = price_amount(price_json_text, args)
    return rc, (json.dumps({"amount": amount}, separators=(",", ":")) + "\n"
                if rc == 0 else None)


if __name__ == "__main__":
    import sys
    rc, amt = price_amount(sys.argv[1], sys.argv[2:])
    if rc == 0:
        print(json.dumps({"amount": amt}, separators=(",", ":")))
    else:
        print("exit", rc, file=sys.stderr)
    sys.exit(rc)
