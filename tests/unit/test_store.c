/* test_store.c — the storage layer: the tenant log (store/log.h: segments, checksummed
 * records, batched commits, the recovery scan that cuts a torn tail), the id index
 * (store/idtable.h: growth, removal, reopen, boot trust, reset) and the store (store/store.h:
 * data directories, customers, contract versions, the clock, discard, the recovery of a log
 * tail the derived state never saw, writers that die (a forked child that _exits) before,
 * during and between group commits, and allocation failures while opening). Every test runs
 * in its own mkdtemp directory under /tmp, removed afterwards. The test's own buffers use libc
 * malloc so that raas_alloc_fail_at counts only the allocations of the code under test. The
 * crash test of the real binary is tests/integration/crash_ingest.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "raas/time.h"
#include "store/idtable.h"
#include "store/log.h"
#include "store/store.h"

#define SEG RAAS_LOG_SEGMENT_MAX
#define MIB ((size_t)1 << 20)
/* The id index file: a 4096-byte header (idtable.c's struct header: magic[8] at 0, capacity
 * at 8, count at 16, covered at 24, clock at 32, u32 dirty at 40, boot_id[40] at 44), then
 * 16-byte slots; at least 65536 of them. */
#define IDT_HEADER 4096
#define IDT_MIN_CAP ((uint64_t)1 << 16)
#define IDT_OFF_CAPACITY 8
#define IDT_OFF_COUNT 16
#define IDT_OFF_COVERED 24
#define IDT_OFF_CLOCK 32
#define IDT_OFF_DIRTY 40
#define IDT_OFF_BOOT 44
#define IDT_SIZE(cap) ((off_t)(IDT_HEADER + (cap)*16))

/* ---- helpers: temporary directories and files ---- */

struct ctx {
	char dir[64];
};

static void rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (d) {
			while ((e = readdir(d))) {
				char sub[4096];
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof *c);

	if (!c)
		return -1;
	snprintf(c->dir, sizeof c->dir, "/tmp/raas-test-store-XXXXXX");
	if (!mkdtemp(c->dir)) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	raas_alloc_fail_at(0);
	rm_rf(c->dir);
	free(c);
	return 0;
}

RAAS_PRINTF(3, 4) static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : (off_t)-1;
}

/* Returns the whole file (malloc, NUL-terminated) and its length in *len. */
static char *read_all(const char *path, size_t *len)
{
	off_t size = file_size(path);
	char *data;
	int fd;

	assert_true(size >= 0);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, (size_t)size, 0), size);
	close(fd);
	data[size] = '\0';
	if (len)
		*len = (size_t)size;
	return data;
}

static void write_all(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void append_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void patch(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void peek(const char *path, off_t off, void *data, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static void flip_byte(const char *path, uint64_t off)
{
	unsigned char b;

	peek(path, (off_t)off, &b, 1);
	b ^= 0x5a;
	patch(path, (off_t)off, &b, 1);
}

static void assert_file_is(const char *path, const char *expected)
{
	char *data = read_all(path, NULL);

	assert_string_equal(data, expected);
	free(data);
}

static int64_t at(const char *rfc3339)
{
	int64_t us = 0;
	struct raas_err err;

	assert_int_equal(raas_time_parse(rfc3339, strlen(rfc3339), &us, &err), RAAS_OK);
	return us;
}

static size_t rec_size(size_t leaf_len)
{
	return (RAAS_LOG_HEADER_BYTES + leaf_len + 7) & ~(size_t)7;
}

static uint64_t seg_off(uint64_t pos)
{
	return pos & (SEG - 1);
}

/* ---- helpers: the log ---- */

struct exp_rec {
	enum raas_entry_kind kind;
	uint32_t customer_no;
	uint64_t seq;
	int64_t clock;
	const char *leaf;
	size_t len;
	uint64_t pos; /* filled in by add_all */
};

struct scan_check {
	const struct exp_rec *exp;
	size_t nexp;
	size_t seen;
	size_t stop_at; /* return RAAS_E_VERIFY after this many records; 0: never */
};

static void check_record(const struct raas_log_record *rec, const struct exp_rec *e)
{
	assert_int_equal(rec->pos, e->pos);
	assert_int_equal(rec->next, e->pos + rec_size(e->len));
	assert_int_equal(rec->kind, e->kind);
	assert_int_equal(rec->customer_no, e->customer_no);
	assert_int_equal(rec->customer_seq, e->seq);
	assert_true(rec->clock_us == e->clock);
	assert_int_equal(rec->leaf_len, e->len);
	if (e->len)
		assert_memory_equal(rec->leaf, e->leaf, e->len);
}

static raas_rc scan_fn(void *p, const struct raas_log_record *rec)
{
	struct scan_check *c = p;

	assert_true(c->seen < c->nexp);
	check_record(rec, &c->exp[c->seen]);
	c->seen++;
	if (c->stop_at && c->seen == c->stop_at)
		return RAAS_E_VERIFY;
	return RAAS_OK;
}

/* Scans log from position from expecting exactly exp[0..n-1]; returns the scan's code. */
static raas_rc scan_expect(struct raas_log *log, uint64_t from, const struct exp_rec *exp, size_t n,
                           bool truncate)
{
	struct scan_check c = {exp, n, 0, 0};
	struct raas_err err;
	raas_rc rc = raas_log_scan(log, from, 0, scan_fn, &c, truncate, &err);

	assert_int_equal(c.seen, n);
	return rc;
}

static void add_all(struct raas_log *log, struct exp_rec *recs, size_t n)
{
	struct raas_err err;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(raas_log_add(log, recs[i].kind, recs[i].customer_no, recs[i].seq,
		                              recs[i].clock, recs[i].leaf, recs[i].len,
		                              &recs[i].pos),
		                 RAAS_OK);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
}

static void new_log(const struct ctx *c, char *dir, size_t cap)
{
	struct raas_err err;

	pathf(dir, cap, "%s/log", c->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(raas_log_create(dir, &err), RAAS_OK);
}

static struct raas_log *open_log(const char *dir, bool writable)
{
	struct raas_log *log = NULL;
	struct raas_err err;

	assert_int_equal(raas_log_open(dir, writable, &log, &err), RAAS_OK);
	return log;
}

/* A 100-byte leaf with a NUL inside, and other leaves of every padding length. */
static char binary_leaf[100];

static void fill_binary_leaf(void)
{
	for (size_t i = 0; i < sizeof binary_leaf; i++)
		binary_leaf[i] = (char)(i * 7 + 3);
	binary_leaf[10] = '\0';
}

static void fill_pattern(char *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (char)(x >> 16);
	}
}

/* ---- log: round trip, positions, scanning ---- */

static void log_round_trip(void **state)
{
	struct ctx *c = *state;
	char dir[256], seg[300];
	struct raas_log *log;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	uint64_t pos = 0, end;
	struct exp_rec recs[] = {
	        {RAAS_ENTRY_EVENT, 0, 0, 1767225600000000, "", 0, 0},
	        {RAAS_ENTRY_CONTRACT, 7, 1, -1, "x", 1, 0},
	        {RAAS_ENTRY_INVOICE, UINT32_MAX, UINT64_MAX, INT64_MIN, "{\"a\":1}", 7, 0},
	        {RAAS_ENTRY_DISPUTE, 3, 42, INT64_MAX, "{\"a\":12}", 8, 0},
	        {RAAS_ENTRY_RESOLUTION, 4, 5, 0, "{\"a\":123}", 9, 0},
	        {RAAS_ENTRY_EVENT, 0, 1, 1767225600000001, binary_leaf, sizeof binary_leaf, 0},
	};
	size_t n = sizeof recs / sizeof recs[0], total = 0;

	(void)state;
	fill_binary_leaf();
	new_log(c, dir, sizeof dir);
	pathf(seg, sizeof seg, "%s/00000000.seg", dir);
	assert_int_equal(file_size(seg), 0);
	log = open_log(dir, true);
	assert_int_equal(raas_log_end(log), 0);
	assert_int_equal(raas_log_pending(log), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(raas_log_add(log, recs[i].kind, recs[i].customer_no, recs[i].seq,
		                              recs[i].clock, recs[i].leaf, recs[i].len,
		                              &recs[i].pos),
		                 RAAS_OK);
		/* Positions follow each other: 40-byte header, leaf, zeros up to 8 bytes. */
		assert_int_equal(recs[i].pos, total);
		total += rec_size(recs[i].len);
		assert_int_equal(raas_log_pending(log), total);
	}
	assert_int_equal(total, 40 + 48 + 48 + 48 + 56 + 144);
	/* Nothing reaches the disk, and the end does not move, before the commit. */
	assert_int_equal(raas_log_end(log), 0);
	assert_int_equal(file_size(seg), 0);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	assert_int_equal(raas_log_end(log), total);
	assert_int_equal(raas_log_pending(log), 0);
	assert_int_equal(file_size(seg), (off_t)total);

	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(raas_log_read(log, recs[i].pos, &rec, &scratch, &err), RAAS_OK);
		check_record(&rec, &recs[i]);
		assert_int_equal(rec.leaf[rec.leaf_len], '\0');
	}
	assert_int_equal(raas_log_read(log, total, &rec, &scratch, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "no log record at position 384");
	assert_int_equal(scan_expect(log, 0, recs, n, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), total);
	raas_log_close(log);

	/* The bytes on disk: magic "RLR1", the length, kind, customer, sequence, clock. */
	{
		unsigned char hdr[40];
		uint32_t u32;
		uint64_t u64;
		peek(seg, (off_t)recs[2].pos, hdr, sizeof hdr);
		assert_memory_equal(hdr, "RLR1", 4);
		memcpy(&u32, hdr + 4, 4);
		assert_int_equal(u32, 7);
		assert_int_equal(hdr[16], RAAS_ENTRY_INVOICE);
		assert_int_equal(hdr[17] | hdr[18] | hdr[19], 0);
		memcpy(&u32, hdr + 20, 4);
		assert_int_equal(u32, UINT32_MAX);
		memcpy(&u64, hdr + 24, 8);
		assert_true(u64 == UINT64_MAX);
		memcpy(&u64, hdr + 32, 8);
		assert_true(u64 == (uint64_t)INT64_MIN);
		peek(seg, (off_t)(recs[2].pos + 40), hdr, 8);
		assert_memory_equal(hdr, "{\"a\":1}\0", 8); /* one byte of zero padding */
	}

	/* Reopened (read-only and writable) it holds the same records and ends after them. */
	log = open_log(dir, false);
	assert_int_equal(raas_log_end(log), total);
	assert_int_equal(scan_expect(log, 0, recs, n, false), RAAS_OK);
	assert_int_equal(raas_log_read(log, recs[5].pos, &rec, &scratch, &err), RAAS_OK);
	check_record(&rec, &recs[5]);
	/* A read-only log takes no records. */
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 0, 0, 0, "x", 1, &pos), RAAS_E_INPUT);
	raas_log_close(log);

	log = open_log(dir, true);
	end = raas_log_end(log);
	assert_int_equal(end, total);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 1, 9, 10, "abc", 3, &pos), RAAS_OK);
	assert_int_equal(pos, total);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	assert_int_equal(raas_log_end(log), total + 48);
	raas_log_close(log);
	assert_int_equal(file_size(seg), (off_t)(total + 48));
	raas_buf_free(&scratch);
}

static void log_discard_and_empty_commit(void **state)
{
	struct ctx *c = *state;
	char dir[256], seg[300];
	struct raas_log *log;
	struct raas_err err;
	uint64_t pos = 99;
	struct exp_rec after[] = {{RAAS_ENTRY_EVENT, 2, 0, 5, "kept", 4, 0}};

	new_log(c, dir, sizeof dir);
	pathf(seg, sizeof seg, "%s/00000000.seg", dir);
	log = open_log(dir, true);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 1, 0, 5, "dropped", 7, &pos), RAAS_OK);
	assert_int_equal(pos, 0);
	raas_log_discard(log);
	assert_int_equal(raas_log_pending(log), 0);
	assert_int_equal(raas_log_end(log), 0);
	/* An empty commit writes nothing. */
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	assert_int_equal(file_size(seg), 0);
	/* The next record takes the discarded one's place. */
	add_all(log, after, 1);
	assert_int_equal(after[0].pos, 0);
	assert_int_equal(raas_log_end(log), 48);
	/* A leaf over the maximum is refused. */
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 1, 0, 5, "x",
	                              (size_t)RAAS_LOG_MAX_LEAF + 1, &pos),
	                 RAAS_E_INPUT);
	assert_int_equal(raas_log_pending(log), 0);
	raas_log_close(log);
	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, after, 1, false), RAAS_OK);
	raas_log_close(log);
}

/* A scan of a writer's log between commits (a server request reading while other requests'
 * events wait for the group commit) leaves the pending batch where it is: it used to move
 * the pending end back to the committed end, so the next record (or the next batch) took
 * the pending records' place and acknowledged events vanished. */
static void log_scan_keeps_pending(void **state)
{
	struct ctx *c = *state;
	char dir[256];
	struct raas_log *log;
	struct raas_err err;
	struct exp_rec all[] = {{RAAS_ENTRY_EVENT, 1, 0, 5, "committed", 9, 0},
	                        {RAAS_ENTRY_EVENT, 1, 1, 6, "pending", 7, 0},
	                        {RAAS_ENTRY_EVENT, 1, 2, 7, "after-scan", 10, 0}};

	new_log(c, dir, sizeof dir);
	log = open_log(dir, true);
	add_all(log, all, 1); /* (commits) */
	assert_int_equal(raas_log_add(log, all[1].kind, all[1].customer_no, all[1].seq,
	                              all[1].clock, all[1].leaf, all[1].len, &all[1].pos),
	                 RAAS_OK);
	assert_int_equal(raas_log_scan(log, 0, 0, NULL, NULL, false, &err), RAAS_OK);
	assert_int_equal(raas_log_add(log, all[2].kind, all[2].customer_no, all[2].seq,
	                              all[2].clock, all[2].leaf, all[2].len, &all[2].pos),
	                 RAAS_OK);
	assert_true(all[2].pos > all[1].pos);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	raas_log_close(log);
	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, all, 3, false), RAAS_OK);
	raas_log_close(log);
}

static void log_scan_from_middle(void **state)
{
	struct ctx *c = *state;
	char dir[256];
	struct raas_log *log;
	struct raas_err err;
	struct exp_rec recs[8];
	char leaves[8][64];
	struct scan_check sc;

	new_log(c, dir, sizeof dir);
	for (size_t i = 0; i < 8; i++) {
		snprintf(leaves[i], sizeof leaves[i], "{\"n\":%zu,\"pad\":\"%.*s\"}", i,
		         (int)(i * 3), "abcdefghijklmnopqrstuvwxyz");
		recs[i] = (struct exp_rec){
		        RAAS_ENTRY_EVENT, (uint32_t)(i % 3), i / 3, (int64_t)i * 1000,
		        leaves[i],        strlen(leaves[i]), 0};
	}
	log = open_log(dir, true);
	add_all(log, recs, 3);
	add_all(log, recs + 3, 5); /* a second batch */
	raas_log_close(log);

	log = open_log(dir, false);
	/* From every record boundary: exactly the records from there on. */
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(scan_expect(log, recs[i].pos, recs + i, 8 - i, false), RAAS_OK);
	/* From the end: nothing. */
	assert_int_equal(scan_expect(log, raas_log_end(log), NULL, 0, false), RAAS_OK);
	/* A callback's non-zero return stops the scan and is returned. */
	sc = (struct scan_check){recs + 2, 6, 0, 2};
	assert_int_equal(raas_log_scan(log, recs[2].pos, 0, scan_fn, &sc, false, &err),
	                 RAAS_E_VERIFY);
	assert_int_equal(sc.seen, 2);
	/* A NULL callback just finds the end. */
	assert_int_equal(raas_log_scan(log, recs[5].pos, 0, NULL, NULL, false, &err), RAAS_OK);
	assert_int_equal(raas_log_end(log), recs[7].pos + rec_size(recs[7].len));
	raas_log_close(log);
}

/* ---- log: torn and damaged tails ---- */

/* Four records; the last has a 21-byte leaf: header 0–39, leaf 40–60, padding 61–63. */
struct tail_fixture {
	char dir[256], seg[300];
	struct exp_rec recs[4];
	char *bytes; /* the whole segment */
	size_t len;
	uint64_t last; /* position of the last record */
};

static void tail_fixture(const struct ctx *c, struct tail_fixture *f)
{
	static char mid[300];
	struct raas_log *log;

	memset(mid, 'm', sizeof mid);
	f->recs[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 0, 10, "0123456789", 10, 0};
	f->recs[1] = (struct exp_rec){RAAS_ENTRY_CONTRACT, 1, 0, 20, mid, sizeof mid, 0};
	f->recs[2] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 1, 30, "abcde", 5, 0};
	f->recs[3] =
	        (struct exp_rec){RAAS_ENTRY_INVOICE, 2, 0, 40, "{\"last\":\"record!!!!\"}", 21, 0};
	assert_int_equal(strlen(f->recs[3].leaf), 21);
	new_log(c, f->dir, sizeof f->dir);
	pathf(f->seg, sizeof f->seg, "%s/00000000.seg", f->dir);
	log = open_log(f->dir, true);
	add_all(log, f->recs, 2);
	add_all(log, f->recs + 2, 2);
	raas_log_close(log);
	f->bytes = read_all(f->seg, &f->len);
	f->last = f->recs[3].pos;
	assert_int_equal(f->last, 56 + 344 + 48);
	assert_int_equal(f->len, f->last + 64);
}

/* With the segment as it is now (damaged after f->last): a read-only scan stops before the
 * last record without changing the file; a writable scan cuts the file there, and an append
 * then goes exactly there. */
static void expect_tail_cut(struct tail_fixture *f)
{
	off_t damaged_size = file_size(f->seg);
	struct exp_rec again[4];
	struct raas_log *log;

	log = open_log(f->dir, false);
	assert_int_equal(raas_log_end(log), (uint64_t)damaged_size); /* the physical end */
	assert_int_equal(scan_expect(log, 0, f->recs, 3, false), RAAS_OK);
	assert_int_equal(raas_log_end(log), f->last);
	raas_log_close(log);
	assert_int_equal(file_size(f->seg), damaged_size);

	log = open_log(f->dir, true);
	assert_int_equal(scan_expect(log, 0, f->recs, 3, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), f->last);
	assert_int_equal(file_size(f->seg), (off_t)f->last);
	memcpy(again, f->recs, sizeof again);
	again[3] = (struct exp_rec){RAAS_ENTRY_EVENT, 3, 7, 50, "appended", 8, 0};
	add_all(log, again + 3, 1);
	assert_int_equal(again[3].pos, f->last);
	raas_log_close(log);
	assert_int_equal(file_size(f->seg), (off_t)(f->last + 48));

	log = open_log(f->dir, true);
	assert_int_equal(scan_expect(log, 0, again, 4, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), f->last + 48);
	raas_log_close(log);
}

static void log_torn_tail(void **state)
{
	struct tail_fixture f;
	/* Inside the header, at its end, inside the leaf, inside the padding. */
	static const size_t cuts[] = {1, 4, 8, 16, 24, 39, 40, 41, 50, 60, 61, 62, 63};

	tail_fixture(*state, &f);
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		write_all(f.seg, f.bytes, f.len);
		assert_int_equal(truncate(f.seg, (off_t)(f.last + cuts[i])), 0);
		expect_tail_cut(&f);
	}
	/* Cut exactly at a record boundary: nothing is torn, the end is that boundary. */
	{
		struct raas_log *log;
		write_all(f.seg, f.bytes, f.len);
		assert_int_equal(truncate(f.seg, (off_t)f.last), 0);
		log = open_log(f.dir, true);
		assert_int_equal(scan_expect(log, 0, f.recs, 3, true), RAAS_OK);
		assert_int_equal(raas_log_end(log), f.last);
		raas_log_close(log);
		assert_int_equal(file_size(f.seg), (off_t)f.last);
	}
	free(f.bytes);
}

static void log_damaged_last_record(void **state)
{
	struct tail_fixture f;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	struct raas_log *log;

	tail_fixture(*state, &f);
	/* Every byte of the header and the leaf (the zero padding carries no data). */
	for (size_t off = 0; off < 40 + 21; off++) {
		write_all(f.seg, f.bytes, f.len);
		flip_byte(f.seg, f.last + off);
		expect_tail_cut(&f);
	}
	/* Zeros after the last record (a file extended but never written) are cut too. */
	{
		static const char zeros[100];
		write_all(f.seg, f.bytes, f.len);
		append_bytes(f.seg, zeros, sizeof zeros);
		f.last = f.len; /* the records are all whole now */
		log = open_log(f.dir, true);
		assert_int_equal(scan_expect(log, 0, f.recs, 4, true), RAAS_OK);
		assert_int_equal(raas_log_end(log), f.len);
		raas_log_close(log);
		assert_int_equal(file_size(f.seg), (off_t)f.len);
		f.last = f.recs[3].pos;
	}
	/* Reading a damaged record says which and why. */
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	write_all(f.seg, f.bytes, f.len);
	flip_byte(f.seg, f.last + 45);
	log = open_log(f.dir, false);
	assert_int_equal(raas_log_read(log, f.last, &rec, &scratch, &err), RAAS_E_VERIFY);
	assert_string_equal(err.message, "log record at position 448 fails its checksum");
	raas_log_close(log);
	write_all(f.seg, f.bytes, f.len);
	flip_byte(f.seg, f.last + 1);
	log = open_log(f.dir, false);
	assert_int_equal(raas_log_read(log, f.last, &rec, &scratch, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "no log record at position 448"); /* bad magic */
	raas_log_close(log);
	raas_buf_free(&scratch);
	free(f.bytes);
}

/* ---- log: records bigger than the scan chunk, chunk boundaries ---- */

static void log_big_records(void **state)
{
	struct ctx *c = *state;
	size_t big = 10 * MIB;
	char dir[256], seg[300];
	char *b1 = malloc(big), *b2 = malloc(big);
	struct raas_log *log;
	struct exp_rec recs[4];
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	char *bytes;
	size_t len;

	assert_non_null(b1);
	assert_non_null(b2);
	fill_pattern(b1, big, 1);
	fill_pattern(b2, big, 2);
	recs[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 0, 1, "small-1", 7, 0};
	recs[1] = (struct exp_rec){RAAS_ENTRY_CONTRACT, 0, 1, 2, b1, big, 0};
	recs[2] = (struct exp_rec){RAAS_ENTRY_EVENT, 1, 0, 3, "small-22", 8, 0};
	recs[3] = (struct exp_rec){RAAS_ENTRY_INVOICE, 1, 1, 4, b2, big - 3, 0};
	new_log(c, dir, sizeof dir);
	pathf(seg, sizeof seg, "%s/00000000.seg", dir);
	log = open_log(dir, true);
	add_all(log, recs, 4);
	assert_int_equal(recs[3].pos, 48 + rec_size(big) + 48);
	raas_log_close(log);

	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, recs, 4, false), RAAS_OK);
	assert_int_equal(scan_expect(log, recs[1].pos, recs + 1, 3, false), RAAS_OK);
	assert_int_equal(scan_expect(log, recs[3].pos, recs + 3, 1, false), RAAS_OK);
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	assert_int_equal(raas_log_read(log, recs[1].pos, &rec, &scratch, &err), RAAS_OK);
	check_record(&rec, &recs[1]);
	raas_buf_free(&scratch);
	raas_log_close(log);

	/* The big last record torn in its leaf, then damaged in its leaf: cut before it. */
	bytes = read_all(seg, &len);
	assert_int_equal(truncate(seg, (off_t)(recs[3].pos + 40 + 5 * MIB)), 0);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, 0, recs, 3, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), recs[3].pos);
	raas_log_close(log);
	assert_int_equal(file_size(seg), (off_t)recs[3].pos);

	write_all(seg, bytes, len);
	flip_byte(seg, recs[3].pos + 40 + 9 * MIB);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, 0, recs, 3, true), RAAS_OK);
	raas_log_close(log);
	assert_int_equal(file_size(seg), (off_t)recs[3].pos);

	/* The big record in the middle damaged: the scan stops before it and cuts there. */
	write_all(seg, bytes, len);
	flip_byte(seg, recs[1].pos + 40 + 1);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, 0, recs, 1, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), recs[1].pos);
	raas_log_close(log);
	assert_int_equal(file_size(seg), (off_t)recs[1].pos);

	free(bytes);
	free(b1);
	free(b2);
}

/* A read-only scan that meets a damaged record bigger than the scan chunk stops before it,
 * like before any other damaged record (it neither fails nor cuts). */
static void log_big_record_damaged_read_only(void **state)
{
	struct ctx *c = *state;
	size_t big = 10 * MIB;
	char dir[256], seg[300];
	char *b1 = malloc(big);
	struct raas_log *log;
	struct exp_rec recs[2];
	struct scan_check sc;
	struct raas_err err;
	uint64_t end;
	raas_rc rc;

	assert_non_null(b1);
	fill_pattern(b1, big, 1);
	recs[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 0, 1, "small-1", 7, 0};
	recs[1] = (struct exp_rec){RAAS_ENTRY_CONTRACT, 0, 1, 2, b1, big, 0};
	new_log(c, dir, sizeof dir);
	pathf(seg, sizeof seg, "%s/00000000.seg", dir);
	log = open_log(dir, true);
	add_all(log, recs, 2);
	raas_log_close(log);
	free(b1);
	flip_byte(seg, recs[1].pos + 40 + 9 * MIB);

	log = open_log(dir, false);
	sc = (struct scan_check){recs, 1, 0, 0};
	rc = raas_log_scan(log, 0, 0, scan_fn, &sc, false, &err);
	end = raas_log_end(log);
	raas_log_close(log);
	assert_int_equal(sc.seen, 1);
	assert_int_equal(file_size(seg), (off_t)(recs[1].pos + rec_size(big)));
	assert_int_equal(rc, RAAS_OK);
	assert_int_equal(end, recs[1].pos);
}

static void log_chunk_boundaries(void **state)
{
	struct ctx *c = *state;
	/* The first record ends 16 bytes before the 8 MiB scan chunk: the next header straddles
	 * the chunk's end; then 3 MiB records straddle later chunk ends. */
	size_t first = 8 * MIB - 16 - 40, mid = 3 * MIB + 5;
	char dir[256], seg[300];
	char *b1 = malloc(first), *b2 = malloc(mid);
	struct exp_rec recs[7];
	struct raas_log *log;

	assert_non_null(b1);
	assert_non_null(b2);
	fill_pattern(b1, first, 3);
	fill_pattern(b2, mid, 4);
	recs[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 0, 1, b1, first, 0};
	recs[1] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 1, 2, "straddles a chunk end", 21, 0};
	for (size_t i = 2; i < 6; i++)
		recs[i] = (struct exp_rec){RAAS_ENTRY_EVENT, 1, i - 2, (int64_t)i, b2, mid - i, 0};
	recs[6] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 2, 7, "end", 3, 0};
	new_log(c, dir, sizeof dir);
	pathf(seg, sizeof seg, "%s/00000000.seg", dir);
	log = open_log(dir, true);
	add_all(log, recs, 7);
	assert_int_equal(recs[1].pos, 8 * MIB - 16);
	raas_log_close(log);

	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, recs, 7, false), RAAS_OK);
	assert_int_equal(scan_expect(log, recs[1].pos, recs + 1, 6, false), RAAS_OK);
	raas_log_close(log);

	/* Torn inside the header that straddles the chunk end. */
	assert_int_equal(truncate(seg, (off_t)(recs[1].pos + 20)), 0);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, 0, recs, 1, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), recs[1].pos);
	raas_log_close(log);
	assert_int_equal(file_size(seg), (off_t)recs[1].pos);
	free(b1);
	free(b2);
}

/* ---- log: segments ---- */

/* Segments are 1 GiB; the tests make segment 0 a sparse file that is almost full (opening a
 * log does not read its segments) and never scan its hole. */
static void log_segment_rotation(void **state)
{
	struct ctx *c = *state;
	char dir[256], seg0[300], seg1[300];
	struct raas_log *log;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	char leaf[144];
	struct exp_rec recs[3];
	struct exp_rec more[1];

	memset(leaf, 'L', sizeof leaf);
	new_log(c, dir, sizeof dir);
	pathf(seg0, sizeof seg0, "%s/00000000.seg", dir);
	pathf(seg1, sizeof seg1, "%s/00000001.seg", dir);
	assert_int_equal(truncate(seg0, (off_t)(SEG - 100)), 0);
	recs[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 0, 1, leaf, 56, 0};  /* 96 bytes: fits */
	recs[1] = (struct exp_rec){RAAS_ENTRY_EVENT, 0, 1, 2, leaf, 8, 0};   /* 48: does not */
	recs[2] = (struct exp_rec){RAAS_ENTRY_EVENT, 1, 0, 3, leaf, 100, 0}; /* 144 */
	log = open_log(dir, true);
	assert_int_equal(raas_log_end(log), SEG - 100);
	add_all(log, recs, 3);
	assert_int_equal(recs[0].pos, SEG - 100);
	assert_int_equal(recs[1].pos, SEG); /* segment 1, offset 0 */
	assert_int_equal(recs[2].pos, SEG + 48);
	assert_int_equal(raas_log_end(log), SEG + 48 + 144);
	for (size_t i = 0; i < 3; i++)
		assert_true(seg_off(recs[i].pos) + rec_size(recs[i].len) <= SEG);
	raas_log_close(log);
	assert_int_equal(file_size(seg0), (off_t)(SEG - 4));
	assert_int_equal(file_size(seg1), 192);

	log = open_log(dir, false);
	assert_int_equal(raas_log_end(log), SEG + 192);
	assert_int_equal(scan_expect(log, SEG - 100, recs, 3, false), RAAS_OK);
	assert_int_equal(scan_expect(log, SEG, recs + 1, 2, false), RAAS_OK);
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(raas_log_read(log, recs[i].pos, &rec, &scratch, &err), RAAS_OK);
		check_record(&rec, &recs[i]);
	}
	raas_buf_free(&scratch);
	raas_log_close(log);

	/* Appends go on in segment 1. */
	log = open_log(dir, true);
	more[0] = (struct exp_rec){RAAS_ENTRY_EVENT, 1, 1, 4, "more", 4, 0};
	add_all(log, more, 1);
	assert_int_equal(more[0].pos, SEG + 192);
	raas_log_close(log);

	/* A torn tail in segment 1 is cut there. */
	assert_int_equal(truncate(seg1, 48 + 10), 0);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, SEG - 100, recs, 2, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), SEG + 48);
	raas_log_close(log);
	assert_int_equal(file_size(seg1), 48);

	/* A damaged last record of segment 0 removes segment 1 altogether. */
	flip_byte(seg0, SEG - 100 + 50);
	log = open_log(dir, true);
	assert_int_equal(scan_expect(log, SEG - 100, recs, 0, true), RAAS_OK);
	assert_int_equal(raas_log_end(log), SEG - 100);
	assert_int_equal(file_size(seg1), -1);
	assert_int_equal(file_size(seg0), (off_t)(SEG - 100));
	recs[0].leaf = "again";
	recs[0].len = 5;
	add_all(log, recs, 1);
	assert_int_equal(recs[0].pos, SEG - 100);
	raas_log_close(log);
}

/* Batches of at least 64 KiB are written partly with O_DIRECT (their whole 4 KiB blocks)
 * and partly through the page cache (the bytes before and after them): whatever the
 * alignment of a batch, including one that starts a new segment, the files hold exactly
 * the records, at their positions, and nothing after the end. */
static void log_direct_writes(void **state)
{
	struct ctx *c = *state;
	char dir[256], seg0[300], seg1[300];
	struct raas_log *log;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	enum { SMALL = 3, LARGE = 700, CROSS = 900, ALL = SMALL + LARGE + CROSS + SMALL };
	static char leaves[ALL][400];
	static struct exp_rec recs[ALL];
	uint64_t end = 0, direct;

	for (size_t i = 0; i < ALL; i++) {
		size_t len = 1 + (i * 37) % 399; /* every padding length, records not 4 KiB sized */
		fill_pattern(leaves[i], len, (unsigned)i);
		recs[i] = (struct exp_rec){
		        RAAS_ENTRY_EVENT, (uint32_t)(i % 5), i / 5, (int64_t)i, leaves[i], len, 0};
	}
	new_log(c, dir, sizeof dir);
	pathf(seg0, sizeof seg0, "%s/00000000.seg", dir);
	pathf(seg1, sizeof seg1, "%s/00000001.seg", dir);
	log = open_log(dir, true);
	add_all(log, recs, SMALL); /* a small batch: through the page cache, end unaligned */
	assert_int_equal(raas_log_direct_bytes(log), 0);
	assert_int_not_equal(raas_log_end(log) % 4096, 0);
	add_all(log, recs + SMALL, LARGE); /* about 150 KiB from an unaligned start */
	for (size_t i = 0; i < SMALL + LARGE; i++)
		end += rec_size(recs[i].len);
	assert_int_equal(raas_log_end(log), end);
	direct = raas_log_direct_bytes(log);
	/* Exactly the whole blocks after the first batch's last partial one. */
	assert_int_equal(direct,
	                 (end & ~(uint64_t)4095) - ((recs[SMALL].pos + 4095) & ~(uint64_t)4095));
	raas_log_close(log);
	assert_int_equal(file_size(seg0), (off_t)end);

	/* The next batch starts 100 KiB + 8 bytes before the end of segment 0 and goes on in
	 * segment 1: both pieces are long enough to be written directly. */
	assert_int_equal(truncate(seg0, (off_t)(SEG - (100 << 10) - 8)), 0);
	log = open_log(dir, true);
	for (size_t i = SMALL + LARGE; i < SMALL + LARGE + CROSS; i++)
		assert_int_equal(raas_log_add(log, recs[i].kind, recs[i].customer_no, recs[i].seq,
		                              recs[i].clock, recs[i].leaf, recs[i].len,
		                              &recs[i].pos),
		                 RAAS_OK);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	assert_true(raas_log_direct_bytes(log) >= (uint64_t)(96 << 10) + (64 << 10));
	add_all(log, recs + ALL - SMALL, SMALL);
	assert_true(raas_log_end(log) > SEG);
	end = raas_log_end(log);
	raas_log_close(log);
	assert_int_equal(recs[SMALL + LARGE].pos, SEG - (100 << 10) - 8);
	assert_int_equal(file_size(seg1), (off_t)seg_off(end));

	/* Every record reads back from the files, scanned and one by one. */
	log = open_log(dir, false);
	assert_int_equal(raas_log_end(log), end);
	assert_int_equal(scan_expect(log, recs[SMALL + LARGE].pos, recs + SMALL + LARGE,
	                             ALL - SMALL - LARGE, false),
	                 RAAS_OK);
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	for (size_t i = SMALL + LARGE; i < ALL; i++) {
		assert_int_equal(raas_log_read(log, recs[i].pos, &rec, &scratch, &err), RAAS_OK);
		check_record(&rec, &recs[i]);
	}
	raas_buf_free(&scratch);
	raas_log_close(log);
	/* The first two batches are in the files too: a scan from the start reads them and
	 * stops at the hole the truncation above left before the third. */
	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, recs, SMALL + LARGE, false), RAAS_OK);
	raas_log_close(log);
}

/* A record that ends exactly at segment 0's end stays in it; the next starts segment 1,
 * committed on its own or in the same batch (where it follows the first in the batch's
 * memory: a batch used to run on past the segment's end there, and the record could not
 * be read back at its position). */
static void exact_fill(void **state, bool one_batch)
{
	struct ctx *c = *state;
	char dir[256], seg0[300], seg1[300];
	struct raas_log *log;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	struct exp_rec recs[2] = {{RAAS_ENTRY_EVENT, 0, 0, 1, "8 bytes!", 8, 0},
	                          {RAAS_ENTRY_EVENT, 0, 1, 2, "abc", 3, 0}};

	new_log(c, dir, sizeof dir);
	pathf(seg0, sizeof seg0, "%s/00000000.seg", dir);
	pathf(seg1, sizeof seg1, "%s/00000001.seg", dir);
	assert_int_equal(truncate(seg0, (off_t)(SEG - 48)), 0);
	log = open_log(dir, true);
	if (one_batch) {
		add_all(log, recs, 2);
	} else {
		add_all(log, recs, 1);
		assert_int_equal(recs[0].pos, SEG - 48);
		assert_int_equal(raas_log_end(log), SEG);
		raas_log_close(log);
		assert_int_equal(file_size(seg0), (off_t)SEG);
		assert_int_equal(file_size(seg1), -1);

		log = open_log(dir, true);
		assert_int_equal(raas_log_end(log), SEG);
		assert_int_equal(scan_expect(log, SEG - 48, recs, 1, true), RAAS_OK);
		assert_int_equal(raas_log_end(log), SEG);
		add_all(log, recs + 1, 1);
	}
	assert_int_equal(recs[0].pos, SEG - 48);
	assert_int_equal(recs[1].pos, SEG);
	raas_log_close(log);
	assert_int_equal(file_size(seg0), (off_t)SEG);
	assert_int_equal(file_size(seg1), 48);

	log = open_log(dir, false);
	assert_int_equal(raas_log_end(log), SEG + 48);
	assert_int_equal(scan_expect(log, SEG - 48, recs, 2, false), RAAS_OK);
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(raas_log_read(log, recs[i].pos, &rec, &scratch, &err), RAAS_OK);
		check_record(&rec, &recs[i]);
	}
	raas_buf_free(&scratch);
	raas_log_close(log);
}

static void log_segment_exact_fill(void **state)
{
	exact_fill(state, false);
}

static void log_segment_exact_fill_in_one_batch(void **state)
{
	exact_fill(state, true);
}

/* A limited read-only log ends at its limit, whatever is appended after it: within a
 * segment, and at the very start of a segment that does not exist yet. */
static void log_limit(void **state)
{
	struct ctx *c = *state;
	char dir[256], seg0[300];
	struct raas_log *w, *r;
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	struct exp_rec recs[4] = {{RAAS_ENTRY_EVENT, 0, 0, 1, "first", 5, 0},
	                          {RAAS_ENTRY_EVENT, 1, 0, 2, "second", 6, 0},
	                          {RAAS_ENTRY_EVENT, 0, 1, 3, "third", 5, 0},
	                          {RAAS_ENTRY_EVENT, 0, 2, 4, "8 bytes!", 8, 0}};

	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	new_log(c, dir, sizeof dir);
	w = open_log(dir, true);
	add_all(w, recs, 2);
	r = open_log(dir, false);
	raas_log_limit(r, recs[1].pos);
	assert_int_equal(raas_log_end(r), recs[1].pos);
	add_all(w, recs + 2, 1); /* appended after the limit */
	assert_int_equal(scan_expect(r, 0, recs, 1, false), RAAS_OK);
	assert_int_equal(raas_log_end(r), recs[1].pos);
	assert_int_equal(raas_log_read(r, recs[0].pos, &rec, &scratch, &err), RAAS_OK);
	check_record(&rec, &recs[0]);
	assert_int_equal(raas_log_read(r, recs[1].pos, &rec, &scratch, &err), RAAS_E_INPUT);
	assert_int_equal(raas_log_read(r, recs[2].pos, &rec, &scratch, &err), RAAS_E_INPUT);
	raas_log_close(r);
	/* unlimited, the same files hold all three */
	r = open_log(dir, false);
	assert_int_equal(scan_expect(r, 0, recs, 3, false), RAAS_OK);
	raas_log_close(r);
	raas_log_close(w);

	/* A segment filled exactly: the limit is the next segment's start, before it exists. */
	rm_rf(dir);
	new_log(c, dir, sizeof dir);
	pathf(seg0, sizeof seg0, "%s/00000000.seg", dir);
	assert_int_equal(truncate(seg0, (off_t)(SEG - 48)), 0);
	w = open_log(dir, true);
	add_all(w, recs + 3, 1);
	assert_int_equal(recs[3].pos, SEG - 48);
	assert_int_equal(raas_log_end(w), SEG);
	r = open_log(dir, false);
	raas_log_limit(r, SEG);
	recs[0].seq = 3;
	add_all(w, recs, 1); /* segment 1 is created now */
	assert_int_equal(recs[0].pos, SEG);
	assert_int_equal(scan_expect(r, SEG - 48, recs + 3, 1, false), RAAS_OK);
	assert_int_equal(raas_log_read(r, SEG, &rec, &scratch, &err), RAAS_E_INPUT);
	assert_int_equal(raas_log_end(r), SEG);
	raas_log_close(r);
	raas_log_close(w);
	raas_buf_free(&scratch);
}

static void log_open_errors(void **state)
{
	struct ctx *c = *state;
	struct raas_log *log = NULL;
	struct raas_err err;
	char dir[256];

	pathf(dir, sizeof dir, "%s/empty", c->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(raas_log_open(dir, true, &log, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "no log segment (00000000.seg) found");
	assert_string_equal(err.path, dir);
	assert_null(log);
	/* Creating twice fails (the segment exists). */
	assert_int_equal(raas_log_create(dir, &err), RAAS_OK);
	assert_int_equal(raas_log_create(dir, &err), RAAS_E_STORAGE);
	assert_non_null(strstr(err.message, "cannot create log segment: File exists"));
}

/* A raas_log_add that fails for lack of memory must leave the batch as it was: the records
 * added before and after it are written whole, at the positions they were given. */
static void log_add_failure_leaves_batch(void **state)
{
	struct ctx *c = *state;
	size_t big = 100000;
	char dir[256];
	char *leaf = malloc(big);
	struct raas_log *log;
	struct raas_err err;
	uint64_t pos = 0;
	struct exp_rec recs[2] = {{RAAS_ENTRY_EVENT, 0, 0, 1, "before", 6, 0},
	                          {RAAS_ENTRY_EVENT, 0, 1, 3, "after", 5, 0}};
	struct raas_log_record rec;
	struct raas_buf scratch;
	size_t pending;
	uint64_t end;
	raas_rc rc;

	assert_non_null(leaf);
	memset(leaf, 'x', big);
	new_log(c, dir, sizeof dir);
	log = open_log(dir, true);
	assert_int_equal(
	        raas_log_add(log, recs[0].kind, 0, 0, 1, recs[0].leaf, recs[0].len, &recs[0].pos),
	        RAAS_OK);
	/* The header fits in the pending buffer; growing it for the leaf fails. */
	raas_alloc_fail_at(1);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 0, 1, 2, leaf, big, &pos),
	                 RAAS_E_NOMEM);
	raas_alloc_fail_at(0);
	pending = raas_log_pending(log);
	assert_int_equal(
	        raas_log_add(log, recs[1].kind, 0, 1, 3, recs[1].leaf, recs[1].len, &recs[1].pos),
	        RAAS_OK);
	assert_int_equal(recs[1].pos, 48);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	raas_log_close(log);
	free(leaf);
	log = open_log(dir, false);
	end = raas_log_end(log);
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	rc = raas_log_read(log, recs[1].pos, &rec, &scratch, &err);
	raas_buf_free(&scratch);
	raas_log_close(log);
	assert_int_equal(end, 96);
	assert_int_equal(rc, RAAS_OK);
	assert_int_equal(pending, 48);
	log = open_log(dir, false);
	assert_int_equal(scan_expect(log, 0, recs, 2, false), RAAS_OK);
	raas_log_close(log);
}

/* ---- idtable ---- */

static struct raas_idtable *open_ids(const char *path, bool writable)
{
	struct raas_idtable *t = NULL;
	struct raas_err err;

	assert_int_equal(raas_idtable_open(path, writable, &t, &err), RAAS_OK);
	return t;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static uint64_t test_key(uint64_t i)
{
	uint64_t k = mix64(i);
	return k ? k : 1;
}

static void idtable_insert_find(void **state)
{
	struct ctx *c = *state;
	char path[256];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t pos[8];
	uint64_t k1 = raas_idtable_key("acme", 4, "e1", 2),
	         k2 = raas_idtable_key("acme", 4, "e2", 2),
	         k3 = raas_idtable_key("beta", 4, "e1", 2);

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	t = open_ids(path, true);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP));
	assert_int_equal(raas_idtable_count(t), 0);
	assert_int_equal(raas_idtable_covered(t), 0);
	assert_true(raas_idtable_clock(t) == INT64_MIN);
	assert_true(raas_idtable_trusted(t));

	/* Keys: never 0, deterministic, and the customer/id boundary matters. */
	assert_true(k1 != 0 && k2 != 0 && k3 != 0);
	assert_true(k1 != k2 && k1 != k3 && k2 != k3);
	assert_true(k1 == raas_idtable_key("acme", 4, "e1", 2));
	assert_true(raas_idtable_key("ab", 2, "c", 1) != raas_idtable_key("a", 1, "bc", 2));

	assert_int_equal(raas_idtable_reserve(t, 3, &err), RAAS_OK);
	raas_idtable_insert(t, k1, 100);
	raas_idtable_insert(t, k2, 200);
	raas_idtable_insert(t, k3, 300);
	assert_int_equal(raas_idtable_count(t), 3);
	assert_int_equal(raas_idtable_find(t, k1, pos, 8), 1);
	assert_int_equal(pos[0], 100);
	assert_int_equal(raas_idtable_find(t, k2, pos, 8), 1);
	assert_int_equal(pos[0], 200);
	assert_int_equal(raas_idtable_find(t, k3, pos, 8), 1);
	assert_int_equal(pos[0], 300);
	assert_int_equal(raas_idtable_find(t, 12345, pos, 8), 0);

	/* Re-inserting an entry changes nothing (replaying a log tail is safe). */
	raas_idtable_insert(t, k1, 100);
	assert_int_equal(raas_idtable_count(t), 3);
	assert_int_equal(raas_idtable_find(t, k1, pos, 8), 1);
	/* The same key at another position (a 64-bit collision) is a second entry. */
	raas_idtable_insert(t, k1, 999);
	assert_int_equal(raas_idtable_count(t), 4);
	assert_int_equal(raas_idtable_find(t, k1, pos, 8), 2);
	assert_int_equal(pos[0], 100);
	assert_int_equal(pos[1], 999);
	pos[1] = 7;
	assert_int_equal(raas_idtable_find(t, k1, pos, 1), 2); /* counts all, writes max */
	assert_int_equal(pos[0], 100);
	assert_int_equal(pos[1], 7);

	/* Keys that land in the same slot probe on, and all stay findable. */
	assert_int_equal(raas_idtable_reserve(t, 3, &err), RAAS_OK);
	raas_idtable_insert(t, 5, 50);
	raas_idtable_insert(t, 5 + IDT_MIN_CAP, 51);
	raas_idtable_insert(t, 6, 60);
	raas_idtable_insert(t, IDT_MIN_CAP - 1, 70); /* the last slot: probing wraps to 0 */
	raas_idtable_insert(t, 2 * IDT_MIN_CAP - 1, 71);
	assert_int_equal(raas_idtable_count(t), 9);
	assert_int_equal(raas_idtable_find(t, 5 + IDT_MIN_CAP, pos, 8), 1);
	assert_int_equal(pos[0], 51);
	assert_int_equal(raas_idtable_find(t, 6, pos, 8), 1);
	assert_int_equal(pos[0], 60);
	assert_int_equal(raas_idtable_find(t, 2 * IDT_MIN_CAP - 1, pos, 8), 1);
	assert_int_equal(pos[0], 71);
	assert_int_equal(raas_idtable_find(t, 2 * IDT_MIN_CAP + 5, pos, 8), 0);
	raas_idtable_close(t);
}

/* Removing an entry (a batch dropped before it became durable) keeps every other entry
 * findable: inside a probe chain, across the wrap at the table's end, and at random. */
static void idtable_remove(void **state)
{
	struct ctx *c = *state;
	char path[256];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t pos[4], x = 12345;
	static bool gone[20000];
	uint64_t keys[20000];

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_reserve(t, 40000, &err), RAAS_OK);
	/* A chain: three keys at home 5, one at home 6, displaced ones after them. */
	raas_idtable_insert(t, 5, 1);
	raas_idtable_insert(t, 5 + (IDT_MIN_CAP * 2), 2);
	raas_idtable_insert(t, 6, 3);
	raas_idtable_insert(t, 5 + (IDT_MIN_CAP * 4), 4);
	assert_int_equal(raas_idtable_count(t), 4);
	raas_idtable_remove(t, 5, 1);
	assert_int_equal(raas_idtable_count(t), 3);
	assert_int_equal(raas_idtable_find(t, 5, pos, 4), 0);
	assert_int_equal(raas_idtable_find(t, 5 + (IDT_MIN_CAP * 2), pos, 4), 1);
	assert_int_equal(pos[0], 2);
	assert_int_equal(raas_idtable_find(t, 6, pos, 4), 1);
	assert_int_equal(pos[0], 3);
	assert_int_equal(raas_idtable_find(t, 5 + (IDT_MIN_CAP * 4), pos, 4), 1);
	assert_int_equal(pos[0], 4);
	/* Not there (another position, another key): nothing changes. */
	raas_idtable_remove(t, 6, 99);
	raas_idtable_remove(t, 77, 3);
	assert_int_equal(raas_idtable_count(t), 3);
	/* One of two entries under one key. */
	raas_idtable_insert(t, 6, 30);
	raas_idtable_remove(t, 6, 3);
	assert_int_equal(raas_idtable_find(t, 6, pos, 4), 1);
	assert_int_equal(pos[0], 30);
	raas_idtable_close(t);

	/* At random, with many keys crowded onto few homes (long chains, some wrapping). */
	unlink(path);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_reserve(t, 20000, &err), RAAS_OK);
	for (size_t i = 0; i < 20000; i++) {
		x = mix64(x);
		/* Homes in the last 2000 slots of the table or the first 200. */
		keys[i] = (x & ~(IDT_MIN_CAP - 1)) |
		          ((x % 2200 < 2000) ? (IDT_MIN_CAP - 1 - x % 2000) : x % 200);
		keys[i] = keys[i] ? keys[i] : 1;
		raas_idtable_insert(t, keys[i], i);
		gone[i] = false;
	}
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP));
	for (size_t i = 0; i < 20000; i++) {
		x = mix64(x);
		if (x % 2) {
			raas_idtable_remove(t, keys[i], i);
			gone[i] = true;
		}
	}
	for (size_t i = 0; i < 20000; i++) {
		size_t n = raas_idtable_find(t, keys[i], pos, 4), hits = 0;
		for (size_t k = 0; k < n && k < 4; k++)
			hits += pos[k] == i;
		if (hits != (gone[i] ? 0u : 1u))
			fail_msg("key %zu (%s): found %zu times", i, gone[i] ? "removed" : "kept",
			         hits);
	}
	raas_idtable_close(t);
}

static void check_all(const struct raas_idtable *t, uint64_t n)
{
	uint64_t pos[2];

	for (uint64_t i = 0; i < n; i++) {
		size_t got = raas_idtable_find(t, test_key(i), pos, 2);
		if (got != 1 || pos[0] != i * 16)
			fail_msg("entry %llu: %zu matches, pos %llu", (unsigned long long)i, got,
			         (unsigned long long)pos[0]);
	}
}

/* How many of n keys the table has never seen (test_key(first ..)) its filter lets through. */
static uint64_t passed_by_filter(const struct raas_idtable *t, uint64_t first, uint64_t n)
{
	uint64_t passed = 0;

	for (uint64_t i = first; i < first + n; i++)
		passed += raas_idtable_may_contain(t, test_key(i));
	return passed;
}

/* The filter of the cold table: added to a table with entries (which it then knows), kept
 * through growth, a merge and a reopen; never hides an entry; stops almost every absent key
 * (one byte per slot: at most 2 % at a load of 0.7); stored after the slots (one byte per
 * slot); a table without one lets everything through. */
static void idtable_filter(void **state)
{
	struct ctx *c = *state;
	char path[256], hot_path[256];
	struct raas_idtable *t, *hot;
	struct raas_err err;
	uint64_t n1 = 40000, n = 300000, pos[2];

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	pathf(hot_path, sizeof hot_path, "%s/hot.tbl", c->dir);
	t = open_ids(path, true);
	for (uint64_t i = 0; i < n1; i++) {
		assert_int_equal(raas_idtable_reserve(t, 1, &err), RAAS_OK);
		raas_idtable_insert(t, test_key(i), i * 16);
	}
	assert_int_equal(passed_by_filter(t, 1000000, 1000), 1000); /* no filter yet */
	assert_int_equal(raas_idtable_use_filter(t, &err), RAAS_OK);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP) + IDT_MIN_CAP);
	check_all(t, n1);
	for (uint64_t i = 0; i < n1; i++)
		assert_true(raas_idtable_may_contain(t, test_key(i)));
	assert_int_equal(raas_idtable_use_filter(t, &err), RAAS_OK); /* (already has one) */

	/* Growth (one entry at a time, then in bulk) and a merge from a table without one. */
	hot = open_ids(hot_path, true);
	assert_int_equal(raas_idtable_reserve(hot, (size_t)(n - n1), &err), RAAS_OK);
	for (uint64_t i = n1; i < n; i++)
		raas_idtable_insert(hot, test_key(i), i * 16);
	assert_int_equal(passed_by_filter(hot, 1000000, 1000), 1000);
	assert_int_equal(raas_idtable_merge_into(hot, t, &err), RAAS_OK);
	raas_idtable_close(hot);
	assert_int_equal(raas_idtable_count(t), n);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 8) + IDT_MIN_CAP * 8);
	check_all(t, n);
	/* load 300,000 / 524,288: a few absent keys in 1,000 get through */
	assert_true(passed_by_filter(t, 1000000, 100000) < 2000);
	raas_idtable_close(t);

	t = open_ids(path, false);
	check_all(t, n);
	assert_true(passed_by_filter(t, 1000000, 100000) < 2000);
	assert_int_equal(raas_idtable_find(t, test_key(1000000 + 7), pos, 2), 0);
	raas_idtable_close(t);

	/* Emptied in place: the filter is emptied too. */
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_clear(t, &err), RAAS_OK);
	assert_true(passed_by_filter(t, 0, 1000) == 0);
	raas_idtable_insert(t, test_key(3), 48);
	assert_true(raas_idtable_may_contain(t, test_key(3)));
	assert_int_equal(raas_idtable_find(t, test_key(3), pos, 2), 1);
	raas_idtable_close(t);
}

/* A growth replaces the table with two renames (PATH -> PATH.old, new -> PATH): a crash
 * between them leaves only PATH.old, which a reader reads and a writer puts back; a crash
 * after them leaves a stale PATH.old, which a writer removes. */
static void idtable_replaced_in_two_renames(void **state)
{
	struct ctx *c = *state;
	char path[256], old[300];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t pos[2];

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	pathf(old, sizeof old, "%s.old", path);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_reserve(t, 1, &err), RAAS_OK);
	raas_idtable_insert(t, test_key(1), 16);
	raas_idtable_set_covered(t, 99);
	raas_idtable_close(t);

	/* Stopped between the renames. */
	assert_int_equal(rename(path, old), 0);
	t = open_ids(path, false);
	assert_int_equal(raas_idtable_find(t, test_key(1), pos, 2), 1);
	assert_int_equal(pos[0], 16);
	assert_int_equal(raas_idtable_covered(t), 99);
	raas_idtable_close(t);
	assert_int_equal(file_size(path), -1); /* a reader changes nothing */
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_find(t, test_key(1), pos, 2), 1);
	assert_int_equal(raas_idtable_covered(t), 99);
	raas_idtable_close(t);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP));
	assert_int_equal(file_size(old), -1);

	/* Stopped after them, before the old table was removed. */
	assert_int_equal(link(path, old), 0);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_find(t, test_key(1), pos, 2), 1);
	raas_idtable_close(t);
	assert_int_equal(file_size(old), -1);
}

static void idtable_growth(void **state)
{
	struct ctx *c = *state;
	char path[256], tmp[300];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t n1 = 100000, n = 300000;

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	pathf(tmp, sizeof tmp, "%s.new", path);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_begin(t, &err), RAAS_OK);
	raas_idtable_set_covered(t, 777);
	raas_idtable_set_clock(t, -5);
	/* One entry at a time (as the recovery replay does): two doublings. */
	for (uint64_t i = 0; i < n1; i++) {
		assert_int_equal(raas_idtable_reserve(t, 1, &err), RAAS_OK);
		raas_idtable_insert(t, test_key(i), i * 16);
	}
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 4));
	check_all(t, n1);
	/* A whole batch at once: one more (load stays at most 0.7). */
	assert_int_equal(raas_idtable_reserve(t, (size_t)(n - n1), &err), RAAS_OK);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 8));
	for (uint64_t i = n1; i < n; i++)
		raas_idtable_insert(t, test_key(i), i * 16);
	/* Room was reserved: no growth now. */
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 8));
	assert_int_equal(raas_idtable_count(t), n);
	check_all(t, n);
	assert_int_equal(raas_idtable_covered(t), 777);
	assert_true(raas_idtable_clock(t) == -5);
	assert_int_equal(file_size(tmp), -1); /* the new file took the old one's place */
	pathf(tmp, sizeof tmp, "%s.old", path);
	assert_int_equal(file_size(tmp), -1); /* and the old one is gone */
	raas_idtable_close(t);

	t = open_ids(path, false);
	assert_int_equal(raas_idtable_count(t), n);
	check_all(t, n);
	assert_int_equal(raas_idtable_covered(t), 777);
	assert_true(raas_idtable_clock(t) == -5);
	assert_true(raas_idtable_trusted(t));
	raas_idtable_close(t);
}

static void read_boot_id(char *out, size_t cap)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	assert_non_null(f);
	assert_non_null(fgets(out, (int)cap, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static void idtable_reopen_and_header(void **state)
{
	struct ctx *c = *state;
	char path[256], boot[64], magic[8], got_boot[40];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t u64, pos[2];
	int64_t i64;
	uint32_t dirty;

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_begin(t, &err), RAAS_OK);
	assert_int_equal(raas_idtable_reserve(t, 2, &err), RAAS_OK);
	raas_idtable_insert(t, 11, 1100);
	raas_idtable_insert(t, 22, 2200);
	raas_idtable_set_covered(t, 0x1122334455667788u);
	raas_idtable_set_clock(t, -2);
	assert_int_equal(raas_idtable_covered(t), 0x1122334455667788u);
	assert_true(raas_idtable_clock(t) == -2);
	/* Dirty in this boot (written through to the file by begin's msync). */
	peek(path, IDT_OFF_DIRTY, &dirty, 4);
	assert_int_equal(dirty, 1);
	read_boot_id(boot, sizeof boot);
	peek(path, IDT_OFF_BOOT, got_boot, sizeof got_boot);
	assert_string_equal(got_boot, boot);
	raas_idtable_close(t);

	/* Without a sync the table stays dirty, but in this boot: trusted. */
	t = open_ids(path, false);
	assert_true(raas_idtable_trusted(t));
	assert_int_equal(raas_idtable_count(t), 2);
	assert_int_equal(raas_idtable_covered(t), 0x1122334455667788u);
	assert_true(raas_idtable_clock(t) == -2);
	assert_int_equal(raas_idtable_find(t, 22, pos, 2), 1);
	assert_int_equal(pos[0], 2200);
	raas_idtable_close(t);

	/* A sync marks it clean; the header is where idtable.c's struct header says. */
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_sync(t, &err), RAAS_OK);
	assert_true(raas_idtable_trusted(t));
	raas_idtable_close(t);
	peek(path, 0, magic, 8);
	assert_memory_equal(magic, "RAASIDT1", 8);
	peek(path, IDT_OFF_CAPACITY, &u64, 8);
	assert_int_equal(u64, IDT_MIN_CAP);
	peek(path, IDT_OFF_COUNT, &u64, 8);
	assert_int_equal(u64, 2);
	peek(path, IDT_OFF_COVERED, &u64, 8);
	assert_int_equal(u64, 0x1122334455667788u);
	peek(path, IDT_OFF_CLOCK, &i64, 8);
	assert_true(i64 == -2);
	peek(path, IDT_OFF_DIRTY, &dirty, 4);
	assert_int_equal(dirty, 0);
}

static void idtable_trust_and_reset(void **state)
{
	struct ctx *c = *state;
	char path[256], other[40] = "00000000-0000-0000-0000-000000000000";
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t pos[2];
	uint32_t one = 1, zero = 0;

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_begin(t, &err), RAAS_OK);
	assert_int_equal(raas_idtable_reserve(t, 100000, &err), RAAS_OK); /* grown: 4 × */
	for (uint64_t i = 0; i < 1000; i++)
		raas_idtable_insert(t, test_key(i), i * 16);
	raas_idtable_set_covered(t, 4096);
	raas_idtable_set_clock(t, 123456);
	raas_idtable_close(t);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 4));

	/* Modified (dirty) in another boot: not trusted, by readers and writers. */
	patch(path, IDT_OFF_BOOT, other, sizeof other);
	t = open_ids(path, false);
	assert_false(raas_idtable_trusted(t));
	raas_idtable_close(t);
	/* Clean, whatever boot wrote it last: trusted. */
	patch(path, IDT_OFF_DIRTY, &zero, 4);
	t = open_ids(path, false);
	assert_true(raas_idtable_trusted(t));
	raas_idtable_close(t);
	patch(path, IDT_OFF_DIRTY, &one, 4);

	t = open_ids(path, true);
	assert_false(raas_idtable_trusted(t));
	assert_int_equal(raas_idtable_count(t), 1000);
	assert_int_equal(raas_idtable_reset(t, &err), RAAS_OK);
	assert_int_equal(raas_idtable_count(t), 0);
	assert_int_equal(raas_idtable_covered(t), 0);
	assert_true(raas_idtable_clock(t) == INT64_MIN);
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(raas_idtable_find(t, test_key(i), pos, 2), 0);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP));
	/* begin marks it as this boot's: trusted on the next open. */
	assert_int_equal(raas_idtable_begin(t, &err), RAAS_OK);
	raas_idtable_insert(t, 42, 4200);
	raas_idtable_close(t);
	t = open_ids(path, false);
	assert_true(raas_idtable_trusted(t));
	assert_int_equal(raas_idtable_count(t), 1);
	assert_int_equal(raas_idtable_find(t, 42, pos, 2), 1);
	assert_int_equal(pos[0], 4200);
	raas_idtable_close(t);
}

/* Clearing (the hot table after a merge) empties the table in place: same file, same
 * capacity, covered and clock kept, nothing findable, and it fills again. */
static void idtable_clear_in_place(void **state)
{
	struct ctx *c = *state;
	char path[256];
	struct raas_idtable *t;
	struct raas_err err;
	uint64_t pos[2];
	struct stat before, after;

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	t = open_ids(path, true);
	assert_int_equal(raas_idtable_reserve(t, 200000, &err), RAAS_OK);
	for (uint64_t i = 0; i < 200000; i++)
		raas_idtable_insert(t, test_key(i), i * 16);
	raas_idtable_set_covered(t, 4096);
	raas_idtable_set_clock(t, 77);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(raas_idtable_clear(t, &err), RAAS_OK);
	assert_int_equal(raas_idtable_count(t), 0);
	for (uint64_t i = 0; i < 200000; i++)
		assert_int_equal(raas_idtable_find(t, test_key(i), pos, 2), 0);
	raas_idtable_insert(t, test_key(5), 80);
	raas_idtable_close(t);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino == after.st_ino);
	assert_int_equal(file_size(path), IDT_SIZE(IDT_MIN_CAP * 8));
	t = open_ids(path, false);
	assert_int_equal(raas_idtable_count(t), 1);
	assert_int_equal(raas_idtable_find(t, test_key(5), pos, 2), 1);
	assert_int_equal(pos[0], 80);
	assert_int_equal(raas_idtable_find(t, test_key(6), pos, 2), 0);
	assert_int_equal(raas_idtable_covered(t), 4096);
	assert_true(raas_idtable_clock(t) == 77);
	raas_idtable_close(t);
}

static void idtable_damaged(void **state)
{
	struct ctx *c = *state;
	char path[256];
	struct raas_idtable *t = NULL;
	struct raas_err err;
	char *zeros = calloc(1, (size_t)IDT_SIZE(IDT_MIN_CAP));
	char header[IDT_HEADER];
	uint64_t cap;

	assert_non_null(zeros);
	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	assert_int_equal(raas_idtable_open(path, false, &t, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "cannot open the id index: No such file or directory");
	assert_string_equal(err.path, path);

	/* Read-only, a damaged table is an error; writable, it is made anew and not trusted,
	 * so that the store rebuilds it from the log. */
	write_all(path, zeros, 100);
	assert_int_equal(raas_idtable_open(path, false, &t, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "id index too short");
	assert_int_equal(raas_idtable_open(path, true, &t, &err), RAAS_OK);
	assert_false(raas_idtable_trusted(t));
	assert_int_equal(raas_idtable_count(t), 0);
	raas_idtable_close(t);

	write_all(path, zeros, (size_t)IDT_SIZE(IDT_MIN_CAP));
	assert_int_equal(raas_idtable_open(path, false, &t, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "id index damaged (bad header)");
	assert_string_equal(err.path, path);
	assert_int_equal(raas_idtable_open(path, true, &t, &err), RAAS_OK);
	assert_false(raas_idtable_trusted(t));
	raas_idtable_close(t);

	/* A capacity that does not match the file's size. */
	memset(header, 0, sizeof header);
	memcpy(header, "RAASIDT1", 8);
	cap = IDT_MIN_CAP * 2;
	memcpy(header + IDT_OFF_CAPACITY, &cap, 8);
	write_all(path, zeros, (size_t)IDT_SIZE(IDT_MIN_CAP));
	patch(path, 0, header, sizeof header);
	assert_int_equal(raas_idtable_open(path, false, &t, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "id index damaged (bad header)");
	/* Not a power of two. */
	cap = IDT_MIN_CAP + 1;
	memcpy(header + IDT_OFF_CAPACITY, &cap, 8);
	patch(path, 0, header, sizeof header);
	assert_int_equal(raas_idtable_open(path, false, &t, &err), RAAS_E_STORAGE);
	free(zeros);
}

/* 2^60 slots of 16 bytes overflow 64 bits to 0: a bare 4096-byte header claiming them must
 * be refused like any other damaged header, or the first lookup reads far outside the
 * mapping. */
static void idtable_capacity_overflow(void **state)
{
	struct ctx *c = *state;
	char path[256], header[IDT_HEADER];
	struct raas_idtable *t = NULL;
	struct raas_err err;
	uint64_t cap = (uint64_t)1 << 60;
	raas_rc rc;

	pathf(path, sizeof path, "%s/ids.tbl", c->dir);
	memset(header, 0, sizeof header);
	memcpy(header, "RAASIDT1", 8);
	memcpy(header + IDT_OFF_CAPACITY, &cap, 8);
	write_all(path, header, sizeof header);
	raas_err_clear(&err);
	rc = raas_idtable_open(path, false, &t, &err);
	if (rc == RAAS_OK)
		raas_idtable_close(t);
	assert_int_equal(rc, RAAS_E_STORAGE);
	assert_string_equal(err.message, "id index damaged (bad header)");
}

/* ---- store helpers ---- */

struct data {
	char dir[256];  /* the data directory */
	char tdir[320]; /* its tenant's directory */
	char log[400], seg[420], ids[400], customers[400], contracts[400];
};

static void data_paths(const struct ctx *c, struct data *d, const char *tenant)
{
	pathf(d->dir, sizeof d->dir, "%s/data", c->dir);
	pathf(d->tdir, sizeof d->tdir, "%s/tenants/t-%s", d->dir, tenant);
	pathf(d->log, sizeof d->log, "%s/log", d->tdir);
	pathf(d->seg, sizeof d->seg, "%s/00000000.seg", d->log);
	pathf(d->ids, sizeof d->ids, "%s/state/ids.tbl", d->tdir);
	pathf(d->customers, sizeof d->customers, "%s/state/customers", d->tdir);
	pathf(d->contracts, sizeof d->contracts, "%s/state/contracts", d->tdir);
}

static void new_data(const struct ctx *c, struct data *d)
{
	struct raas_err err;

	data_paths(c, d, "t1");
	assert_int_equal(raas_store_init(d->dir, "t1", &err), RAAS_OK);
}

static struct raas_store *open_store(const struct data *d, bool writable)
{
	struct raas_store *s = NULL;
	struct raas_err err;
	raas_rc rc = raas_store_open(d->dir, writable, &s, &err);

	if (rc)
		fail_msg("raas_store_open: %d %s: %s", rc, err.path, err.message);
	return s;
}

/* The leaf of an event as raas_event_write_leaf lays it out (docs/formats/leaves.md) in
 * out; returns its length. */
static size_t event_leaf(char *out, size_t cap, const char *customer, const char *id,
                         int64_t received)
{
	char t[RAAS_TIME_FORMAT_MAX];
	int n;

	raas_time_format(received, 0, t);
	n = snprintf(out, cap,
	             "{\"kind\":\"event\",\"customer\":\"%s\",\"id\":\"%s\",\"type\":"
	             "\"lead.created\",\"time\":\"2026-01-05T10:00:00Z\",\"received\":\"%s\","
	             "\"properties\":{\"score\":72}}",
	             customer, id, t);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static uint64_t ev_key(const char *customer, const char *id)
{
	return raas_idtable_key(customer, strlen(customer), id, strlen(id));
}

static uint32_t customer(struct raas_store *s, const char *id)
{
	uint32_t no = UINT32_MAX;

	assert_int_equal(raas_store_customer(s, id, strlen(id), true, &no), RAAS_OK);
	return no;
}

static void add_event(struct raas_store *s, const char *cust, const char *id, int64_t clock)
{
	char leaf[1024];
	size_t len = event_leaf(leaf, sizeof leaf, cust, id, clock);
	struct raas_err err;

	assert_int_equal(raas_store_add_event(s, customer(s, cust), ev_key(cust, id), clock, leaf,
	                                      len, &err),
	                 RAAS_OK);
}

/* The event (customer, id) is stored exactly once, as customer_no's entry seq. */
static uint64_t expect_event(struct raas_store *s, const char *cust, const char *id,
                             uint32_t customer_no, uint64_t seq, int64_t clock)
{
	uint64_t pos[4];
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	char leaf[1024];
	size_t len = event_leaf(leaf, sizeof leaf, cust, id, clock);

	if (raas_store_find_event(s, ev_key(cust, id), pos, 4) != 1)
		fail_msg("event %s/%s: found %zu times", cust, id,
		         raas_store_find_event(s, ev_key(cust, id), pos, 4));
	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	assert_int_equal(raas_store_read(s, pos[0], &rec, &scratch, &err), RAAS_OK);
	assert_int_equal(rec.kind, RAAS_ENTRY_EVENT);
	assert_int_equal(rec.customer_no, customer_no);
	assert_int_equal(rec.customer_seq, seq);
	assert_true(rec.clock_us == clock);
	assert_int_equal(rec.leaf_len, len);
	assert_memory_equal(rec.leaf, leaf, len);
	raas_buf_free(&scratch);
	return pos[0];
}

static void expect_no_event(struct raas_store *s, const char *cust, const char *id)
{
	uint64_t pos[4];

	assert_int_equal(raas_store_find_event(s, ev_key(cust, id), pos, 4), 0);
}

/* A contract leaf as cmd_contract.c builds it; document results name the types. */
static size_t contract_leaf(char *out, size_t cap, const char *cust, const char *id,
                            uint32_t version, const char *effective, const char *applied,
                            const char *results)
{
	int n = snprintf(out, cap,
	                 "{\"kind\":\"contract\",\"customer\":\"%s\",\"id\":\"%s\",\"version\":%u,"
	                 "\"effective\":\"%s\",\"effective_at\":\"%sT00:00:00Z\",\"applied\":"
	                 "\"%s\",\"document\":{\"id\":\"%s\",\"customer\":\"%s\",\"results\":%s}}",
	                 cust, id, version, effective, effective, applied, id, cust, results);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static const char *v1_results = "[{\"on\":\"lead.created\",\"reversed_by\":{\"on\":"
                                "\"lead.rejected\"}},{\"on\":\"hire.made\",\"requires\":{"
                                "\"on\":\"lead.created\"}}]";
static const char *v1_types[] = {"lead.created", "lead.rejected", "hire.made"};
static const char *v2_results = "[{\"on\":\"deal.won\"}]";
static const char *v2_types[] = {"deal.won"};

static void add_contract(struct raas_store *s, const char *cust, const char *id, uint32_t version,
                         const char *effective, const char *applied, const char *results,
                         const char **types, uint32_t ntypes)
{
	char leaf[2048], eff_at[64];
	size_t len =
	        contract_leaf(leaf, sizeof leaf, cust, id, version, effective, applied, results);
	struct raas_store_contract meta = {0};
	struct raas_err err;

	snprintf(eff_at, sizeof eff_at, "%sT00:00:00Z", effective);
	meta.id = (char *)id;
	meta.version = version;
	meta.customer = (char *)cust;
	meta.effective = (char *)effective;
	meta.effective_us = at(eff_at);
	meta.applied_us = at(applied);
	meta.types = (char **)types;
	meta.ntypes = ntypes;
	assert_int_equal(raas_store_add_contract(s, customer(s, cust), &meta, leaf, len, &err),
	                 RAAS_OK);
}

static void expect_contract(const struct raas_store_contract *k, const char *cust, const char *id,
                            uint32_t version, const char *effective, const char *applied,
                            const char **types, uint32_t ntypes)
{
	char eff_at[64];

	assert_non_null(k);
	snprintf(eff_at, sizeof eff_at, "%sT00:00:00Z", effective);
	assert_string_equal(k->id, id);
	assert_int_equal(k->version, version);
	assert_string_equal(k->customer, cust);
	assert_string_equal(k->effective, effective);
	assert_true(k->effective_us == at(eff_at));
	assert_true(k->applied_us == at(applied));
	assert_int_equal(k->ntypes, ntypes);
	for (uint32_t i = 0; i < ntypes; i++)
		assert_string_equal(k->types[i], types[i]);
}

static void commit(struct raas_store *s, int64_t clock)
{
	struct raas_err err;
	raas_rc rc = raas_store_commit(s, clock, &err);

	if (rc)
		fail_msg("raas_store_commit: %d %s", rc, err.message);
}

static bool named(const struct raas_store *s, const char *cust, const char *type)
{
	return raas_store_type_is_named(s, cust, strlen(cust), type, strlen(type));
}

static uint64_t read_covered(const struct data *d)
{
	uint64_t covered;

	peek(d->ids, IDT_OFF_COVERED, &covered, 8);
	return covered;
}

/* The contract list (state/contracts) has one line per version, starting with its log
 * position: checks there are n lines starting with the positions in pos. */
static void assert_contract_list(const char *path, const uint64_t *pos, size_t n)
{
	char *data = read_all(path, NULL), *p = data;
	size_t lines = 0;

	while (*p) {
		char *end, *nl = strchr(p, '\n');
		unsigned long long v = strtoull(p, &end, 10);
		assert_non_null(nl);
		assert_true(end > p && (*end == ' ' || *end == '\n'));
		assert_true(lines < n);
		assert_int_equal(v, pos[lines]);
		lines++;
		p = nl + 1;
	}
	assert_int_equal(lines, n);
	free(data);
}

/* ---- store: data directories ---- */

static void store_init_layout(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_err err;
	char path[512];

	data_paths(c, &d, "acme");
	assert_int_equal(raas_store_init(d.dir, "acme", &err), RAAS_OK);
	pathf(path, sizeof path, "%s/raas-data.json", d.dir);
	assert_file_is(path, "{\"format\":\"raas-data/1\",\"tenant\":\"acme\"}\n");
	pathf(path, sizeof path, "%s/tenant.json", d.tdir);
	assert_file_is(path, "{\"name\":\"acme\"}\n");
	pathf(path, sizeof path, "%s/lock", d.dir);
	assert_int_equal(access(path, F_OK), -1); /* the tenant's directory is the lock */
	assert_int_equal(file_size(d.seg), 0);
	assert_int_equal(file_size(d.ids), IDT_SIZE(IDT_MIN_CAP));

	for (int w = 1; w >= 0; w--) {
		s = open_store(&d, w);
		assert_string_equal(raas_store_tenant(s), "acme");
		assert_true(raas_store_clock(s) == RAAS_STORE_NO_CLOCK);
		assert_int_equal(raas_store_customer_count(s), 0);
		assert_int_equal(raas_store_contract_count(s), 0);
		assert_int_equal(raas_store_pending(s), 0);
		assert_null(raas_store_contract_latest(s, "k1"));
		assert_null(raas_store_customer_id(s, 0));
		raas_store_close(s);
	}

	/* An existing empty directory is accepted; a 128-character tenant name too. */
	{
		char name[129];
		memset(name, 'n', 128);
		name[128] = '\0';
		pathf(path, sizeof path, "%s/empty", c->dir);
		assert_int_equal(mkdir(path, 0755), 0);
		assert_int_equal(raas_store_init(path, name, &err), RAAS_OK);
		pathf(path, sizeof path, "%s/empty/tenants/t-%s/tenant.json", c->dir, name);
		assert_true(file_size(path) > 0);
	}
}

static size_t stored_at(struct raas_store *s, const char *cust, const char *id);

/* Many tenants in one directory: created, listed, opened by name, each with its own lock
 * (one process may write two at once) and its own data. */
static void store_tenants(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *a, *b, *r;
	struct raas_err err;
	char **names;
	size_t n;
	int64_t t1 = at("2026-01-06T00:00:00Z");

	data_paths(c, &d, "acme");
	assert_int_equal(raas_store_init(d.dir, "acme", &err), RAAS_OK);
	assert_int_equal(raas_store_create_tenant(d.dir, "beta", &err), RAAS_OK);
	assert_int_equal(raas_store_create_tenant(d.dir, "beta", &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "beta");
	assert_string_equal(err.message, "a tenant of that name exists already");
	assert_int_equal(raas_store_create_tenant(d.dir, "a b", &err), RAAS_E_INPUT);
	assert_string_equal(err.message,
	                    "a tenant name is 1 to 128 characters A-Z a-z 0-9 . _ : -");
	assert_int_equal(raas_store_create_tenant(c->dir, "x", &err), RAAS_E_INPUT);
	assert_int_equal(raas_store_tenants(d.dir, &names, &n, &err), RAAS_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "acme");
	assert_string_equal(names[1], "beta");
	for (size_t i = 0; i < n; i++)
		raas_free(names[i]);
	raas_free(names);

	assert_int_equal(raas_store_open_tenant(d.dir, "beta", true, &b, &err), RAAS_OK);
	assert_int_equal(raas_store_open_tenant(d.dir, NULL, true, &a, &err), RAAS_OK);
	assert_string_equal(raas_store_tenant(a), "acme");
	assert_string_equal(raas_store_tenant(b), "beta");
	add_event(b, "c1", "e1", t1);
	commit(b, t1);
	raas_store_close(b);
	assert_int_equal(raas_store_customer_count(a), 0);
	raas_store_close(a);
	assert_int_equal(raas_store_open_tenant(d.dir, "beta", false, &r, &err), RAAS_OK);
	assert_int_equal(raas_store_customer_count(r), 1);
	assert_int_equal(stored_at(r, "c1", "e1"), 1);
	raas_store_close(r);
	assert_int_equal(raas_store_open_tenant(d.dir, "gamma", false, &r, &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "gamma");
	assert_true(strstr(err.message, "no such tenant") != NULL);
	assert_int_equal(raas_store_open_tenant(d.dir, "../acme", false, &r, &err), RAAS_E_INPUT);
}

static void store_init_refuses(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_err err;
	char path[512], name[130];

	new_data(c, &d);
	/* A data directory already. */
	assert_int_equal(raas_store_init(d.dir, "t1", &err), RAAS_E_INPUT);
	assert_string_equal(err.path, d.dir);
	assert_string_equal(err.message,
	                    "holds data already (init needs a new or empty directory)");
	/* A directory with anything in it. */
	pathf(path, sizeof path, "%s/full", c->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	{
		char file[600];
		pathf(file, sizeof file, "%s/notes.txt", path);
		write_all(file, "hello", 5);
	}
	assert_int_equal(raas_store_init(path, "t1", &err), RAAS_E_INPUT);
	assert_string_equal(err.path, path);
	assert_string_equal(err.message,
	                    "holds data already (init needs a new or empty directory)");
	{
		char t[600];
		pathf(t, sizeof t, "%s/tenants", path);
		assert_int_equal(file_size(t), -1); /* nothing was created */
	}
	/* A file. */
	pathf(path, sizeof path, "%s/full/notes.txt", c->dir);
	assert_int_equal(raas_store_init(path, "t1", &err), RAAS_E_INPUT);
	/* Bad tenant names. */
	pathf(path, sizeof path, "%s/fresh", c->dir);
	assert_int_equal(raas_store_init(path, "two words", &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "--tenant");
	assert_string_equal(err.message,
	                    "a tenant name is 1 to 128 characters A-Z a-z 0-9 . _ : -");
	assert_int_equal(raas_store_init(path, "", &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "--tenant");
	memset(name, 'n', 129);
	name[129] = '\0';
	assert_int_equal(raas_store_init(path, name, &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "--tenant");
	assert_int_equal(raas_store_init(path, "a/b", &err), RAAS_E_INPUT);
	assert_int_equal(file_size(path), -1);
}

static void store_open_not_data_dir(void **state)
{
	struct ctx *c = *state;
	struct raas_store *s = NULL;
	struct raas_err err;
	struct data d;
	char path[512], msg[700];

	pathf(path, sizeof path, "%s/plain", c->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	pathf(msg, sizeof msg, "not a raas data directory (create one with: raas init %s)", path);
	for (int w = 0; w < 2; w++) {
		assert_int_equal(raas_store_open(path, w, &s, &err), RAAS_E_INPUT);
		assert_string_equal(err.path, path);
		assert_string_equal(err.message, msg);
		assert_null(s);
	}
	pathf(path, sizeof path, "%s/missing", c->dir);
	pathf(msg, sizeof msg, "not a raas data directory (create one with: raas init %s)", path);
	assert_int_equal(raas_store_open(path, true, &s, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, msg);

	/* A damaged marker is storage damage, not a user mistake. */
	new_data(c, &d);
	pathf(path, sizeof path, "%s/raas-data.json", d.dir);
	write_all(path, "{\"format\":\"raas-data/9\",\"tenant\":\"t1\"}\n", 39);
	assert_int_equal(raas_store_open(d.dir, true, &s, &err), RAAS_E_STORAGE);
	assert_string_equal(err.path, path);
	assert_string_equal(err.message, "not a raas-data/1 data directory marker");
	assert_null(s);
}

/* ---- store: customers, events, contracts, clock ---- */

/* A writer that stopped between the two renames of a hot-table replacement leaves only
 * ids-hot.tbl.old: a reader opens the store from it, and the next writer puts it back. */
static void store_hot_table_between_renames(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	char hot[420], old[430];
	int64_t t1 = at("2026-01-06T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	add_event(s, "c1", "e1", t1);
	commit(s, t1);
	raas_store_close(s);
	pathf(hot, sizeof hot, "%s/state/ids-hot.tbl", d.tdir);
	pathf(old, sizeof old, "%s.old", hot);
	assert_int_equal(rename(hot, old), 0);

	s = open_store(&d, false);
	expect_event(s, "c1", "e1", 0, 0, t1);
	raas_store_close(s);
	assert_int_equal(file_size(hot), -1);
	s = open_store(&d, true);
	expect_event(s, "c1", "e1", 0, 0, t1);
	raas_store_close(s);
	assert_true(file_size(hot) > 0);
	assert_int_equal(file_size(old), -1);
}

static void store_customers_and_events(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	uint32_t no = 77;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	assert_int_equal(customer(s, "c1"), 0);
	assert_int_equal(customer(s, "c2"), 1);
	assert_int_equal(customer(s, "c1"), 0);
	assert_int_equal(raas_store_customer(s, "zz", 2, false, &no), RAAS_E_INPUT);
	assert_int_equal(no, 77);
	assert_int_equal(raas_store_customer(s, "c2", 2, false, &no), RAAS_OK);
	assert_int_equal(no, 1);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_string_equal(raas_store_customer_id(s, 0), "c1");
	assert_string_equal(raas_store_customer_id(s, 1), "c2");
	assert_null(raas_store_customer_id(s, 2));
	assert_int_equal(raas_store_customer_entries(s, 0), 0);
	assert_int_equal(raas_store_customer_entries(s, 9), 0);

	add_event(s, "c1", "e1", t1);
	add_event(s, "c1", "e2", t1);
	add_event(s, "c2", "e1", t1); /* the same id for another customer */
	add_event(s, "c1", "e3", t1);
	assert_int_equal(raas_store_pending(s), 4);
	assert_int_equal(raas_store_customer_entries(s, 0), 3);
	assert_int_equal(raas_store_customer_entries(s, 1), 1);
	/* Indexed as soon as added (a hint: the pending record reads back from memory). */
	{
		uint64_t pos[4];
		struct raas_log_record rec;
		struct raas_buf scratch;
		struct raas_err err;
		char leaf[1024];
		size_t len = event_leaf(leaf, sizeof leaf, "c1", "e2", t1);
		raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
		assert_int_equal(raas_store_find_event(s, ev_key("c1", "e2"), pos, 4), 1);
		assert_int_equal(raas_store_probe(s, pos[0], &rec, &scratch, &err), RAAS_OK);
		assert_int_equal(rec.customer_seq, 1);
		assert_int_equal(rec.leaf_len, len);
		assert_memory_equal(rec.leaf, leaf, len);
		raas_buf_free(&scratch);
	}
	commit(s, t1);
	assert_int_equal(raas_store_pending(s), 0);
	assert_true(raas_store_clock(s) == t1);
	expect_event(s, "c1", "e1", 0, 0, t1);
	expect_event(s, "c1", "e2", 0, 1, t1);
	expect_event(s, "c2", "e1", 1, 0, t1);
	expect_event(s, "c1", "e3", 0, 2, t1);
	expect_no_event(s, "c2", "e2");
	assert_file_is(d.customers, "3 c1\n1 c2\n");

	add_event(s, "c3", "x", t2);
	add_event(s, "c1", "e4", t2);
	add_event(s, "c3", "y", t2);
	commit(s, t2);
	assert_file_is(d.customers, "4 c1\n1 c2\n2 c3\n");
	raas_store_close(s);

	for (int w = 1; w >= 0; w--) {
		s = open_store(&d, w);
		assert_int_equal(raas_store_customer_count(s), 3);
		assert_int_equal(customer(s, "c3"), 2);
		assert_string_equal(raas_store_customer_id(s, 2), "c3");
		assert_int_equal(raas_store_customer_entries(s, 0), 4);
		assert_int_equal(raas_store_customer_entries(s, 1), 1);
		assert_int_equal(raas_store_customer_entries(s, 2), 2);
		assert_true(raas_store_clock(s) == t2);
		expect_event(s, "c1", "e1", 0, 0, t1);
		expect_event(s, "c2", "e1", 1, 0, t1);
		expect_event(s, "c3", "x", 2, 0, t2);
		expect_event(s, "c3", "y", 2, 1, t2);
		expect_event(s, "c1", "e4", 0, 3, t2);
		raas_store_close(s);
	}
	/* Sequences go on after a reopen. */
	s = open_store(&d, true);
	add_event(s, "c2", "e2", t2);
	commit(s, t2);
	expect_event(s, "c2", "e2", 1, 1, t2);
	raas_store_close(s);
	assert_file_is(d.customers, "4 c1\n2 c2\n2 c3\n");
}

static void store_contracts(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	uint64_t p1, p2;
	const char *a1 = "2026-01-02T00:00:00Z", *a2 = "2026-02-03T12:30:00Z";

	new_data(c, &d);
	s = open_store(&d, true);
	add_contract(s, "c1", "k1", 1, "2026-01-01", a1, v1_results, v1_types, 3);
	assert_int_equal(raas_store_pending(s), 1);
	assert_int_equal(raas_store_contract_count(s), 1);
	assert_true(named(s, "c1", "lead.created"));
	commit(s, at(a1));
	assert_int_equal(raas_store_pending(s), 0);
	p1 = raas_store_contract_latest(s, "k1")->pos;
	assert_int_equal(p1, 0);
	assert_contract_list(d.contracts, (uint64_t[]){0}, 1);

	add_contract(s, "c1", "k1", 2, "2026-02-01", a2, v2_results, v2_types, 1);
	add_contract(s, "c2", "k2", 1, "2026-03-01", a2, v2_results, v2_types, 1);
	commit(s, at(a2));
	p2 = raas_store_contract_version(s, "k1", 2)->pos;
	assert_contract_list(d.contracts,
	                     (uint64_t[]){0, p2, raas_store_contract_latest(s, "k2")->pos}, 3);
	raas_store_close(s);

	for (int w = 1; w >= 0; w--) {
		s = open_store(&d, w);
		assert_int_equal(raas_store_contract_count(s), 3);
		expect_contract(raas_store_contract_at(s, 0), "c1", "k1", 1, "2026-01-01", a1,
		                v1_types, 3);
		expect_contract(raas_store_contract_at(s, 1), "c1", "k1", 2, "2026-02-01", a2,
		                v2_types, 1);
		expect_contract(raas_store_contract_at(s, 2), "c2", "k2", 1, "2026-03-01", a2,
		                v2_types, 1);
		assert_null(raas_store_contract_at(s, 3));
		assert_int_equal(raas_store_contract_at(s, 0)->pos, p1);
		assert_int_equal(raas_store_contract_at(s, 1)->pos, p2);
		assert_int_equal(raas_store_contract_latest(s, "k1")->version, 2);
		assert_int_equal(raas_store_contract_version(s, "k1", 1)->pos, p1);
		assert_null(raas_store_contract_version(s, "k1", 3));
		assert_null(raas_store_contract_version(s, "k3", 1));
		assert_null(raas_store_contract_latest(s, "nope"));
		/* Every version's types stay named for its customer. */
		assert_true(named(s, "c1", "lead.created"));
		assert_true(named(s, "c1", "lead.rejected"));
		assert_true(named(s, "c1", "hire.made"));
		assert_true(named(s, "c1", "deal.won"));
		assert_true(named(s, "c2", "deal.won"));
		assert_false(named(s, "c2", "lead.created"));
		assert_false(named(s, "c1", "lead"));
		assert_false(named(s, "c3", "deal.won"));
		assert_int_equal(raas_store_customer_entries(s, 0), 2);
		assert_int_equal(raas_store_customer_entries(s, 1), 1);
		assert_true(raas_store_clock(s) == at(a2));
		raas_store_close(s);
	}
}

static void store_type_is_named_limits(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	char long_name[200];

	memset(long_name, 'a', sizeof long_name);
	new_data(c, &d);
	s = open_store(&d, true);
	add_contract(s, "c1", "k1", 1, "2026-01-01", "2026-01-02T00:00:00Z", v1_results, v1_types,
	             3);
	commit(s, at("2026-01-02T00:00:00Z"));
	/* Prefixes are not names; over-long arguments are simply not named. */
	assert_true(raas_store_type_is_named(s, "c1", 2, "hire.made", 9));
	assert_false(raas_store_type_is_named(s, "c1", 2, "hire.mad", 8));
	assert_false(raas_store_type_is_named(s, "c", 1, "hire.made", 9));
	assert_false(raas_store_type_is_named(s, long_name, sizeof long_name, "hire.made", 9));
	assert_false(raas_store_type_is_named(s, "c1", 2, long_name, sizeof long_name));
	/* The separator cannot be forged: customer "c1\x1fhire" + type ".made" is no match. */
	assert_false(raas_store_type_is_named(s, "c1\x1fhire", 7, ".made", 5));
	raas_store_close(s);
}

static void store_clock(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_err err;
	int64_t t = at("2026-01-02T00:00:00Z"), sec = 1000000;

	new_data(c, &d);
	s = open_store(&d, true);
	assert_true(raas_store_clock(s) == RAAS_STORE_NO_CLOCK);
	assert_int_equal(raas_store_check_clock(s, 0, &err), RAAS_OK);
	assert_int_equal(raas_store_check_clock(s, at("1970-01-01T00:00:00Z") - 1, &err), RAAS_OK);
	add_event(s, "c1", "e1", t);
	commit(s, t);
	assert_true(raas_store_clock(s) == t);
	assert_int_equal(raas_store_check_clock(s, t, &err), RAAS_OK);
	assert_int_equal(raas_store_check_clock(s, t + 1, &err), RAAS_OK);
	assert_int_equal(raas_store_check_clock(s, t - sec, &err), RAAS_E_INPUT);
	assert_string_equal(err.path, "--now");
	assert_string_equal(err.message,
	                    "2026-01-01T23:59:59Z is before the data directory's clock "
	                    "2026-01-02T00:00:00Z (a data directory's clock never goes backwards)");
	/* A commit never moves the clock back; a commit with nothing else records it. */
	commit(s, t - 10 * sec);
	assert_true(raas_store_clock(s) == t);
	commit(s, t + 3600 * sec);
	assert_true(raas_store_clock(s) == t + 3600 * sec);
	raas_store_close(s);
	for (int w = 1; w >= 0; w--) {
		s = open_store(&d, w);
		assert_true(raas_store_clock(s) == t + 3600 * sec);
		assert_int_equal(raas_store_check_clock(s, t + 60 * sec, &err), RAAS_E_INPUT);
		raas_store_close(s);
	}
}

/* cli.md: a writing command records its clock, and the recorded clock never goes back. A
 * write that stores no entry (an ingest whose events are all rejected or duplicates, of an
 * empty file) into a store whose log is still empty must record it just the same. */
static void store_clock_without_entries_survives_reopen(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_err err;
	int64_t t = at("2026-06-01T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	commit(s, t);
	assert_true(raas_store_clock(s) == t);
	raas_store_close(s);
	s = open_store(&d, true);
	assert_true(raas_store_clock(s) == t);
	assert_int_equal(raas_store_check_clock(s, at("2026-01-01T00:00:00Z"), &err), RAAS_E_INPUT);
	raas_store_close(s);
}

/* Marks name an entry by position and checksum (what held webhook deliveries keep): waiting
 * while pending or being committed, stored once durable, lost when discarded, when the
 * checksum is another record's, or past the end; the commit hook sees the last entry. */
static struct raas_store_mark hooked;
static int hook_calls;

static void hook(void *ctx, const struct raas_store_mark *last)
{
	assert_ptr_equal(ctx, &hooked);
	hooked = *last;
	hook_calls++;
}

static void store_marks(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_store_mark m1, m2, other;
	int64_t t1 = at("2026-01-06T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	assert_false(raas_store_last_pending(s, &m1));
	add_event(s, "c1", "e1", t1);
	assert_true(raas_store_last_pending(s, &m1));
	add_event(s, "c1", "e2", t1);
	assert_true(raas_store_last_pending(s, &m2));
	assert_true(m2.pos > m1.pos);
	assert_int_equal(raas_store_mark_state(s, &m1), RAAS_MARK_WAITING);
	assert_int_equal(raas_store_mark_state(s, &m2), RAAS_MARK_WAITING);
	raas_store_before_commit(s, hook, &hooked);
	commit(s, t1);
	raas_store_before_commit(s, NULL, NULL);
	assert_int_equal(hook_calls, 1);
	assert_int_equal(hooked.pos, m2.pos);
	assert_true(hooked.checksum == m2.checksum);
	assert_false(raas_store_last_pending(s, &other));
	assert_int_equal(raas_store_mark_state(s, &m1), RAAS_MARK_STORED);
	assert_int_equal(raas_store_mark_state(s, &m2), RAAS_MARK_STORED);
	other = m2;
	other.checksum ^= 1;
	assert_int_equal(raas_store_mark_state(s, &other), RAAS_MARK_LOST);
	other = m2;
	other.pos += 4096;
	assert_int_equal(raas_store_mark_state(s, &other), RAAS_MARK_LOST);

	/* A discarded entry is lost, and the entry later written at its place is another. */
	add_event(s, "c1", "e3", t1);
	assert_true(raas_store_last_pending(s, &m1));
	raas_store_discard(s);
	assert_int_equal(raas_store_mark_state(s, &m1), RAAS_MARK_LOST);
	add_event(s, "c1", "e4", t1);
	assert_true(raas_store_last_pending(s, &other));
	assert_int_equal(other.pos, m1.pos);
	assert_true(other.checksum != m1.checksum);
	commit(s, t1); /* no hook now */
	assert_int_equal(hook_calls, 1);
	assert_int_equal(raas_store_mark_state(s, &m1), RAAS_MARK_LOST);
	assert_int_equal(raas_store_mark_state(s, &other), RAAS_MARK_STORED);
	raas_store_close(s);
	/* After a reopen too. */
	s = open_store(&d, true);
	assert_int_equal(raas_store_mark_state(s, &m2), RAAS_MARK_STORED);
	assert_int_equal(raas_store_mark_state(s, &m1), RAAS_MARK_LOST);
	raas_store_close(s);
}

static raas_rc count_records(void *ctx, const struct raas_log_record *rec)
{
	(void)rec;
	(*(size_t *)ctx)++;
	return RAAS_OK;
}

static size_t records_in(struct raas_store *s)
{
	struct raas_err err;
	size_t n = 0;

	assert_int_equal(raas_store_scan(s, 0, count_records, &n, &err), RAAS_OK);
	return n;
}

/* A view holds what its writer had committed when it was taken, and nothing the writer
 * adds or commits afterwards; it needs the writer between commits, not open. */
static void store_views(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s, *v, *v2, *ro;
	struct raas_store_mark later;
	struct raas_log_record rec;
	struct raas_buf scratch, out;
	struct raas_err err;
	uint64_t end;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	raas_buf_init(&out, 1 << 16);
	new_data(c, &d);
	s = open_store(&d, true);
	add_event(s, "c1", "e1", t1);
	add_event(s, "c1", "e2", t1);
	add_contract(s, "c1", "k1", 1, "2026-01-01", "2026-01-06T00:00:00Z", v1_results, v1_types,
	             3);
	commit(s, t1);
	end = raas_store_durable(s);
	assert_int_equal(raas_store_view(s, &v, &err), RAAS_OK);
	assert_int_equal(raas_store_durable(v), end);

	/* the writer goes on: a new customer committed, then an entry pending */
	add_event(s, "c2", "e3", t2);
	assert_true(raas_store_last_pending(s, &later));
	commit(s, t2);
	add_event(s, "c1", "e4", t2);
	assert_int_equal(raas_store_customer_count(v), 1);
	assert_string_equal(raas_store_customer_id(v, 0), "c1");
	assert_int_equal(raas_store_customer_entries(v, 0), 3);
	assert_int_equal(raas_store_contract_count(v), 1);
	assert_true(raas_store_clock(v) == t1);
	assert_int_equal(raas_store_durable(v), end);
	assert_int_equal(records_in(v), 3);
	assert_int_equal(raas_store_probe(v, later.pos, &rec, &scratch, &err), RAAS_E_INPUT);
	expect_no_event(v, "c1", "e1"); /* a view looks no ids up */

	/* a second view: the committed entries, not the pending one */
	assert_int_equal(raas_store_view(s, &v2, &err), RAAS_OK);
	assert_int_equal(raas_store_customer_count(v2), 2);
	assert_int_equal(raas_store_customer_entries(v2, 0), 3);
	assert_int_equal(raas_store_customer_entries(v2, 1), 1);
	assert_true(raas_store_clock(v2) == t2);
	assert_int_equal(records_in(v2), 4);
	assert_int_equal(raas_store_read(v2, later.pos, &rec, &scratch, &err), RAAS_OK);
	assert_int_equal(rec.customer_no, 1);

	/* none while a commit runs, nor of a read-only store */
	assert_int_equal(raas_store_commit_begin(s, t2, &err), RAAS_OK);
	assert_int_equal(raas_store_view(s, &ro, &err), RAAS_E_STORAGE);
	assert_string_equal(err.message, "a view needs the writer's store between commits");
	assert_int_equal(raas_store_commit_wait(s, &err), RAAS_OK);
	raas_store_close(s);
	ro = open_store(&d, false);
	assert_int_equal(raas_store_view(ro, &s, &err), RAAS_E_STORAGE);
	/* a view appends checkpoints; a reader does not */
	assert_int_equal(raas_store_add_checkpoint(v2, "c1", 3, "note", 4, &err), RAAS_OK);
	assert_int_equal(raas_store_add_checkpoint(ro, "c1", 3, "note", 4, &err), RAAS_E_STORAGE);
	assert_int_equal(raas_store_checkpoints(ro, "c1", &out, &err), RAAS_OK);
	assert_int_equal(out.len, strlen("{\"size\":3,\"note\":\"note\"}\n"));
	assert_memory_equal(out.data, "{\"size\":3,\"note\":\"note\"}\n", out.len);
	raas_store_close(ro);

	/* with the writer closed, the views still read what they held */
	assert_int_equal(records_in(v), 3);
	assert_int_equal(records_in(v2), 4);
	ro = open_store(&d, false); /* the files hold e4 too */
	assert_int_equal(records_in(ro), 5);
	raas_store_close(ro);
	raas_store_close(v);
	raas_store_close(v2);
	raas_buf_free(&scratch);
	raas_buf_free(&out);
}

static void store_discard(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	uint32_t no;
	off_t size;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	add_event(s, "c1", "e1", t1);
	add_contract(s, "c1", "k1", 1, "2026-01-01", "2026-01-06T00:00:00Z", v1_results, v1_types,
	             3);
	commit(s, t1);
	size = file_size(d.seg);

	/* A batch touching everything: new customer, events, new version, new contract. */
	add_event(s, "c1", "e2", t2);
	add_event(s, "c9", "e1", t2);
	add_contract(s, "c1", "k1", 2, "2026-02-01", "2026-01-07T00:00:00Z", v2_results, v2_types,
	             1);
	add_contract(s, "c9", "k9", 1, "2026-02-01", "2026-01-07T00:00:00Z",
	             "[{\"on\":\"x.done\"}]", (const char *[]){"x.done"}, 1);
	assert_int_equal(raas_store_pending(s), 4);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer_entries(s, 0), 4);
	assert_true(named(s, "c1", "deal.won"));
	assert_true(named(s, "c9", "x.done"));
	raas_store_discard(s);

	assert_int_equal(raas_store_pending(s), 0);
	assert_int_equal(raas_store_customer_count(s), 1);
	assert_null(raas_store_customer_id(s, 1));
	assert_int_equal(raas_store_customer(s, "c9", 2, false, &no), RAAS_E_INPUT);
	assert_int_equal(raas_store_customer_entries(s, 0), 2);
	assert_int_equal(raas_store_contract_count(s), 1);
	assert_int_equal(raas_store_contract_latest(s, "k1")->version, 1);
	assert_null(raas_store_contract_latest(s, "k9"));
	assert_false(named(s, "c1", "deal.won"));
	assert_false(named(s, "c9", "x.done"));
	assert_true(named(s, "c1", "lead.rejected"));
	expect_no_event(s, "c1", "e2");
	/* A commit now writes nothing to the log. */
	commit(s, t2);
	assert_int_equal(file_size(d.seg), size);
	assert_file_is(d.customers, "2 c1\n");

	/* The next entries take the numbers the discarded ones had. */
	add_event(s, "c9", "e1", t2);
	add_event(s, "c1", "e2", t2);
	commit(s, t2);
	raas_store_close(s);
	s = open_store(&d, true);
	assert_int_equal(customer(s, "c9"), 1);
	expect_event(s, "c9", "e1", 1, 0, t2);
	expect_event(s, "c1", "e2", 0, 2, t2);
	assert_int_equal(raas_store_contract_count(s), 1);
	raas_store_close(s);
	assert_file_is(d.customers, "3 c1\n1 c9\n");
}

/* Discarding while a batch is in flight: the batch in flight completes (it may well be
 * durable already), the batch being added is dropped, its index entries with it. */
static void store_discard_during_flight(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_err err;
	uint32_t no;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	add_event(s, "c1", "e1", t1);
	add_event(s, "c2", "e1", t1);
	assert_int_equal(raas_store_commit_begin(s, t1, &err), RAAS_OK);
	add_event(s, "c1", "e2", t2);
	add_event(s, "c3", "e1", t2);
	raas_store_discard(s);
	assert_int_equal(raas_store_pending(s), 0);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer(s, "c3", 2, false, &no), RAAS_E_INPUT);
	assert_int_equal(raas_store_customer_entries(s, 0), 1);
	expect_event(s, "c1", "e1", 0, 0, t1);
	expect_event(s, "c2", "e1", 1, 0, t1);
	expect_no_event(s, "c1", "e2");
	expect_no_event(s, "c3", "e1");
	assert_true(raas_store_clock(s) == t1);
	/* The store goes on from there. */
	add_event(s, "c1", "e2", t2);
	commit(s, t2);
	expect_event(s, "c1", "e2", 0, 1, t2);
	raas_store_close(s);
	s = open_store(&d, true);
	assert_int_equal(raas_store_customer_count(s), 2);
	expect_event(s, "c1", "e1", 0, 0, t1);
	expect_event(s, "c1", "e2", 0, 1, t2);
	expect_no_event(s, "c3", "e1");
	assert_true(raas_store_clock(s) == t2);
	raas_store_close(s);
	assert_file_is(d.customers, "2 c1\n1 c2\n");
}

/* ---- store: recovery ---- */

/* A store with one committed batch: c1 e1 e2 + contract k1 v1, c2 e1 (clock t1). */
static void base_batch(const struct data *d, int64_t t1)
{
	struct raas_store *s = open_store(d, true);

	add_event(s, "c1", "e1", t1);
	add_event(s, "c1", "e2", t1);
	add_event(s, "c2", "e1", t1);
	add_contract(s, "c1", "k1", 1, "2026-01-01", "2026-01-06T00:00:00Z", v1_results, v1_types,
	             3);
	commit(s, t1);
	raas_store_close(s);
}

struct tail {
	uint64_t start; /* where the appended records begin */
	uint64_t end;
	uint64_t pos_c1e3, pos_c3e1, pos_k9, pos_c2e2;
};

/* Appends to the tenant's log what a crash between the log commit and the derived state
 * leaves behind: records the derived state never saw (c1 e3 at t2; new customer c3: e1 and
 * contract k9 at t3; c2 e2 at t2). */
static void append_tail(const struct data *d, int64_t t2, int64_t t3, struct tail *out)
{
	struct raas_log *log = open_log(d->log, true);
	struct raas_err err;
	char leaf[2048];
	size_t len;

	out->start = raas_log_end(log);
	len = event_leaf(leaf, sizeof leaf, "c1", "e3", t2);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 0, 3, t2, leaf, len, &out->pos_c1e3),
	                 RAAS_OK);
	len = event_leaf(leaf, sizeof leaf, "c3", "e1", t3);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 2, 0, t3, leaf, len, &out->pos_c3e1),
	                 RAAS_OK);
	len = contract_leaf(leaf, sizeof leaf, "c3", "k9", 1, "2026-03-01", "2026-01-08T00:00:00Z",
	                    "[{\"on\":\"x.done\"}]");
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_CONTRACT, 2, 1, t3, leaf, len, &out->pos_k9),
	                 RAAS_OK);
	len = event_leaf(leaf, sizeof leaf, "c2", "e2", t2);
	assert_int_equal(raas_log_add(log, RAAS_ENTRY_EVENT, 1, 1, t2, leaf, len, &out->pos_c2e2),
	                 RAAS_OK);
	assert_int_equal(raas_log_commit(log, &err), RAAS_OK);
	out->end = raas_log_end(log);
	raas_log_close(log);
}

static void expect_recovered(struct raas_store *s, const struct tail *tl, int64_t t1, int64_t t2,
                             int64_t t3)
{
	static const char *x_types[] = {"x.done"};
	const struct raas_store_contract *k9;

	assert_int_equal(raas_store_customer_count(s), 3);
	assert_string_equal(raas_store_customer_id(s, 2), "c3");
	assert_int_equal(raas_store_customer_entries(s, 0), 4);
	assert_int_equal(raas_store_customer_entries(s, 1), 2);
	assert_int_equal(raas_store_customer_entries(s, 2), 2);
	expect_event(s, "c1", "e1", 0, 0, t1);
	expect_event(s, "c2", "e1", 1, 0, t1);
	assert_int_equal(expect_event(s, "c1", "e3", 0, 3, t2), tl->pos_c1e3);
	assert_int_equal(expect_event(s, "c3", "e1", 2, 0, t3), tl->pos_c3e1);
	assert_int_equal(expect_event(s, "c2", "e2", 1, 1, t2), tl->pos_c2e2);
	assert_true(raas_store_clock(s) == t3);
	assert_int_equal(raas_store_contract_count(s), 2);
	k9 = raas_store_contract_latest(s, "k9");
	expect_contract(k9, "c3", "k9", 1, "2026-03-01", "2026-01-08T00:00:00Z", x_types, 1);
	assert_int_equal(k9->pos, tl->pos_k9);
	assert_true(named(s, "c3", "x.done"));
	assert_true(named(s, "c1", "hire.made"));
	assert_int_equal(raas_store_pending(s), 0);
}

/* The index of a store is two tables (ids.tbl, which holds the header, and ids-hot.tbl for
 * recent ids): count is what both hold together. */
static void expect_index(const struct data *d, uint64_t covered, int64_t clock, size_t count)
{
	struct raas_idtable *t = open_ids(d->ids, false), *hot;
	char hot_path[600];
	size_t n;

	assert_int_equal(raas_idtable_covered(t), covered);
	assert_true(raas_idtable_clock(t) == clock);
	n = raas_idtable_count(t);
	raas_idtable_close(t);
	snprintf(hot_path, sizeof hot_path, "%.*s-hot.tbl", (int)(strlen(d->ids) - 4), d->ids);
	hot = open_ids(hot_path, false);
	assert_int_equal(n + raas_idtable_count(hot), count);
	raas_idtable_close(hot);
}

static void store_recovery_replays_tail(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct tail tl;
	uint64_t k1_pos;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z"),
	        t3 = at("2026-01-08T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	expect_index(&d, (uint64_t)file_size(d.seg), t1, 3);
	s = open_store(&d, false);
	k1_pos = raas_store_contract_latest(s, "k1")->pos;
	raas_store_close(s);
	assert_contract_list(d.contracts, &k1_pos, 1);
	append_tail(&d, t2, t3, &tl);
	assert_int_equal(tl.end, (uint64_t)file_size(d.seg));

	/* A reader sees the tail but writes nothing. */
	s = open_store(&d, false);
	assert_int_equal(raas_store_customer_count(s), 3);
	assert_true(raas_store_clock(s) == t3);
	assert_int_equal(raas_store_contract_count(s), 2);
	raas_store_close(s);
	assert_file_is(d.customers, "3 c1\n1 c2\n");
	expect_index(&d, tl.start, t1, 3);

	/* A writer replays it into the derived state. */
	s = open_store(&d, true);
	expect_recovered(s, &tl, t1, t2, t3);
	raas_store_close(s);
	expect_index(&d, tl.end, t3, 6);
	assert_file_is(d.customers, "4 c1\n2 c2\n2 c3\n");
	assert_contract_list(d.contracts, (uint64_t[]){k1_pos, tl.pos_k9}, 2);

	/* Reopened, nothing is replayed twice; a new entry continues the sequences. */
	for (int w = 1; w >= 0; w--) {
		s = open_store(&d, w);
		expect_recovered(s, &tl, t1, t2, t3);
		raas_store_close(s);
	}
	s = open_store(&d, true);
	add_event(s, "c3", "e2", t3);
	commit(s, t3);
	expect_event(s, "c3", "e2", 2, 2, t3);
	raas_store_close(s);
	expect_index(&d, (uint64_t)file_size(d.seg), t3, 7);
}

/* A crash can also stop the derived state half-updated: the customer and contract lists
 * written, `covered` not. Replaying the same tail again changes nothing. */
static void store_recovery_is_idempotent(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_idtable *t;
	struct tail tl;
	char *old_customers, *old_contracts;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z"),
	        t3 = at("2026-01-08T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	old_customers = read_all(d.customers, NULL);
	old_contracts = read_all(d.contracts, NULL);
	append_tail(&d, t2, t3, &tl);
	s = open_store(&d, true);
	expect_recovered(s, &tl, t1, t2, t3);
	raas_store_close(s);

	/* New lists and index entries, old `covered`. */
	t = open_ids(d.ids, true);
	raas_idtable_set_covered(t, tl.start);
	raas_idtable_close(t);
	s = open_store(&d, true);
	expect_recovered(s, &tl, t1, t2, t3);
	raas_store_close(s);
	expect_index(&d, tl.end, t3, 6);
	assert_file_is(d.customers, "4 c1\n2 c2\n2 c3\n");

	/* Old lists, new index entries, old `covered` and clock. */
	t = open_ids(d.ids, true);
	raas_idtable_set_covered(t, tl.start);
	raas_idtable_set_clock(t, t1);
	raas_idtable_close(t);
	write_all(d.customers, old_customers, strlen(old_customers));
	write_all(d.contracts, old_contracts, strlen(old_contracts));
	s = open_store(&d, true);
	expect_recovered(s, &tl, t1, t2, t3);
	raas_store_close(s);
	expect_index(&d, tl.end, t3, 6);
	assert_file_is(d.customers, "4 c1\n2 c2\n2 c3\n");
	free(old_customers);
	free(old_contracts);
}

static void store_recovery_cuts_torn_tail(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct tail tl;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z"),
	        t3 = at("2026-01-08T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	/* Half of a batch: the tail's first record whole, the second cut in its leaf. */
	append_tail(&d, t2, t3, &tl);
	assert_int_equal(truncate(d.seg, (off_t)(tl.pos_c3e1 + 50)), 0);

	s = open_store(&d, false); /* a reader does not cut */
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer_entries(s, 0), 4);
	raas_store_close(s);
	assert_int_equal(file_size(d.seg), (off_t)(tl.pos_c3e1 + 50));

	s = open_store(&d, true);
	assert_int_equal(file_size(d.seg), (off_t)tl.pos_c3e1);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer_entries(s, 0), 4);
	assert_int_equal(expect_event(s, "c1", "e3", 0, 3, t2), tl.pos_c1e3);
	expect_no_event(s, "c3", "e1");
	expect_no_event(s, "c2", "e2");
	assert_true(raas_store_clock(s) == t2);
	assert_int_equal(raas_store_contract_count(s), 1);
	/* Re-sending the lost part works, at the cut. */
	add_event(s, "c3", "e1", t3);
	commit(s, t3);
	assert_int_equal(expect_event(s, "c3", "e1", 2, 0, t3), tl.pos_c3e1);
	raas_store_close(s);
	expect_index(&d, (uint64_t)file_size(d.seg), t3, 5);
}

static void store_recovery_cuts_garbage(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	off_t size;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	size = file_size(d.seg);
	append_bytes(d.seg, "RLR1\x10\x00\x00\x00garbage", 15);
	s = open_store(&d, true);
	assert_int_equal(file_size(d.seg), size);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer_entries(s, 0), 3);
	expect_event(s, "c1", "e2", 0, 1, t1);
	expect_no_event(s, "c1", "e3");
	add_event(s, "c1", "e3", t2);
	commit(s, t2);
	assert_int_equal(expect_event(s, "c1", "e3", 0, 3, t2), (uint64_t)size);
	raas_store_close(s);
	expect_index(&d, (uint64_t)file_size(d.seg), t2, 4);
}

/* An index modified in another boot and never synced may have lost pages: the whole
 * derived state is rebuilt from the log, whatever the state files say. */
static void store_recovery_untrusted_index(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	struct raas_idtable *t;
	struct tail tl;
	char other[40] = "00000000-0000-0000-0000-000000000000";
	uint32_t one = 1;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z"),
	        t3 = at("2026-01-08T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	append_tail(&d, t2, t3, &tl);
	s = open_store(&d, true);
	expect_recovered(s, &tl, t1, t2, t3);
	raas_store_close(s);

	for (int w = 0; w < 2; w++) {
		/* Lost pages: a wrong entry, a wrong `covered`, a damaged customer list. */
		t = open_ids(d.ids, true);
		raas_idtable_insert(t, ev_key("c9", "ghost"), 8);
		raas_idtable_set_covered(t, tl.start);
		raas_idtable_close(t);
		patch(d.ids, IDT_OFF_DIRTY, &one, 4);
		patch(d.ids, IDT_OFF_BOOT, other, sizeof other);
		write_all(d.customers, "9 zz\n", 5);
		s = open_store(&d, w);
		assert_int_equal(raas_store_customer_count(s), 3);
		assert_int_equal(raas_store_customer_entries(s, 0), 4);
		assert_int_equal(raas_store_contract_count(s), 2);
		assert_true(raas_store_clock(s) == t3);
		if (w) {
			expect_recovered(s, &tl, t1, t2, t3);
			expect_no_event(s, "c9", "ghost");
		}
		raas_store_close(s);
	}
	expect_index(&d, tl.end, t3, 6);
	assert_file_is(d.customers, "4 c1\n2 c2\n2 c3\n");
}

/* ---- store: crashes of a writer, simulated by a child process that dies (_exit) ---- */

/* How many of the positions the index gives for (cust, id) hold exactly that event. */
static size_t stored_at(struct raas_store *s, const char *cust, const char *id)
{
	uint64_t pos[8];
	size_t n = raas_store_find_event(s, ev_key(cust, id), pos, 8), hits = 0;
	struct raas_buf scratch;
	char want[1024];

	raas_buf_init(&scratch, RAAS_LOG_MAX_LEAF + 64);
	for (size_t i = 0; i < n && i < 8; i++) {
		struct raas_log_record rec;
		struct raas_err err;
		raas_rc rc = raas_store_probe(s, pos[i], &rec, &scratch, &err);
		size_t len;
		if (rc == RAAS_E_INPUT)
			continue; /* a stale hint */
		assert_int_equal(rc, RAAS_OK);
		if (rec.kind != RAAS_ENTRY_EVENT)
			continue;
		len = event_leaf(want, sizeof want, cust, id, rec.clock_us);
		hits += rec.leaf_len == len && !memcmp(rec.leaf, want, len);
	}
	raas_buf_free(&scratch);
	return hits;
}

enum crash_point { CRASH_BEFORE_WRITE, CRASH_IN_FLIGHT };

/* In a child: opens the store, adds events (c1 e3, new customer c3 e1, c2 e2) and dies
 * before the batch is written, or once the group commit has put it into the file. */
static void crash_child(const struct data *d, enum crash_point at_point, int64_t t2)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct raas_store *s = NULL;
		struct raas_err err;
		static const char *evs[3][2] = {{"c1", "e3"}, {"c3", "e1"}, {"c2", "e2"}};
		if (raas_store_open(d->dir, true, &s, &err))
			_exit(10);
		for (int i = 0; i < 3; i++) {
			char leaf[1024];
			size_t len = event_leaf(leaf, sizeof leaf, evs[i][0], evs[i][1], t2);
			uint32_t no;
			if (raas_store_customer(s, evs[i][0], 2, true, &no) ||
			    raas_store_add_event(s, no, ev_key(evs[i][0], evs[i][1]), t2, leaf, len,
			                         &err))
				_exit(11);
		}
		if (at_point == CRASH_IN_FLIGHT) {
			struct stat st;
			off_t before = stat(d->seg, &st) == 0 ? st.st_size : 0;
			if (raas_store_commit_begin(s, t2, &err))
				_exit(12);
			/* The group commit's thread writes the batch, then syncs it: die once
			 * its bytes are in the file, whether or not the sync has finished. */
			for (int i = 0; i < 10000; i++) {
				if (stat(d->seg, &st) == 0 && st.st_size > before)
					_exit(0);
				nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
			}
			_exit(13);
		}
		_exit(0); /* no commit, no close: the process just ends */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void store_crash_before_write(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	off_t size;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	size = file_size(d.seg);
	crash_child(&d, CRASH_BEFORE_WRITE, t2);
	assert_int_equal(file_size(d.seg), size);

	s = open_store(&d, true);
	assert_int_equal(raas_store_customer_count(s), 2);
	assert_int_equal(raas_store_customer_entries(s, 0), 3);
	assert_int_equal(raas_store_customer_entries(s, 1), 1);
	assert_true(raas_store_clock(s) == t1);
	/* The index may hold hints for the lost events: none leads to such an event. */
	assert_int_equal(stored_at(s, "c1", "e3"), 0);
	assert_int_equal(stored_at(s, "c3", "e1"), 0);
	assert_int_equal(stored_at(s, "c2", "e2"), 0);
	assert_int_equal(stored_at(s, "c1", "e1"), 1);
	/* Other events now take the positions the lost ones were given... */
	add_event(s, "c2", "z1", t2);
	add_event(s, "c1", "z2", t2);
	add_event(s, "c4", "z3", t2);
	commit(s, t2);
	assert_int_equal(stored_at(s, "c1", "e3"), 0);
	assert_int_equal(stored_at(s, "c3", "e1"), 0);
	assert_int_equal(stored_at(s, "c2", "e2"), 0);
	/* ...and re-sending the lost ones stores each once. */
	add_event(s, "c1", "e3", t2);
	add_event(s, "c3", "e1", t2);
	add_event(s, "c2", "e2", t2);
	commit(s, t2);
	assert_int_equal(stored_at(s, "c1", "e3"), 1);
	assert_int_equal(stored_at(s, "c3", "e1"), 1);
	assert_int_equal(stored_at(s, "c2", "e2"), 1);
	assert_int_equal(stored_at(s, "c2", "z1"), 1);
	assert_int_equal(raas_store_customer_count(s), 4);
	assert_string_equal(raas_store_customer_id(s, 2), "c4");
	assert_string_equal(raas_store_customer_id(s, 3), "c3");
	raas_store_close(s);
	assert_file_is(d.customers, "5 c1\n3 c2\n1 c4\n1 c3\n");
}

static void store_crash_in_flight(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	off_t size;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	size = file_size(d.seg);
	crash_child(&d, CRASH_IN_FLIGHT, t2);
	/* The batch reached the files (not necessarily the disk): the next writer keeps it. */
	assert_true(file_size(d.seg) > size);
	s = open_store(&d, true);
	assert_int_equal(raas_store_customer_count(s), 3);
	assert_string_equal(raas_store_customer_id(s, 2), "c3");
	assert_int_equal(raas_store_customer_entries(s, 0), 4);
	assert_int_equal(raas_store_customer_entries(s, 1), 2);
	assert_int_equal(raas_store_customer_entries(s, 2), 1);
	expect_event(s, "c1", "e3", 0, 3, t2);
	expect_event(s, "c3", "e1", 2, 0, t2);
	expect_event(s, "c2", "e2", 1, 1, t2);
	assert_true(raas_store_clock(s) == t2);
	raas_store_close(s);
	expect_index(&d, (uint64_t)file_size(d.seg), t2, 6);
	assert_file_is(d.customers, "4 c1\n2 c2\n1 c3\n");
}

/* Group commit: batch A is in flight while batch B (a new customer c2, one more entry of
 * c1) is added; B is handed over too, and the writer dies before B is durable. B is not
 * acknowledged, and a crash inside its write leaves any prefix of its bytes — here none
 * (the test cuts the log back to the end of A, which the open replays). The derived state must then
 * say what the log says: c2 does not exist, c1 has one entry, and the next entries take the next
 * numbers — also after a rebuild from the log alone (an index from another boot). */
static void store_crash_in_second_flight(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s;
	pid_t pid;
	int status = 0;
	uint32_t no = 0;
	uint64_t covered;
	char other[40] = "00000000-0000-0000-0000-000000000000";
	uint32_t one = 1;
	int64_t t1 = at("2026-01-06T00:00:00Z");

	new_data(c, &d);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct raas_err err;
		static const char *evs[3][2] = {{"c1", "e1"}, {"c2", "e1"}, {"c1", "e2"}};
		s = NULL;
		if (raas_store_open(d.dir, true, &s, &err))
			_exit(10);
		for (int i = 0; i < 3; i++) {
			char leaf[1024];
			size_t len = event_leaf(leaf, sizeof leaf, evs[i][0], evs[i][1], t1);
			if (raas_store_customer(s, evs[i][0], 2, true, &no) ||
			    raas_store_add_event(s, no, ev_key(evs[i][0], evs[i][1]), t1, leaf, len,
			                         &err))
				_exit(11);
			if (i == 0 && raas_store_commit_begin(s, t1, &err)) /* batch A */
				_exit(12);
		}
		if (raas_store_commit_begin(s, t1, &err)) /* A completes; batch B goes */
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* A was durable, but `covered` moves only with raas_store_commit_wait (the derived
	 * files are written once per run of commits), so the open below replays A too. */
	assert_int_equal(read_covered(&d), 0);
	{
		char leaf[1024];
		covered = rec_size(event_leaf(leaf, sizeof leaf, "c1", "e1", t1));
	}
	assert_int_equal(truncate(d.seg, (off_t)covered), 0);

	s = open_store(&d, true);
	assert_int_equal(raas_store_customer_count(s), 1);
	assert_int_equal(raas_store_customer_entries(s, 0), 1);
	assert_int_equal(raas_store_customer(s, "c2", 2, false, &no), RAAS_E_INPUT);
	add_event(s, "c3", "e1", t1);
	add_event(s, "c1", "e3", t1);
	commit(s, t1);
	expect_event(s, "c3", "e1", 1, 0, t1);
	expect_event(s, "c1", "e3", 0, 1, t1);
	raas_store_close(s);
	assert_file_is(d.customers, "2 c1\n1 c3\n");

	patch(d.ids, IDT_OFF_DIRTY, &one, 4);
	patch(d.ids, IDT_OFF_BOOT, other, sizeof other);
	s = open_store(&d, true);
	assert_int_equal(raas_store_customer_count(s), 2);
	raas_store_close(s);
}

static void store_log_shorter_than_index(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct raas_store *s = NULL;
	struct raas_err err;
	char msg[256];
	off_t size;
	int64_t t1 = at("2026-01-06T00:00:00Z");

	new_data(c, &d);
	s = open_store(&d, true);
	add_event(s, "c1", "e1", t1);
	commit(s, t1);
	raas_store_close(s);
	s = NULL;
	size = file_size(d.seg);
	assert_int_equal(truncate(d.seg, 0), 0);
	snprintf(msg, sizeof msg,
	         "the log is shorter than its index (0 < %lld bytes): the store is damaged",
	         (long long)size);
	for (int w = 0; w < 2; w++) {
		assert_int_equal(raas_store_open(d.dir, w, &s, &err), RAAS_E_STORAGE);
		assert_string_equal(err.path, d.tdir);
		assert_string_equal(err.message, msg);
		assert_null(s);
	}
	assert_int_equal(file_size(d.seg), 0);
}

/* ---- store: allocation failures while opening and recovering ---- */

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* Makes sure fd 0 is open (on /dev/null when it was not) and returns its identity. */
static void stdin_identity(struct stat *st)
{
	if (fcntl(0, F_GETFD) == -1)
		assert_int_equal(open("/dev/null", O_RDONLY), 0);
	assert_int_equal(fstat(0, st), 0);
}

/* Opens the store with the nth allocation failing, for n = 1, 2, ... until an open
 * succeeds: every failure must be an out-of-memory error, close every descriptor it opened
 * and none it did not (fd 0 included), and leak nothing (LeakSanitizer in the sanitizer
 * build). A failed writable open may have done part of the recovery: the next one must
 * still recover everything. */
static void store_open_alloc_failures(void **state)
{
	struct ctx *c = *state;
	struct data d;
	struct tail tl;
	struct stat in0, now0;
	long bad_code = 0, closed_fd0 = 0, leaked_fds = 0;
	int64_t t1 = at("2026-01-06T00:00:00Z"), t2 = at("2026-01-07T00:00:00Z"),
	        t3 = at("2026-01-08T00:00:00Z");

	new_data(c, &d);
	base_batch(&d, t1);
	append_tail(&d, t2, t3, &tl); /* so that opening replays a tail */
	for (int w = 0; w < 2; w++) {
		long n;
		int fds;
		stdin_identity(&in0);
		fds = count_fds();
		for (n = 1; n < 100000; n++) {
			struct raas_store *s = NULL;
			struct raas_err err;
			long attempts;
			raas_rc rc;

			raas_err_clear(&err);
			raas_alloc_fail_at(n);
			rc = raas_store_open(d.dir, w, &s, &err);
			attempts = raas_alloc_count();
			raas_alloc_fail_at(0);
			if (rc == RAAS_OK) {
				assert_true(attempts < n);
				if (w)
					expect_recovered(s, &tl, t1, t2, t3);
				assert_int_equal(raas_store_customer_count(s), 3);
				assert_int_equal(raas_store_customer_entries(s, 0), 4);
				assert_int_equal(raas_store_contract_count(s), 2);
				assert_true(raas_store_clock(s) == t3);
				raas_store_close(s);
				break;
			}
			assert_null(s);
			if (rc != RAAS_E_NOMEM) {
				bad_code++;
				print_message("%s open, allocation %ld failing: code %d, \"%s\"\n",
				              w ? "writable" : "read-only", n, rc, err.message);
			}
			if (fstat(0, &now0) != 0 || now0.st_ino != in0.st_ino ||
			    now0.st_dev != in0.st_dev) {
				closed_fd0++;
				print_message("%s open, allocation %ld failing: fd 0 was closed\n",
				              w ? "writable" : "read-only", n);
				if (fcntl(0, F_GETFD) != -1)
					close(0);
				stdin_identity(&in0);
			}
			if (count_fds() != fds)
				leaked_fds++;
		}
		assert_true(n > 1 && n < 100000);
	}
	expect_index(&d, tl.end, t3, 6);
	assert_int_equal(closed_fd0, 0);
	assert_int_equal(leaked_fds, 0);
	assert_int_equal(bad_code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(log_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_discard_and_empty_commit, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_scan_keeps_pending, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_scan_from_middle, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_torn_tail, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_damaged_last_record, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_big_records, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_direct_writes, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_big_record_damaged_read_only, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_chunk_boundaries, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_segment_rotation, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_segment_exact_fill, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_segment_exact_fill_in_one_batch, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(log_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_open_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(log_add_failure_leaves_batch, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_insert_find, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_remove, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_growth, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_hot_table_between_renames, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_filter, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_clear_in_place, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_replaced_in_two_renames, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_reopen_and_header, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_trust_and_reset, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_damaged, setup, teardown),
	        cmocka_unit_test_setup_teardown(idtable_capacity_overflow, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_init_layout, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_init_refuses, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_tenants, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_open_not_data_dir, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_customers_and_events, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_contracts, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_type_is_named_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_clock, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_clock_without_entries_survives_reopen, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(store_marks, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_views, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_discard, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_discard_during_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_recovery_replays_tail, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_recovery_is_idempotent, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_recovery_cuts_torn_tail, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_recovery_cuts_garbage, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_recovery_untrusted_index, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_crash_before_write, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_crash_in_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_crash_in_second_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_log_shorter_than_index, setup, teardown),
	        cmocka_unit_test_setup_teardown(store_open_alloc_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
