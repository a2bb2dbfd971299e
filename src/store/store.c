/* store.c — data directories, tenants, the customer and contract state derived from the
 * log, recovery on open, and committing batches (docs/internals/store.md).
 *
 * Layout of a data directory:
 *   DIR/raas-data.json               {"format":"raas-data/1","tenant":NAME} (written last)
 *   (the tenant's directory itself is its lock: flock, one writer, many readers)
 *   DIR/tenants/t-NAME/tenant.json   {"name":NAME}
 *   DIR/tenants/t-NAME/log/N.seg     the tenant's log (log.h): the source of truth
 *   DIR/tenants/t-NAME/state/        derived state: ids.tbl + ids-hot.tbl (idtable.h), customers
 *                                    ("ENTRIES ID" per line), contracts (one version per
 *                                    line: position, number, times, ids, types),
 *                                    invoices (one locked invoice per line: position,
 *                                    period start, lock time, customer number, contract)
 *   DIR/tenants/t-NAME/signing.key   the tenant's Ed25519 secret seed (32 bytes, mode 0600)
 *   DIR/tenants/t-NAME/checkpoints/c-C one line per signed checkpoint of customer C's log
 */
#define _GNU_SOURCE /* gettid, syncfs */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "base/map.h"
#include "raas/time.h"
#include "store/idtable.h"

#define FORMAT "raas-data/1"
#define PATH_LEN 4096

struct customer {
	char *id;
	uint32_t len;
	uint64_t entries;           /* committed and pending */
	uint64_t committed_entries; /* committed */
};

struct pending_event {
	uint64_t key;
	uint64_t pos;
};

struct raas_store {
	char *dir;
	char *tenant;
	char tdir[PATH_LEN];
	bool writable;
	/* A view (raas_store_view): read-only, no lock of its own, its log ends at view_end. */
	bool view;
	uint64_t view_end;
	int lock_fd;
	struct raas_log *log;
	struct raas_idtable *ids; /* the cold index, and the derived state's header */
	struct raas_idtable *hot; /* recent ids: small, so a run dirties few of its pages */
	int64_t clock;

	struct customer *customers;
	size_t ncustomers, cap_customers, committed_customers;
	struct raas_strmap customer_by_id;

	struct raas_store_contract **contracts;
	size_t ncontracts, cap_contracts, committed_contracts;
	size_t saved_contracts; /* committed versions state/contracts holds (SIZE_MAX: unknown) */
	struct raas_strmap named_types; /* "customer\x1ftype" → 1 */

	struct raas_store_invoice *invoices;
	size_t ninvoices, cap_invoices, committed_invoices;
	size_t saved_invoices; /* committed invoices state/invoices holds (SIZE_MAX: unknown) */
	char **invoice_keys;   /* "contract\x1fSTART" of each invoice (the map's keys) */
	struct raas_store_dispute *disputes; /* dispute and resolution entries, in log order */
	size_t ndisputes, cap_disputes, committed_disputes;
	size_t saved_disputes; /* committed entries state/disputes holds (SIZE_MAX: unknown) */
	struct raas_strmap invoice_map; /* invoice key → index in invoices */
	struct raas_arena names;        /* keys of named_types */

	struct pending_event *pending;
	size_t npending, cap_pending;
	bool state_behind; /* committed batches not yet in the derived files and `covered` */
	void (*before_commit)(void *ctx, const struct raas_store_mark *last);
	void *before_commit_ctx;

	/* The batch being made durable in the background (raas_store_commit_begin). */
	struct {
		bool active;
		bool threaded; /* a thread runs the sync (else it already ran) */
		bool wrote;    /* the batch had log records */
		pthread_t thread;
		raas_rc rc;
		struct raas_err err;
		struct pending_event *events; /* swapped with pending */
		size_t n, cap;
		uint64_t *entries; /* each customer's entries at the end of the batch */
		size_t cap_entries;
		size_t ncustomers, ncontracts, ninvoices, ndisputes;
		int64_t clock;
	} flight;
};

#define DIR_MAX 3072 /* longest data directory path; every file name fits in PATH_LEN */

/* snprintf into a PATH_LEN buffer; the directory's length was checked against DIR_MAX. */
RAAS_PRINTF(2, 3) static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
}

static raas_rc sys_error(struct raas_err *err, const char *what, const char *path)
{
	return raas_err_set(err, RAAS_E_STORAGE, path, "%s: %s", what, strerror(errno));
}

static int valid_name(const char *s, size_t len)
{
	if (len < 1 || len > 128)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* Writes data to path atomically: a temporary file renamed over it (durable when sync). */
static raas_rc write_file(const char *path, const char *data, size_t len, bool sync,
                          struct raas_err *err)
{
	char tmp[PATH_LEN];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_error(err, "cannot create", tmp);
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			unlink(tmp);
			return sys_error(err, "cannot write", tmp);
		}
		data += n;
		len -= (size_t)n;
	}
	if (sync && fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return sys_error(err, "cannot sync", tmp);
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return sys_error(err, "cannot rename", tmp);
	}
	return RAAS_OK;
}

static raas_rc sync_dir(const char *dir, struct raas_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	raas_rc rc = RAAS_OK;

	if (fd < 0)
		return sys_error(err, "cannot open", dir);
	if (fsync(fd) != 0)
		rc = sys_error(err, "cannot sync", dir);
	close(fd);
	return rc;
}

/* Reads a whole (small) file into b. */
static raas_rc read_file(const char *path, struct raas_buf *b, struct raas_err *err)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	raas_rc rc = RAAS_OK;

	if (fd < 0)
		return sys_error(err, "cannot open", path);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sys_error(err, "cannot read", path);
			break;
		}
		if (n == 0)
			break;
		if ((rc = raas_buf_append(b, chunk, (size_t)n))) {
			rc = raas_err_set(err, rc == RAAS_E_NOMEM ? RAAS_E_NOMEM : RAAS_E_STORAGE,
			                  path, "file too large");
			break;
		}
	}
	close(fd);
	return rc;
}

/* 1 when dir does not exist or holds nothing, 0 otherwise (a file, or a directory with
 * entries). */
static int dir_is_empty(const char *dir)
{
	struct dirent *e;
	struct stat st;
	int empty = 1;
	DIR *d;

	if (stat(dir, &st) != 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static raas_rc make_dir(const char *path, struct raas_err *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return sys_error(err, "cannot create directory", path);
	return RAAS_OK;
}

/* Creates the tenant's signing key: 32 random bytes, readable by the owner only, durable. */
static raas_rc create_key(const char *tdir, struct raas_err *err)
{
	char path[PATH_LEN], tmp[PATH_LEN + 8];
	unsigned char seed[32];
	size_t got = 0;
	int fd;

	while (got < sizeof seed) {
		ssize_t n = getrandom(seed + got, sizeof seed - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(err, "cannot read random bytes for the signing key", tdir);
		got += (size_t)n;
	}
	pathf(path, "%s/signing.key", tdir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return sys_error(err, "cannot create", tmp);
	if (fchmod(fd, 0600) != 0 || write(fd, seed, sizeof seed) != (ssize_t)sizeof seed ||
	    fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		memset(seed, 0, sizeof seed);
		return sys_error(err, "cannot write", tmp);
	}
	close(fd);
	memset(seed, 0, sizeof seed);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return sys_error(err, "cannot rename", tmp);
	}
	return sync_dir(tdir, err);
}

raas_rc raas_store_signing_seed(const struct raas_store *s, unsigned char seed[32],
                                struct raas_err *err)
{
	char path[PATH_LEN];
	struct stat st;
	ssize_t n;
	int fd;

	pathf(path, "%s/signing.key", s->tdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_error(err, "cannot open the tenant's signing key", path);
	if (fstat(fd, &st) != 0 || st.st_size != 32) {
		close(fd);
		return raas_err_set(err, RAAS_E_STORAGE, path, "not a 32-byte signing key");
	}
	n = read(fd, seed, 32);
	close(fd);
	if (n != 32)
		return sys_error(err, "cannot read", path);
	return RAAS_OK;
}

/* Creates tenants/t-TENANT under dir (which exists) with an empty log and derived state. */
static raas_rc make_tenant(const char *dir, const char *tenant, struct raas_err *err)
{
	char path[PATH_LEN], tdir[PATH_LEN];
	struct raas_buf b;
	raas_rc rc;

	pathf(path, "%s/tenants", dir);
	pathf(tdir, "%s/tenants/t-%s", dir, tenant);
	if ((rc = make_dir(path, err)) || (rc = make_dir(tdir, err)))
		return rc;
	pathf(path, "%s/log", tdir);
	if ((rc = make_dir(path, err)) || (rc = raas_log_create(path, err)))
		return rc;
	pathf(path, "%s/state", tdir);
	if ((rc = make_dir(path, err)))
		return rc;
	for (int k = 0; k < 2; k++) {
		struct raas_idtable *t;
		pathf(path, "%s/state/%s", tdir, k ? "ids-hot.tbl" : "ids.tbl");
		if ((rc = raas_idtable_open(path, true, &t, err)))
			return rc;
		rc = raas_idtable_sync(t, err);
		raas_idtable_close(t);
		if (rc)
			return rc;
	}
	if ((rc = create_key(tdir, err)))
		return rc;
	pathf(path, "%s/checkpoints", tdir);
	if ((rc = make_dir(path, err)))
		return rc;
	/* tenant.json comes last: a tenant directory without it was never fully created. */
	raas_buf_init(&b, 1024);
	if ((rc = raas_buf_puts(&b, "{\"name\":")) ||
	    (rc = raas_json_write_string(&b, tenant, strlen(tenant))) ||
	    (rc = raas_buf_puts(&b, "}\n"))) {
		raas_buf_free(&b);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	pathf(path, "%s/tenant.json", tdir);
	rc = write_file(path, b.data, b.len, true, err);
	raas_buf_free(&b);
	if (rc || (rc = sync_dir(tdir, err)))
		return rc;
	pathf(path, "%s/tenants", dir);
	return sync_dir(path, err);
}

static raas_rc check_tenant_name(const char *tenant, struct raas_err *err)
{
	if (!valid_name(tenant, strlen(tenant)))
		return raas_err_set(err, RAAS_E_INPUT, "--tenant",
		                    "a tenant name is 1 to 128 characters A-Z a-z 0-9 . _ : -");
	return RAAS_OK;
}

raas_rc raas_store_init(const char *dir, const char *tenant, struct raas_err *err)
{
	char path[PATH_LEN], doc[512];
	raas_rc rc;
	int n;

	if (strlen(dir) > DIR_MAX)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "data directory path longer than %d bytes", DIR_MAX);
	if ((rc = check_tenant_name(tenant, err)))
		return rc;
	if (!dir_is_empty(dir))
		return raas_err_set(err, RAAS_E_INPUT, dir,
		                    "holds data already (init needs a new or empty directory)");
	if ((rc = make_dir(dir, err)) || (rc = make_tenant(dir, tenant, err)))
		return rc;
	/* The marker comes last: a directory without it was never fully initialised. */
	n = snprintf(doc, sizeof doc, "{\"format\":\"%s\",\"tenant\":\"%s\"}\n", FORMAT, tenant);
	pathf(path, "%s/raas-data.json", dir);
	if ((rc = write_file(path, doc, (size_t)n, true, err)))
		return rc;
	return sync_dir(dir, err);
}

/* The directory's marker: its default tenant into *tenant (new, free with raas_free). */
static raas_rc read_marker(const char *dir, char **tenant, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_arena arena;
	struct raas_json *marker = NULL;
	const struct raas_json *fmt, *t;
	struct raas_buf b;
	raas_rc rc;

	if (strlen(dir) > DIR_MAX)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "data directory path longer than %d bytes", DIR_MAX);
	pathf(path, "%s/raas-data.json", dir);
	if (access(path, F_OK) != 0)
		return raas_err_set(err, RAAS_E_INPUT, dir,
		                    "not a raas data directory (create one with: raas init %s)",
		                    dir);
	raas_buf_init(&b, 65536);
	raas_arena_init(&arena, 0);
	if ((rc = read_file(path, &b, err)))
		goto out;
	rc = raas_json_parse(&arena, b.data, b.len, NULL, &marker, err);
	if (rc == RAAS_E_NOMEM)
		goto out;
	if (rc != RAAS_OK || !(fmt = raas_json_get(marker, "format")) ||
	    fmt->type != RAAS_JSON_STRING || strcmp(fmt->u.str, FORMAT) ||
	    !(t = raas_json_get(marker, "tenant")) || t->type != RAAS_JSON_STRING ||
	    !valid_name(t->u.str, t->len)) {
		rc = raas_err_set(err, RAAS_E_STORAGE, path, "not a %s data directory marker",
		                  FORMAT);
		goto out;
	}
	if (!(*tenant = raas_strdup(t->u.str)))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_buf_free(&b);
	raas_arena_free(&arena);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether tenant exists in dir (its tenant.json, written last). */
static bool tenant_exists(const char *dir, const char *tenant)
{
	char path[PATH_LEN];

	pathf(path, "%s/tenants/t-%s/tenant.json", dir, tenant);
	return access(path, F_OK) == 0;
}

raas_rc raas_store_create_tenant(const char *dir, const char *tenant, struct raas_err *err)
{
	char *dflt = NULL, path[PATH_LEN];
	raas_rc rc;

	if ((rc = read_marker(dir, &dflt, err)))
		return rc;
	raas_free(dflt);
	if ((rc = check_tenant_name(tenant, err)))
		return rc;
	if (tenant_exists(dir, tenant))
		return raas_err_set(err, RAAS_E_INPUT, tenant,
		                    "a tenant of that name exists already");
	/* A tenant whose creation was interrupted has no tenant.json: start it afresh. */
	pathf(path, "%s/tenants/t-%s", dir, tenant);
	if (!dir_is_empty(path))
		return raas_err_set(err, RAAS_E_STORAGE, path,
		                    "an unfinished tenant directory is in the way: remove it and "
		                    "create the tenant again");
	return make_tenant(dir, tenant, err);
}

raas_rc raas_store_check_tenant(const char *dir, const char *tenant, struct raas_err *err)
{
	char *dflt = NULL;
	raas_rc rc;

	if ((rc = read_marker(dir, &dflt, err)))
		return rc;
	raas_free(dflt);
	if (!valid_name(tenant, strlen(tenant)) || !tenant_exists(dir, tenant))
		return raas_err_set(err, RAAS_E_INPUT, tenant, "no such tenant in %s", dir);
	return RAAS_OK;
}

raas_rc raas_store_tenants(const char *dir, char ***names, size_t *count, struct raas_err *err)
{
	char path[PATH_LEN], *dflt = NULL;
	struct dirent *e;
	DIR *d;
	raas_rc rc;
	size_t n = 0, cap = 0;
	char **list = NULL;

	*names = NULL;
	*count = 0;
	if ((rc = read_marker(dir, &dflt, err)))
		return rc;
	raas_free(dflt);
	pathf(path, "%s/tenants", dir);
	if (!(d = opendir(path)))
		return sys_error(err, "cannot list the tenants", path);
	while ((e = readdir(d))) {
		const char *name = e->d_name + 2;
		if (strncmp(e->d_name, "t-", 2) || !valid_name(name, strlen(name)) ||
		    !tenant_exists(dir, name))
			continue;
		if (n == cap) {
			char **l = raas_realloc(list, (cap = cap ? cap * 2 : 16) * sizeof *l);
			if (!l)
				goto oom;
			list = l;
		}
		if (!(list[n] = raas_strdup(name)))
			goto oom;
		n++;
	}
	closedir(d);
	qsort(list, n, sizeof *list, cmp_names);
	*names = list;
	*count = n;
	return RAAS_OK;
oom:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		raas_free(list[i]);
	raas_free(list);
	return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
}

static raas_rc complete_flight(struct raas_store *s, bool final, struct raas_err *err);

/* ---- derived state: customers ---- */

static raas_rc add_customer(struct raas_store *s, const char *id, size_t len, uint32_t *no)
{
	struct customer *c;
	raas_rc rc;

	if (s->ncustomers == UINT32_MAX)
		return RAAS_E_STORAGE;
	if (s->ncustomers == s->cap_customers) {
		size_t cap = s->cap_customers ? s->cap_customers * 2 : 64;
		struct customer *p = raas_realloc(s->customers, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		s->customers = p;
		s->cap_customers = cap;
	}
	c = &s->customers[s->ncustomers];
	c->id = raas_strndup(id, len);
	if (!c->id)
		return RAAS_E_NOMEM;
	c->len = (uint32_t)len;
	c->entries = 0;
	c->committed_entries = 0;
	if ((rc = raas_strmap_put(&s->customer_by_id, c->id, len, (uint32_t)s->ncustomers))) {
		raas_free(c->id);
		return rc;
	}
	*no = (uint32_t)s->ncustomers++;
	return RAAS_OK;
}

raas_rc raas_store_customer(struct raas_store *s, const char *id, size_t len, bool create,
                            uint32_t *no)
{
	if (raas_strmap_get(&s->customer_by_id, id, len, no))
		return RAAS_OK;
	if (!create)
		return RAAS_E_INPUT;
	return add_customer(s, id, len, no);
}

size_t raas_store_customer_count(const struct raas_store *s)
{
	return s->ncustomers;
}

const char *raas_store_customer_id(const struct raas_store *s, uint32_t no)
{
	return no < s->ncustomers ? s->customers[no].id : NULL;
}

uint64_t raas_store_customer_entries(const struct raas_store *s, uint32_t no)
{
	return no < s->ncustomers ? s->customers[no].entries : 0;
}

static raas_rc load_customers(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc;
	char *p;

	pathf(path, "%s/state/customers", s->tdir);
	if (access(path, F_OK) != 0)
		return RAAS_OK;
	raas_buf_init(&b, (size_t)1 << 30);
	if ((rc = read_file(path, &b, err)))
		goto out;
	for (p = b.data; p && p < b.data + b.len;) {
		char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		char *sp, *end;
		unsigned long long entries;
		uint32_t no;
		if (!nl)
			break; /* cannot happen: the file is replaced by a rename, and after a power
			        * cut the whole derived state is rebuilt from the log (untrusted
			        * index) */
		sp = memchr(p, ' ', (size_t)(nl - p));
		entries = sp ? strtoull(p, &end, 10) : 0;
		if (!sp || end != sp || !valid_name(sp + 1, (size_t)(nl - sp - 1))) {
			rc = raas_err_set(err, RAAS_E_STORAGE, path, "damaged customer list");
			goto out;
		}
		if ((rc = add_customer(s, sp + 1, (size_t)(nl - sp - 1), &no))) {
			rc = raas_err_set(err, rc, path, "cannot load the customer list");
			goto out;
		}
		s->customers[no].entries = entries;
		s->customers[no].committed_entries = entries;
		p = nl + 1;
	}
	s->committed_customers = s->ncustomers;
out:
	raas_buf_free(&b);
	return rc;
}

static raas_rc save_customers(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	raas_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < s->committed_customers && !rc; i++) {
		/* Rewritten after every batch: formatted by hand, printf would dominate. */
		const struct customer *c = &s->customers[i];
		char num[24];
		size_t n = 0;
		uint64_t v = c->committed_entries;
		do
			num[sizeof num - ++n] = (char)('0' + v % 10);
		while ((v /= 10) && n < sizeof num);
		if (!(rc = raas_buf_reserve(&b, n + c->len + 2))) {
			memcpy(b.data + b.len, num + sizeof num - n, n);
			b.data[b.len + n] = ' ';
			memcpy(b.data + b.len + n + 1, c->id, c->len);
			b.data[b.len + n + 1 + c->len] = '\n';
			b.len += n + c->len + 2;
		}
	}
	if (rc)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	else {
		pathf(path, "%s/state/customers", s->tdir);
		rc = write_file(path, b.data ? b.data : "", b.len, false, err);
	}
	raas_buf_free(&b);
	return rc;
}

/* ---- derived state: contracts ---- */

static void free_contract(struct raas_store_contract *c)
{
	if (!c)
		return;
	raas_free(c->id);
	raas_free(c->customer);
	raas_free(c->effective);
	for (uint32_t i = 0; i < c->ntypes; i++)
		raas_free(c->types[i]);
	raas_free(c->types);
	raas_free(c);
}

static raas_rc name_type(struct raas_store *s, const char *customer, const char *type)
{
	size_t clen = strlen(customer), tlen = strlen(type);
	char *key = raas_arena_alloc(&s->names, clen + tlen + 2);

	if (!key)
		return RAAS_E_NOMEM;
	memcpy(key, customer, clen);
	key[clen] = '\x1f';
	memcpy(key + clen + 1, type, tlen);
	key[clen + 1 + tlen] = '\0';
	return raas_strmap_put(&s->named_types, key, clen + 1 + tlen, 1);
}

bool raas_store_type_is_named(const struct raas_store *s, const char *customer, size_t clen,
                              const char *type, size_t tlen)
{
	char key[300];
	uint32_t v;

	if (clen > 128 || tlen > 128)
		return false;
	memcpy(key, customer, clen);
	key[clen] = '\x1f';
	memcpy(key + clen + 1, type, tlen);
	return raas_strmap_get(&s->named_types, key, clen + 1 + tlen, &v);
}

/* Takes c into the list (on failure it is freed). */
static raas_rc add_contract(struct raas_store *s, struct raas_store_contract *c)
{
	raas_rc rc = RAAS_OK;

	if (s->ncontracts == s->cap_contracts) {
		size_t cap = s->cap_contracts ? s->cap_contracts * 2 : 16;
		struct raas_store_contract **p = raas_realloc(s->contracts, cap * sizeof *p);
		if (!p) {
			free_contract(c);
			return RAAS_E_NOMEM;
		}
		s->contracts = p;
		s->cap_contracts = cap;
	}
	s->contracts[s->ncontracts++] = c;
	for (uint32_t i = 0; i < c->ntypes && !rc; i++)
		rc = name_type(s, c->customer, c->types[i]);
	return rc;
}

static bool is_string(const struct raas_json *v)
{
	return v && v->type == RAAS_JSON_STRING;
}

static char *json_strdup(const struct raas_json *v)
{
	return v && v->type == RAAS_JSON_STRING ? raas_strndup(v->u.str, v->len) : NULL;
}

/* Adds the types a contract document names to c (results[*].on, .reversed_by.on,
 * .requires.on), each once. */
static raas_rc collect_types(struct raas_store_contract *c, const struct raas_json *doc)
{
	const struct raas_json *results = raas_json_get(doc, "results");

	if (!results || results->type != RAAS_JSON_ARRAY)
		return RAAS_OK;
	c->types = raas_calloc((size_t)results->len * 3 + 1, sizeof *c->types);
	if (!c->types)
		return RAAS_E_NOMEM;
	for (uint32_t i = 0; i < results->len; i++) {
		const struct raas_json *r = &results->u.items[i];
		const struct raas_json *on[3] = {
		        raas_json_get(r, "on"),
		        raas_json_get(raas_json_get(r, "reversed_by"), "on"),
		        raas_json_get(raas_json_get(r, "requires"), "on"),
		};
		for (int k = 0; k < 3; k++) {
			bool seen = false;
			if (!on[k] || on[k]->type != RAAS_JSON_STRING)
				continue;
			for (uint32_t j = 0; j < c->ntypes; j++)
				seen = seen || !strcmp(c->types[j], on[k]->u.str);
			if (seen)
				continue;
			if (!(c->types[c->ntypes] = json_strdup(on[k])))
				return RAAS_E_NOMEM;
			c->ntypes++;
		}
	}
	return RAAS_OK;
}

/* Reads a contract leaf (docs/formats/leaves.md) into a new struct raas_store_contract. */
static raas_rc contract_from_leaf(const struct raas_log_record *rec,
                                  struct raas_store_contract **out, struct raas_err *err)
{
	struct raas_arena arena;
	struct raas_json *leaf;
	struct raas_store_contract *c = raas_calloc(1, sizeof *c);
	const struct raas_json *v;
	raas_rc rc;

	if (!c)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	raas_arena_init(&arena, 0);
	rc = raas_json_parse(&arena, rec->leaf, rec->leaf_len, NULL, &leaf, err);
	if (rc)
		goto out;
	v = raas_json_get(leaf, "version");
	if (!is_string(raas_json_get(leaf, "id")) || !is_string(raas_json_get(leaf, "customer")) ||
	    !is_string(raas_json_get(leaf, "effective")) || !v || v->type != RAAS_JSON_NUMBER) {
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged contract entry at log position %llu",
		                  (unsigned long long)rec->pos);
		goto out;
	}
	c->id = json_strdup(raas_json_get(leaf, "id"));
	c->customer = json_strdup(raas_json_get(leaf, "customer"));
	c->effective = json_strdup(raas_json_get(leaf, "effective"));
	if (!c->id || !c->customer || !c->effective) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	c->version = (uint32_t)strtoul(v->u.str, NULL, 10);
	c->applied_us = rec->clock_us;
	c->pos = rec->pos;
	v = raas_json_get(leaf, "effective_at");
	if (!v || v->type != RAAS_JSON_STRING ||
	    raas_time_parse(v->u.str, v->len, &c->effective_us, err) != RAAS_OK) {
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged contract entry at log position %llu",
		                  (unsigned long long)rec->pos);
		goto out;
	}
	rc = collect_types(c, raas_json_get(leaf, "document"));
	if (rc)
		rc = raas_err_set(err, rc, NULL, "out of memory");
out:
	raas_arena_free(&arena);
	if (rc) {
		free_contract(c);
		return rc;
	}
	*out = c;
	return RAAS_OK;
}

size_t raas_store_contract_count(const struct raas_store *s)
{
	return s->ncontracts;
}

const struct raas_store_contract *raas_store_contract_at(const struct raas_store *s, size_t i)
{
	return i < s->ncontracts ? s->contracts[i] : NULL;
}

const struct raas_store_contract *raas_store_contract_version(const struct raas_store *s,
                                                              const char *id, uint32_t version)
{
	for (size_t i = 0; i < s->ncontracts; i++)
		if (s->contracts[i]->version == version && !strcmp(s->contracts[i]->id, id))
			return s->contracts[i];
	return NULL;
}

const struct raas_store_contract *raas_store_contract_latest(const struct raas_store *s,
                                                             const char *id)
{
	const struct raas_store_contract *best = NULL;

	for (size_t i = 0; i < s->ncontracts; i++)
		if (!strcmp(s->contracts[i]->id, id) &&
		    (!best || s->contracts[i]->version > best->version))
			best = s->contracts[i];
	return best;
}

/* state/contracts: one line per version, fields separated by single spaces (no field can
 * hold a space): POS VERSION EFFECTIVE_US APPLIED_US ID CUSTOMER EFFECTIVE TYPE... */
static raas_rc save_contracts(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	if (s->saved_contracts == s->committed_contracts)
		return RAAS_OK; /* versions are only ever appended: the file is up to date */
	raas_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < s->committed_contracts && !rc; i++) {
		const struct raas_store_contract *c = s->contracts[i];
		rc = raas_buf_printf(&b, "%llu %u %lld %lld %s %s %s", (unsigned long long)c->pos,
		                     c->version, (long long)c->effective_us,
		                     (long long)c->applied_us, c->id, c->customer, c->effective);
		for (uint32_t t = 0; t < c->ntypes && !rc; t++)
			rc = raas_buf_printf(&b, " %s", c->types[t]);
		if (!rc)
			rc = raas_buf_putc(&b, '\n');
	}
	if (rc)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	else {
		pathf(path, "%s/state/contracts", s->tdir);
		rc = write_file(path, b.data ? b.data : "", b.len, false, err);
		if (!rc)
			s->saved_contracts = s->committed_contracts;
	}
	raas_buf_free(&b);
	return rc;
}

/* The number of space-separated fields from p up to end. */
static size_t count_fields(const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end; p++)
		if (*p != ' ' && (p + 1 == end || p[1] == ' '))
			n++;
	return n;
}

/* Splits the next space-separated field off *p (up to end); returns it NUL-terminated. */
static char *next_field(char **p, char *end)
{
	char *f = *p, *sp;

	if (f >= end)
		return NULL;
	sp = memchr(f, ' ', (size_t)(end - f));
	if (!sp)
		sp = end;
	*sp = '\0';
	*p = sp + 1;
	return f;
}

static raas_rc load_contracts(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	pathf(path, "%s/state/contracts", s->tdir);
	if (access(path, F_OK) != 0)
		return RAAS_OK;
	raas_buf_init(&b, (size_t)1 << 30);
	if ((rc = read_file(path, &b, err)))
		goto out;
	for (char *p = b.data; p && p < b.data + b.len;) {
		char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		char *f[7], *t;
		struct raas_store_contract *c;
		if (!nl)
			break; /* cannot happen: the file is replaced by a rename, and after a power
			        * cut the whole derived state is rebuilt from the log (untrusted
			        * index) */
		for (int k = 0; k < 7; k++)
			f[k] = next_field(&p, nl);
		c = raas_calloc(1, sizeof *c);
		if (!c) {
			rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
			goto out;
		}
		if (!f[6] || !(c->id = raas_strdup(f[4])) || !(c->customer = raas_strdup(f[5])) ||
		    !(c->effective = raas_strdup(f[6])) ||
		    !(c->types = raas_calloc(count_fields(p, nl) + 1, sizeof *c->types))) {
			free_contract(c);
			rc = raas_err_set(err, f[6] ? RAAS_E_NOMEM : RAAS_E_STORAGE, path,
			                  f[6] ? "out of memory" : "damaged contract list");
			goto out;
		}
		c->pos = strtoull(f[0], NULL, 10);
		c->version = (uint32_t)strtoul(f[1], NULL, 10);
		c->effective_us = strtoll(f[2], NULL, 10);
		c->applied_us = strtoll(f[3], NULL, 10);
		while (c->ntypes < 3 * 64 && (t = next_field(&p, nl))) {
			if (!(c->types[c->ntypes] = raas_strdup(t))) {
				free_contract(c);
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
				goto out;
			}
			c->ntypes++;
		}
		if ((rc = add_contract(s, c))) {
			rc = raas_err_set(err, rc, path, "cannot load the contract list");
			goto out;
		}
		p = nl + 1;
	}
	s->committed_contracts = s->ncontracts;
	s->saved_contracts = s->ncontracts;
out:
	raas_buf_free(&b);
	return rc;
}

/* ---- derived state: stored invoices ---- */

/* The map key of an invoice: the contract id, 0x1F, the period start in decimal. */
static size_t invoice_key(char *buf, size_t cap, const char *contract, int64_t start)
{
	int n = snprintf(buf, cap, "%s\x1f%lld", contract, (long long)start);

	return n < 0 ? 0 : (size_t)n;
}

static void free_invoices(struct raas_store *s, size_t from)
{
	for (size_t i = from; i < s->ninvoices; i++) {
		raas_free(s->invoices[i].contract);
		raas_free(s->invoice_keys[i]);
	}
	s->ninvoices = from;
	/* The map borrowed the keys just freed: rebuild it from those left. */
	raas_strmap_free(&s->invoice_map);
	for (size_t i = 0; i < s->ninvoices; i++)
		if (raas_strmap_put(&s->invoice_map, s->invoice_keys[i], strlen(s->invoice_keys[i]),
		                    (uint32_t)i))
			break; /* lookups then fall back to the scan in raas_store_invoice_find */
}

/* Adds a copy of meta to the list. */
static raas_rc add_invoice(struct raas_store *s, const struct raas_store_invoice *meta)
{
	char key[300], *id, *k;
	size_t n;

	if (s->ninvoices == s->cap_invoices) {
		size_t cap = s->cap_invoices ? s->cap_invoices * 2 : 64;
		struct raas_store_invoice *p = raas_realloc(s->invoices, cap * sizeof *p);
		char **q;
		if (!p)
			return RAAS_E_NOMEM;
		s->invoices = p;
		if (!(q = raas_realloc(s->invoice_keys, cap * sizeof *q)))
			return RAAS_E_NOMEM;
		s->invoice_keys = q;
		s->cap_invoices = cap;
	}
	n = invoice_key(key, sizeof key, meta->contract, meta->period_start_us);
	if (!(id = raas_strdup(meta->contract)) || !(k = raas_strndup(key, n))) {
		raas_free(id);
		return RAAS_E_NOMEM;
	}
	s->invoices[s->ninvoices] = *meta;
	s->invoices[s->ninvoices].contract = id;
	s->invoice_keys[s->ninvoices] = k;
	if (raas_strmap_put(&s->invoice_map, k, n, (uint32_t)s->ninvoices)) {
		raas_free(id);
		raas_free(k);
		return RAAS_E_NOMEM;
	}
	s->ninvoices++;
	return RAAS_OK;
}

size_t raas_store_invoice_count(const struct raas_store *s)
{
	return s->ninvoices;
}

const struct raas_store_invoice *raas_store_invoice_at(const struct raas_store *s, size_t i)
{
	return i < s->ninvoices ? &s->invoices[i] : NULL;
}

const struct raas_store_invoice *
raas_store_invoice_find(const struct raas_store *s, const char *contract, int64_t period_start_us)
{
	char key[300];
	size_t n = invoice_key(key, sizeof key, contract, period_start_us);
	uint32_t i;

	if (raas_strmap_get(&s->invoice_map, key, n, &i) && i < s->ninvoices)
		return &s->invoices[i];
	if (s->invoice_map.count == s->ninvoices)
		return NULL;
	for (size_t k = 0; k < s->ninvoices; k++) /* the map is incomplete (out of memory) */
		if (s->invoices[k].period_start_us == period_start_us &&
		    !strcmp(s->invoices[k].contract, contract))
			return &s->invoices[k];
	return NULL;
}

/* state/invoices: POS PERIOD_START_US LOCK_US CUSTOMER_NO CONTRACT per line. */
static raas_rc save_invoices(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	if (s->saved_invoices == s->committed_invoices)
		return RAAS_OK; /* invoices are only ever appended: the file is up to date */
	raas_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < s->committed_invoices && !rc; i++) {
		const struct raas_store_invoice *v = &s->invoices[i];
		rc = raas_buf_printf(&b, "%llu %lld %lld %u %s\n", (unsigned long long)v->pos,
		                     (long long)v->period_start_us, (long long)v->lock_us,
		                     v->customer_no, v->contract);
	}
	if (rc)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	else {
		pathf(path, "%s/state/invoices", s->tdir);
		rc = write_file(path, b.data ? b.data : "", b.len, false, err);
		if (!rc)
			s->saved_invoices = s->committed_invoices;
	}
	raas_buf_free(&b);
	return rc;
}

static raas_rc load_invoices(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	pathf(path, "%s/state/invoices", s->tdir);
	if (access(path, F_OK) != 0)
		return RAAS_OK;
	raas_buf_init(&b, (size_t)1 << 30);
	if ((rc = read_file(path, &b, err)))
		goto out;
	for (char *p = b.data; p && p < b.data + b.len;) {
		char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p)), *f[5];
		struct raas_store_invoice v;
		if (!nl)
			break; /* cannot happen: see load_contracts */
		for (int k = 0; k < 5; k++)
			f[k] = next_field(&p, nl);
		if (!f[4]) {
			rc = raas_err_set(err, RAAS_E_STORAGE, path, "damaged invoice list");
			goto out;
		}
		v.pos = strtoull(f[0], NULL, 10);
		v.period_start_us = strtoll(f[1], NULL, 10);
		v.lock_us = strtoll(f[2], NULL, 10);
		v.customer_no = (uint32_t)strtoul(f[3], NULL, 10);
		v.contract = f[4];
		if ((rc = add_invoice(s, &v))) {
			rc = raas_err_set(err, rc, NULL, "out of memory");
			goto out;
		}
		p = nl + 1;
	}
	s->committed_invoices = s->ninvoices;
	s->saved_invoices = s->ninvoices;
out:
	raas_buf_free(&b);
	return rc;
}

/* Reads an invoice leaf (docs/formats/leaves.md) into the list. */
static raas_rc invoice_from_leaf(struct raas_store *s, const struct raas_log_record *rec,
                                 struct raas_err *err)
{
	struct raas_arena arena;
	struct raas_json *leaf;
	const struct raas_json *id, *start, *lock;
	struct raas_store_invoice v = {.pos = rec->pos, .customer_no = rec->customer_no};
	raas_rc rc;

	raas_arena_init(&arena, 0);
	rc = raas_json_parse(&arena, rec->leaf, rec->leaf_len, NULL, &leaf, err);
	if (rc == RAAS_OK && (!is_string(id = raas_json_get(leaf, "contract")) ||
	                      !is_string(start = raas_json_get(leaf, "period_start")) ||
	                      !is_string(lock = raas_json_get(leaf, "locked_at")) ||
	                      raas_time_parse(start->u.str, start->len, &v.period_start_us, err) ||
	                      raas_time_parse(lock->u.str, lock->len, &v.lock_us, err)))
		rc = RAAS_E_INPUT;
	if (rc == RAAS_OK) {
		v.contract = (char *)id->u.str;
		if ((rc = add_invoice(s, &v)))
			rc = raas_err_set(err, rc, NULL, "out of memory");
	} else if (rc != RAAS_E_NOMEM)
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged invoice entry at log position %llu",
		                  (unsigned long long)rec->pos);
	raas_arena_free(&arena);
	return rc;
}

raas_rc raas_store_add_invoice(struct raas_store *s, const struct raas_store_invoice *meta,
                               int64_t clock_us, const char *leaf, size_t len, struct raas_err *err)
{
	struct customer *cust = &s->customers[meta->customer_no];
	struct raas_store_invoice v = *meta;
	raas_rc rc;

	rc = raas_log_add(s->log, RAAS_ENTRY_INVOICE, meta->customer_no, cust->entries, clock_us,
	                  leaf, len, &v.pos);
	if (rc)
		return raas_err_set(err, rc, NULL, "cannot add to the log batch");
	cust->entries++;
	if ((rc = add_invoice(s, &v)))
		return raas_err_set(err, rc, NULL, "out of memory");
	return RAAS_OK;
}

/* ---- derived state: dispute actions ---- */

static void free_disputes(struct raas_store *s, size_t from)
{
	for (size_t i = from; i < s->ndisputes; i++)
		raas_free(s->disputes[i].contract);
	s->ndisputes = from;
}

static raas_rc add_dispute_meta(struct raas_store *s, const struct raas_store_dispute *meta)
{
	char *id;

	if (s->ndisputes == s->cap_disputes) {
		size_t cap = s->cap_disputes ? s->cap_disputes * 2 : 16;
		struct raas_store_dispute *p = raas_realloc(s->disputes, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		s->disputes = p;
		s->cap_disputes = cap;
	}
	if (!(id = raas_strdup(meta->contract)))
		return RAAS_E_NOMEM;
	s->disputes[s->ndisputes] = *meta;
	s->disputes[s->ndisputes].contract = id;
	s->ndisputes++;
	return RAAS_OK;
}

size_t raas_store_dispute_count(const struct raas_store *s)
{
	return s->ndisputes;
}

const struct raas_store_dispute *raas_store_dispute_at(const struct raas_store *s, size_t i)
{
	return i < s->ndisputes ? &s->disputes[i] : NULL;
}

/* state/disputes: POS KIND AT_US CUSTOMER_NO CONTRACT per line. */
static raas_rc save_disputes(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	if (s->saved_disputes == s->committed_disputes)
		return RAAS_OK; /* only ever appended: the file is up to date */
	raas_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < s->committed_disputes && !rc; i++) {
		const struct raas_store_dispute *v = &s->disputes[i];
		rc = raas_buf_printf(&b, "%llu %d %lld %u %s\n", (unsigned long long)v->pos,
		                     (int)v->kind, (long long)v->at_us, v->customer_no,
		                     v->contract);
	}
	if (rc)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	else {
		pathf(path, "%s/state/disputes", s->tdir);
		rc = write_file(path, b.data ? b.data : "", b.len, false, err);
		if (!rc)
			s->saved_disputes = s->committed_disputes;
	}
	raas_buf_free(&b);
	return rc;
}

static raas_rc load_disputes(struct raas_store *s, struct raas_err *err)
{
	char path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	pathf(path, "%s/state/disputes", s->tdir);
	if (access(path, F_OK) != 0)
		return RAAS_OK; /* none yet (or a store from before disputes: none either) */
	raas_buf_init(&b, (size_t)1 << 30);
	if ((rc = read_file(path, &b, err)))
		goto out;
	for (char *p = b.data; p && p < b.data + b.len;) {
		char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p)), *f[5];
		struct raas_store_dispute v;
		if (!nl)
			break; /* cannot happen: see load_contracts */
		for (int k = 0; k < 5; k++)
			f[k] = next_field(&p, nl);
		if (!f[4]) {
			rc = raas_err_set(err, RAAS_E_STORAGE, path, "damaged dispute list");
			goto out;
		}
		v.pos = strtoull(f[0], NULL, 10);
		v.kind = (enum raas_entry_kind)strtol(f[1], NULL, 10);
		v.at_us = strtoll(f[2], NULL, 10);
		v.customer_no = (uint32_t)strtoul(f[3], NULL, 10);
		v.contract = f[4];
		if ((rc = add_dispute_meta(s, &v))) {
			rc = raas_err_set(err, rc, NULL, "out of memory");
			goto out;
		}
		p = nl + 1;
	}
	s->committed_disputes = s->ndisputes;
	s->saved_disputes = s->ndisputes;
out:
	raas_buf_free(&b);
	return rc;
}

/* Reads a dispute or resolution leaf (docs/formats/leaves.md) into the list. */
static raas_rc dispute_from_leaf(struct raas_store *s, const struct raas_log_record *rec,
                                 struct raas_err *err)
{
	struct raas_arena arena;
	struct raas_json *leaf;
	const struct raas_json *contract, *t;
	struct raas_err ignored;
	raas_rc rc;

	raas_arena_init(&arena, 0);
	rc = raas_json_parse(&arena, rec->leaf, rec->leaf_len, NULL, &leaf, &ignored);
	if (rc == RAAS_OK && (contract = raas_json_get(leaf, "contract")) &&
	    contract->type == RAAS_JSON_STRING &&
	    (t = raas_json_get(leaf, rec->kind == RAAS_ENTRY_DISPUTE ? "opened" : "resolved")) &&
	    t->type == RAAS_JSON_STRING) {
		struct raas_store_dispute v = {.pos = rec->pos,
		                               .customer_no = rec->customer_no,
		                               .contract = (char *)contract->u.str,
		                               .kind = rec->kind};
		if (raas_time_parse(t->u.str, t->len, &v.at_us, &ignored) != RAAS_OK)
			rc = RAAS_E_STORAGE;
		else if ((rc = add_dispute_meta(s, &v)))
			rc = raas_err_set(err, rc, NULL, "out of memory");
	} else if (rc != RAAS_E_NOMEM) {
		rc = RAAS_E_STORAGE;
	}
	if (rc == RAAS_E_STORAGE)
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged dispute entry at log position %llu",
		                  (unsigned long long)rec->pos);
	raas_arena_free(&arena);
	return rc;
}

raas_rc raas_store_add_dispute(struct raas_store *s, const struct raas_store_dispute *meta,
                               const char *leaf, size_t len, struct raas_err *err)
{
	struct customer *cust = &s->customers[meta->customer_no];
	struct raas_store_dispute v = *meta;
	raas_rc rc;

	rc = raas_log_add(s->log, meta->kind, meta->customer_no, cust->entries, meta->at_us, leaf,
	                  len, &v.pos);
	if (rc)
		return raas_err_set(err, rc, NULL, "cannot add to the log batch");
	cust->entries++;
	if ((rc = add_dispute_meta(s, &v)))
		return raas_err_set(err, rc, NULL, "out of memory");
	return RAAS_OK;
}

uint64_t raas_store_durable(const struct raas_store *s)
{
	/* A reader knows the mark from the index header (advanced only after an fdatasync); a
	 * writer has synced everything up to its log's durable end. */
	if (s->view)
		return s->view_end; /* the index header is the writer's, and moves on */
	return s->writable ? raas_log_durable(s->log) : raas_idtable_covered(s->ids);
}

raas_rc raas_store_scan(struct raas_store *s, uint64_t from,
                        raas_rc (*fn)(void *ctx, const struct raas_log_record *rec), void *ctx,
                        struct raas_err *err)
{
	uint64_t keep = raas_store_durable(s);

	if (from > raas_log_end(s->log))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "log position %llu is past the end",
		                    (unsigned long long)from);
	/* A bad record below the durable mark is damage, not a torn tail. */
	return raas_log_scan(s->log, from, keep > from ? keep : from, fn, ctx, false, err);
}

/* ---- caches: derived files any command may rebuild ---- */

static bool valid_cache_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 200 && valid_name(name, n);
}

raas_rc raas_store_read_tenant_file(const char *dir, const char *tenant, const char *name,
                                    struct raas_buf *out, struct raas_err *err)
{
	char path[PATH_LEN];

	if (strlen(dir) > DIR_MAX || !valid_name(tenant, strlen(tenant)) || !valid_cache_name(name))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a tenant file name");
	pathf(path, "%s/tenants/t-%s/%s", dir, tenant, name);
	if (access(path, F_OK) != 0)
		return raas_err_set(err, RAAS_E_INPUT, path, "no such file");
	return read_file(path, out, err);
}

void raas_store_tenant_file_stamp(const char *dir, const char *tenant, const char *name,
                                  uint64_t stamp[3])
{
	char path[PATH_LEN];
	struct stat st;

	stamp[0] = stamp[1] = stamp[2] = 0;
	if (strlen(dir) > DIR_MAX || !valid_name(tenant, strlen(tenant)) || !valid_cache_name(name))
		return;
	pathf(path, "%s/tenants/t-%s/%s", dir, tenant, name);
	if (stat(path, &st) != 0)
		return;
	stamp[0] = (uint64_t)st.st_ino;
	stamp[1] = (uint64_t)st.st_size;
	stamp[2] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
}

raas_rc raas_store_lock_tenant_file(const char *dir, const char *tenant, const char *name, int *fd,
                                    struct raas_err *err)
{
	char path[PATH_LEN];

	*fd = -1;
	if (strlen(dir) > DIR_MAX || !valid_name(tenant, strlen(tenant)) || !valid_cache_name(name))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a tenant file name");
	pathf(path, "%s/tenants/t-%s/%s.lock", dir, tenant, name);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return sys_error(err, "cannot lock", path);
	}
	return RAAS_OK;
}

void raas_store_unlock_tenant_file(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

raas_rc raas_store_write_tenant_file(const char *dir, const char *tenant, const char *name,
                                     const char *data, size_t len, struct raas_err *err)
{
	char path[PATH_LEN], tdir[PATH_LEN];
	raas_rc rc;

	if (strlen(dir) > DIR_MAX || !valid_name(tenant, strlen(tenant)) || !valid_cache_name(name))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a tenant file name");
	pathf(tdir, "%s/tenants/t-%s", dir, tenant);
	pathf(path, "%s/%s", tdir, name);
	if ((rc = write_file(path, data, len, true, err)))
		return rc;
	return sync_dir(tdir, err);
}

raas_rc raas_store_get_cache(struct raas_store *s, const char *kind, const char *name,
                             struct raas_buf *out, struct raas_err *err)
{
	char path[PATH_LEN];

	if (!valid_cache_name(kind) || !valid_cache_name(name))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a cache name");
	pathf(path, "%s/state/%s/c-%s", s->tdir, kind, name);
	if (access(path, F_OK) != 0)
		return raas_err_set(err, RAAS_E_INPUT, path, "no such cache");
	return read_file(path, out, err);
}

raas_rc raas_store_put_cache(struct raas_store *s, const char *kind, const char *name,
                             const char *data, size_t len, struct raas_err *err)
{
	char dir[PATH_LEN], path[PATH_LEN], tmp[PATH_LEN + 32];
	raas_rc rc = RAAS_OK;
	int fd;

	if (!valid_cache_name(kind) || !valid_cache_name(name))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a cache name");
	pathf(dir, "%s/state/%s", s->tdir, kind);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sys_error(err, "cannot create", dir);
	/* "c-" keeps names such as "." and ".." (valid ids) from being directories. */
	pathf(path, "%s/c-%s", dir, name);
	/* Readers may write caches too (under the shared lock), and so may a view's thread
	 * beside its writer's: each process and thread its own temporary. */
	snprintf(tmp, sizeof tmp, "%s.%ld.%ld.tmp", path, (long)getpid(), (long)gettid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_error(err, "cannot create", tmp);
	while (len && !rc) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = sys_error(err, "cannot write", tmp);
		else {
			data += n;
			len -= (size_t)n;
		}
	}
	close(fd);
	if (!rc && rename(tmp, path) != 0)
		rc = sys_error(err, "cannot rename", tmp);
	if (rc)
		unlink(tmp);
	return rc;
}

/* ---- checkpoints ---- */

/* Appends one checkpoint line to checkpoints/c-CUSTOMER, synced (fdatasync, and the
 * directory when the file is new) when sync. */
static raas_rc append_checkpoint(struct raas_store *s, const struct raas_store_checkpoint *cp,
                                 bool sync, struct raas_err *err)
{
	bool created;
	char dir[PATH_LEN], path[PATH_LEN];
	struct raas_buf b;
	raas_rc rc = RAAS_OK;
	int fd;

	if (!valid_name(cp->customer, strlen(cp->customer)))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a customer id");
	pathf(dir, "%s/checkpoints", s->tdir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sys_error(err, "cannot create", dir);
	pathf(path, "%s/c-%s", dir, cp->customer);
	created = access(path, F_OK) != 0;
	raas_buf_init(&b, (size_t)1 << 20);
	if (raas_buf_printf(&b, "{\"size\":%llu,\"note\":", (unsigned long long)cp->size) ||
	    raas_json_write_string(&b, cp->note, cp->len) || raas_buf_puts(&b, "}\n")) {
		raas_buf_free(&b);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = sys_error(err, "cannot open", path);
	else {
		/* A line a crash cut short is not a stored checkpoint: cut it off before
		 * appending (readers ignore it too). */
		off_t end = lseek(fd, 0, SEEK_END), keep = end;
		char c = '\n';
		ssize_t got = 1;
		while (keep > 0 && (got = pread(fd, &c, 1, keep - 1)) == 1 && c != '\n')
			keep--;
		if (end < 0 || got != 1 || (keep != end && ftruncate(fd, keep) != 0) ||
		    pwrite(fd, b.data, b.len, keep) != (ssize_t)b.len ||
		    (sync && fdatasync(fd) != 0))
			rc = sys_error(err, "cannot write", path);
		close(fd);
		/* A new file's name must be durable too. */
		if (!rc && sync && created)
			rc = sync_dir(dir, err);
	}
	raas_buf_free(&b);
	return rc;
}

raas_rc raas_store_add_checkpoint(struct raas_store *s, const char *customer, uint64_t size,
                                  const char *note, size_t len, struct raas_err *err)
{
	struct raas_store_checkpoint cp = {customer, size, note, len};

	return raas_store_add_checkpoints(s, &cp, 1, err);
}

raas_rc raas_store_add_checkpoints(struct raas_store *s, const struct raas_store_checkpoint *cps,
                                   size_t n, struct raas_err *err)
{
	raas_rc rc = RAAS_OK;
	int fd;

	if (!s->writable && !s->view)
		return raas_err_set(err, RAAS_E_STORAGE, NULL, "the store is open read-only");
	if (n == 1) /* (its own fdatasync: cheaper than syncing the file system) */
		return append_checkpoint(s, cps, true, err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = append_checkpoint(s, &cps[i], false, err);
	if (rc || !n)
		return rc;
	/* One sync of the file system for all of them (files and directory entries), not two
	 * per customer: 1,000 checkpoints took 3.4 s of fdatasync and directory fsync. */
	fd = open(s->tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) != 0)
		rc = sys_error(err, "cannot sync the checkpoints", s->tdir);
	if (fd >= 0)
		close(fd);
	return rc;
}

raas_rc raas_store_checkpoints(struct raas_store *s, const char *customer, struct raas_buf *out,
                               struct raas_err *err)
{
	char path[PATH_LEN];

	if (!valid_name(customer, strlen(customer)))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a customer id");
	pathf(path, "%s/checkpoints/c-%s", s->tdir, customer);
	if (access(path, F_OK) != 0)
		return RAAS_OK;
	return read_file(path, out, err);
}

/* ---- recovery: replaying the log tail into the derived state ---- */

struct replay {
	struct raas_store *s;
	struct raas_err *err;
	struct raas_arena arena;
	size_t records;
};

/* The customer id of a leaf: every leaf has "customer" as a string member. */
static raas_rc leaf_customer(struct replay *r, const struct raas_log_record *rec,
                             const struct raas_json **leaf)
{
	struct raas_json *doc;
	raas_rc rc;

	raas_arena_reset(&r->arena);
	rc = raas_json_parse(&r->arena, rec->leaf, rec->leaf_len, NULL, &doc, r->err);
	if (rc == RAAS_E_NOMEM)
		return rc;
	if (rc || doc->type != RAAS_JSON_OBJECT)
		return raas_err_set(r->err, RAAS_E_STORAGE, NULL,
		                    "damaged entry at log position %llu",
		                    (unsigned long long)rec->pos);
	*leaf = doc;
	return RAAS_OK;
}

static raas_rc replay_record(void *ctx, const struct raas_log_record *rec)
{
	struct replay *r = ctx;
	struct raas_store *s = r->s;
	const struct raas_json *leaf = NULL, *cust, *id;
	raas_rc rc;

	r->records++;
	if (rec->clock_us > s->clock)
		s->clock = rec->clock_us;
	if (rec->customer_no >= s->ncustomers || (rec->kind == RAAS_ENTRY_EVENT && s->writable)) {
		uint32_t no;
		if ((rc = leaf_customer(r, rec, &leaf)))
			return rc;
		cust = raas_json_get(leaf, "customer");
		if (!cust || cust->type != RAAS_JSON_STRING)
			return raas_err_set(r->err, RAAS_E_STORAGE, NULL,
			                    "entry at log position %llu has no customer",
			                    (unsigned long long)rec->pos);
		if (rec->customer_no >= s->ncustomers) {
			if (rec->customer_no != s->ncustomers)
				return raas_err_set(
				        r->err, RAAS_E_STORAGE, NULL,
				        "log position %llu: customer number %u out of order",
				        (unsigned long long)rec->pos, rec->customer_no);
			if ((rc = add_customer(s, cust->u.str, cust->len, &no)))
				return raas_err_set(r->err, rc, NULL, "out of memory");
		}
		if (rec->kind == RAAS_ENTRY_EVENT && s->writable) {
			id = raas_json_get(leaf, "id");
			if (!id || id->type != RAAS_JSON_STRING)
				return raas_err_set(r->err, RAAS_E_STORAGE, NULL,
				                    "event at log position %llu has no id",
				                    (unsigned long long)rec->pos);
			if ((rc = raas_idtable_reserve(s->hot, 1, r->err)))
				return rc;
			raas_idtable_insert(
			        s->hot,
			        raas_idtable_key(cust->u.str, cust->len, id->u.str, id->len),
			        rec->pos);
		}
	}
	{
		struct customer *c = &s->customers[rec->customer_no];
		if (rec->customer_seq + 1 > c->entries)
			c->entries = c->committed_entries = rec->customer_seq + 1;
	}
	if (rec->kind == RAAS_ENTRY_CONTRACT) {
		struct raas_store_contract *c = NULL;
		bool known = false;
		for (size_t i = 0; i < s->ncontracts && !known; i++)
			known = s->contracts[i]->pos == rec->pos;
		if (!known) {
			if ((rc = contract_from_leaf(rec, &c, r->err)))
				return rc;
			if ((rc = add_contract(s, c)))
				return raas_err_set(r->err, rc, NULL, "out of memory");
		}
	}
	if (rec->kind == RAAS_ENTRY_INVOICE) {
		/* Already in the list when the state file was written after this record: the
		 * list is in log order, so a binary search by position finds it. */
		size_t lo = 0, hi = s->ninvoices;
		bool known = false;
		while (lo < hi && !known) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->invoices[mid].pos == rec->pos)
				known = true;
			else if (s->invoices[mid].pos < rec->pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!known && (rc = invoice_from_leaf(s, rec, r->err)))
			return rc;
	}
	if (rec->kind == RAAS_ENTRY_DISPUTE || rec->kind == RAAS_ENTRY_RESOLUTION) {
		size_t lo = 0, hi = s->ndisputes;
		bool known = false;
		while (lo < hi && !known) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->disputes[mid].pos == rec->pos)
				known = true;
			else if (s->disputes[mid].pos < rec->pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!known && (rc = dispute_from_leaf(s, rec, r->err)))
			return rc;
	}
	return RAAS_OK;
}

static void reset_derived(struct raas_store *s)
{
	for (size_t i = 0; i < s->ncustomers; i++)
		raas_free(s->customers[i].id);
	s->ncustomers = s->committed_customers = 0;
	raas_strmap_free(&s->customer_by_id);
	for (size_t i = 0; i < s->ncontracts; i++)
		free_contract(s->contracts[i]);
	s->ncontracts = s->committed_contracts = 0;
	s->saved_contracts = SIZE_MAX;
	free_invoices(s, 0);
	s->committed_invoices = 0;
	s->saved_invoices = SIZE_MAX;
	free_disputes(s, 0);
	s->committed_disputes = 0;
	s->saved_disputes = SIZE_MAX;
	raas_strmap_free(&s->named_types);
	raas_arena_reset(&s->names);
	s->clock = RAAS_STORE_NO_CLOCK;
}

/* Brings the derived state up to the end of the log. */
static raas_rc recover(struct raas_store *s, struct raas_err *err)
{
	struct replay r = {.s = s, .err = err};
	bool rebuild_all = !raas_idtable_trusted(s->ids) || !raas_idtable_trusted(s->hot);
	/* Everything before the recorded `covered` was durable when it was recorded (it only
	 * advances after an fdatasync), even in a table that is no longer trusted: a bad record
	 * there is damage to report, never a torn tail to cut. */
	uint64_t keep = raas_idtable_covered(s->ids), from;
	raas_rc rc;

	if (rebuild_all && s->writable) {
		/* Modified in an earlier boot and never synced: it may have lost pages. */
		if ((rc = raas_idtable_reset(s->ids, err)) ||
		    (rc = raas_idtable_reset(s->hot, err)))
			return rc;
	}
	if (rebuild_all) {
		/* Everything derived comes from the log again (in memory only for a reader). */
		reset_derived(s);
		from = 0;
	} else {
		from = raas_idtable_covered(s->ids);
		s->clock = raas_idtable_clock(s->ids);
		if ((rc = load_customers(s, err)) || (rc = load_contracts(s, err)) ||
		    (rc = load_invoices(s, err)) || (rc = load_disputes(s, err)))
			return rc;
	}
	if (from > raas_log_end(s->log))
		return raas_err_set(
		        err, RAAS_E_STORAGE, s->tdir,
		        "the log is shorter than its index (%llu < %llu bytes): the store "
		        "is damaged",
		        (unsigned long long)raas_log_end(s->log), (unsigned long long)from);
	raas_arena_init(&r.arena, 0);
	if (s->writable &&
	    ((rc = raas_idtable_begin(s->ids, err)) || (rc = raas_idtable_begin(s->hot, err))))
		goto out;
	if (keep > raas_log_end(s->log)) {
		rc = raas_err_set(err, RAAS_E_STORAGE, s->tdir,
		                  "the log is shorter than it was when last known durable (%llu < "
		                  "%llu bytes): the store is damaged",
		                  (unsigned long long)raas_log_end(s->log),
		                  (unsigned long long)keep);
		goto out;
	}
	rc = raas_log_scan(s->log, from, keep, replay_record, &r, s->writable, err);
	if (rc)
		goto out;
	/* The tail may have been written by a process that died before its fdatasync: make it
	 * durable before anything (a duplicate in a report, `covered`) relies on it. */
	if (s->writable && (rc = raas_log_sync_from(s->log, from, err)))
		goto out;
	s->committed_customers = s->ncustomers;
	s->committed_contracts = s->ncontracts;
	s->committed_invoices = s->ninvoices;
	s->committed_disputes = s->ndisputes;
	if (s->writable && (r.records || rebuild_all)) {
		if ((rc = save_customers(s, err)) || (rc = save_contracts(s, err)) ||
		    (rc = save_invoices(s, err)) || (rc = save_disputes(s, err)))
			goto out;
		raas_idtable_set_clock(s->ids, s->clock);
		raas_idtable_set_covered(s->ids, raas_log_end(s->log));
	}
out:
	raas_arena_free(&r.arena);
	return rc;
}

/* Moves the recent ids into the cold index once there are many of them. Ingest dirties
 * one page of the index per new id, and each page a process dirties first costs a write
 * fault (ext4's page_mkwrite): a small hot table bounds that cost per run, and the cold
 * table is rewritten only every HOT_MAX ids. Crash-safe: the merge is idempotent, and the
 * hot table is emptied in place only after it (raas_idtable_clear), keeping its capacity
 * and its page cache pages: each new file and each doubling from the smallest size cost as
 * many freshly zeroed pages. */
#define HOT_MAX ((size_t)1 << 19)

static raas_rc merge_hot(struct raas_store *s, struct raas_err *err)
{
	raas_rc rc;

	if (raas_idtable_count(s->hot) < HOT_MAX)
		return RAAS_OK;
	if ((rc = raas_idtable_merge_into(s->hot, s->ids, err)))
		return rc;
	return raas_idtable_clear(s->hot, err);
}

raas_rc raas_store_merge_recent(struct raas_store *s, struct raas_err *err)
{
	if (!s->writable || raas_store_pending(s) || s->flight.active)
		return RAAS_OK; /* only between batches */
	return merge_hot(s, err);
}

raas_rc raas_store_open(const char *dir, bool writable, struct raas_store **out,
                        struct raas_err *err)
{
	return raas_store_open_tenant(dir, NULL, writable, out, err);
}

/* Opens a tenant; view_of: a view of that open store (no lock taken, the log limited to
 * what it has committed). */
static raas_rc open_store(const char *dir, const char *tenant, bool writable,
                          const struct raas_store *view_of, struct raas_store **out,
                          struct raas_err *err)
{
	struct raas_store *s = raas_calloc(1, sizeof *s);
	char path[PATH_LEN];
	raas_rc rc;

	if (s)
		s->lock_fd = -1; /* before anything can fail: close() must not take fd 0 */
	if (!s || !(s->dir = raas_strdup(dir))) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto fail;
	}
	s->writable = writable;
	s->clock = RAAS_STORE_NO_CLOCK;
	s->saved_contracts = s->saved_invoices = s->saved_disputes = SIZE_MAX;
	raas_arena_init(&s->names, 0);
	if ((rc = read_marker(dir, &s->tenant, err)))
		goto fail;
	if (tenant) {
		raas_free(s->tenant);
		if (!(s->tenant = raas_strdup(tenant))) {
			rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
			goto fail;
		}
		if (!valid_name(tenant, strlen(tenant)) || !tenant_exists(dir, tenant)) {
			rc = raas_err_set(err, RAAS_E_INPUT, tenant, "no such tenant in %s", dir);
			goto fail;
		}
	}
	pathf(s->tdir, "%s/tenants/t-%s", dir, s->tenant);

	/* The lock is the tenant's directory itself: one per tenant, so that one process can
	 * hold many tenants (the server). */
	if (view_of) {
		/* The open store holds the lock for this process (a second flock on the
		 * directory would wait for it forever); its log's committed end is the view's. */
		s->view = true;
		s->view_end = raas_log_end(view_of->log);
	} else {
		s->lock_fd = open(s->tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->lock_fd < 0 || flock(s->lock_fd, writable ? LOCK_EX : LOCK_SH) != 0) {
			rc = sys_error(err, "cannot lock the tenant's data", s->tdir);
			goto fail;
		}
	}
	pathf(path, "%s/log", s->tdir);
	if ((rc = raas_log_open(path, writable, &s->log, err)))
		goto fail;
	if (s->view)
		raas_log_limit(s->log, s->view_end);
	pathf(path, "%s/state/ids.tbl", s->tdir);
	if ((rc = raas_idtable_open(path, writable, &s->ids, err)))
		goto fail;
	pathf(path, "%s/state/ids-hot.tbl", s->tdir);
	if (!writable && !raas_idtable_exists(path)) {
		/* Made by a release before the index had two parts: only a writer rebuilds it. */
		rc = raas_err_set(err, RAAS_E_STORAGE, path,
		                  "missing: the derived state needs rebuilding, which a writing "
		                  "command does (for example: raas -d %s ingest /dev/null)",
		                  dir);
		goto fail;
	}
	if ((rc = raas_idtable_open(path, writable, &s->hot, err)))
		goto fail;
	if ((rc = recover(s, err)) ||
	    (writable && ((rc = raas_idtable_use_filter(s->ids, err)) || (rc = merge_hot(s, err)))))
		goto fail;
	if (writable)
		raas_idtable_populate(s->hot);
	if (s->view) {
		/* The writer changes its index in place: a view looks no ids up. */
		raas_idtable_close(s->ids);
		raas_idtable_close(s->hot);
		s->ids = s->hot = NULL;
	}
	/* A directory made before keys existed gets one; a key lost after checkpoints were
	 * signed with it is damage, never silently replaced (the published key would change). */
	pathf(path, "%s/signing.key", s->tdir);
	if (writable && access(path, F_OK) != 0) {
		char cps[PATH_LEN];
		pathf(cps, "%s/checkpoints", s->tdir);
		if (!dir_is_empty(cps)) {
			rc = raas_err_set(
			        err, RAAS_E_STORAGE, path,
			        "the tenant's signing key is missing but checkpoints were "
			        "signed with it: restore it from a backup");
			goto fail;
		}
		if ((rc = create_key(s->tdir, err)))
			goto fail;
	}
	*out = s;
	return RAAS_OK;
fail:
	raas_store_close(s);
	return rc;
}

raas_rc raas_store_open_tenant(const char *dir, const char *tenant, bool writable,
                               struct raas_store **out, struct raas_err *err)
{
	return open_store(dir, tenant, writable, NULL, out, err);
}

raas_rc raas_store_view(const struct raas_store *s, struct raas_store **out, struct raas_err *err)
{
	if (!s->writable || s->flight.active)
		return raas_err_set(err, RAAS_E_STORAGE, s->tdir,
		                    "a view needs the writer's store between commits");
	/* Derived files behind the committed state only make the view replay more. */
	return open_store(s->dir, s->tenant, false, s, out, err);
}

void raas_store_close(struct raas_store *s)
{
	if (!s)
		return;
	if (s->flight.active || s->state_behind) {
		struct raas_err ignored;
		(void)complete_flight(s, true, &ignored);
	}
	reset_derived(s);
	raas_free(s->customers);
	raas_free(s->contracts);
	raas_free(s->invoices);
	raas_free(s->disputes);
	raas_free(s->invoice_keys);
	raas_strmap_free(&s->invoice_map);
	raas_arena_free(&s->names);
	raas_free(s->pending);
	raas_free(s->flight.events);
	raas_free(s->flight.entries);
	raas_log_close(s->log);
	raas_idtable_close(s->ids);
	raas_idtable_close(s->hot);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	raas_free(s->tenant);
	raas_free(s->dir);
	raas_free(s);
}

const char *raas_store_tenant(const struct raas_store *s)
{
	return s->tenant;
}

int64_t raas_store_clock(const struct raas_store *s)
{
	return s->clock;
}

raas_rc raas_store_check_clock(const struct raas_store *s, int64_t now, struct raas_err *err)
{
	char a[RAAS_TIME_FORMAT_MAX], b[RAAS_TIME_FORMAT_MAX];

	if (s->clock == RAAS_STORE_NO_CLOCK || now >= s->clock)
		return RAAS_OK;
	raas_time_format(now, 0, a);
	raas_time_format(s->clock, 0, b);
	return raas_err_set(err, RAAS_E_INPUT, "--now",
	                    "%s is before the data directory's clock %s (a data directory's clock "
	                    "never goes backwards)",
	                    a, b);
}

raas_rc raas_store_read(struct raas_store *s, uint64_t pos, struct raas_log_record *rec,
                        struct raas_buf *scratch, struct raas_err *err)
{
	raas_rc rc = raas_log_read(s->log, pos, rec, scratch, err);

	return rc == RAAS_E_INPUT || rc == RAAS_E_VERIFY ? RAAS_E_STORAGE : rc;
}

raas_rc raas_store_probe(struct raas_store *s, uint64_t pos, struct raas_log_record *rec,
                         struct raas_buf *scratch, struct raas_err *err)
{
	return raas_log_read(s->log, pos, rec, scratch, err);
}

/* ---- writing ---- */

size_t raas_store_find_event(const struct raas_store *s, uint64_t key, uint64_t *positions,
                             size_t max)
{
	size_t n = raas_store_find_event_recent(s, key, positions, max);

	return n + raas_store_find_event_older(s, key, positions + (n < max ? n : max),
	                                       n < max ? max - n : 0);
}

size_t raas_store_find_event_recent(const struct raas_store *s, uint64_t key, uint64_t *positions,
                                    size_t max)
{
	return s->hot ? raas_idtable_find(s->hot, key, positions, max) : 0;
}

void raas_store_prefetch_event(const struct raas_store *s, uint64_t key, bool older)
{
	if (s->hot)
		raas_idtable_prefetch(older ? s->ids : s->hot, key);
}

size_t raas_store_find_event_older(const struct raas_store *s, uint64_t key, uint64_t *positions,
                                   size_t max)
{
	/* The cold table changes only inside raas_store_open (merge_hot). */
	return s->ids ? raas_idtable_find(s->ids, key, positions, max) : 0;
}

raas_rc raas_store_add_event(struct raas_store *s, uint32_t customer_no, uint64_t key,
                             int64_t clock_us, const char *leaf, size_t len, struct raas_err *err)
{
	struct customer *c = &s->customers[customer_no];
	uint64_t pos;
	raas_rc rc;

	if (s->npending == s->cap_pending) {
		size_t cap = s->cap_pending ? s->cap_pending * 2 : 1024;
		struct pending_event *p = raas_realloc(s->pending, cap * sizeof *p);
		if (!p)
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		s->pending = p;
		s->cap_pending = cap;
	}
	if ((rc = raas_idtable_reserve(s->hot, 1, err)))
		return rc;
	rc = raas_log_add(s->log, RAAS_ENTRY_EVENT, customer_no, c->entries, clock_us, leaf, len,
	                  &pos);
	if (rc)
		return raas_err_set(err, rc, NULL, "cannot add to the log batch");
	/* Indexed at once, so that a repeat later in this batch is found like any other; if
	 * the batch is dropped the entry is removed, and if the process dies first, the entry
	 * points at a position that holds no such event and lookups, which always read the
	 * record back, ignore it. */
	raas_idtable_insert(s->hot, key, pos);
	c->entries++;
	s->pending[s->npending].key = key;
	s->pending[s->npending].pos = pos;
	s->npending++;
	return RAAS_OK;
}

raas_rc raas_store_add_contract(struct raas_store *s, uint32_t customer_no,
                                const struct raas_store_contract *meta, const char *leaf,
                                size_t len, struct raas_err *err)
{
	struct customer *cust = &s->customers[customer_no];
	struct raas_store_contract *c = raas_calloc(1, sizeof *c);
	raas_rc rc;

	if (!c || !(c->id = raas_strdup(meta->id)) ||
	    !(c->customer = raas_strdup(meta->customer)) ||
	    !(c->effective = raas_strdup(meta->effective)) ||
	    !(c->types = raas_calloc(meta->ntypes + 1, sizeof *c->types))) {
		free_contract(c);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	c->version = meta->version;
	c->effective_us = meta->effective_us;
	c->applied_us = meta->applied_us;
	for (uint32_t i = 0; i < meta->ntypes; i++) {
		if (!(c->types[i] = raas_strdup(meta->types[i]))) {
			free_contract(c);
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		}
		c->ntypes++;
	}
	rc = raas_log_add(s->log, RAAS_ENTRY_CONTRACT, customer_no, cust->entries, meta->applied_us,
	                  leaf, len, &c->pos);
	if (rc) {
		free_contract(c);
		return raas_err_set(err, rc, NULL, "cannot add to the log batch");
	}
	cust->entries++;
	if ((rc = add_contract(s, c)))
		return raas_err_set(err, rc, NULL, "out of memory");
	return RAAS_OK;
}

void raas_store_expect_batch(struct raas_store *s, size_t events)
{
	/* An event record of the benchmark workload takes about 240 bytes. Not while a batch
	 * is being written: its buffer is the sync thread's. Up to 64 MiB each. */
	if (events > ((size_t)1 << 18))
		events = (size_t)1 << 18;
	if (s->writable && !s->flight.active)
		raas_log_expect(s->log, events * 256);
}

size_t raas_store_pending(const struct raas_store *s)
{
	return s->npending + (s->ncontracts - s->committed_contracts) +
	       (s->ninvoices - s->committed_invoices) + (s->ndisputes - s->committed_disputes);
}

void raas_store_discard(struct raas_store *s)
{
	struct raas_err ignored;

	/* A batch on its way to the disk is finished first: it may well succeed. */
	if (s->flight.active && complete_flight(s, false, &ignored) != RAAS_OK)
		return; /* complete_flight discarded everything already */
	if (!raas_log_pending(s->log) && !s->npending && s->ncontracts == s->committed_contracts &&
	    s->ninvoices == s->committed_invoices && s->ndisputes == s->committed_disputes &&
	    s->ncustomers == s->committed_customers) {
		bool same = true;
		for (size_t i = 0; i < s->ncustomers && same; i++)
			same = s->customers[i].entries == s->customers[i].committed_entries;
		if (same)
			return; /* nothing to drop */
	}
	raas_log_discard(s->log);
	for (size_t i = 0; i < s->npending; i++)
		raas_idtable_remove(s->hot, s->pending[i].key, s->pending[i].pos);
	s->npending = 0;
	for (size_t i = s->committed_contracts; i < s->ncontracts; i++)
		free_contract(s->contracts[i]);
	free_invoices(s, s->committed_invoices);
	free_disputes(s, s->committed_disputes);
	if (s->ncontracts > s->committed_contracts) {
		/* Types named by discarded versions stay in named_types: rebuild that map (only
		 * then: readers of it may run in other threads while events are dropped). */
		s->ncontracts = s->committed_contracts;
		raas_strmap_free(&s->named_types);
		raas_arena_reset(&s->names);
		for (size_t i = 0; i < s->ncontracts; i++)
			for (uint32_t t = 0; t < s->contracts[i]->ntypes; t++)
				if (name_type(s, s->contracts[i]->customer,
				              s->contracts[i]->types[t]))
					break;
	}
	for (size_t i = s->committed_customers; i < s->ncustomers; i++)
		raas_free(s->customers[i].id);
	s->ncustomers = s->committed_customers;
	raas_strmap_free(&s->customer_by_id);
	for (size_t i = 0; i < s->ncustomers; i++) {
		s->customers[i].entries = s->customers[i].committed_entries;
		if (raas_strmap_put(&s->customer_by_id, s->customers[i].id, s->customers[i].len,
		                    (uint32_t)i))
			break;
	}
}

static void *sync_thread(void *arg)
{
	struct raas_store *s = arg;

	s->flight.rc = raas_log_sync(s->log, &s->flight.err);
	return NULL;
}

/* Writes the derived files behind the committed state and advances `covered` to the log's
 * durable end. */
static raas_rc save_state(struct raas_store *s, struct raas_err *err)
{
	raas_rc rc;

	if ((rc = save_customers(s, err)) || (rc = save_contracts(s, err)) ||
	    (rc = save_invoices(s, err)) || (rc = save_disputes(s, err)))
		return rc;
	raas_idtable_set_covered(s->ids, raas_log_durable(s->log));
	s->state_behind = false;
	return RAAS_OK;
}

/* Waits for the background batch; on success brings the derived state up to it, on failure
 * cuts the log back to its durable end and drops everything not durable. The derived files
 * and `covered` follow only when final (raas_store_commit_wait, close): a writer that
 * commits batch after batch (raas ingest) rewrites them once, not per batch — measured, the
 * renames cost 0.3 ms each and set ext4 writing out each new file — and a crash before they
 * are written only makes the next open replay those batches. */
static raas_rc complete_flight(struct raas_store *s, bool final, struct raas_err *err)
{
	raas_rc rc;

	if (!s->flight.active)
		return final && s->state_behind ? save_state(s, err) : RAAS_OK;
	if (s->flight.threaded)
		pthread_join(s->flight.thread, NULL);
	s->flight.active = false;
	if (s->flight.rc) {
		*err = s->flight.err;
		raas_log_abort(s->log);
		for (size_t i = 0; i < s->flight.n; i++)
			raas_idtable_remove(s->hot, s->flight.events[i].key,
			                    s->flight.events[i].pos);
		s->flight.n = 0;
		raas_store_discard(s);
		return RAAS_E_STORAGE;
	}
	/* Durable from here on; the rest of the derived state follows (a crash now is repaired
	 * by the replay of the next open). The ids were indexed when they were added. */
	s->flight.n = 0;
	for (size_t i = 0; i < s->flight.ncustomers; i++)
		s->customers[i].committed_entries = s->flight.entries[i];
	s->committed_customers = s->flight.ncustomers;
	s->committed_contracts = s->flight.ncontracts;
	s->committed_invoices = s->flight.ninvoices;
	s->committed_disputes = s->flight.ndisputes;
	if (s->flight.clock > s->clock) {
		s->clock = s->flight.clock;
		raas_idtable_set_clock(s->ids, s->clock);
		/* With no entry to carry it, the clock lives only in the header: make it
		 * durable, or a power cut could move the directory's clock back. */
		if (!s->flight.wrote && (rc = raas_idtable_sync_header(s->ids, err)))
			return rc;
	}
	s->state_behind = true;
	return final ? save_state(s, err) : RAAS_OK;
}

raas_rc raas_store_commit_begin(struct raas_store *s, int64_t clock_us, struct raas_err *err)
{
	raas_rc rc;

	if (!s->writable)
		return raas_err_set(err, RAAS_E_STORAGE, NULL, "the store is open read-only");
	if ((rc = complete_flight(s, false, err)))
		return rc;
	if (s->flight.cap_entries < s->ncustomers) {
		size_t cap = s->ncustomers * 2;
		uint64_t *e = raas_realloc(s->flight.entries, cap * sizeof *e);
		if (!e)
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		s->flight.entries = e;
		s->flight.cap_entries = cap;
	}
	s->flight.wrote = raas_log_pending(s->log) > 0;
	if (s->flight.wrote && s->before_commit) {
		struct raas_store_mark last;
		if (raas_store_last_pending(s, &last))
			s->before_commit(s->before_commit_ctx, &last);
	}
	if (s->flight.wrote && (rc = raas_log_write(s->log, err))) {
		raas_store_discard(s);
		return rc;
	}
	/* The batch now belongs to the flight; new entries start the next batch. */
	{
		struct pending_event *e = s->flight.events;
		size_t cap = s->flight.cap;
		s->flight.events = s->pending;
		s->flight.cap = s->cap_pending;
		s->flight.n = s->npending;
		s->pending = e;
		s->cap_pending = cap;
		s->npending = 0;
	}
	for (size_t i = 0; i < s->ncustomers; i++)
		s->flight.entries[i] = s->customers[i].entries;
	s->flight.ncustomers = s->ncustomers;
	s->flight.ncontracts = s->ncontracts;
	s->flight.ninvoices = s->ninvoices;
	s->flight.ndisputes = s->ndisputes;
	s->flight.clock = clock_us;
	s->flight.rc = RAAS_OK;
	raas_err_clear(&s->flight.err);
	s->flight.threaded = pthread_create(&s->flight.thread, NULL, sync_thread, s) == 0;
	if (!s->flight.threaded)
		sync_thread(s); /* no thread to be had: sync here */
	s->flight.active = true;
	return RAAS_OK;
}

void raas_store_commit_join(struct raas_store *s)
{
	if (s->flight.active && s->flight.threaded) {
		pthread_join(s->flight.thread, NULL);
		s->flight.threaded = false; /* complete_flight must not join it again */
	}
}

raas_rc raas_store_commit_wait(struct raas_store *s, struct raas_err *err)
{
	return complete_flight(s, true, err);
}

bool raas_store_last_pending(const struct raas_store *s, struct raas_store_mark *m)
{
	return raas_log_last_pending(s->log, &m->pos, &m->checksum);
}

enum raas_mark_state raas_store_mark_state(struct raas_store *s, const struct raas_store_mark *m)
{
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err err;
	enum raas_mark_state st = RAAS_MARK_LOST;

	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	if (raas_log_read(s->log, m->pos, &rec, &scratch, &err) == RAAS_OK &&
	    rec.checksum == m->checksum)
		st = rec.next <= raas_store_durable(s) ? RAAS_MARK_STORED : RAAS_MARK_WAITING;
	raas_buf_free(&scratch);
	return st;
}

void raas_store_before_commit(struct raas_store *s,
                              void (*fn)(void *ctx, const struct raas_store_mark *last), void *ctx)
{
	s->before_commit = fn;
	s->before_commit_ctx = ctx;
}

raas_rc raas_store_commit(struct raas_store *s, int64_t clock_us, struct raas_err *err)
{
	raas_rc rc = raas_store_commit_begin(s, clock_us, err);

	return rc ? rc : raas_store_commit_wait(s, err);
}
