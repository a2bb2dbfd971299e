#!/usr/bin/env python3
"""bundle_verifier.py — an independent verifier of raas evidence bundles, written from the
documents alone (docs/formats/bundle.md, docs/formats/leaves.md, ../shared/spec/evidence.md,
settlement.md, contracts.md, docs/decisions.md "Settlement"), not from raas's C code.
Python 3 standard library only: hashlib (SHA-256, SHA-512), base64, json keeping numbers
exact, its own Ed25519 (RFC 8032 §5.1.7 verification, cofactored) and, for the replay, the
independent settlement reference settle_reference.py (imported, not duplicated).

usage:
  bundle_verifier.py --self-test [--vectors PATH]
      Ed25519 against the RFC 8032 §7.1 vectors (key derivation, signing, verification, and
      refusals: flipped bytes, another key, S + L), the RFC 6962 roots, the C2SP verifier key
      and signed checkpoint of crypto.json (whole note, key id, signature, root; changed
      notes refused; another key's line ignored) and the leaves.md example leaf. PATH
      defaults to ../shared/vectors/crypto.json relative to the repository. Exit 0 / 1.

  bundle_verifier.py --verify BUNDLE --key VKEY [--strict]
      bundle.md "Verifying a bundle", steps 1-4. Exit 0 when every check passes, 4 at the
      first failure (named), 2 when the file is not a bundle. Notes name properties that
      bundle.md's table states but its algorithm does not check (each invoice has its
      invoice leaf, invoices from the asked period on, oldest first, once each); --strict
      makes a note a failure too.

  bundle_verifier.py RAAS [-v]
      End to end against the real binary: two `RAAS demo` directories (two keys), the
      bundles of shop-02-leads 2026-01, shop-01-leads 2026-03, firm-01-hires 2026-01 and
      firm-07-hires 2026-04, plus a small tenant t1 built here. Every copy is judged by this
      verifier and by `RAAS verify FILE --key VKEY`:
        required  genuine bundles; tampered copies (a digit of an event leaf, a dropped leaf,
                  two leaves swapped, an invoice amount or total, the other directory's
                  checkpoint, a flipped signature bit, a bundle carrying another key, ...);
                  copies re-signed with a third key by this verifier, so that only the leaf
                  reading and the replay can catch the change; not-a-bundle files; harmless
                  re-encodings. Both verdicts (0 / 4 / 2) must agree and be the expected one.
        doc       documented behaviour raas may not have: this verifier must give the
                  documented verdict; raas's is reported ("RAAS DIFFERS FROM THE DOCUMENTS").
        probe     what the documents leave open: both verdicts and --strict's are reported.
      One summary line; exit 0 only when every required case agrees (and doc cases give the
      documented verdict here).

Leaf reading and replays are remembered across the copies of one bundle (pure functions of
the leaves), which keeps the end-to-end run well under a minute. Where the documents left a
step open, the choice made here is marked "DOC GAP" in a comment.
"""

import argparse
import base64
import decimal
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import settle_reference as ref  # noqa: E402

US = ref.US
DAY = ref.DAY


# ====================================================================== Ed25519 (RFC 8032)
# Edwards25519 in extended coordinates, in the style of RFC 8032 §6's reference code.

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493  # the group order (RFC: L)


def _inv(x):
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _sha512_int(b):
    return int.from_bytes(hashlib.sha512(b).digest(), "little")


def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)  # the neutral element
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y, sign):
    """RFC 8032 §5.1.3 steps 2-4; None when decoding fails."""
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)


def _compress(pt):
    x, y, z, _ = pt
    zi = _inv(z)
    x, y = x * zi % P, y * zi % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(b):
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _expand_seed(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    a, _ = _expand_seed(seed)
    return _compress(_mul(a, G))


def ed25519_sign(seed, msg):
    """Only for the self-test (RFC 8032 §5.1.6)."""
    a, prefix = _expand_seed(seed)
    pub = _compress(_mul(a, G))
    r = _sha512_int(prefix + msg) % L
    rs = _compress(_mul(r, G))
    k = _sha512_int(rs + pub + msg) % L
    return rs + int.to_bytes((r + k * a) % L, 32, "little")


def ed25519_verify(public, msg, sig):
    """RFC 8032 §5.1.7: decode A and R (failure: invalid), S < L, k = SHA-512(R || A || M)
    mod L, and the cofactored group equation [8][S]B = [8]R + [8][k]A."""
    if len(public) != 32 or len(sig) != 64:
        return False
    a = _decompress(public)
    if a is None:
        return False
    r = _decompress(sig[:32])
    if r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    k = _sha512_int(sig[:32] + public + msg) % L
    left = _mul(8, _mul(s, G))
    right = _mul(8, _add(r, _mul(k, a)))
    return _equal(left, right)


# ====================================================================== RFC 6962 tree

def leaf_hash(b):
    return hashlib.sha256(b"\x00" + b).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(hashes):
    """RFC 6962 §2.1 Merkle Tree Hash over leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()

    def mth(lo, hi):
        n = hi - lo
        if n == 1:
            return hashes[lo]
        k = 1
        while k * 2 < n:
            k *= 2
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))
    return mth(0, len(hashes))


# ====================================================================== C2SP signed notes

class Reject(Exception):
    """A verification failure (exit 4): the check and what failed."""

    def __init__(self, check, msg):
        super().__init__("%s: %s" % (check, msg))
        self.check = check


class NotABundle(Exception):
    """Exit 2."""


def b64decode_strict(text):
    """Standard base64 with padding, canonical (re-encodes to the same text); None if not."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) \
            or len(text) % 4:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if base64.b64encode(raw).decode() != text:
        return None
    return raw


def key_id(name, public):
    return hashlib.sha256(name.encode() + b"\x0a\x01" + public).digest()[:4]


def parse_verifier_key(vkey):
    """<name>+<8 lowercase hex key id>+<base64(0x01 || public key)> -> (name, id, public).
    Raises ValueError."""
    parts = vkey.split("+", 2)  # a name holds no '+' (C2SP); the base64 may
    if len(parts) != 3:
        raise ValueError("not NAME+ID+KEY")
    name, kid, data = parts
    if not name or any(c.isspace() for c in name):
        raise ValueError("bad key name")
    if not re.fullmatch(r"[0-9a-f]{8}", kid):
        raise ValueError("the key id is not 8 lowercase hex digits")
    raw = b64decode_strict(data)
    if raw is None or len(raw) != 33 or raw[0] != 0x01:
        raise ValueError("the key is not base64(0x01 || 32-byte Ed25519 key)")
    public = raw[1:]
    if key_id(name, public) != bytes.fromhex(kid):
        raise ValueError("the key id does not match the key name and key")
    return name, bytes.fromhex(kid), public


def parse_checkpoint(note):
    """The signed note of bundle.md "Checkpoints" -> (body, origin, size, root, sigs) where
    sigs = [(key name, 4-byte key id, signature bytes)]. Raises ValueError."""
    if not isinstance(note, str) or not note.endswith("\n"):
        raise ValueError("the note does not end in a newline")
    i = note.find("\n\n")
    if i < 0:
        raise ValueError("no blank line between the body and the signatures")
    body, sigtext = note[:i + 1], note[i + 2:]
    lines = body.split("\n")[:-1]
    # DOC GAP (minor): C2SP tlog-checkpoint allows extension lines after the root;
    # bundle.md says the body is exactly three lines, so a fourth line is refused here.
    if len(lines) != 3:
        raise ValueError("the body is not three lines")
    origin, size_text, root_text = lines
    if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
        raise ValueError("the size is not a decimal number without leading zeros")
    root = b64decode_strict(root_text)
    if root is None or len(root) != 32:
        raise ValueError("the root is not base64 of 32 bytes")
    if not sigtext:
        raise ValueError("no signature line")
    sigs = []
    for line in sigtext.split("\n")[:-1]:
        m = re.fullmatch("\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)", line)
        if not m:
            raise ValueError("malformed signature line %r" % line)
        raw = b64decode_strict(m.group(2))
        if raw is None or len(raw) < 5:
            raise ValueError("malformed signature line %r" % line)
        sigs.append((m.group(1), raw[:4], raw[4:]))
    return body, origin, int(size_text), root, sigs


def check_note(note, vkey):
    """Parse and verify a checkpoint under the verifier key -> (origin, size, root)."""
    try:
        name, kid, public = parse_verifier_key(vkey)
    except ValueError as e:
        raise Reject("signature", "the verifier key: %s" % e)
    try:
        body, origin, size, root, sigs = parse_checkpoint(note)
    except ValueError as e:
        raise Reject("signature", "the checkpoint: %s" % e)
    mine = [s for n, k, s in sigs if n == name and k == kid]
    if not mine:
        raise Reject("signature", "the checkpoint has no signature line of %s+%s"
                     % (name, kid.hex()))
    for s in mine:
        if len(s) != 64 or not ed25519_verify(public, body.encode("utf-8"), s):
            raise Reject("signature", "the checkpoint's signature by %s does not verify"
                         % name)
    return origin, size, root


# ====================================================================== exact JSON

class Num(str):
    """A JSON number, kept as its text."""


class Obj(list):
    """A JSON object: its (key, value) pairs in order."""

    def get(self, key, default=None):
        for k, v in self:
            if k == key:
                return v
        return default

    def keys(self):
        return [k for k, _ in self]


def _pairs(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError("repeated key %r" % k)
        seen.add(k)
    return Obj(pairs)


def _constant(name):
    raise ValueError("not JSON: " + name)


def loads_exact(text):
    return json.loads(text, parse_float=Num, parse_int=Num, parse_constant=_constant,
                      object_pairs_hook=_pairs)


def esc(s):
    """Minimal escaping (leaves.md, settlement.md)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(
                o, "\\u%04x" % o))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canon(v):
    """Compact, members in their order, numbers as written, minimal escaping."""
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, str):
        return esc(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, Obj):
        return "{" + ",".join(esc(k) + ":" + canon(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    raise TypeError(type(v))


def depth(v):
    if isinstance(v, Obj):
        return 1 + max((depth(x) for _, x in v), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


INVOICE_KEYS = ["contract", "customer", "currency", "period", "status", "kind", "as_of",
                "lines", "total"]
LINE_KEYS = {"result": ["type", "name", "quantity", "amount"], "fee": ["type", "name", "amount"],
             "minimum": ["type", "amount"], "cap": ["type", "amount"],
             "adjustment": ["type", "period_start", "amount"]}


def _ordered(obj, order):
    """The object with the known keys first, in the given order, then any others as they
    came (so that an extra or missing key shows as a difference)."""
    known = [(k, obj.get(k)) for k in order if k in obj.keys()]
    return Obj(known + [(k, v) for k, v in obj if k not in order])


def canonical_invoice(obj):
    """settlement.md "The invoice document": keys in that order, compact, minimal escaping.
    DOC GAP: neither bundle.md nor settlement.md says how to "serialise the same way" an
    invoice object whose keys differ from the documented ones (missing, extra, a number for
    an amount); here known keys are put in the documented order and anything else is kept,
    so that such an object can never equal a replayed document."""
    if not isinstance(obj, Obj):
        return canon(obj)
    o = _ordered(obj, INVOICE_KEYS)
    out = []
    for k, v in o:
        if k == "period" and isinstance(v, Obj):
            v = _ordered(v, ["start", "end"])
        elif k == "lines" and isinstance(v, list):
            v = [_ordered(ln, LINE_KEYS.get(ln.get("type"), ["type"]))
                 if isinstance(ln, Obj) else ln for ln in v]
        out.append((k, v))
    return canon(Obj(out))


# ====================================================================== leaves (leaves.md)

NAME_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
ID_RE = re.compile(r"[\x21-\x7e]{1,128}\Z")
EVENT_KEYS = ["kind", "customer", "id", "type", "time", "received", "properties"]
CONTRACT_KEYS = ["kind", "customer", "id", "version", "effective", "effective_at", "applied",
                 "document"]
INVOICE_LEAF_KEYS = ["kind", "customer", "contract", "period_start", "locked_at", "invoice"]


def _utc(text):
    """A leaves.md UTC timestamp -> µs; ValueError unless written exactly that way."""
    if not isinstance(text, str) or isinstance(text, Num):
        raise ValueError("not a timestamp string")
    try:
        us = ref.parse_time(text)
    except ref.Problem as e:
        raise ValueError(str(e))
    if ref.fmt_utc(us) != text:
        raise ValueError("%s is not in the UTC form YYYY-MM-DDTHH:MM:SS[.ffffff]Z" % text)
    return us


def _zoned(text, off):
    if not isinstance(text, str) or isinstance(text, Num):
        raise ValueError("not a timestamp string")
    try:
        us = ref.parse_time(text)
    except ref.Problem as e:
        raise ValueError(str(e))
    if ref.fmt_time(us, off) != text:
        raise ValueError("%s is not in the contract's zone form" % text)
    return us


def _is_str(v):
    return isinstance(v, str) and not isinstance(v, Num)


def read_leaf(text, customer):
    """One leaf (a str) -> (kind, parsed Obj, clock µs or None). ValueError when the leaf is
    not a well-formed leaf of this customer written the one way leaves.md allows."""
    try:
        b = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid UTF-8")
    try:
        v = loads_exact(text)
    except (ValueError, RecursionError) as e:
        raise ValueError("not JSON (%s)" % e)
    if not isinstance(v, Obj):
        raise ValueError("not a JSON object")
    if depth(v) > 64:
        raise ValueError("deeper than 64 levels")
    try:
        again = canon(v).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string is not valid Unicode")
    if again != b:
        raise ValueError("not written the one way leaves.md allows (compact, minimal "
                         "escaping)")
    kind = v.get("kind")
    want = {"event": EVENT_KEYS, "contract": CONTRACT_KEYS, "invoice": INVOICE_LEAF_KEYS}
    if kind not in want:
        raise ValueError("unknown kind %r" % (kind,))
    if v.keys() != want[kind]:
        raise ValueError("the %s leaf's keys are not %s" % (kind, ",".join(want[kind])))
    if v.get("customer") != customer:
        raise ValueError("a leaf of customer %r, not %r" % (v.get("customer"), customer))
    if kind == "event":
        if not _is_str(v.get("id")) or not ID_RE.match(v.get("id")):
            raise ValueError("bad event id")
        if not _is_str(v.get("type")) or not NAME_RE.match(v.get("type")):
            raise ValueError("bad event type")
        _utc(v.get("time"))
        clock = _utc(v.get("received"))
        if not isinstance(v.get("properties"), Obj):
            raise ValueError("properties is not an object")
        return kind, v, clock
    if kind == "contract":
        cid, doc = v.get("id"), v.get("document")
        if not _is_str(cid) or not NAME_RE.match(cid):
            raise ValueError("bad contract id")
        ver = v.get("version")
        if not isinstance(ver, Num) or not re.fullmatch(r"[1-9][0-9]*", ver):
            raise ValueError("version is not an integer from 1")
        if not isinstance(doc, Obj):
            raise ValueError("document is not an object")
        # DOC GAP (minor): leaves.md does not say that `id` / `customer` equal the
        # document's own; a contract document always has both (contracts.md), so they are
        # required to match here.
        if doc.get("id") != cid or doc.get("customer") != customer:
            raise ValueError("id / customer differ from the document's")
        try:
            off = ref.parse_zone(doc.get("timezone", "Z"))
            eday = ref.parse_date(v.get("effective")) if _is_str(v.get("effective")) \
                else None
        except ref.Problem as e:
            raise ValueError(str(e))
        if eday is None:
            raise ValueError("effective is not a date YYYY-MM-DD")
        eat = _zoned(v.get("effective_at"), off)
        if eat != eday * DAY - off * 60 * US:
            raise ValueError("effective_at is not the start of the effective date")
        if ver == "1" and v.get("effective") != doc.get("start"):
            raise ValueError("version 1 is not effective from the contract's start")
        return kind, v, _utc(v.get("applied"))
    # invoice
    inv = v.get("invoice")
    if not _is_str(v.get("contract")) or not NAME_RE.match(v.get("contract")):
        raise ValueError("bad contract id")
    ps, la = _utc(v.get("period_start")), _utc(v.get("locked_at"))
    if not isinstance(inv, Obj) or canonical_invoice(inv) != canon(inv):
        raise ValueError("invoice is not an invoice document (settlement.md)")
    if inv.get("contract") != v.get("contract") or inv.get("customer") != customer \
            or inv.get("status") != "locked":
        raise ValueError("the invoice document is not a locked invoice of the leaf's contract")
    try:
        if ref.parse_time(inv.get("period").get("start")) != ps or \
                ref.parse_time(inv.get("as_of")) != la:
            raise ValueError("period_start / locked_at differ from the invoice's "
                             "period.start / as_of")
    except (ref.Problem, AttributeError, TypeError):
        raise ValueError("the invoice's period.start / as_of are not timestamps")
    # the record's clock (the settle's) is not in the leaf: no clock to compare
    return kind, v, None


LEAF_CACHE = {}


def read_leaf_cached(text, customer):
    """read_leaf, remembered (a pure function: copies of one bundle share their leaves)."""
    k = (text, customer)
    r = LEAF_CACHE.get(k)
    if r is None:
        try:
            r = read_leaf(text, customer)
        except ValueError as e:
            r = e
        LEAF_CACHE[k] = r
    if isinstance(r, ValueError):
        raise r
    return r


# ====================================================================== the bundle

BUNDLE_KEYS = ["format", "tenant", "customer", "contract", "period", "verifier_key",
               "checkpoint", "leaves", "invoices"]


def load_bundle(data):
    try:
        text = data.decode("utf-8")
        b = loads_exact(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise NotABundle("not JSON: %s" % e)
    if not isinstance(b, Obj):
        raise NotABundle("not a JSON object")
    missing = [k for k in BUNDLE_KEYS if k not in b.keys()]
    if missing:
        raise NotABundle("missing key: " + ", ".join(missing))
    # DOC GAP: bundle.md / evidence.md say "not JSON, a required key missing" exits 2; they
    # do not say what a wrong `format` value or a value of the wrong JSON type (leaves not
    # an array of strings, invoices not an array of objects) is. Treated as not a bundle.
    if b.get("format") != "raas-evidence-bundle/1":
        raise NotABundle("format is not raas-evidence-bundle/1")
    for k in BUNDLE_KEYS[:7]:
        if not _is_str(b.get(k)):
            raise NotABundle("%s is not a string" % k)
    if not isinstance(b.get("leaves"), list) or isinstance(b.get("leaves"), Obj) or \
            not all(_is_str(x) for x in b.get("leaves")):
        raise NotABundle("leaves is not an array of strings")
    if not isinstance(b.get("invoices"), list) or isinstance(b.get("invoices"), Obj) or \
            not all(isinstance(x, Obj) for x in b.get("invoices")):
        raise NotABundle("invoices is not an array of objects")
    return b


def _first_difference(got, want):
    """Name the first differing line of two invoice documents (text)."""
    try:
        g, w = loads_exact(got), loads_exact(want)
    except ValueError:
        return "the documents differ"
    gl, wl = g.get("lines") or [], w.get("lines") or []
    for i in range(max(len(gl), len(wl))):
        a = canonical_invoice(gl[i]) if i < len(gl) else None
        c = canonical_invoice(wl[i]) if i < len(wl) else None
        if a != c:
            return "line %d: the bundle has %s, the replay gives %s" % (i + 1, a, c)
    for k in INVOICE_KEYS:
        if k != "lines" and canonical_invoice(Obj([(k, g.get(k))])) != \
                canonical_invoice(Obj([(k, w.get(k))])):
            return "%s: the bundle has %s, the replay gives %s" % (
                k, canon(g.get(k)) if g.get(k) is not None else "nothing",
                canon(w.get(k)) if w.get(k) is not None else "nothing")
    return "the documents differ"


LEDGERS = {}


def verify_bundle(data, vkey, notes=None):
    """bundle.md "Verifying a bundle" -> list of passed checks. Raises Reject (exit 4) or
    NotABundle (exit 2). notes (a list) collects remarks on properties the documented
    algorithm does not check."""
    notes = [] if notes is None else notes
    b = load_bundle(data)
    tenant, customer, contract = b.get("tenant"), b.get("customer"), b.get("contract")
    passed = []

    # 1. the key
    if b.get("verifier_key") != vkey:
        raise Reject("key", "the bundle's verifier_key %r is not the published key %r"
                     % (b.get("verifier_key"), vkey))
    passed.append("the bundle's verifier key is the published key")

    # 2. the signature
    origin, size, root = check_note(b.get("checkpoint"), vkey)
    if origin != "raas/%s/%s" % (tenant, customer):
        raise Reject("signature", "the checkpoint's origin %r is not raas/%s/%s"
                     % (origin, tenant, customer))
    passed.append("the checkpoint (size %d) is signed by that key" % size)

    # 3. the leaves
    leaves = b.get("leaves")
    if len(leaves) != size:
        raise Reject("leaves", "%d leaves, the checkpoint says %d" % (len(leaves), size))
    read = []
    last = None
    for i, text in enumerate(leaves):
        try:
            kind, v, clock = read_leaf_cached(text, customer)
        except ValueError as e:
            raise Reject("leaves", "leaf %d: %s" % (i, e))
        if clock is not None:
            if last is not None and clock < last:
                raise Reject("leaves", "leaf %d: its clock %s goes back (after %s)"
                             % (i, ref.fmt_utc(clock), ref.fmt_utc(last)))
            last = clock
        read.append((kind, v))
    hashes = [leaf_hash(t.encode("utf-8")) for t in leaves]
    if merkle_root(hashes) != root:
        raise Reject("leaves", "the %d leaves do not hash to the checkpoint's root" % size)
    passed.append("the %d leaves hash to the checkpoint's root" % size)

    # 4. the replay
    events, versions, inv_leaves = replay_inputs(read, leaves, contract)
    inputs_id = replay_inputs_id(read, leaves, contract)
    seen = []
    for i, inv in enumerate(b.get("invoices")):
        mine = canonical_invoice(inv)
        where = "invoice %d" % (i + 1)
        try:
            start = ref.parse_time(inv.get("period").get("start"))
            as_of = ref.parse_time(inv.get("as_of"))
            where = "invoice %s" % inv.get("period").get("start")
        except (ref.Problem, AttributeError, TypeError):
            raise Reject("replay", "%s: period.start / as_of are not timestamps" % where)
        # DOC GAP: step 4 does not say that an invoice which is not locked fails; it only
        # calls as_of "the period's lock time" and the table "the locked invoices". A draft
        # replayed at its own as_of would reproduce itself, so it is refused here (raas
        # refuses it too: "as_of ... is before the period's lock time").
        if inv.get("status") != "locked":
            raise Reject("replay", "%s: not a locked invoice (status %s)"
                         % (where, canon(inv.get("status"))))
        text = replay_one(inputs_id, contract, events, versions, start, as_of, where)
        if text != mine:
            raise Reject("replay", "%s: %s" % (where, _first_difference(mine, text)))
        passed.append("%s (total %s) replays byte for byte" % (where, inv.get("total")))
        # Not in the documented algorithm; bundle.md's table only describes `invoices` as
        # "the locked invoices of contract that the checkpoint covers (their invoice leaves
        # are among leaves), from the asked period on, oldest first":
        if inv_leaves.get(start) != mine:
            notes.append("%s has no identical invoice leaf among the leaves (the "
                         "checkpoint does not cover it)" % where)
        if seen and start <= seen[-1]:
            notes.append("%s is not after the invoice before it (twice, or not oldest "
                         "first)" % where)
        seen.append(start)
    if b.get("invoices"):
        first = b.get("invoices")[0].get("period").get("start")
        if first[:10] != b.get("period"):
            notes.append("the first invoice (%s) is not of the bundle's period %s"
                         % (first, b.get("period")))
    else:
        notes.append("the bundle vouches for no invoice")
    return passed


EVENT_CACHE = {}


def replay_inputs(read, leaves, contract):
    """From the read leaves: the events (all, with received times), the versions of the
    contract (number, document, applied, effective instant) and its invoice leaves."""
    events, versions, inv_leaves = [], [], {}
    for (kind, v), text in zip(read, leaves):
        if kind == "event":
            e = EVENT_CACHE.get(text)
            if e is None:
                x = ref.parse_json(text)
                e = ref.Event(x["id"], x["customer"], x["type"], ref.parse_time(x["time"]),
                              x["properties"], ref.parse_time(x["received"]))
                EVENT_CACHE[text] = e
            events.append(e)
        elif kind == "contract" and v.get("id") == contract:
            x = ref.parse_json(text)
            versions.append((int(x["version"]), x["document"], ref.parse_time(x["applied"]),
                             ref.parse_time(x["effective_at"])))
        elif kind == "invoice" and v.get("contract") == contract:
            inv_leaves[ref.parse_time(v.get("period_start"))] = canon(v.get("invoice"))
    for n, (num, _, _, _) in enumerate(versions, 1):
        if num != n:
            raise Reject("leaves", "the versions of %s are not 1, 2, ... in log order"
                         % contract)
    return events, versions, inv_leaves


def replay_inputs_id(read, leaves, contract):
    """A digest of what the replay reads (the event leaves and the contract's leaves)."""
    h = hashlib.sha256()
    for (kind, v), text in zip(read, leaves):
        if kind == "event" or (kind == "contract" and v.get("id") == contract):
            h.update(hashlib.sha256(text.encode("utf-8")).digest())
    return h.digest()


def replay_one(inputs_id, contract, events, versions, start, as_of, where):
    """The invoice document (text) of the period starting at `start`, computed at clock
    `as_of` (settlement.md through settle_reference.py); Reject when there is none."""
    # bundle.md step 4: "a locked invoice sees the events and versions with a received
    # (applied) time strictly before as_of" (events: settle_reference's locked evaluation)
    vis = tuple(v for v in versions if v[2] < as_of)
    if not vis:
        raise Reject("replay", "%s: no version of %s was applied before its as_of"
                     % (where, contract))
    # (inputs, contract, visible versions) fixes what the replay sees: copies of one bundle
    # share the ledger and its caches (a pure function, computed once).
    key = (inputs_id, contract, tuple(v[0] for v in vis))
    if key not in LEDGERS:
        led = ref.Ledger(contract, events)
        try:
            for num, doc, applied, eff in vis:
                led.add_version(doc, applied, num, eff)
        except (ref.Problem, ref.ExprError, KeyError, TypeError, ValueError) as e:
            raise Reject("replay", "a version of %s is not a valid contract: %s"
                         % (contract, e))
        LEDGERS[key] = led
    led = LEDGERS[key]
    off = led.versions[-1].doc.off
    y, m, d = ref.civil_from_days((start + off * 60 * US) // DAY)
    with decimal.localcontext(ref.CTX):
        code, text = led.invoice("%04d-%02d-%02d" % (y, m, d), as_of)
    if code != 0:
        raise Reject("replay", "%s: the replay gives no invoice (exit %d)" % (where, code))
    return text.rstrip("\n")


def replay_bundle(data, start, as_of):
    """For building probes: the replay of one period from a bundle's leaves, unverified."""
    b = load_bundle(data)
    leaves = b.get("leaves")
    read = []
    for t in leaves:
        kind, v, _ = read_leaf_cached(t, b.get("customer"))
        read.append((kind, v))
    events, versions, _ = replay_inputs(read, leaves, b.get("contract"))
    return replay_one(replay_inputs_id(read, leaves, b.get("contract")), b.get("contract"),
                      events, versions, start, as_of, "probe")


def verdict(data, vkey, strict=True):
    """(exit code, message, notes) as `raas verify` would exit; strict: a note fails too."""
    notes = []
    try:
        with decimal.localcontext(ref.CTX):
            verify_bundle(data, vkey, notes)
        if strict and notes:
            return 4, "strict: " + notes[0], notes
        return 0, "verified", notes
    except Reject as e:
        return 4, str(e), notes
    except NotABundle as e:
        return 2, str(e), notes


# ====================================================================== --self-test

def self_test(path):
    try:
        with open(path) as f:
            vec = json.load(f)
    except (OSError, ValueError) as e:
        print("bundle_verifier --self-test: cannot read %s: %s" % (path, e))
        return 1
    fails = []
    n = 0

    def check(what, ok):
        nonlocal n
        n += 1
        if not ok:
            fails.append(what)

    for i, t in enumerate(vec["ed25519_rfc8032"]):
        seed, pub, msg, sig = (bytes.fromhex(t[k]) for k in ("seed", "public", "message",
                                                            "signature"))
        check("rfc8032 #%d public key" % i, ed25519_public(seed) == pub)
        check("rfc8032 #%d signature" % i, ed25519_sign(seed, msg) == sig)
        check("rfc8032 #%d verifies" % i, ed25519_verify(pub, msg, sig))
        check("rfc8032 #%d other message" % i, not ed25519_verify(pub, msg + b"x", sig))
        for j in (0, 31, 32, 63):
            bad = bytearray(sig)
            bad[j] ^= 0x01
            check("rfc8032 #%d flipped signature byte %d" % (i, j),
                  not ed25519_verify(pub, msg, bytes(bad)))
        bad = bytearray(pub)
        bad[0] ^= 0x01
        check("rfc8032 #%d other key" % i, not ed25519_verify(bytes(bad), msg, sig))
        s = int.from_bytes(sig[32:], "little")
        check("rfc8032 #%d S + L refused" % i,
              not ed25519_verify(pub, msg, sig[:32] + int.to_bytes(s + L, 32, "little")))
    # a non-canonical y (>= p) fails decoding
    check("y >= p refused", _decompress(int.to_bytes(P + 1, 32, "little")) is None)

    r6962 = vec["rfc6962"]
    hs = [leaf_hash(bytes.fromhex(x)) for x in r6962["leaves"]]
    check("rfc6962 empty root", merkle_root([]).hex() == r6962["empty_root"])
    for r in r6962["roots"]:
        check("rfc6962 root of %d" % r["size"], merkle_root(hs[:r["size"]]).hex() == r["root"])

    c = vec["c2sp_checkpoint"]
    seed = bytes.fromhex(c["seed"])
    try:
        name, kid, public = parse_verifier_key(c["verifier_key"])
        check("c2sp key name", name == c["key_name"])
        check("c2sp key is the seed's", public == ed25519_public(seed))
    except ValueError as e:
        check("c2sp verifier key parses: %s" % e, False)
    note = c["note"]
    leaves = [leaf_hash(bytes.fromhex(x)) for x in c["leaves"]]
    try:
        origin, size, root = check_note(note, c["verifier_key"])
        check("c2sp origin", origin == "raas/example/acme")
        check("c2sp size", size == len(c["leaves"]))
        check("c2sp root", root == merkle_root(leaves))
    except Reject as e:
        check("c2sp note verifies: %s" % e, False)
    body = note[:note.index("\n\n") + 1]
    sigline = note[len(body) + 1:]
    check("c2sp signature is the seed's", sigline == "\u2014 %s %s\n" % (
        c["key_name"], base64.b64encode(kid + ed25519_sign(seed, body.encode())).decode()))

    def refused(what, text, vk=c["verifier_key"]):
        try:
            check_note(text, vk)
            check(what, False)
        except Reject:
            check(what, True)
    refused("c2sp changed size", note.replace("\n8\n", "\n7\n", 1))
    refused("c2sp changed root", note.replace("Xcna", "Ycna", 1))
    refused("c2sp changed origin", note.replace("acme", "acmf", 1))
    refused("c2sp no blank line", note.replace("\n\n", "\n", 1))
    refused("c2sp no newline at the end", note[:-1])
    refused("c2sp hyphen for the em dash", note.replace("\u2014", "-"))
    other_seed = hashlib.sha256(b"other").digest()
    other_pub = ed25519_public(other_seed)
    other_vk = "raas/example+%s+%s" % (key_id("raas/example", other_pub).hex(),
                                       base64.b64encode(b"\x01" + other_pub).decode())
    refused("c2sp another key (same name)", note, other_vk)
    resigned = body + "\n\u2014 raas/example %s\n" % base64.b64encode(
        key_id("raas/example", other_pub) + ed25519_sign(other_seed, body.encode())).decode()
    refused("c2sp re-signed under another key", resigned)
    try:
        check_note(resigned, other_vk)
        check("c2sp re-signed verifies under its own key", True)
    except Reject:
        check("c2sp re-signed verifies under its own key", False)
    extra = note + "\u2014 someone-else %s\n" % base64.b64encode(b"\x00" * 68).decode()
    try:
        check_note(extra, c["verifier_key"])
        check("c2sp another key's line is ignored", True)
    except Reject:
        check("c2sp another key's line is ignored", False)
    for bad in ("raas/example+ACF695F6+" + c["verifier_key"].split("+", 2)[2],
                "raas/other+acf695f6+" + c["verifier_key"].split("+", 2)[2],
                c["verifier_key"][:-2]):
        try:
            parse_verifier_key(bad)
            check("bad verifier key %r refused" % bad, False)
        except ValueError:
            check("bad verifier key refused", True)

    # the leaves.md example
    ex = ('{"kind":"event","customer":"acme","id":"evt_1029","type":"lead.created",'
          '"time":"2026-01-05T10:00:00Z","received":"2026-01-05T10:00:03.250000Z",'
          '"properties":{"lead_id":"L-77","note":"caf\u00e9 \\"A\\"\\n","score":7.50,'
          '"utm":{"campaign":"spring"}}}')
    check("leaves.md example is 239 bytes", len(ex.encode()) == 239)
    check("leaves.md example hash", leaf_hash(ex.encode()).hex() ==
          "3f6fadf9fdc44e9d172349f4a9a1eb9ef665f3157933c6672ff424a2c7fc00cb")
    try:
        read_leaf(ex, "acme")
        check("leaves.md example reads", True)
    except ValueError as e:
        check("leaves.md example reads: %s" % e, False)
    for bad in (ex.replace("7.50", "7.50 "), ex.replace('"L-77"', '"\\u004c-77"'),
                ex.replace(".250000Z", ".25Z"), ex.replace('"id":"evt_1029",', "")):
        try:
            read_leaf(bad, "acme")
            check("non-canonical leaf refused", False)
        except ValueError:
            check("non-canonical leaf refused", True)

    for f in fails:
        print("FAIL", f)
    print("bundle_verifier --self-test: %d checks, %d failed" % (n, len(fails)))
    return 1 if fails else 0


# ====================================================================== end to end

TARGETS = [("shop-02-leads", "2026-01"), ("shop-01-leads", "2026-03"),
           ("firm-01-hires", "2026-01"), ("firm-07-hires", "2026-04")]


def run(raas, *args):
    return subprocess.run([raas, *args], capture_output=True)


def load_std(data):
    """For building tampered copies: exact JSON with keys in order."""
    return ref.parse_json(data.decode("utf-8"))


def dump_std(b, **kw):
    if kw:
        return json.dumps(b, **kw, default=str).encode("utf-8")
    return ref.dumps(b).encode("utf-8")


def _bump_amount(text):
    """"550.00" -> "551.00": one more in the last digit's unit."""
    d = Decimal(text)
    q = Decimal(1).scaleb(d.as_tuple().exponent)
    return str((d + q).quantize(q))


def resign(b, seed):
    """Sign a checkpoint over b's leaves with seed under raas/<tenant>; put it and the
    verifier key into b; return the verifier key."""
    name = "raas/" + b["tenant"]
    pub = ed25519_public(seed)
    kid = key_id(name, pub)
    root = merkle_root([leaf_hash(t.encode("utf-8")) for t in b["leaves"]])
    body = "raas/%s/%s\n%d\n%s\n" % (b["tenant"], b["customer"], len(b["leaves"]),
                                      base64.b64encode(root).decode())
    sig = ed25519_sign(seed, body.encode("utf-8"))
    b["checkpoint"] = body + "\n\u2014 %s %s\n" % (name, base64.b64encode(kid + sig).decode())
    b["verifier_key"] = "%s+%s+%s" % (name, kid.hex(),
                                      base64.b64encode(b"\x01" + pub).decode())
    return b["verifier_key"]


def future_event(b):
    """The first event leaf with time = received + 24 h + 1 s (events.md refuses such an
    event at ingestion; leaves.md does not say whether a reader refuses the leaf)."""
    for i, t in enumerate(b["leaves"]):
        if t.startswith('{"kind":"event"'):
            v = loads_exact(t)
            rec = ref.parse_time(v.get("received"))
            nv = Obj([(k, ref.fmt_utc(rec + 24 * ref.HOUR + US) if k == "time" else x)
                      for k, x in v])
            b["leaves"][i] = canon(nv)
            return "leaf %d" % i


def swap01(b):
    b["leaves"][0], b["leaves"][1] = b["leaves"][1], b["leaves"][0]


def drop_event(b):
    idx = [i for i, t in enumerate(b["leaves"]) if t.startswith('{"kind":"event"')]
    i = idx[len(idx) // 2]
    del b["leaves"][i]
    return "leaf %d" % i


def bump_invoice_leaf(b):
    idx = [i for i, t in enumerate(b["leaves"]) if t.startswith('{"kind":"invoice"')]
    i = idx[-1]
    t = b["leaves"][i]
    m = list(re.finditer(r'"total":"(-?[0-9.]+)"', t))[-1]
    b["leaves"][i] = t[:m.start(1)] + _bump_amount(m.group(1)) + t[m.end(1):]
    return "leaf %d total -> %s" % (i, _bump_amount(m.group(1)))


def tamper_digit(b):
    """Change the last digit of a digit run in the properties of a middle event leaf."""
    leaves = b["leaves"]
    idx = [i for i, t in enumerate(leaves) if t.startswith('{"kind":"event"')]
    for i in idx[len(idx) // 2:] + idx[:len(idx) // 2]:
        t = leaves[i]
        p = t.index('"properties":')
        for j in range(p, len(t) - 1):
            if t[j].isdigit() and not t[j + 1].isdigit():
                leaves[i] = t[:j] + str((int(t[j]) + 1) % 10) + t[j + 1:]
                return "leaf %d" % i
    raise RuntimeError("no event leaf with a digit")


def cases_for(bundle_a, bundle_b, key_a, key_b, later):
    """[(name, bytes, vkey, expected exit or None, group)]: group "required" (documented,
    and agreement with raas decides the exit code), "doc" (documented; this verifier must
    give the documented verdict, raas's is only reported) or "probe" (not documented:
    both verdicts are reported). later: [(name, invoice document text)] to append."""
    out = [("genuine", bundle_a, key_a, 0, "required"),
           ("genuine (other directory, its key)", bundle_b, key_b, 0, "required")]

    def mk(name, fn, key=key_a, expect=4, src=bundle_a, group="required", **kw):
        b = load_std(src)
        extra = fn(b)
        out.append((name + (" (%s)" % extra if extra else ""), dump_std(b, **kw), key, expect,
                    group))

    mk("a changed digit in an event leaf", tamper_digit)

    def drop(b):
        i = len(b["leaves"]) // 2
        del b["leaves"][i]
        return "leaf %d" % i
    mk("a dropped leaf", drop)
    mk("the last leaf dropped", lambda b: b["leaves"].pop() and None)

    def swap(b):
        ls = b["leaves"]
        i = len(ls) // 2
        while ls[i] == ls[i + 1]:
            i += 1
        ls[i], ls[i + 1] = ls[i + 1], ls[i]
        return "leaves %d and %d" % (i, i + 1)
    mk("two leaves swapped", swap)

    def amount(b):
        ln = b["invoices"][0]["lines"][0]
        ln["amount"] = _bump_amount(ln["amount"])
        return "invoice 1 line 1 -> %s" % ln["amount"]
    mk("a changed invoice amount", amount)

    def total(b):
        inv = b["invoices"][-1]
        inv["total"] = _bump_amount(inv["total"])
        return "last invoice total -> %s" % inv["total"]
    mk("a changed invoice total", total)

    def cp(b):
        b["checkpoint"] = other["checkpoint"]
    other = load_std(bundle_b)
    mk("the checkpoint of another demo directory (another key)", cp)

    def sig_bytes(note, fn):
        body, line = note.split("\n\n")
        dash, name, b64 = line.rstrip("\n").split(" ")
        raw = bytearray(base64.b64decode(b64))
        fn(raw)
        return body + "\n\n" + " ".join([dash, name, base64.b64encode(bytes(raw)).decode()]) \
            + "\n"

    def flip(b):
        b["checkpoint"] = sig_bytes(b["checkpoint"], lambda r: r.__setitem__(40, r[40] ^ 4))
    mk("one bit of the checkpoint's signature flipped", flip)

    def other_sig(b):
        mine = base64.b64decode(b["checkpoint"].split(" ")[-1])[:4]
        b["checkpoint"] = sig_bytes(other["checkpoint"], lambda r: r.__setitem__(
            slice(0, 4), mine))
    mk("the other directory's checkpoint under this key's id", other_sig)

    def size_changed(b):
        lines = b["checkpoint"].split("\n")
        lines[1] = str(int(lines[1]) - 1)
        b["checkpoint"] = "\n".join(lines)
        b["leaves"].pop()
    mk("the checkpoint's size lowered by one (and the last leaf dropped)", size_changed)

    def resigned(b):
        b["checkpoint"] = other["checkpoint"]
        b["verifier_key"] = other["verifier_key"]
    mk("re-signed under another key, carrying that key", resigned)
    out.append(("the other directory's bundle against the published key", bundle_b, key_a, 4,
                "required"))
    out.append(("not JSON", bundle_a[:len(bundle_a) // 2], key_a, 2, "required"))
    mk("a required key missing", lambda b: b.pop("checkpoint") and None, expect=2)
    # harmless re-encodings: bundle.md "a reader must not depend on whitespace, escaping or
    # the order of keys, and must ignore keys it does not know"

    def reorder(b):
        items = list(b.items())[::-1]
        b.clear()
        b.update(items)
        b["later_key"] = {"x": [1, 2]}
    mk("re-encoded: top-level keys reversed, indented, \\u escapes, an unknown key", reorder,
       expect=0, indent=1, ensure_ascii=True)

    def reverse(o):
        it = list(o.items())[::-1]
        o.clear()
        o.update(it)

    def inv_order(b):
        for inv in b["invoices"]:
            reverse(inv)
            reverse(inv["period"])
            for ln in inv["lines"]:
                reverse(ln)
    # bundle.md: "a reader must not depend on ... the order of keys"; step 4 serialises the
    # bundle's invoice with settlement.md's key order
    mk("re-encoded: the members of every invoice object in reverse order", inv_order,
       expect=0, group="doc")

    # Re-signed under a third key (this verifier's own signing): the key and signature
    # steps pass, so only the leaf reading and the replay can catch a change. raas verify
    # is given that key too; expect None: the two verdicts must agree, whatever they are.
    third_seed = hashlib.sha256(b"bundle_verifier third key").digest()

    def resigned_by_third(name, fn, expect, group="required"):
        b = load_std(bundle_a)
        extra = fn(b)
        vk = resign(b, third_seed)
        out.append((("probe: " if group == "probe" else "") + "re-signed by a third key, " +
                    name + (" (%s)" % extra if extra else ""), dump_std(b), vk, expect, group))
    resigned_by_third("nothing else changed", lambda b: None, 0)

    def price(b):
        for i, t in enumerate(b["leaves"]):
            if t.startswith('{"kind":"contract"'):
                m = re.search(r'"amount":"([0-9.]+)"', t)
                b["leaves"][i] = t[:m.start(1)] + _bump_amount(m.group(1)) + t[m.end(1):]
                return "leaf %d: a price %s -> %s" % (i, m.group(1), _bump_amount(m.group(1)))
    resigned_by_third("a price in the contract leaf changed", price, 4)
    resigned_by_third("leaves 0 and 1 swapped (a clock goes back)", swap01, 4)
    resigned_by_third("a space in a leaf", lambda b: b["leaves"].__setitem__(
        1, b["leaves"][1].replace(",", ", ", 1)), 4)
    resigned_by_third("\\u0041-style escape in a leaf", lambda b: b["leaves"].__setitem__(
        1, b["leaves"][1].replace('"kind"', '"\\u006bind"', 1)), 4)
    resigned_by_third("a leaf of another customer", lambda b: b["leaves"].__setitem__(
        1, b["leaves"][1].replace('"customer":"%s"' % b["customer"], '"customer":"zz-other"',
                                  1)), 4)
    if len(load_std(bundle_a)["leaves"]) <= 2000:  # each is a new replay: small logs only
        resigned_by_third("a digit of an event leaf changed", tamper_digit, None)
        resigned_by_third("an event leaf dropped", drop_event, None)
    resigned_by_third("the last invoice leaf's amount changed", bump_invoice_leaf, None)
    # leaves.md gives a reading procedure for event leaves only; these probe the rest
    resigned_by_third("effective_at of the contract leaf one hour later", lambda b:
                      b["leaves"].__setitem__(0, re.sub(
                          r'("effective_at":"[0-9-]+T)00', r"\g<1>01", b["leaves"][0], 1)),
                      None, "probe")
    resigned_by_third("a leaf of an unknown kind appended", lambda b: b["leaves"].append(
        '{"kind":"dispute","customer":"%s"}' % b["customer"]), None, "probe")
    if len(load_std(bundle_a)["leaves"]) <= 2000:
        resigned_by_third("an event's time more than 24 h after its received time",
                          future_event, None, "probe")

    # probes: properties the documented algorithm (bundle.md "Verifying a bundle") does not
    # check; what raas does there is outside the documents
    def probe(name, fn):
        mk("probe: " + name, fn, expect=None, group="probe")
    probe("the first invoice dropped", lambda b: b["invoices"].pop(0) and None)
    probe("no invoice at all", lambda b: b["invoices"].clear())
    probe("an invoice listed twice", lambda b: b["invoices"].append(b["invoices"][-1]))
    probe("invoices not oldest first", lambda b: b["invoices"].reverse())
    probe("period changed", lambda b: b.__setitem__("period", "2025-01-01"))
    probe("format changed", lambda b: b.__setitem__("format", "raas-evidence-bundle/2"))
    probe("leaves not an array", lambda b: b.__setitem__("leaves", {}))
    probe("a number for the tenant", lambda b: b.__setitem__("tenant", 7))
    for name, text in later:
        probe(name, lambda b, t=text: b["invoices"].append(ref.parse_json(t)))
    return out


def later_invoices(raas, data_dir, bundle):
    """Invoices a bundle could claim beyond its checkpoint, replayed from its own leaves:
    the locked invoice of the period after its last one, and a draft of that period."""
    b = load_std(bundle)
    if not b["invoices"]:
        return []
    month = b["invoices"][-1]["period"]["end"][:7]
    p = run(raas, "-d", data_dir, "invoice", b["contract"], month)
    if p.returncode:
        return []
    real = json.loads(p.stdout)
    start, as_of = ref.parse_time(real["period"]["start"]), ref.parse_time(real["as_of"])
    out = []
    try:
        out.append(("the next period's locked invoice, not covered by the checkpoint, "
                    "replayed from the bundle", replay_bundle(bundle, start, as_of)))
        out.append(("a draft of the next period, replayed from the bundle",
                    replay_bundle(bundle, start, start + DAY)))
    except (Reject, NotABundle, ValueError):
        pass
    return out


STALE_CONTRACT = ('{"id":"c1","customer":"acme","currency":"USD","period":"month",'
                  '"start":"2026-01-01","lock_after":"5d","results":[{"name":"lead",'
                  '"on":"lead.created","entity":"lead_id","hold":"14d",'
                  '"reversed_by":{"on":"lead.rejected"},'
                  '"price":{"model":"unit","amount":"100.00"}}]}')
STALE_LEADS = [
    '{"id":"l1","customer":"acme","type":"lead.created","time":"2026-01-03T00:00:00Z",'
    '"properties":{"lead_id":"A"}}',
    '{"id":"l2","customer":"acme","type":"lead.created","time":"2026-01-04T00:00:00Z",'
    '"properties":{"lead_id":"B"}}']
STALE_REVERSAL = ['{"id":"r1","customer":"acme","type":"lead.rejected",'
                  '"time":"2026-01-10T00:00:00Z","properties":{"lead_id":"A"}}']


def stale_checkpoint_cases(raas, tmp):
    """A tenant t1 whose customer acme has a checkpoint over two leads (signed on request),
    then a reversal of one lead, then the January invoice locked (one lead billed). The
    genuine bundle must verify; the probe is a bundle made of the older checkpoint, its
    shorter log and the January invoice replayed from it (two leads billed): every step of
    bundle.md passes, yet it contradicts the stored invoice."""
    d = os.path.join(tmp, "stale")
    files = {}
    for name, lines in (("c.json", [STALE_CONTRACT]), ("e1.ndjson", STALE_LEADS),
                        ("e2.ndjson", STALE_REVERSAL)):
        files[name] = os.path.join(tmp, name)
        with open(files[name], "w") as f:
            f.write("\n".join(lines) + "\n")
    steps = [("init", d, "--tenant", "t1"),
             ("-d", d, "contract", "apply", files["c.json"], "--now", "2025-12-20T00:00:00Z"),
             ("-d", d, "ingest", files["e1.ndjson"], "--now", "2026-01-05T00:00:00Z"),
             ("-d", d, "evidence", "checkpoint", "acme"),
             ("-d", d, "ingest", files["e2.ndjson"], "--now", "2026-02-02T00:00:00Z"),
             ("-d", d, "settle", "--now", "2026-02-07T00:00:00Z"),
             ("-d", d, "evidence", "bundle", "c1", "2026-01", "-o", os.path.join(tmp, "st.json")),
             ("-d", d, "evidence", "key")]
    outs = []
    for st in steps:
        p = run(raas, *st)
        if p.returncode:
            raise RuntimeError("raas %s: exit %d: %s" % (" ".join(st), p.returncode,
                                                        p.stderr.decode(errors="replace")))
        outs.append(p.stdout.decode())
    old = json.loads(outs[3].splitlines()[0])
    key = outs[7].strip()
    with open(os.path.join(tmp, "st.json"), "rb") as f:
        genuine = f.read()
    b = load_std(genuine)
    b["checkpoint"] = old["checkpoint"]
    b["leaves"] = b["leaves"][:old["size"]]
    inv = b["invoices"][0]
    forged = replay_bundle(dump_std(b), ref.parse_time(inv["period"]["start"]),
                           ref.parse_time(inv["as_of"]))
    b["invoices"] = [ref.parse_json(forged)]
    return [("genuine (tenant t1, a reversal after a checkpoint)", genuine, key, 0, "required"),
            ("probe: an older checkpoint, its shorter log and an invoice replayed from it "
             "(total %s, the stored invoice says %s)" % (b["invoices"][0]["total"],
                                                         inv["total"]),
             dump_std(b), key, None, "probe")]


def end_to_end(raas, verbose):
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="raas-bundle-verifier-")
    problems, gaps = [], []
    count = {"required": 0, "agree": 0, "doc": 0}
    probes = {}  # name -> {(raas, mine, strict): [labels]}
    n = [0]

    def judge(label, name, data, key, expect, group):
        n[0] += 1
        path = os.path.join(tmp, "case-%d.json" % n[0])
        with open(path, "wb") as fh:
            fh.write(data)
        p = run(raas, "verify", path, "--key", key)
        theirs = p.returncode
        why = (p.stderr or p.stdout).decode(errors="replace").strip().splitlines()
        why = why[-1] if why else ""
        mine, msg, notes = verdict(data, key)
        strict = verdict(data, key, strict=True)[0] if notes else mine
        line = "%s: %s: raas verify %d, this verifier %d (%s)%s" % (
            label, name, theirs, mine, msg, "; notes: " + "; ".join(notes) if notes else "")
        if group == "probe":
            base = re.sub(r" \([^()]*\)$", "", name[len("probe: "):])
            probes.setdefault(base, {}).setdefault((theirs, mine, strict), []).append(label)
            if mine != theirs:
                gaps.append("PROBE DIFFERS: %s | raas: %s" % (line, why))
            elif verbose:
                print("probe", line)
            return
        if group == "doc":
            count["doc"] += 1
            if mine != expect:
                problems.append("%s | documented: %d" % (line, expect))
            elif theirs != expect:
                gaps.append("RAAS DIFFERS FROM THE DOCUMENTS: %s | raas: %s" % (line, why))
            elif verbose:
                print("ok", line)
            return
        count["required"] += 1
        if mine == theirs:
            count["agree"] += 1
        if mine != theirs or (expect is not None and mine != expect):
            problems.append("%s | expected %s | raas: %s" % (line, expect, why))
        elif verbose:
            print("ok", line)

    try:
        dirs = [os.path.join(tmp, "a"), os.path.join(tmp, "b")]
        for d in dirs:
            p = run(raas, "demo", d)
            if p.returncode:
                print("FAIL raas demo %s: %s" % (d, p.stderr.decode(errors="replace")))
                return 1
        keys = []
        for d in dirs:
            p = run(raas, "-d", os.path.join(d, "data"), "evidence", "key")
            keys.append(p.stdout.decode().strip())
        ids = {json.loads(x)["id"] for x in
               run(raas, "-d", os.path.join(dirs[0], "data"), "contract", "list")
               .stdout.decode().splitlines()}
        for contract, month in TARGETS:
            if contract not in ids:
                problems.append("%s: not a contract of the demo" % contract)
                continue
            files = []
            for d in dirs:
                f = os.path.join(d, "%s-%s.json" % (contract, month))
                p = run(raas, "-d", os.path.join(d, "data"), "evidence", "bundle", contract,
                        month, "-o", f)
                if p.returncode:
                    problems.append("%s %s: raas evidence bundle exit %d: %s" % (
                        contract, month, p.returncode, p.stderr.decode(errors="replace")))
                    break
                with open(f, "rb") as fh:
                    files.append(fh.read())
            if len(files) < 2:
                continue
            later = later_invoices(raas, os.path.join(dirs[0], "data"), files[0])
            for case in cases_for(files[0], files[1], keys[0], keys[1], later):
                judge("%s %s" % (contract, month), *case)
        try:
            for case in stale_checkpoint_cases(raas, tmp):
                judge("t1 c1 2026-01", *case)
        except RuntimeError as e:
            problems.append("the stale-checkpoint scenario: %s" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, outcomes in probes.items():
        for (theirs, mine, strict), labels in outcomes.items():
            print("probe %s: raas verify %d, this verifier %d, --strict %d (%d bundle%s)" % (
                name, theirs, mine, strict, len(labels), "" if len(labels) == 1 else "s"))
    for g in gaps:
        print(g)
    for p in problems:
        print("FAIL", p)
    nprobes = sum(len(v) for o in probes.values() for v in o.values())
    print("bundle_verifier: %d required cases (%d bundles and their tampered copies): %d agree "
          "with raas verify, %d failed; %d documented extras and %d probes, %d where raas "
          "differs; %.1f s" % (count["required"], len(TARGETS) + 1, count["agree"],
                               len(problems), count["doc"], nprobes, len(gaps),
                               time.time() - t0))
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raas", nargs="?", help="the raas binary (end-to-end mode)")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--vectors", default=os.path.join(REPO, "..", "shared", "vectors",
                                                      "crypto.json"))
    ap.add_argument("--verify", metavar="BUNDLE")
    ap.add_argument("--key", metavar="VKEY")
    ap.add_argument("--strict", action="store_true",
                    help="with --verify: also fail on the notes (bundle properties that "
                         "bundle.md describes but its algorithm does not check)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.vectors)
    if a.verify:
        if a.key is None:
            ap.error("--verify needs --key")
        with open(a.verify, "rb") as f:
            data = f.read()
        notes = []
        try:
            with decimal.localcontext(ref.CTX):
                for line in verify_bundle(data, a.key, notes):
                    print("ok:", line)
        except Reject as e:
            print("FAIL:", e)
            return 4
        except NotABundle as e:
            print("not a bundle:", e, file=sys.stderr)
            return 2
        for n in notes:
            print("note:", n)
        if a.strict and notes:
            print("FAIL: strict: %d note(s)" % len(notes))
            return 4
        print("verified:", a.verify)
        return 0
    if not a.raas:
        ap.error("give RAAS, --self-test or --verify BUNDLE --key VKEY")
    return end_to_end(a.raas, a.verbose)


if __name__ == "__main__":
    sys.exit(main())
