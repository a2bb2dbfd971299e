-- settle_pg.sql — the PostgreSQL 15 baseline of the settlement benchmark (bench/settle.sh): every
-- locked invoice of every contract at the settle clock, computed in SQL the way a user of a
-- Postgres-based billing stack would write it, from the tables bench/settle.sh loads (events with
-- their received time; contracts, result_defs, def_types, tiers and fees from the contract
-- documents). It follows ../shared/spec/settlement.md and the lead's decisions: an event is visible
-- at a cutoff X when received < X; per entity the earliest visible passing event (time, then id)
-- decides alone; confirmed_at = achieved_at + hold unless a visible reversal has its time in
-- [achieved_at, confirmed_at); a confirmed result is billed in the period holding confirmed_at;
-- every line is rounded once (half away from zero; numeric throughout, never float); each period
-- Q carries an adjustment for every earlier locked period P: P's own total re-rated at
-- min(lock(Q), P.end + corrections_within) minus what was billed for P so far (omitted when 0).
-- Output: one compact invoice JSON document per row (settlement.md "The invoice document"),
-- ordered as `raas settle` prints them: lock time, contract id, period start.
--
-- A short script, timed as a whole: two temporary tables (the matched events, then the deciding
-- events of each entity), ANALYZEd so that the planner sees their real sizes, then one query.
-- Scope (bench/settle.sh checks it when loading and stops otherwise): monthly contracts starting on
-- the first of a month, without end (no partial or run-off periods, no proration), `where` either
-- absent or the workload's `source == 'vendor' && score >= 60` (translated below), no
-- `requires`, no `clawback_within`, no `where` on `reversed_by`, price models unit, graduated,
-- percentage. Variable: now (the settle clock, e.g. -v now=2026-04-04T00:00:00Z).
--
-- Session settings of a batch job: JIT off (on 5 million events compiling the expressions cost
-- ~2.5 s more than it saved), and room for the sorts and hashes to stay in memory.
SET TimeZone = 'UTC';
SET jit = off;
SET work_mem = '256MB';

-- One pass over the events: the achieving events passing `where`, and the reversing events,
-- with the entity text (a JSON string as is, a number in plain form, else null: an achieving
-- event without a usable entity is an invalid result of its own, never billed) and the value
-- (a JSON number or a numeric string, rounded to 12 digits; else null).
CREATE TEMPORARY TABLE matched AS
SELECT t.cid, t.def_idx, t.achieving, e.id, e.time, e.received,
       CASE WHEN d.entity_path IS NULL THEN e.id
            WHEN jsonb_typeof(e.properties #> d.entity_path) = 'string' THEN e.properties #>> d.entity_path
            WHEN jsonb_typeof(e.properties #> d.entity_path) = 'number'
                 THEN trim_scale((e.properties #>> d.entity_path)::numeric)::text
       END AS key,
       CASE WHEN NOT t.achieving OR d.value_path IS NULL THEN NULL
            WHEN jsonb_typeof(e.properties #> d.value_path) = 'number'
                 THEN round((e.properties #>> d.value_path)::numeric, 12)
            WHEN jsonb_typeof(e.properties #> d.value_path) = 'string'
                 AND (e.properties #>> d.value_path) ~ '^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$'
                 THEN round((e.properties #>> d.value_path)::numeric, 12)
       END AS value
FROM events e
JOIN def_types t ON t.customer = e.customer AND t.type = e.type
JOIN result_defs d ON d.cid = t.cid AND d.def_idx = t.def_idx
WHERE NOT t.achieving OR d.where_expr IS NULL
   OR (e.properties -> 'source' = '"vendor"'::jsonb
       AND jsonb_typeof(e.properties -> 'score') = 'number'
       AND (e.properties ->> 'score')::numeric >= 60);
ANALYZE matched;

-- Per entity, the earliest event (time, then id) among those visible at a cutoff X decides alone:
-- an achieving event decides at every X with received < X <= hidden_until, the earliest received
-- time of the entity's events before it (none before it: every X after its arrival). Kept: the
-- valid deciders (achieved in the term; a valid value when the definition names one), with their
-- confirmation, the local month holding it (p_idx, 0 = the first period) and the commission.
CREATE TEMPORARY TABLE deciders AS
WITH ranked AS (
	SELECT m.cid, m.def_idx, m.key, m.id, m.time, m.received, m.value,
	       min(m.received) OVER (PARTITION BY m.key, m.cid, m.def_idx ORDER BY m.time, m.id
	                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS hidden_until
	FROM matched m
	WHERE m.achieving AND m.key IS NOT NULL
)
SELECT r.cid, r.def_idx, r.key, r.id, r.time, r.time + d.hold AS confirmed_at, r.received,
       r.hidden_until, r.value,
       ((extract(year FROM (r.time + d.hold) AT TIME ZONE 'UTC' + c.tzoff) - extract(year FROM c.start_date)) * 12
        + extract(month FROM (r.time + d.hold) AT TIME ZONE 'UTC' + c.tzoff)
        - extract(month FROM c.start_date))::int AS p_idx,
       CASE WHEN d.model = 'percentage'
            THEN least(greatest(round(r.value * d.rate, 12), coalesce(d.pct_min, round(r.value * d.rate, 12))),
                       coalesce(d.pct_max, round(r.value * d.rate, 12)))
       END AS commission
FROM ranked r
JOIN result_defs d ON d.cid = r.cid AND d.def_idx = r.def_idx
JOIN contracts c ON c.cid = r.cid
WHERE (r.hidden_until IS NULL OR r.received < r.hidden_until)
  AND r.time >= (c.start_date - c.tzoff) AT TIME ZONE 'UTC'
  AND (d.value_path IS NULL OR (r.value IS NOT NULL AND abs(r.value) < 1e26));
ANALYZE deciders;

WITH
-- In-term monthly periods locked by the clock: [p_start, p_end), lock = p_end + lock_after.
periods AS (
	SELECT g.*, g.p_end + c.lock_after AS lock, c.corrections_within
	FROM contracts c
	CROSS JOIN LATERAL generate_series(0, ((extract(year FROM :'now'::timestamptz) - extract(year FROM c.start_date)) * 12
	                                      + extract(month FROM :'now'::timestamptz) - extract(month FROM c.start_date))::int) AS n
	CROSS JOIN LATERAL (SELECT c.cid, n AS p_idx,
	                           (c.start_date + make_interval(months => n) - c.tzoff) AT TIME ZONE 'UTC' AS p_start,
	                           (c.start_date + make_interval(months => n + 1) - c.tzoff) AT TIME ZONE 'UTC' AS p_end) g
	WHERE g.p_end + c.lock_after <= :'now'::timestamptz
),
-- The evaluations: P re-rated for the invoice of every period Q >= P (Q = P: P's own lines as locked).
evals AS (
	SELECT p.cid, p.p_idx, q.p_idx AS q_idx, least(q.lock, p.p_end + p.corrections_within) AS cutoff
	FROM periods p JOIN periods q ON q.cid = p.cid AND q.p_idx >= p.p_idx
),
evals_distinct AS (SELECT DISTINCT cid, p_idx, cutoff FROM evals),
-- reversed_seen: the earliest received time of a reversal inside the hold [achieved_at,
-- confirmed_at); the result is reversed at a cutoff X when that is before X.
results AS (
	SELECT k.cid, k.def_idx, k.p_idx, k.confirmed_at, k.received, k.hidden_until, k.value, k.commission,
	       v.reversed_seen
	FROM deciders k
	LEFT JOIN (SELECT k2.cid, k2.def_idx, k2.id, min(v.received) AS reversed_seen
	           FROM deciders k2
	           JOIN matched v ON v.cid = k2.cid AND v.def_idx = k2.def_idx AND v.key = k2.key AND NOT v.achieving
	           WHERE v.time >= k2.time AND v.time < k2.confirmed_at
	           GROUP BY k2.cid, k2.def_idx, k2.id) v ON v.cid = k.cid AND v.def_idx = k.def_idx AND v.id = k.id
),
-- What each evaluation (P at cutoff X) bills: results confirmed in P, deciding at X (received
-- before X, no earlier event of the entity visible), confirmed by the clock X, not reversed by
-- what is visible at X.
billed AS (
	SELECT ev.cid, ev.p_idx, ev.cutoff, r.def_idx,
	       count(*) AS n, sum(r.value) AS value_sum, sum(r.commission) AS commission_sum
	FROM results r
	JOIN evals_distinct ev ON ev.cid = r.cid AND ev.p_idx = r.p_idx
	WHERE r.received < ev.cutoff AND (r.hidden_until IS NULL OR ev.cutoff <= r.hidden_until)
	  AND r.confirmed_at <= ev.cutoff AND (r.reversed_seen IS NULL OR r.reversed_seen >= ev.cutoff)
	GROUP BY ev.cid, ev.p_idx, ev.cutoff, r.def_idx
),
-- One result line per definition and evaluation (quantity 0 when nothing is billed).
quantities AS (
	SELECT ev.cid, ev.p_idx, ev.cutoff, d.def_idx, d.name, d.model, d.unit_amount, c.minor,
	       CASE WHEN d.model = 'percentage' OR d.measure = 'value'
	            THEN coalesce(b.value_sum, 0) ELSE coalesce(b.n, 0) END AS quantity,
	       coalesce(b.commission_sum, 0) AS commission_sum
	FROM evals_distinct ev
	JOIN contracts c ON c.cid = ev.cid
	JOIN result_defs d ON d.cid = ev.cid
	LEFT JOIN billed b ON b.cid = ev.cid AND b.p_idx = ev.p_idx AND b.cutoff = ev.cutoff
	                  AND b.def_idx = d.def_idx
),
-- Graduated: each tier prices the part of the quantity inside (lower, up_to], plus its flat.
graduated AS (
	SELECT q.cid, q.p_idx, q.cutoff, q.def_idx,
	       sum(CASE WHEN p.part > 0 THEN p.part * t.amount + t.flat ELSE 0 END) AS amount
	FROM quantities q
	JOIN tiers t ON t.cid = q.cid AND t.def_idx = q.def_idx
	CROSS JOIN LATERAL (SELECT least(q.quantity, coalesce(t.up_to, q.quantity)) - t.lower AS part) p
	WHERE q.model = 'graduated'
	GROUP BY q.cid, q.p_idx, q.cutoff, q.def_idx
),
result_lines AS (
	SELECT q.cid, q.p_idx, q.cutoff, q.def_idx, q.name, q.quantity,
	       round(CASE q.model WHEN 'percentage' THEN q.commission_sum
	                          WHEN 'unit' THEN q.quantity * q.unit_amount
	                          ELSE coalesce(g.amount, 0) END, q.minor) AS amount
	FROM quantities q
	LEFT JOIN graduated g ON g.cid = q.cid AND g.p_idx = q.p_idx AND g.cutoff = q.cutoff
	                     AND g.def_idx = q.def_idx
),
fee_sums AS (
	SELECT f.cid, sum(round(f.amount, c.minor)) AS fee_sum
	FROM fees f JOIN contracts c ON c.cid = f.cid
	GROUP BY f.cid
),
-- P's own total at an evaluation: result lines + fees, then the minimum and cap lines.
own AS (
	SELECT r.cid, r.p_idx, r.cutoff, m.min_line, k.cap_line,
	       s.subtotal + coalesce(m.min_line, 0) + coalesce(k.cap_line, 0) AS own_total
	FROM (SELECT cid, p_idx, cutoff, sum(amount) AS result_sum
	      FROM result_lines GROUP BY cid, p_idx, cutoff) r
	JOIN contracts c ON c.cid = r.cid
	LEFT JOIN fee_sums f ON f.cid = r.cid
	CROSS JOIN LATERAL (SELECT r.result_sum + coalesce(f.fee_sum, 0) AS subtotal) s
	CROSS JOIN LATERAL (SELECT CASE WHEN c.minimum IS NOT NULL AND s.subtotal < c.minimum
	                                THEN round(c.minimum - s.subtotal, c.minor) END AS min_line) m
	CROSS JOIN LATERAL (SELECT CASE WHEN c.cap IS NOT NULL AND s.subtotal + coalesce(m.min_line, 0) > c.cap
	                                THEN round(c.cap - (s.subtotal + coalesce(m.min_line, 0)), c.minor)
	                           END AS cap_line) k
),
-- The adjustment of P on Q: re-rated at Q's cutoff minus billed so far (P at the previous Q).
adjustments AS (
	SELECT e.cid, e.q_idx, e.p_idx, a.own_total - b.own_total AS amount
	FROM evals e
	JOIN evals e0 ON e0.cid = e.cid AND e0.p_idx = e.p_idx AND e0.q_idx = e.q_idx - 1
	JOIN own a ON a.cid = e.cid AND a.p_idx = e.p_idx AND a.cutoff = e.cutoff
	JOIN own b ON b.cid = e0.cid AND b.p_idx = e0.p_idx AND b.cutoff = e0.cutoff
	WHERE e.q_idx > e.p_idx AND a.own_total <> b.own_total
),
-- The invoice lines of each locked period Q, in settlement.md's order, as JSON text.
lines AS (
	SELECT l.cid, l.p_idx, 1 AS grp, l.def_idx AS ord, l.amount,
	       '{"type":"result","name":' || to_json(l.name)::text || ',"quantity":"'
	       || trim_scale(l.quantity)::text || '","amount":"' || l.amount::text || '"}' AS doc
	FROM result_lines l JOIN periods p ON p.cid = l.cid AND p.p_idx = l.p_idx AND p.lock = l.cutoff
	UNION ALL
	SELECT p.cid, p.p_idx, 2, f.fee_idx, round(f.amount, c.minor),
	       '{"type":"fee","name":' || to_json(f.name)::text || ',"amount":"' || round(f.amount, c.minor)::text || '"}'
	FROM periods p JOIN contracts c ON c.cid = p.cid JOIN fees f ON f.cid = p.cid
	UNION ALL
	SELECT o.cid, o.p_idx, 3, 0, o.min_line, '{"type":"minimum","amount":"' || o.min_line::text || '"}'
	FROM own o JOIN periods p ON p.cid = o.cid AND p.p_idx = o.p_idx AND p.lock = o.cutoff
	WHERE o.min_line IS NOT NULL
	UNION ALL
	SELECT o.cid, o.p_idx, 4, 0, o.cap_line, '{"type":"cap","amount":"' || o.cap_line::text || '"}'
	FROM own o JOIN periods p ON p.cid = o.cid AND p.p_idx = o.p_idx AND p.lock = o.cutoff
	WHERE o.cap_line IS NOT NULL
	UNION ALL
	SELECT a.cid, a.q_idx, 5, a.p_idx, a.amount,
	       '{"type":"adjustment","period_start":"' || ts_text(p.p_start, c.tzoff, c.tz_text)
	       || '","amount":"' || a.amount::text || '"}'
	FROM adjustments a JOIN periods p ON p.cid = a.cid AND p.p_idx = a.p_idx
	JOIN contracts c ON c.cid = a.cid
)
SELECT '{"contract":' || to_json(c.id)::text || ',"customer":' || to_json(c.customer)::text
       || ',"currency":' || to_json(c.currency)::text
       || ',"period":{"start":"' || ts_text(p.p_start, c.tzoff, c.tz_text) || '","end":"'
       || ts_text(p.p_end, c.tzoff, c.tz_text) || '"},"status":"locked","kind":"'
       || CASE WHEN t.total < 0 THEN 'credit_note' ELSE 'invoice' END
       || '","as_of":"' || ts_text(p.lock, c.tzoff, c.tz_text) || '","lines":[' || t.docs
       || '],"total":"' || t.total::text || '"}'
FROM periods p
JOIN contracts c ON c.cid = p.cid
JOIN (SELECT cid, p_idx, sum(amount) AS total, string_agg(doc, ',' ORDER BY grp, ord) AS docs
      FROM lines GROUP BY cid, p_idx) t ON t.cid = p.cid AND t.p_idx = p.p_idx
ORDER BY p.lock, c.id COLLATE "C", p.p_start;

DROP TABLE deciders;
DROP TABLE matched;
