/* gen_workload.c — the seeded generator of the benchmark workload (bench/README.md).
 *
 * It writes what the ingest benchmark (bench/ingest.sh) and the engine benchmarks feed to raas:
 * OUT/contracts/NNNN-leads.json and NNNN-commission.json (one pay-per-lead and one commission
 * contract per customer, contracts.md), OUT/events/YYYY-MM-DD.ndjson (the events *received* on
 * that UTC day of January–March 2026, in received order, events.md) and OUT/workload.json (the
 * parameters and the counts). It sits before the flow: it makes the input, raas is not linked.
 *
 * Same options → byte-identical output on any machine: the only randomness is the generator's
 * own xoshiro256** seeded by splitmix64, and no floating point is used.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAY_S INT64_C(86400)
#define SEC_US INT64_C(1000000)
#define DAY_US (DAY_S * SEC_US)
#define HOUR_US (INT64_C(3600) * SEC_US)
#define TZ_S (8 * 3600)            /* the contracts' zone, +08:00 */
#define LOCK_AFTER_US (3 * DAY_US) /* the contracts' lock_after, "3d" */
#define NDAYS 90                   /* 2026-01-01 … 2026-03-31 (UTC days) */
#define NMONTHS 3
#define RING 64        /* recent leads per customer that a rejection may name */
#define MONTH_SAMPLE 8 /* leads per customer and month that a late rejection may name */
#define MAX_CUSTOMERS 999999u
#define OUTBUF (1u << 20)

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded with splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A uniform integer in [0, n), n > 0 (Lemire's multiply-shift with rejection: unbiased). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t threshold = (0 - n) % n;
		while (lo < threshold) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* A uniform integer in [lo, hi], lo <= hi. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* ---- calendar (proleptic Gregorian, H. Hinnant's algorithms; no gmtime) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ---- output buffer ---- */

struct out {
	FILE *f;
	const char *path;
	char *buf;
	size_t len;
	uint64_t total;
	int failed;
};

static void out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len) {
		fprintf(stderr, "gen_workload: %s: %s\n", o->path, strerror(errno));
		o->failed = 1;
	}
	o->total += o->len;
	o->len = 0;
}

/* Every event line is far below 1 KiB, so checking for room once per line is enough. */
static void out_room(struct out *o)
{
	if (o->len > OUTBUF - 4096)
		out_flush(o);
}

static void put_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put_mem(o, s, strlen(s));
}

static void put_char(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(o, tmp[--n]);
}

/* v in [0, 10^width) written with leading zeros. */
static void put_fixed(struct out *o, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		o->buf[o->len + (size_t)i] = (char)('0' + v % 10);
		v /= 10;
	}
	o->len += (size_t)width;
}

/* RFC 3339 of t (UTC microseconds, already truncated to the style's precision). style bit 0:
 * write it in +08:00 instead of Z; bit 1: with milliseconds. */
static void put_time(struct out *o, int64_t t, unsigned style)
{
	int64_t s = t / SEC_US; /* times here are after 1970: no negative division */
	uint64_t ms = (uint64_t)(t % SEC_US) / 1000;
	if (style & 1)
		s += TZ_S;
	int64_t days = s / DAY_S, sod = s % DAY_S, y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	put_fixed(o, (uint64_t)y, 4);
	put_char(o, '-');
	put_fixed(o, m, 2);
	put_char(o, '-');
	put_fixed(o, d, 2);
	put_char(o, 'T');
	put_fixed(o, (uint64_t)(sod / 3600), 2);
	put_char(o, ':');
	put_fixed(o, (uint64_t)(sod / 60 % 60), 2);
	put_char(o, ':');
	put_fixed(o, (uint64_t)(sod % 60), 2);
	if (style & 2) {
		put_char(o, '.');
		put_fixed(o, ms, 3);
	}
	put_str(o, (style & 1) ? "+08:00" : "Z");
}

/* ---- the workload ---- */

enum type { T_PAGE_VIEW, T_EMAIL_OPEN, T_LEAD_CREATED, T_LEAD_REJECTED, T_ORDER_PAID, T_COUNT };
static const char *const type_name[T_COUNT] = {"page.view", "email.open", "lead.created",
                                               "lead.rejected", "order.paid"};
/* The mix, in twentieths: 35 % + 35 % noise, 20 % leads, 5 % rejections, 5 % orders. Every block
 * of 20 events holds exactly these, shuffled, so the counts follow the mix exactly. */
static const unsigned type_share[T_COUNT] = {7, 7, 4, 1, 1};
#define BLOCK 20

static const char *const campaigns[] = {"cny-2026",    "brand-search", "retarget-30d",
                                        "spring-sale", "wechat-feed",  "douyin-live",
                                        "partner-b2b", "newyear-2026"};
static const char *const reasons[] = {"duplicate", "invalid_phone", "not_interested", "fraud",
                                      "out_of_area"};

struct lead {
	uint32_t n;
	int64_t t;
};

struct customer {
	uint64_t next_event;
	uint32_t next_lead, next_order;
	uint32_t ring_len, ring_pos;
	struct lead ring[RING];
	uint32_t month_seen[NMONTHS];
	uint32_t month_len[NMONTHS];
	struct lead month[NMONTHS][MONTH_SAMPLE];
	unsigned style;
	char name[16];
};

struct gen {
	struct rng rng;
	uint32_t ncust;
	struct customer *cust;
	int64_t t0;                       /* 2026-01-01T00:00:00Z */
	int64_t month_start[NMONTHS + 1]; /* period boundaries in +08:00, UTC µs */
	uint64_t count[T_COUNT];
	uint64_t late, late_by_type[T_COUNT];
	unsigned block[BLOCK];
	unsigned block_pos;
};

static int month_of(const struct gen *g, int64_t t)
{
	for (int m = 0; m < NMONTHS; m++)
		if (t < g->month_start[m + 1])
			return m;
	return NMONTHS - 1;
}

static int64_t truncate_time(int64_t t, unsigned style)
{
	int64_t unit = (style & 2) ? 1000 : SEC_US;
	return t - t % unit;
}

/* A customer index: 1/8 of the traffic uniform, 7/8 skewed towards the first customers (the
 * product of three uniforms), so a few customers are large (they hit the cap), most are
 * middling and the last ones are small (they end up under the minimum). */
static uint32_t pick_customer(struct gen *g)
{
	uint64_t x = rng_next(&g->rng);
	if ((x & 7) == 0)
		return (uint32_t)rng_below(&g->rng, g->ncust);
	uint64_t a = rng_next(&g->rng) >> 32, b = rng_next(&g->rng) >> 32;
	uint64_t c = rng_next(&g->rng) >> 32;
	return (uint32_t)((((((a * b) >> 32) * c) >> 32) * g->ncust) >> 32);
}

static unsigned next_type(struct gen *g)
{
	if (g->block_pos == BLOCK) {
		unsigned k = 0;
		for (unsigned t = 0; t < T_COUNT; t++)
			for (unsigned i = 0; i < type_share[t]; i++)
				g->block[k++] = t;
		for (unsigned i = BLOCK - 1; i > 0; i--) {
			unsigned j = (unsigned)rng_below(&g->rng, i + 1);
			unsigned tmp = g->block[i];
			g->block[i] = g->block[j];
			g->block[j] = tmp;
		}
		g->block_pos = 0;
	}
	return g->block[g->block_pos++];
}

/* The lag between an event happening and its arrival: mostly minutes, sometimes hours, rarely
 * up to 36 h (a phone that was offline). 36 h + the 24 h of one chunk stays below lock_after,
 * so only the events chosen as late arrive after their period locked. */
static int64_t pick_lag(struct gen *g)
{
	uint64_t p = rng_below(&g->rng, 100);
	if (p < 70)
		return rng_range(&g->rng, 0, 15 * 60 * SEC_US);
	if (p < 90)
		return rng_range(&g->rng, 15 * 60 * SEC_US, 2 * HOUR_US);
	if (p < 98)
		return rng_range(&g->rng, 2 * HOUR_US, 12 * HOUR_US);
	return rng_range(&g->rng, 12 * HOUR_US, 36 * HOUR_US);
}

static void remember_lead(struct gen *g, struct customer *c, uint32_t n, int64_t t)
{
	c->ring[c->ring_pos] = (struct lead){n, t};
	c->ring_pos = (c->ring_pos + 1) % RING;
	if (c->ring_len < RING)
		c->ring_len++;
	int m = month_of(g, t);
	uint32_t seen = ++c->month_seen[m];
	if (c->month_len[m] < MONTH_SAMPLE) {
		c->month[m][c->month_len[m]++] = (struct lead){n, t};
	} else {
		uint64_t j = rng_below(&g->rng, seen); /* reservoir sampling */
		if (j < MONTH_SAMPLE)
			c->month[m][j] = (struct lead){n, t};
	}
}

/* Writes one event received at r (UTC µs) into o. late_month >= 0 asks for an event whose
 * time lies in that (already locked) month. Returns 1 when the event is late. */
static int emit(struct gen *g, struct out *o, int64_t r, int late_month)
{
	unsigned type = next_type(g);
	uint32_t ci = pick_customer(g);
	struct lead lead = {0, 0};

	if (type == T_LEAD_REJECTED) {
		/* A rejection names an earlier lead of its customer: find one that has. */
		int found = 0;
		for (int tries = 0; tries < 16 && !found; tries++) {
			if (tries)
				ci = pick_customer(g);
			struct customer *c = &g->cust[ci];
			if (late_month >= 0) {
				uint32_t n = c->month_len[late_month];
				if (n) {
					lead = c->month[late_month][rng_below(&g->rng, n)];
					found = lead.t <
					        g->month_start[late_month + 1] - 120 * SEC_US;
				}
			} else if (c->ring_len) {
				found = 1;
			}
		}
		if (!found)
			type = T_LEAD_CREATED; /* only at the very start, or for a tiny customer */
	}

	struct customer *c = &g->cust[ci];
	int64_t t;
	if (late_month >= 0) {
		int64_t lo = g->month_start[late_month], hi = g->month_start[late_month + 1] - 1;
		if (lo < g->t0)
			lo = g->t0;
		if (type == T_LEAD_REJECTED) {
			/* A while after the lead, still inside the lead's (locked) month. */
			int64_t span = hi - lead.t;
			if (span > 10 * DAY_US)
				span = 10 * DAY_US;
			t = lead.t + rng_range(&g->rng, 60 * SEC_US, span);
		} else {
			t = rng_range(&g->rng, lo, hi);
		}
	} else {
		if (rng_below(&g->rng, 200) == 0) /* a client clock slightly ahead */
			t = r + rng_range(&g->rng, 0, 120 * SEC_US);
		else
			t = r - pick_lag(g);
		if (t < g->t0) /* nothing happened before the workload starts */
			t = rng_range(&g->rng, g->t0, r);
	}
	t = truncate_time(t, c->style);

	if (type == T_LEAD_REJECTED && late_month < 0) {
		/* Prefer a lead that happened before the rejection; after 4 tries take what we have
		 * (a rejection that precedes its lead is a fact too: it reverses nothing). */
		for (int tries = 0; tries < 4; tries++) {
			uint32_t back = (uint32_t)rng_below(&g->rng, c->ring_len);
			lead = c->ring[(c->ring_pos + RING - 1 - back) % RING];
			if (lead.t <= t)
				break;
		}
	}

	out_room(o);
	put_str(o, "{\"id\":\"e");
	put_u64(o, ++c->next_event);
	put_str(o, "\",\"customer\":\"");
	put_str(o, c->name);
	put_str(o, "\",\"type\":\"");
	put_str(o, type_name[type]);
	put_str(o, "\",\"time\":\"");
	put_time(o, t, c->style);
	put_str(o, "\",\"properties\":{");
	switch (type) {
	case T_PAGE_VIEW: {
		uint64_t p = rng_below(&g->rng, 10);
		put_str(o, "\"url\":\"https://shop.example.cn/");
		if (p == 0) {
			put_str(o, "pricing");
		} else if (p == 1) {
			put_str(o, "cart");
		} else {
			put_str(o, "p/");
			put_u64(o, 1 + rng_below(&g->rng, 5000));
		}
		put_str(o, "\"}");
		break;
	}
	case T_EMAIL_OPEN:
		put_str(o, "\"campaign\":\"");
		if (rng_below(&g->rng, 2)) {
			put_str(o, "newsletter-2026-0");
			put_u64(o, (uint64_t)month_of(g, t) + 1);
		} else {
			put_str(o, "promo-");
			put_u64(o, 1 + rng_below(&g->rng, 20));
		}
		put_str(o, "\"}");
		break;
	case T_LEAD_CREATED: {
		uint32_t n = ++c->next_lead;
		uint64_t score = (rng_below(&g->rng, 101) + rng_below(&g->rng, 101)) / 2;
		put_str(o, "\"lead_id\":\"L");
		put_u64(o, n);
		put_str(o, rng_below(&g->rng, 10) < 8 ? "\",\"source\":\"vendor\""
		                                      : "\",\"source\":\"organic\"");
		put_str(o, ",\"score\":");
		put_u64(o, score);
		put_str(o, ",\"utm\":{\"campaign\":\"");
		put_str(o, campaigns[rng_below(&g->rng, sizeof campaigns / sizeof *campaigns)]);
		put_str(o, "\"}}");
		remember_lead(g, c, n, t);
		break;
	}
	case T_LEAD_REJECTED:
		put_str(o, "\"lead_id\":\"L");
		put_u64(o, lead.n);
		put_str(o, "\",\"reason\":\"");
		put_str(o, reasons[rng_below(&g->rng, sizeof reasons / sizeof *reasons)]);
		put_str(o, "\"}");
		break;
	case T_ORDER_PAID: {
		/* 9.00 … ~3300.00, most orders small; cents as shops price things. */
		uint64_t yuan = 9 + rng_below(&g->rng, 1000) * rng_below(&g->rng, 1000) / 300;
		static const unsigned cents[] = {90, 0, 50, 99, 80};
		uint64_t p = rng_below(&g->rng, 6);
		uint64_t ct = p < 5 ? cents[p] : rng_below(&g->rng, 100);
		put_str(o, "\"order_id\":\"O");
		put_u64(o, ++c->next_order);
		put_str(o, "\",\"amount\":");
		put_u64(o, yuan);
		put_char(o, '.');
		put_fixed(o, ct, 2);
		put_char(o, '}');
		break;
	}
	default:
		break;
	}
	put_str(o, "}\n");
	g->count[type]++;
	if (late_month >= 0) {
		g->late++;
		g->late_by_type[type]++;
	}
	return late_month >= 0;
}

/* ---- files ---- */

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "gen_workload: %s: %s\n", path, strerror(errno));
	return -1;
}

/* 0 when path is a directory with no entries (or does not exist yet). */
static int check_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	if (n) {
		fprintf(stderr,
		        "gen_workload: %s is not empty (remove it or choose another --out)\n",
		        path);
		return -1;
	}
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen_workload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = strlen(text);
	int bad = fwrite(text, 1, n, f) != n;
	bad |= fclose(f) != 0;
	if (bad)
		fprintf(stderr, "gen_workload: %s: write failed\n", path);
	return bad ? -1 : 0;
}

static int write_contracts(const struct gen *g, const char *out)
{
	char path[4096], doc[4096];
	for (uint32_t i = 0; i < g->ncust; i++) {
		const char *cu = g->cust[i].name;
		const char *num = cu + 1;
		int n = snprintf(doc, sizeof doc,
		                 "{\n"
		                 "  \"id\": \"leads-%s\",\n"
		                 "  \"customer\": \"%s\",\n"
		                 "  \"currency\": \"CNY\",\n"
		                 "  \"timezone\": \"+08:00\",\n"
		                 "  \"period\": \"month\",\n"
		                 "  \"start\": \"2026-01-01\",\n"
		                 "  \"lock_after\": \"3d\",\n"
		                 "  \"results\": [\n"
		                 "    {\n"
		                 "      \"name\": \"qualified_lead\",\n"
		                 "      \"on\": \"lead.created\",\n"
		                 "      \"where\": \"source == 'vendor' && score >= 60\",\n"
		                 "      \"entity\": \"lead_id\",\n"
		                 "      \"hold\": \"14d\",\n"
		                 "      \"reversed_by\": {\"on\": \"lead.rejected\"},\n"
		                 "      \"price\": {\"model\": \"graduated\", \"tiers\": [\n"
		                 "        {\"up_to\": 100, \"amount\": \"50.00\"},\n"
		                 "        {\"up_to\": 500, \"amount\": \"40.00\"},\n"
		                 "        {\"up_to\": null, \"amount\": \"30.00\"}]}\n"
		                 "    }\n"
		                 "  ],\n"
		                 "  \"fees\": [{\"name\": \"platform\", \"amount\": \"500.00\"}],\n"
		                 "  \"minimum\": \"1000.00\",\n"
		                 "  \"cap\": \"20000.00\"\n"
		                 "}\n",
		                 cu, cu);
		if (n < 0 || (size_t)n >= sizeof doc)
			return -1;
		snprintf(path, sizeof path, "%s/contracts/%s-leads.json", out, num);
		if (write_text(path, doc))
			return -1;
		n = snprintf(doc, sizeof doc,
		             "{\n"
		             "  \"id\": \"comm-%s\",\n"
		             "  \"customer\": \"%s\",\n"
		             "  \"currency\": \"CNY\",\n"
		             "  \"timezone\": \"+08:00\",\n"
		             "  \"period\": \"month\",\n"
		             "  \"start\": \"2026-01-01\",\n"
		             "  \"lock_after\": \"3d\",\n"
		             "  \"results\": [\n"
		             "    {\n"
		             "      \"name\": \"commission\",\n"
		             "      \"on\": \"order.paid\",\n"
		             "      \"entity\": \"order_id\",\n"
		             "      \"value\": \"amount\",\n"
		             "      \"price\": {\"model\": \"percentage\", \"rate\": \"0.05\"}\n"
		             "    }\n"
		             "  ]\n"
		             "}\n",
		             cu, cu);
		if (n < 0 || (size_t)n >= sizeof doc)
			return -1;
		snprintf(path, sizeof path, "%s/contracts/%s-commission.json", out, num);
		if (write_text(path, doc))
			return -1;
	}
	return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "gen_workload: %s: needs a non-negative integer\n", opt);
		return -1;
	}
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "gen_workload: %s: not a non-negative integer: %s\n", opt, s);
		return -1;
	}
	*v = x;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gen_workload [--events N] [--customers N] [--seed S] --out DIR\n"
	           "  --events N     events to generate (default 5000000)\n"
	           "  --customers N  customers c0001… (default 1000, at most 999999)\n"
	           "  --seed S       PRNG seed (default 1); same options, same bytes\n"
	           "  --out DIR      where contracts/, events/ and workload.json go\n");
}

int main(int argc, char **argv)
{
	uint64_t nevents = 5000000, ncust = 1000, seed = 1;
	const char *out = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--events")) {
			if (parse_u64(a, v, &nevents))
				return 1;
			i++;
		} else if (!strcmp(a, "--customers")) {
			if (parse_u64(a, v, &ncust))
				return 1;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(a, v, &seed))
				return 1;
			i++;
		} else if (!strcmp(a, "--out")) {
			if (!v) {
				fprintf(stderr, "gen_workload: --out: needs a directory\n");
				return 1;
			}
			out = v;
			i++;
		} else {
			fprintf(stderr, "gen_workload: unknown option: %s\n", a);
			usage(stderr);
			return 1;
		}
	}
	if (!out) {
		usage(stderr);
		return 1;
	}
	if (strlen(out) > 2048) {
		fprintf(stderr, "gen_workload: --out: path longer than 2048 bytes\n");
		return 1;
	}
	if (ncust < 1 || ncust > MAX_CUSTOMERS) {
		fprintf(stderr, "gen_workload: --customers: between 1 and %u\n", MAX_CUSTOMERS);
		return 1;
	}
	if (nevents > UINT64_C(1000000000000)) {
		fprintf(stderr, "gen_workload: --events: at most 10^12\n");
		return 1;
	}

	char path[4096];
	char cdir[4096], edir[4096];
	snprintf(cdir, sizeof cdir, "%s/contracts", out);
	snprintf(edir, sizeof edir, "%s/events", out);
	if (make_dir(out) || check_empty(cdir) || check_empty(edir) || make_dir(cdir) ||
	    make_dir(edir))
		return 1;

	static struct gen g;
	uint64_t sm = seed;
	for (int i = 0; i < 4; i++)
		g.rng.s[i] = splitmix64(&sm);
	g.ncust = (uint32_t)ncust;
	g.cust = calloc(ncust, sizeof *g.cust);
	if (!g.cust) {
		fprintf(stderr, "gen_workload: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < g.ncust; i++) {
		snprintf(g.cust[i].name, sizeof g.cust[i].name, "c%04" PRIu32, i + 1);
		/* Each customer's tracker writes one time format: Z or +08:00, ms or not. */
		g.cust[i].style = i % 4;
	}
	g.t0 = days_from_civil(2026, 1, 1) * DAY_US;
	for (unsigned m = 0; m <= NMONTHS; m++)
		g.month_start[m] = (days_from_civil(2026, 1 + m, 1) * DAY_S - TZ_S) * SEC_US;
	g.block_pos = BLOCK;

	if (write_contracts(&g, out))
		return 1;

	/* Events per day: weekdays weigh 10, weekends 7, with 1 % growth a week; the cumulative
	 * split makes the days sum to exactly N. */
	uint64_t w[NDAYS], cum[NDAYS + 1], nday[NDAYS];
	cum[0] = 0;
	for (int d = 0; d < NDAYS; d++) {
		int64_t wd = (days_from_civil(2026, 1, 1) + d + 3) % 7; /* 0 = Monday */
		w[d] = (uint64_t)((wd >= 5 ? 700 : 1000) * (700 + d) / 700);
		cum[d + 1] = cum[d] + w[d];
	}
	for (int d = 0; d < NDAYS; d++)
		nday[d] = (uint64_t)((unsigned __int128)nevents * cum[d + 1] / cum[NDAYS] -
		                     (unsigned __int128)nevents * cum[d] / cum[NDAYS]);

	/* Late events: exactly 1 % of N, chosen by selection sampling among the events received on
	 * days when some earlier month has already locked (lock = end + 3d <= the day's start). */
	uint64_t eligible = 0;
	for (int d = 0; d < NDAYS; d++)
		if (g.t0 + d * DAY_US >= g.month_start[1] + LOCK_AFTER_US)
			eligible += nday[d];
	uint64_t late_need = (nevents + 50) / 100;
	if (late_need > eligible)
		late_need = eligible;

	struct out o = {0};
	o.buf = malloc(OUTBUF);
	if (!o.buf) {
		fprintf(stderr, "gen_workload: out of memory\n");
		return 1;
	}
	int failed = 0;
	uint64_t min_day = UINT64_MAX, max_day = 0;
	for (int d = 0; d < NDAYS && !failed; d++) {
		int64_t day = g.t0 + d * DAY_US;
		int64_t y;
		unsigned mo, da;
		civil_from_days(day / DAY_US, &y, &mo, &da);
		int pn = snprintf(path, sizeof path, "%s/%04" PRId64 "-%02u-%02u.ndjson", edir, y,
		                  mo, da);
		if (pn < 0 || (size_t)pn >= sizeof path) {
			fprintf(stderr, "gen_workload: --out: path too long\n");
			return 1;
		}
		o.f = fopen(path, "w");
		o.path = path;
		if (!o.f) {
			fprintf(stderr, "gen_workload: %s: %s\n", path, strerror(errno));
			return 1;
		}
		int locked = 0; /* months locked before this day */
		while (locked < NMONTHS && g.month_start[locked + 1] + LOCK_AFTER_US <= day)
			locked++;
		uint64_t n = nday[d];
		if (n < min_day)
			min_day = n;
		if (n > max_day)
			max_day = n;
		for (uint64_t k = 0; k < n; k++) {
			/* Received instants spread over the day, non-decreasing. */
			int64_t r = day + (int64_t)(((unsigned __int128)k * (uint64_t)DAY_US +
			                             rng_below(&g.rng, (uint64_t)DAY_US)) /
			                            n);
			int late_month = -1;
			if (locked && late_need && rng_below(&g.rng, eligible) < late_need) {
				/* Usually the month that locked last; an older one at times. */
				late_month = locked - 1;
				if (locked > 1 && rng_below(&g.rng, 4) == 0)
					late_month = (int)rng_below(&g.rng, (uint64_t)locked - 1);
			}
			if (locked)
				eligible--;
			if (emit(&g, &o, r, late_month))
				late_need--;
		}
		out_flush(&o);
		if (fclose(o.f) != 0 || o.failed) {
			fprintf(stderr, "gen_workload: %s: write failed\n", path);
			failed = 1;
		}
	}
	free(o.buf);
	if (failed)
		return 1;

	char summary[2048];
	int sn = snprintf(summary, sizeof summary,
	                  "{\"seed\":%" PRIu64 ",\"customers\":%" PRIu64 ",\"events\":%" PRIu64
	                  ",\"contracts\":%" PRIu64 ",\"days\":%d,\"first_day\":\"2026-01-01\","
	                  "\"last_day\":\"2026-03-31\",\"bytes\":%" PRIu64 ",\"late\":%" PRIu64
	                  ",\"by_type\":{",
	                  seed, ncust, nevents, 2 * ncust, NDAYS, o.total, g.late);
	for (int t = 0; t < T_COUNT; t++)
		sn += snprintf(summary + sn, sizeof summary - (size_t)sn, "%s\"%s\":%" PRIu64,
		               t ? "," : "", type_name[t], g.count[t]);
	sn += snprintf(summary + sn, sizeof summary - (size_t)sn, "},\"late_by_type\":{");
	for (int t = 0; t < T_COUNT; t++)
		sn += snprintf(summary + sn, sizeof summary - (size_t)sn, "%s\"%s\":%" PRIu64,
		               t ? "," : "", type_name[t], g.late_by_type[t]);
	snprintf(summary + sn, sizeof summary - (size_t)sn, "}}\n");
	snprintf(path, sizeof path, "%s/workload.json", out);
	if (write_text(path, summary))
		return 1;

	fprintf(stderr,
	        "gen_workload: seed %" PRIu64 ", %" PRIu64 " customers, %" PRIu64
	        " contracts, %" PRIu64 " events in %d day files (%" PRIu64 "–%" PRIu64
	        " a day), %" PRIu64 " bytes\n",
	        seed, ncust, 2 * ncust, nevents, NDAYS, min_day, max_day, o.total);
	for (int t = 0; t < T_COUNT; t++)
		fprintf(stderr, "  %-14s %10" PRIu64 "  %5.2f %%\n", type_name[t], g.count[t],
		        nevents ? 100.0 * (double)g.count[t] / (double)nevents : 0.0);
	fprintf(stderr, "  %-14s %10" PRIu64 "  %5.2f %%  (received after their period locked)\n",
	        "late", g.late, nevents ? 100.0 * (double)g.late / (double)nevents : 0.0);
	free(g.cust);
	return 0;
}
