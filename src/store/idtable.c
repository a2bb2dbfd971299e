/* idtable.c — memory-mapped open-addressing hash table of event ids with linear probing.
 *
 * File layout: a 4096-byte header, then capacity slots of 16 bytes {u64 key, u64 pos}
 * (key 0 = empty). The table grows by writing a twice larger file beside it and renaming
 * it over the old one, so a crash during growth leaves one whole table or the other.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_POPULATE_WRITE */
#include "store/idtable.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/alloc.h"

#define MAGIC "RAASIDT1"
#define HEADER_BYTES 4096
#define MIN_CAPACITY ((uint64_t)1 << 16)
#define BOOT_ID_LEN 40
#define FILTER_BLOCK 64 /* bytes: one cache line */
#define FILTER_BITS 6   /* bits set per key in its block */

struct header {
	char magic[8];
	uint64_t capacity; /* slots, a power of two */
	uint64_t count;
	uint64_t covered;
	int64_t clock_us;
	uint32_t dirty;
	char boot_id[BOOT_ID_LEN];
	uint64_t filter_bytes; /* 0 (no filter) or capacity; 0 in tables made before filters */
};

struct slot {
	uint64_t key;
	uint64_t pos;
};

struct raas_idtable {
	char *path;
	bool writable;
	bool trusted;
	int fd;
	size_t map_len;
	unsigned char *map;
	struct header *hdr;
	struct slot *slots;
	uint64_t *filter; /* filter_bytes bytes after the slots, or NULL */
	uint64_t filter_blocks;
	char boot_id[BOOT_ID_LEN];
	pthread_t populator; /* raas_idtable_populate's thread, while populating */
	bool populating;
};

/* Waits for raas_idtable_populate's thread: before the mapping changes. */
static void populate_join(struct raas_idtable *t)
{
	if (t->populating) {
		pthread_join(t->populator, NULL);
		t->populating = false;
	}
}

static raas_rc sys_error(struct raas_err *err, const char *what, const char *path)
{
	return raas_err_set(err, RAAS_E_STORAGE, path, "%s: %s", what, strerror(errno));
}

static void read_boot_id(char *out)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	memset(out, 0, BOOT_ID_LEN);
	if (!f || !fgets(out, BOOT_ID_LEN, f))
		/* Unknown boot: unique per process, so a dirty table is never trusted. */
		snprintf(out, BOOT_ID_LEN, "unknown-%ld-%lld", (long)getpid(),
		         (long long)time(NULL));
	if (f)
		fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static raas_rc map_file(struct raas_idtable *t, int fd, struct raas_err *err)
{
	struct stat st;
	void *m;

	if (fstat(fd, &st) != 0)
		return sys_error(err, "cannot stat the id index", t->path);
	if ((size_t)st.st_size < HEADER_BYTES)
		return raas_err_set(err, RAAS_E_STORAGE, t->path, "id index too short");
	m = mmap(NULL, (size_t)st.st_size, t->writable ? PROT_READ | PROT_WRITE : PROT_READ,
	         MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return sys_error(err, "cannot map the id index", t->path);
	t->map = m;
	t->map_len = (size_t)st.st_size;
	/* (on a bad header below the mapping stays in t->map, released by the caller) */
	t->hdr = (struct header *)t->map;
	t->slots = (struct slot *)(t->map + HEADER_BYTES);
	t->filter = NULL;
	t->filter_blocks = 0;
	/* The size check divides, so that a damaged capacity cannot overflow it. */
	if (memcmp(t->hdr->magic, MAGIC, 8) != 0 || t->hdr->capacity < MIN_CAPACITY ||
	    (t->hdr->capacity & (t->hdr->capacity - 1)) ||
	    (t->hdr->filter_bytes && t->hdr->filter_bytes != t->hdr->capacity) ||
	    t->map_len - HEADER_BYTES < t->hdr->filter_bytes ||
	    (t->map_len - HEADER_BYTES - t->hdr->filter_bytes) % sizeof(struct slot) != 0 ||
	    (t->map_len - HEADER_BYTES - t->hdr->filter_bytes) / sizeof(struct slot) !=
	            t->hdr->capacity)
		return raas_err_set(err, RAAS_E_STORAGE, t->path, "id index damaged (bad header)");
	if (t->hdr->filter_bytes) {
		t->filter = (uint64_t *)(t->map + HEADER_BYTES +
		                         t->hdr->capacity * sizeof(struct slot));
		t->filter_blocks = t->hdr->filter_bytes / FILTER_BLOCK;
	}
	return RAAS_OK;
}

/* Writes a new empty table of capacity slots into fd. */
static raas_rc format_file(int fd, uint64_t capacity, bool filtered, const struct header *from,
                           const char *path, struct raas_err *err)
{
	struct header h;

	memset(&h, 0, sizeof h);
	if (from)
		h = *from;
	memcpy(h.magic, MAGIC, 8);
	h.capacity = capacity;
	h.count = 0;
	h.filter_bytes = filtered ? capacity : 0;
	if (!from) {
		h.clock_us = INT64_MIN;
		h.covered = 0;
	}
	if (ftruncate(fd,
	              (off_t)(HEADER_BYTES + capacity * sizeof(struct slot) + h.filter_bytes)) != 0)
		return sys_error(err, "cannot size the id index", path);
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		return sys_error(err, "cannot write the id index", path);
	return RAAS_OK;
}

bool raas_idtable_exists(const char *path)
{
	char old[4096];

	snprintf(old, sizeof old, "%s.old", path);
	return access(path, F_OK) == 0 || access(old, F_OK) == 0;
}

raas_rc raas_idtable_open(const char *path, bool writable, struct raas_idtable **out,
                          struct raas_err *err)
{
	struct raas_idtable *t = raas_calloc(1, sizeof *t);
	char old[4096];
	raas_rc rc;

	if (!t || !(t->path = raas_strdup(path))) {
		raas_free(t);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	t->writable = writable;
	read_boot_id(t->boot_id);
	snprintf(old, sizeof old, "%s.old", path);
	if (access(path, F_OK) != 0 && errno == ENOENT && access(old, F_OK) == 0) {
		/* A replacement stopped between its two renames (see rebuild): the old table
		 * is whole. A writer puts it back; a reader reads it where it is. */
		if (writable && rename(old, path) != 0) {
			rc = sys_error(err, "cannot restore the id index", old);
			goto fail;
		}
		if (!writable)
			path = old;
	} else if (writable && unlink(old) != 0 && errno != ENOENT) {
		rc = sys_error(err, "cannot remove the replaced id index", old);
		goto fail;
	}
	t->fd = open(path, (writable ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		rc = sys_error(err, "cannot open the id index", path);
		goto fail;
	}
	if (writable) {
		struct stat st;
		if (fstat(t->fd, &st) != 0) {
			rc = sys_error(err, "cannot stat the id index", path);
			goto fail;
		}
		if (st.st_size == 0 &&
		    (rc = format_file(t->fd, MIN_CAPACITY, false, NULL, path, err)))
			goto fail;
	}
	rc = map_file(t, t->fd, err);
	if (rc && writable) {
		/* Derived state that cannot be read (a power cut after a rename, say) is made anew
		 * and rebuilt from the log rather than keeping the store closed. */
		if (t->map) {
			munmap(t->map, t->map_len);
			t->map = NULL;
		}
		if ((rc = format_file(t->fd, MIN_CAPACITY, false, NULL, path, err)) ||
		    (rc = map_file(t, t->fd, err)))
			goto fail;
		t->hdr->dirty = 1; /* from an unknown past: untrusted */
		memset(t->hdr->boot_id, 0, BOOT_ID_LEN);
	}
	if (rc)
		goto fail;
	t->trusted = !t->hdr->dirty || !strncmp(t->hdr->boot_id, t->boot_id, BOOT_ID_LEN);
	*out = t;
	return RAAS_OK;
fail:
	raas_idtable_close(t);
	return rc;
}

void raas_idtable_close(struct raas_idtable *t)
{
	if (!t)
		return;
	populate_join(t);
	if (t->map)
		munmap(t->map, t->map_len);
	if (t->fd >= 0)
		close(t->fd);
	raas_free(t->path);
	raas_free(t);
}

bool raas_idtable_trusted(const struct raas_idtable *t)
{
	return t->trusted;
}

uint64_t raas_idtable_covered(const struct raas_idtable *t)
{
	return t->hdr->covered;
}

void raas_idtable_set_covered(struct raas_idtable *t, uint64_t pos)
{
	t->hdr->covered = pos;
}

int64_t raas_idtable_clock(const struct raas_idtable *t)
{
	return t->hdr->clock_us;
}

void raas_idtable_set_clock(struct raas_idtable *t, int64_t clock_us)
{
	t->hdr->clock_us = clock_us;
}

size_t raas_idtable_count(const struct raas_idtable *t)
{
	return (size_t)t->hdr->count;
}

uint64_t raas_idtable_key(const char *customer, size_t clen, const char *id, size_t idlen)
{
	uint64_t key = XXH3_64bits_withSeed(id, idlen, XXH3_64bits(customer, clen));
	return key ? key : 1;
}

/* ---- the filter ----
 *
 * A blocked Bloom filter in front of the slots (for the cold table: docs/internals/store.md):
 * one byte per slot, in blocks of one cache line; a key picks its block with bits 32 and up
 * (the slot uses the low bits) and sets FILTER_BITS bits in it, taken from the key times an
 * odd constant. A key that was ever added is always reported as possible, so a lookup may
 * skip the slots exactly when the filter says no. */

static uint64_t *filter_block(const struct raas_idtable *t, uint64_t key)
{
	return t->filter + ((key >> 32) & (t->filter_blocks - 1)) * (FILTER_BLOCK / 8);
}

/* The key's bits in its block: 9-bit groups from the top of a mix of all its bits. */
static uint64_t filter_hash(uint64_t key)
{
	return (key ^ (key >> 29)) * UINT64_C(0x9e3779b97f4a7c15);
}

static void filter_add(struct raas_idtable *t, uint64_t key)
{
	uint64_t *b, h = filter_hash(key);

	if (!t->filter)
		return;
	b = filter_block(t, key);
	for (int i = 0; i < FILTER_BITS; i++, h <<= 9) {
		unsigned bit = (unsigned)(h >> 55);
		b[bit >> 6] |= UINT64_C(1) << (bit & 63);
	}
}

bool raas_idtable_may_contain(const struct raas_idtable *t, uint64_t key)
{
	const uint64_t *b;
	uint64_t h = filter_hash(key);

	if (!t->filter)
		return true;
	b = filter_block(t, key);
	for (int i = 0; i < FILTER_BITS; i++, h <<= 9) {
		unsigned bit = (unsigned)(h >> 55);
		if (!(b[bit >> 6] & (UINT64_C(1) << (bit & 63))))
			return false;
	}
	return true;
}

size_t raas_idtable_find(const struct raas_idtable *t, uint64_t key, uint64_t *positions,
                         size_t max)
{
	uint64_t mask = t->hdr->capacity - 1;
	size_t n = 0;

	if (!raas_idtable_may_contain(t, key))
		return 0;

	for (uint64_t i = key & mask;; i = (i + 1) & mask) {
		const struct slot *s = &t->slots[i];
		if (s->key == 0)
			return n;
		if (s->key == key) {
			if (n < max)
				positions[n] = s->pos;
			n++;
		}
	}
}

static void insert_into(struct slot *slots, uint64_t capacity, uint64_t key, uint64_t pos,
                        uint64_t *count)
{
	uint64_t mask = capacity - 1;

	for (uint64_t i = key & mask;; i = (i + 1) & mask) {
		struct slot *s = &slots[i];
		if (s->key == 0) {
			s->key = key;
			s->pos = pos;
			(*count)++;
			return;
		}
		if (s->key == key && s->pos == pos)
			return;
	}
}

void raas_idtable_prefetch(const struct raas_idtable *t, uint64_t key)
{
	if (t->filter)
		__builtin_prefetch(filter_block(t, key)); /* the slot is rarely read then */
	else
		__builtin_prefetch(&t->slots[key & (t->hdr->capacity - 1)]);
}

/* The filter first: a crash in between leaves a key the filter knows and the slots not. */
static void add(struct raas_idtable *t, uint64_t key, uint64_t pos)
{
	filter_add(t, key);
	insert_into(t->slots, t->hdr->capacity, key, pos, &t->hdr->count);
}

void raas_idtable_insert(struct raas_idtable *t, uint64_t key, uint64_t pos)
{
	add(t, key, pos);
}

raas_rc raas_idtable_merge_into(const struct raas_idtable *src, struct raas_idtable *dst,
                                struct raas_err *err)
{
	raas_rc rc = raas_idtable_reserve(dst, (size_t)src->hdr->count, err);

	if (rc)
		return rc;
	/* Hundreds of thousands of random ids reach nearly every page of dst, and each slot is
	 * read before it is written: one pass of the kernel maps them all writable instead of
	 * a read fault and a write fault per page. */
	populate_join(dst);
	(void)madvise(dst->map, dst->map_len, MADV_POPULATE_WRITE);
	for (uint64_t i = 0; i < src->hdr->capacity; i++)
		if (src->slots[i].key)
			add(dst, src->slots[i].key, src->slots[i].pos);
	return RAAS_OK;
}

void raas_idtable_remove(struct raas_idtable *t, uint64_t key, uint64_t pos)
{
	uint64_t mask = t->hdr->capacity - 1, i;

	for (i = key & mask;; i = (i + 1) & mask) {
		if (t->slots[i].key == 0)
			return; /* not there */
		if (t->slots[i].key == key && t->slots[i].pos == pos)
			break;
	}
	/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
	for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
		uint64_t home;
		if (t->slots[j].key == 0)
			break;
		home = t->slots[j].key & mask;
		/* Move slot j into the hole at i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].key = 0;
	t->slots[i].pos = 0;
	t->hdr->count--;
}

raas_rc raas_idtable_begin(struct raas_idtable *t, struct raas_err *err)
{
	if (t->hdr->dirty && !strncmp(t->hdr->boot_id, t->boot_id, BOOT_ID_LEN))
		return RAAS_OK;
	memcpy(t->hdr->boot_id, t->boot_id, BOOT_ID_LEN);
	t->hdr->dirty = 1;
	/* The dirty mark must be on disk before any slot changes can be. */
	if (msync(t->map, HEADER_BYTES, MS_SYNC) != 0)
		return sys_error(err, "cannot sync the id index", t->path);
	return RAAS_OK;
}

raas_rc raas_idtable_sync_header(struct raas_idtable *t, struct raas_err *err)
{
	if (msync(t->map, HEADER_BYTES, MS_SYNC) != 0)
		return sys_error(err, "cannot sync the id index", t->path);
	return RAAS_OK;
}

raas_rc raas_idtable_sync(struct raas_idtable *t, struct raas_err *err)
{
	if (msync(t->map, t->map_len, MS_SYNC) != 0)
		return sys_error(err, "cannot sync the id index", t->path);
	t->hdr->dirty = 0;
	if (msync(t->map, HEADER_BYTES, MS_SYNC) != 0)
		return sys_error(err, "cannot sync the id index", t->path);
	t->trusted = true;
	return RAAS_OK;
}

/* Replaces the table by an empty one of capacity slots (or a copy with its entries when
 * copy is set), through a new file renamed over the old. */
static raas_rc rebuild(struct raas_idtable *t, uint64_t capacity, bool copy, bool filtered,
                       struct raas_err *err)
{
	char tmp[4096], old[4096 + 8];
	struct raas_idtable n;
	int fd;
	raas_rc rc;

	populate_join(t);
	n = *t;

	snprintf(tmp, sizeof tmp, "%s.new", t->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_error(err, "cannot create the id index", tmp);
	if ((rc = format_file(fd, capacity, filtered, t->hdr, tmp, err)) ||
	    (rc = map_file(&n, fd, err))) {
		if (n.map != t->map)
			munmap(n.map, n.map_len);
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (copy) {
		(void)madvise(n.map, n.map_len, MADV_POPULATE_WRITE); /* as in merge_into */
		for (uint64_t i = 0; i < t->hdr->capacity; i++)
			if (t->slots[i].key)
				add(&n, t->slots[i].key, t->slots[i].pos);
	} else {
		n.hdr->covered = 0;
		n.hdr->clock_us = INT64_MIN;
	}
	/* Two renames, never one over the old table: ext4 (auto_da_alloc) writes out a file
	 * renamed over another at once, which for the 128 MiB table of a 5-million-event store
	 * took 70 ms, and nothing here needs the bytes on disk (a power cut makes the table
	 * untrusted and it is rebuilt). Between the renames the table is missing and its old
	 * version is PATH.old, which raas_idtable_open takes back. */
	snprintf(old, sizeof old, "%s.old", t->path);
	if (rename(t->path, old) != 0 || rename(tmp, t->path) != 0) {
		rc = sys_error(err, "cannot replace the id index", t->path);
		(void)rename(old, t->path);
		munmap(n.map, n.map_len);
		close(fd);
		unlink(tmp);
		return rc;
	}
	(void)unlink(old); /* (a leftover is removed by the next writer's open) */
	munmap(t->map, t->map_len);
	close(t->fd);
	t->fd = fd;
	t->map = n.map;
	t->map_len = n.map_len;
	t->hdr = n.hdr;
	t->slots = n.slots;
	t->filter = n.filter;
	t->filter_blocks = n.filter_blocks;
	return RAAS_OK;
}

raas_rc raas_idtable_reserve(struct raas_idtable *t, size_t n, struct raas_err *err)
{
	uint64_t need = t->hdr->count + n, capacity = t->hdr->capacity;

	/* Linear probing stays fast below a load of 0.7. */
	while (need * 10 > capacity * 7)
		capacity *= 2;
	if (capacity == t->hdr->capacity)
		return RAAS_OK;
	return rebuild(t, capacity, true, t->filter != NULL, err);
}

raas_rc raas_idtable_reset(struct raas_idtable *t, struct raas_err *err)
{
	return rebuild(t, MIN_CAPACITY, false, t->filter != NULL, err);
}

raas_rc raas_idtable_clear(struct raas_idtable *t, struct raas_err *err)
{
	/* Written with pwrite from a zero buffer (calloc maps the zero page, so it costs no
	 * memory): the table's page cache pages are reused, where a new file would need as
	 * many fresh zeroed pages. */
	size_t chunk = (size_t)1 << 20, total = t->map_len - HEADER_BYTES; /* slots, filter */
	char *zeros = raas_calloc(1, chunk);

	if (!zeros)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	for (size_t done = 0; done < total;) {
		size_t n = total - done < chunk ? total - done : chunk;
		ssize_t w = pwrite(t->fd, zeros, n, (off_t)(HEADER_BYTES + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			raas_free(zeros);
			return sys_error(err, "cannot clear the id index", t->path);
		}
		done += (size_t)w;
	}
	raas_free(zeros);
	t->hdr->count = 0;
	return RAAS_OK;
}

static void *populate_main(void *arg)
{
	struct raas_idtable *t = arg;

	(void)madvise(t->map, t->map_len, MADV_POPULATE_WRITE);
	return NULL;
}

void raas_idtable_populate(struct raas_idtable *t)
{
	if (!t->writable || t->populating)
		return;
	/* In a thread of its own (5 ms for the 16 MiB hot table): the caller goes on, and
	 * touching a page meanwhile is only a fault like any other. */
	t->populating = pthread_create(&t->populator, NULL, populate_main, t) == 0;
	if (!t->populating)
		(void)populate_main(t);
}

raas_rc raas_idtable_use_filter(struct raas_idtable *t, struct raas_err *err)
{
	if (t->filter || !t->writable)
		return RAAS_OK;
	return rebuild(t, t->hdr->capacity, true, true, err);
}
