/* log.c — segment files, record framing and checksums, batched durable appends, and the
 * recovery scan that cuts a torn tail (docs/formats/log.md).
 *
 * Record layout (little-endian), padded with zeros to a multiple of 8 bytes:
 *   0  u32 magic "RLR1"     4  u32 leaf length     8  u64 checksum
 *  16  u8 kind, u8 0, u16 0, u32 customer number  24  u64 customer sequence
 *  32  i64 clock (µs)       40  leaf bytes
 * checksum = XXH3_64(leaf, seed = XXH3_64(bytes 16..39)).
 */
#define _GNU_SOURCE /* O_DIRECT, madvise, MADV_POPULATE_WRITE */
#include "store/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/alloc.h"

#define MAGIC 0x31524c52u /* "RLR1" */
#define MAX_SEGMENTS 4096
#define SCAN_CHUNK ((size_t)8 << 20)
/* Direct writes: file offsets, lengths and memory aligned to this (any logical block size
 * up to a page), and only for runs holding at least DIRECT_MIN bytes of whole blocks (a
 * small batch is cheaper to copy into the page cache than to send to the device alone). */
#define ALIGN ((size_t)4096)
#define DIRECT_MIN ((size_t)64 << 10)
#define BATCH_MAX ((size_t)4 << 30)

struct piece {
	uint64_t pos; /* where these bytes go */
	size_t off;   /* where they start in the batch's buffer */
	size_t len;
};

/* Records in memory: a contiguous run of them per segment is a piece. The memory is
 * ALIGN-aligned and each piece starts at the same offset modulo ALIGN as its place in its
 * segment, so the whole blocks of a piece can be written from it directly (put_flight). */
struct batch {
	char *raw; /* the allocation (owned); data is its first ALIGN-aligned byte */
	char *data;
	size_t len, cap;
	size_t bytes;                /* record bytes (len less the alignment gaps between pieces) */
	uint64_t last_pos, last_sum; /* the last record added (when bytes > 0) */
	struct piece *pieces;
	size_t npieces, cap_pieces;
};

struct raas_log {
	char *dir;
	bool writable;
	int fds[MAX_SEGMENTS]; /* -1 when not open */
	/* The same segments opened with O_DIRECT for writing (-1: not open). A file system
	 * that refuses O_DIRECT clears direct at the first open; a direct write it refuses
	 * (EINVAL) sets direct_refused, in the thread that writes, and later batches are copied
	 * through the page cache like small ones. */
	int dfds[MAX_SEGMENTS];
	bool direct;
	bool direct_refused;
	uint64_t direct_bytes; /* written with O_DIRECT so far */
	uint32_t nsegments;    /* segments 0 .. nsegments-1 exist */
	uint64_t end;          /* position after the last written record */
	struct batch pending;  /* records added since the last write */
	/* The last written batch: raas_log_write hands it over, raas_log_sync puts its bytes
	 * into the files (possibly in another thread) and makes them durable. Its records are
	 * read from memory until the next write replaces it. */
	struct batch flight;
	bool flight_in_files; /* its bytes were written to the files */
	uint64_t pending_end; /* where the next pending record would go */
	uint64_t durable;     /* everything before it is on disk (fdatasync'ed) */
	uint32_t sync_from;   /* first segment written since the last sync (UINT32_MAX: none) */
	uint64_t limit;       /* a read-only log ends here whatever the files hold (raas_log_limit);
	                         UINT64_MAX: no limit */
};

static inline uint32_t seg_of(uint64_t pos)
{
	return (uint32_t)(pos >> RAAS_LOG_SEGMENT_SHIFT);
}

static inline uint64_t off_of(uint64_t pos)
{
	return pos & (RAAS_LOG_SEGMENT_MAX - 1);
}

static inline uint64_t make_pos(uint32_t seg, uint64_t off)
{
	return ((uint64_t)seg << RAAS_LOG_SEGMENT_SHIFT) | off;
}

static inline size_t record_size(size_t leaf_len)
{
	return (RAAS_LOG_HEADER_BYTES + leaf_len + 7) & ~(size_t)7;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the supported targets are little-endian (x86-64, arm64) */
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t checksum(const unsigned char *hdr, const char *leaf, size_t len)
{
	return XXH3_64bits_withSeed(leaf, len, XXH3_64bits(hdr + 16, RAAS_LOG_HEADER_BYTES - 16));
}

static void segment_path(const struct raas_log *log, uint32_t seg, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%08u.seg", log->dir, seg);
}

static raas_rc sys_error(struct raas_err *err, const char *what, const char *path)
{
	return raas_err_set(err, RAAS_E_STORAGE, path, "%s: %s", what, strerror(errno));
}

/* Returns the fd of segment seg, opening it on first use. */
static int segment_fd(struct raas_log *log, uint32_t seg, struct raas_err *err)
{
	char path[4096];

	if (seg >= MAX_SEGMENTS) {
		raas_err_set(err, RAAS_E_STORAGE, log->dir, "log larger than %d segments",
		             MAX_SEGMENTS);
		return -1;
	}
	if (log->fds[seg] >= 0)
		return log->fds[seg];
	segment_path(log, seg, path, sizeof path);
	log->fds[seg] = open(path, (log->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (log->fds[seg] < 0)
		sys_error(err, "cannot open log segment", path);
	return log->fds[seg];
}

/* Opens segment seg for direct writes; -1 when it cannot be (the segment's batches then go
 * through the page cache, which the writer's descriptor already reaches: no reason to fail
 * a commit), with log->direct cleared when the file system does not do O_DIRECT at all
 * (tmpfs before Linux 6.6, some FUSE). */
static int direct_fd(struct raas_log *log, uint32_t seg)
{
	char path[4096];
	int fd;

	segment_path(log, seg, path, sizeof path);
	fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL)
		log->direct = false;
	return fd;
}

static raas_rc fsync_dir(const char *dir, struct raas_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	raas_rc rc = RAAS_OK;

	if (fd < 0)
		return sys_error(err, "cannot open directory", dir);
	if (fsync(fd) != 0)
		rc = sys_error(err, "cannot sync directory", dir);
	close(fd);
	return rc;
}

raas_rc raas_log_create(const char *dir, struct raas_err *err)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%08u.seg", dir, 0u);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_error(err, "cannot create log segment", path);
	if (fsync(fd) != 0) {
		close(fd);
		return sys_error(err, "cannot sync log segment", path);
	}
	close(fd);
	return fsync_dir(dir, err);
}

raas_rc raas_log_open(const char *dir, bool writable, struct raas_log **out, struct raas_err *err)
{
	struct raas_log *log = raas_calloc(1, sizeof *log);
	struct stat st;
	raas_rc rc = RAAS_OK;
	int fd;

	if (!log || !(log->dir = raas_strdup(dir))) {
		raas_free(log);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	log->writable = writable;
	for (int i = 0; i < MAX_SEGMENTS; i++)
		log->fds[i] = log->dfds[i] = -1;
	log->direct = writable;
	log->flight_in_files = true;
	log->limit = UINT64_MAX;
	/* Segments are numbered densely from 0; find the last one. */
	for (log->nsegments = 0; log->nsegments < MAX_SEGMENTS; log->nsegments++) {
		char path[4096];
		segment_path(log, log->nsegments, path, sizeof path);
		if (access(path, F_OK) != 0)
			break;
	}
	if (log->nsegments == 0) {
		rc = raas_err_set(err, RAAS_E_STORAGE, dir, "no log segment (00000000.seg) found");
		goto out;
	}
	fd = segment_fd(log, log->nsegments - 1, err);
	if (fd < 0) {
		rc = RAAS_E_STORAGE;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = sys_error(err, "cannot stat log segment", dir);
		goto out;
	}
	/* The physical end; the recovery scan decides whether the tail is whole. */
	log->end = make_pos(log->nsegments - 1, (uint64_t)st.st_size);
	log->pending_end = log->end;
	log->durable = 0; /* until recovery syncs what the files hold */
	log->sync_from = UINT32_MAX;
out:
	if (rc) {
		raas_log_close(log);
		return rc;
	}
	*out = log;
	return RAAS_OK;
}

void raas_log_close(struct raas_log *log)
{
	if (!log)
		return;
	for (int i = 0; i < MAX_SEGMENTS; i++) {
		if (log->fds[i] >= 0)
			close(log->fds[i]);
		if (log->dfds[i] >= 0)
			close(log->dfds[i]);
	}
	raas_free(log->pending.raw);
	raas_free(log->pending.pieces);
	raas_free(log->flight.raw);
	raas_free(log->flight.pieces);
	raas_free(log->dir);
	raas_free(log);
}

void raas_log_limit(struct raas_log *log, uint64_t end)
{
	/* A limit at the very start of a segment: that segment may not exist yet. */
	uint32_t segments = off_of(end) || seg_of(end) == 0 ? seg_of(end) + 1 : seg_of(end);

	log->limit = end;
	if (log->nsegments > segments)
		log->nsegments = segments;
	if (log->end > end)
		log->end = log->pending_end = end;
}

uint64_t raas_log_end(const struct raas_log *log)
{
	return log->end;
}

/* Cuts the log at pos: the segment holding pos is truncated there and later segments are
 * removed. Used for a torn tail and to undo a failed commit. */
static raas_rc cut_at(struct raas_log *log, uint64_t pos, struct raas_err *err)
{
	uint32_t seg = seg_of(pos);
	char path[4096];
	int fd;

	for (uint32_t s = log->nsegments; s-- > seg + 1;) {
		if (log->fds[s] >= 0) {
			close(log->fds[s]);
			log->fds[s] = -1;
		}
		if (log->dfds[s] >= 0) {
			close(log->dfds[s]);
			log->dfds[s] = -1;
		}
		segment_path(log, s, path, sizeof path);
		if (unlink(path) != 0 && errno != ENOENT)
			return sys_error(err, "cannot remove log segment", path);
	}
	if (log->nsegments > seg + 1) {
		log->nsegments = seg + 1;
		if (fsync_dir(log->dir, err))
			return RAAS_E_STORAGE;
	}
	fd = segment_fd(log, seg, err);
	if (fd < 0)
		return RAAS_E_STORAGE;
	if (ftruncate(fd, (off_t)off_of(pos)) != 0 || fdatasync(fd) != 0) {
		segment_path(log, seg, path, sizeof path);
		return sys_error(err, "cannot truncate log segment", path);
	}
	log->end = pos;
	log->pending_end = pos;
	if (log->durable > pos)
		log->durable = pos;
	return RAAS_OK;
}

/* Size of segment seg on disk. */
static raas_rc segment_size(struct raas_log *log, uint32_t seg, uint64_t *size,
                            struct raas_err *err)
{
	struct stat st;
	int fd = segment_fd(log, seg, err);

	if (fd < 0)
		return RAAS_E_STORAGE;
	if (fstat(fd, &st) != 0)
		return sys_error(err, "cannot stat log segment", log->dir);
	*size = (uint64_t)st.st_size;
	if (seg == seg_of(log->limit) && *size > off_of(log->limit))
		*size = off_of(log->limit); /* what a writer appended after the limit */
	return RAAS_OK;
}

/* Checks the header at hdr for a record of at most avail bytes; returns its leaf length
 * or -1 when it cannot be a whole record. */
static long check_header(const unsigned char *hdr, uint64_t avail)
{
	uint32_t len;

	if (avail < RAAS_LOG_HEADER_BYTES || get32(hdr) != MAGIC)
		return -1;
	len = get32(hdr + 4);
	if (len > RAAS_LOG_MAX_LEAF || record_size(len) > avail)
		return -1;
	if (hdr[16] < RAAS_ENTRY_EVENT || hdr[16] > RAAS_ENTRY_RESOLUTION)
		return -1;
	return (long)len;
}

static void decode(const unsigned char *hdr, uint64_t pos, struct raas_log_record *rec)
{
	rec->pos = pos;
	rec->leaf_len = get32(hdr + 4);
	rec->next = pos + record_size(rec->leaf_len);
	rec->kind = (enum raas_entry_kind)hdr[16];
	rec->customer_no = get32(hdr + 20);
	rec->customer_seq = get64(hdr + 24);
	rec->clock_us = (int64_t)get64(hdr + 32);
	rec->leaf = (const char *)hdr + RAAS_LOG_HEADER_BYTES;
	rec->checksum = get64(hdr + 8);
}

static raas_rc put_flight(struct raas_log *log, struct raas_err *err);
static void cut_back(struct raas_log *log);

raas_rc raas_log_scan(struct raas_log *log, uint64_t from, uint64_t keep,
                      raas_rc (*fn)(void *ctx, const struct raas_log_record *rec), void *ctx,
                      bool truncate_torn, struct raas_err *err)
{
	unsigned char *buf;
	struct raas_buf one;
	uint64_t pos = from;
	raas_rc rc = RAAS_OK;

	/* The scan reads the files: a batch written but not synced goes there first. */
	if (!log->flight_in_files && (rc = put_flight(log, err))) {
		cut_back(log);
		return rc;
	}
	buf = raas_malloc(SCAN_CHUNK);
	raas_buf_init(&one, (size_t)RAAS_LOG_MAX_LEAF + 64);
	if (!buf)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	for (;;) {
		uint32_t seg = seg_of(pos);
		uint64_t size = 0, off = off_of(pos);
		size_t have, used = 0;
		ssize_t n;

		if (seg >= log->nsegments)
			break;
		if ((rc = segment_size(log, seg, &size, err)))
			goto out;
		if (off >= size) {
			if (off == size && seg + 1 < log->nsegments) {
				pos = make_pos(seg + 1, 0);
				continue;
			}
			if (off > size && seg + 1 < log->nsegments) {
				rc = raas_err_set(
				        err, RAAS_E_STORAGE, log->dir,
				        "log segment %u ends inside a record (position %llu): the "
				        "log is damaged",
				        seg, (unsigned long long)pos);
				goto out;
			}
			if (off > size)
				goto torn;
			break; /* the end */
		}
		have = (size_t)(size - off < SCAN_CHUNK ? size - off : SCAN_CHUNK);
		n = pread(segment_fd(log, seg, err), buf, have, (off_t)off);
		if (n <= 0) {
			rc = sys_error(err, "cannot read log segment", log->dir);
			goto out;
		}
		have = (size_t)n;
		while (used < have) {
			uint64_t in_file = size - (off + used); /* bytes left in the segment */
			struct raas_log_record rec;
			size_t rsize;
			long len;

			if (have - used < RAAS_LOG_HEADER_BYTES) {
				if (in_file > have - used)
					break; /* refill from here */
				goto torn;
			}
			len = check_header(buf + used, in_file);
			if (len < 0)
				goto torn; /* bad header, or a record cut off by the end of the file
				            */
			rsize = record_size((size_t)len);
			if (rsize > have - used) {
				if (rsize <= SCAN_CHUNK)
					break; /* refill from here */
				/* Bigger than a chunk: read it on its own. */
				rc = raas_log_read(log, pos, &rec, &one, err);
				if (rc == RAAS_E_INPUT || rc == RAAS_E_VERIFY)
					goto torn;
				if (rc || (fn && (rc = fn(ctx, &rec))))
					goto out;
				pos = rec.next;
				used = have; /* continue after it with a fresh chunk */
				break;
			}
			decode(buf + used, pos, &rec);
			if (get64(buf + used + 8) != checksum(buf + used, rec.leaf, rec.leaf_len))
				goto torn;
			if (fn && (rc = fn(ctx, &rec)))
				goto out;
			used += rsize;
			pos = rec.next;
		}
	}
	goto out;
torn:
	/* Everything from pos on is an incomplete or damaged tail — unless it lies before the
	 * last batch known to be durable: that is damage, reported and never cut away. */
	rc = RAAS_OK;
	if (pos < keep) {
		rc = raas_err_set(err, RAAS_E_STORAGE, log->dir,
		                  "damaged log record at position %llu, before the last durable "
		                  "batch (%llu): the store is damaged and was not changed",
		                  (unsigned long long)pos, (unsigned long long)keep);
		goto done;
	}
	if (truncate_torn) {
		rc = cut_at(log, pos, err);
		goto done;
	}
out:
	/* Only a scan of the whole log (recovery) learns where it ends: a writer's scan between
	 * commits must leave the pending batch where it is (its records follow the end). */
	if (rc == RAAS_OK && log->pending.npieces == 0) {
		log->end = pos;
		log->pending_end = pos;
		log->durable = pos;
	}
done:
	raas_buf_free(&one);
	raas_free(buf);
	return rc;
}

/* Reads a record of a batch in memory (pending, or the last written one). */
static raas_rc read_batch(const struct batch *b, uint64_t pos, struct raas_log_record *rec,
                          struct raas_buf *scratch, struct raas_err *err)
{
	for (size_t i = 0; i < b->npieces; i++) {
		const struct piece *p = &b->pieces[i];
		const unsigned char *hdr;
		long len;
		raas_rc rc;
		if (pos < p->pos || pos >= p->pos + p->len)
			continue;
		hdr = (const unsigned char *)b->data + p->off + (pos - p->pos);
		len = check_header(hdr, p->pos + p->len - pos);
		if (len < 0)
			break;
		raas_buf_reset(scratch);
		if ((rc = raas_buf_append(scratch, hdr, RAAS_LOG_HEADER_BYTES + (size_t)len)))
			return raas_err_set(err, rc == RAAS_E_NOMEM ? RAAS_E_NOMEM : RAAS_E_STORAGE,
			                    NULL, "cannot buffer a log record");
		decode((const unsigned char *)scratch->data, pos, rec);
		return RAAS_OK;
	}
	return raas_err_set(err, RAAS_E_INPUT, NULL, "no log record at position %llu",
	                    (unsigned long long)pos);
}

raas_rc raas_log_read(struct raas_log *log, uint64_t pos, struct raas_log_record *rec,
                      struct raas_buf *scratch, struct raas_err *err)
{
	unsigned char hdr[RAAS_LOG_HEADER_BYTES];
	uint32_t seg = seg_of(pos);
	uint32_t len;
	ssize_t n;
	int fd;
	raas_rc rc;

	if (pos >= log->end && pos < log->pending_end)
		return read_batch(&log->pending, pos, rec, scratch, err);
	if (log->flight.npieces && pos >= log->flight.pieces[0].pos && pos < log->end)
		return read_batch(&log->flight, pos, rec, scratch, err);
	if (seg >= log->nsegments || pos >= log->end)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no log record at position %llu",
		                    (unsigned long long)pos);
	fd = segment_fd(log, seg, err);
	if (fd < 0)
		return RAAS_E_STORAGE;
	n = pread(fd, hdr, sizeof hdr, (off_t)off_of(pos));
	if (n < 0)
		return sys_error(err, "cannot read the log", log->dir);
	if (n != (ssize_t)sizeof hdr || get32(hdr) != MAGIC || get32(hdr + 4) > RAAS_LOG_MAX_LEAF)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no log record at position %llu",
		                    (unsigned long long)pos);
	len = get32(hdr + 4);
	raas_buf_reset(scratch);
	if ((rc = raas_buf_reserve(scratch, sizeof hdr + len)))
		return raas_err_set(err, rc == RAAS_E_NOMEM ? RAAS_E_NOMEM : RAAS_E_STORAGE, NULL,
		                    "cannot buffer a log record of %u bytes", len);
	memcpy(scratch->data, hdr, sizeof hdr);
	n = pread(fd, scratch->data + sizeof hdr, len, (off_t)(off_of(pos) + sizeof hdr));
	if (n < 0)
		return sys_error(err, "cannot read the log", log->dir);
	if (n != (ssize_t)len)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no whole log record at position %llu",
		                    (unsigned long long)pos);
	scratch->len = sizeof hdr + len;
	scratch->data[scratch->len] = '\0';
	decode((const unsigned char *)scratch->data, pos, rec);
	if (get64(hdr + 8) != checksum(hdr, rec->leaf, len))
		return raas_err_set(err, RAAS_E_VERIFY, NULL,
		                    "log record at position %llu fails its checksum",
		                    (unsigned long long)pos);
	return RAAS_OK;
}

/* Makes room for n more bytes in b, keeping its alignment; RAAS_E_NOMEM. */
static raas_rc batch_reserve(struct batch *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 64 << 10;
	char *raw, *data;

	if (n > BATCH_MAX || b->len > BATCH_MAX - n)
		return RAAS_E_STORAGE; /* a batch of 4 GiB: the caller commits far earlier */
	if (b->len + n <= b->cap)
		return RAAS_OK;
	while (cap < b->len + n)
		cap *= 2;
	raw = raas_malloc(cap + ALIGN);
	if (!raw)
		return RAAS_E_NOMEM;
	data = raw + (ALIGN - (uintptr_t)raw % ALIGN) % ALIGN;
	if (b->len)
		memcpy(data, b->data, b->len);
	raas_free(b->raw);
	b->raw = raw;
	b->data = data;
	b->cap = cap;
	return RAAS_OK;
}

raas_rc raas_log_add(struct raas_log *log, enum raas_entry_kind kind, uint32_t customer_no,
                     uint64_t customer_seq, int64_t clock_us, const char *leaf, size_t len,
                     uint64_t *pos)
{
	struct batch *b = &log->pending;
	unsigned char hdr[RAAS_LOG_HEADER_BYTES] = {0};
	size_t size = record_size(len);
	uint64_t at = log->pending_end;
	raas_rc rc;

	if (!log->writable || len > RAAS_LOG_MAX_LEAF)
		return RAAS_E_INPUT;
	if (off_of(at) + size > RAAS_LOG_SEGMENT_MAX)
		at = make_pos(seg_of(at) + 1, 0); /* does not fit: starts the next segment */
	/* Room for the whole record (and a piece's alignment gap) first, so that a failure
	 * leaves the batch as it was. */
	if ((rc = batch_reserve(b, size + ALIGN)))
		return rc;
	/* A new piece where the records stop being contiguous, and at every segment's start
	 * (the previous piece may end exactly where the segment ends). */
	if (b->npieces == 0 || off_of(at) == 0 ||
	    b->pieces[b->npieces - 1].pos + b->pieces[b->npieces - 1].len != at) {
		if (b->npieces == b->cap_pieces) {
			size_t cap = b->cap_pieces ? b->cap_pieces * 2 : 4;
			struct piece *p = raas_realloc(b->pieces, cap * sizeof *p);
			if (!p)
				return RAAS_E_NOMEM;
			b->pieces = p;
			b->cap_pieces = cap;
		}
		/* The gap puts the piece at its file offset modulo ALIGN. */
		b->len += (off_of(at) % ALIGN - b->len % ALIGN + ALIGN) % ALIGN;
		b->pieces[b->npieces].pos = at;
		b->pieces[b->npieces].off = b->len;
		b->pieces[b->npieces].len = 0;
		b->npieces++;
	}
	put32(hdr, MAGIC);
	put32(hdr + 4, (uint32_t)len);
	hdr[16] = (unsigned char)kind;
	put32(hdr + 20, customer_no);
	put64(hdr + 24, customer_seq);
	put64(hdr + 32, (uint64_t)clock_us);
	put64(hdr + 8, checksum(hdr, leaf, len));
	memcpy(b->data + b->len, hdr, sizeof hdr);
	memcpy(b->data + b->len + sizeof hdr, leaf, len);
	memset(b->data + b->len + sizeof hdr + len, 0, size - sizeof hdr - len);
	b->len += size;
	b->bytes += size;
	b->last_pos = at;
	b->last_sum = get64(hdr + 8);
	b->pieces[b->npieces - 1].len += size;
	log->pending_end = at + size;
	*pos = at;
	return RAAS_OK;
}

void raas_log_expect(struct raas_log *log, size_t bytes)
{
	struct batch *b[2] = {&log->pending, &log->flight};

	for (int k = 0; k < 2; k++) {
		struct batch *t = b[k];
		/* (room for a record's reserve and a piece's alignment gap on top) */
		if (t->cap >= bytes + 2 * ALIGN ||
		    batch_reserve(t, bytes + 2 * ALIGN - t->len) != RAAS_OK)
			continue;
		/* The pages a batch of that size fills (data is aligned), not the rest of a
		 * capacity rounded up to a power of two; a kernel without this just faults later.
		 */
		(void)madvise(t->data,
		              (bytes + 2 * ALIGN < t->cap ? bytes + 2 * ALIGN : t->cap) &
		                      ~(ALIGN - 1),
		              MADV_POPULATE_WRITE);
	}
}

bool raas_log_last_pending(const struct raas_log *log, uint64_t *pos, uint64_t *checksum)
{
	*pos = log->pending.last_pos;
	*checksum = log->pending.last_sum;
	return log->pending.bytes > 0;
}

size_t raas_log_pending(const struct raas_log *log)
{
	return log->pending.bytes;
}

static void batch_reset(struct batch *b)
{
	b->len = 0;
	b->bytes = 0;
	b->npieces = 0;
}

void raas_log_discard(struct raas_log *log)
{
	batch_reset(&log->pending);
	log->pending_end = log->end;
}

/* Undoes everything after the durable end after a failed write or sync. */
static void cut_back(struct raas_log *log)
{
	struct raas_err ignored;

	raas_log_discard(log);
	batch_reset(&log->flight);
	log->flight_in_files = true;
	/* If even that fails, the unacknowledged tail stays in the file; the next open replays
	 * it as stored (nothing acknowledged depends on it either way). */
	if (cut_at(log, log->durable, &ignored) != RAAS_OK)
		log->end = log->durable;
	log->pending_end = log->end;
	log->sync_from = UINT32_MAX;
}

/* Writes len bytes of data at off through fd (the page cache). */
static raas_rc write_cached(struct raas_log *log, int fd, const char *data, size_t len,
                            uint64_t off, struct raas_err *err)
{
	while (len) {
		ssize_t n = pwrite(fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(err, "cannot write the log", log->dir);
		data += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return RAAS_OK;
}

/* Writes whole blocks (off, len and data ALIGN-aligned) of segment seg with O_DIRECT: no
 * page-cache pages to allocate and fill, which in a VM cost more than the rest of an
 * ingest's writing. Returns the bytes written; the caller writes the rest through the page
 * cache, which also reports a failure that is not the device refusing direct writes. */
static size_t put_direct(struct raas_log *log, uint32_t seg, const char *data, uint64_t off,
                         size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(log->dfds[seg], data + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL) /* alignment this device or file system refuses */
			log->direct_refused = true;
		if (n <= 0)
			break;
		done += (size_t)n;
		log->direct_bytes += (uint64_t)n;
		if ((size_t)n % ALIGN) /* a short write: the rest goes through the page cache */
			break;
	}
	return done;
}

/* Writes the last written batch's bytes into the segment files (their descriptors were
 * opened by raas_log_write). Touches nothing the writer changes meanwhile. A piece with
 * at least DIRECT_MIN bytes of whole blocks is written in three parts: the bytes before
 * its first block boundary through the page cache (that block holds the previous batch's
 * tail, so it is never written directly), the whole blocks directly, the rest through the
 * page cache. */
static raas_rc put_flight(struct raas_log *log, struct raas_err *err)
{
	for (size_t i = 0; i < log->flight.npieces; i++) {
		const struct piece *p = &log->flight.pieces[i];
		const char *data = log->flight.data + p->off;
		uint64_t off = off_of(p->pos);
		uint32_t seg = seg_of(p->pos);
		uint64_t from = (off + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
		uint64_t to = (off + p->len) & ~(uint64_t)(ALIGN - 1);
		size_t head = 0, done = 0;
		raas_rc rc;

		if (!log->direct_refused && log->dfds[seg] >= 0 && to >= from &&
		    to - from >= DIRECT_MIN) {
			head = (size_t)(from - off);
			if ((rc = write_cached(log, log->fds[seg], data, head, off, err)))
				return rc;
			done = head + put_direct(log, seg, data + head, from, (size_t)(to - from));
		}
		if ((rc = write_cached(log, log->fds[seg], data + done, p->len - done, off + done,
		                       err)))
			return rc;
	}
	log->flight_in_files = true;
	return RAAS_OK;
}

raas_rc raas_log_write(struct raas_log *log, struct raas_err *err)
{
	raas_rc rc = RAAS_OK;
	struct batch t;

	/* A batch written but never synced goes to the files before it is replaced. */
	if (!log->flight_in_files && (rc = put_flight(log, err)))
		goto fail;
	for (size_t i = 0; i < log->pending.npieces; i++) {
		uint32_t seg = seg_of(log->pending.pieces[i].pos);
		int fd;

		if (seg >= log->nsegments) {
			char path[4096];
			segment_path(log, seg, path, sizeof path);
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0) {
				rc = sys_error(err, "cannot create log segment", path);
				goto fail;
			}
			log->fds[seg] = fd;
			log->nsegments = seg + 1;
			if ((rc = fsync_dir(log->dir, err)))
				goto fail;
		}
		if (segment_fd(log, seg, err) < 0) {
			rc = RAAS_E_STORAGE;
			goto fail;
		}
		if (log->direct && log->dfds[seg] < 0)
			log->dfds[seg] = direct_fd(log, seg);
		if (seg < log->sync_from)
			log->sync_from = seg;
	}
	/* The pending batch becomes the flight; the old flight's memory is reused. */
	t = log->flight;
	log->flight = log->pending;
	log->pending = t;
	batch_reset(&log->pending);
	log->flight_in_files = log->flight.npieces == 0;
	log->end = log->pending_end;
	return RAAS_OK;
fail:
	cut_back(log);
	return rc;
}

raas_rc raas_log_sync(struct raas_log *log, struct raas_err *err)
{
	uint32_t last = seg_of(log->end);
	raas_rc rc;

	if (!log->flight_in_files && (rc = put_flight(log, err)))
		return rc;
	for (uint32_t seg = log->sync_from; seg <= last && seg < log->nsegments; seg++) {
		if (log->fds[seg] >= 0 && fdatasync(log->fds[seg]) != 0)
			return sys_error(err, "cannot make the log durable (fdatasync)", log->dir);
	}
	log->sync_from = UINT32_MAX;
	log->durable = log->end;
	return RAAS_OK;
}

uint64_t raas_log_direct_bytes(const struct raas_log *log)
{
	return log->direct_bytes;
}

uint64_t raas_log_durable(const struct raas_log *log)
{
	return log->durable;
}

raas_rc raas_log_sync_from(struct raas_log *log, uint64_t from, struct raas_err *err)
{
	if (from >= log->end && log->sync_from == UINT32_MAX) {
		/* Nothing after from, which the caller knows durable: no device flush (each
		 * writing open paid one, 1–3 ms, for nothing). */
		log->durable = log->end;
		return RAAS_OK;
	}
	if (seg_of(from) < log->sync_from)
		log->sync_from = seg_of(from);
	return raas_log_sync(log, err);
}

void raas_log_abort(struct raas_log *log)
{
	cut_back(log);
}

raas_rc raas_log_commit(struct raas_log *log, struct raas_err *err)
{
	raas_rc rc = raas_log_write(log, err);

	if (rc == RAAS_OK && (rc = raas_log_sync(log, err)))
		cut_back(log);
	return rc;
}
