/* keys.c — API keys: making, checking, revoking, and the keys file (docs/formats/keys.md). */
#include "server/keys.h"

#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "raas/time.h"
#include "store/store.h"

#define KEYS_FILE "keys"

static const char *const role_names[] = {"admin", "finance", "csm", "ingest", "client", "auditor"};

const char *raas_role_name(enum raas_role role)
{
	return (unsigned)role < sizeof role_names / sizeof *role_names ? role_names[role] : "?";
}

raas_rc raas_role_parse(const char *name, size_t len, enum raas_role *out)
{
	for (size_t i = 0; i < sizeof role_names / sizeof *role_names; i++)
		if (strlen(role_names[i]) == len && !memcmp(role_names[i], name, len)) {
			*out = (enum raas_role)i;
			return RAAS_OK;
		}
	return RAAS_E_INPUT;
}

/* Customer ids: 1–128 bytes of A-Z a-z 0-9 . _ : - (events.md). */
static bool valid_customer(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool raas_key_text_id(const char *text, size_t len, char id[RAAS_KEY_ID_HEX + 1])
{
	if (len != RAAS_KEY_TEXT_LEN || memcmp(text, "rk_", 3) ||
	    text[3 + RAAS_KEY_ID_HEX] != '_' || !is_hex(text + 3, RAAS_KEY_ID_HEX) ||
	    !is_hex(text + 4 + RAAS_KEY_ID_HEX, 2 * RAAS_KEY_SECRET_BYTES))
		return false;
	memcpy(id, text + 3, RAAS_KEY_ID_HEX);
	id[RAAS_KEY_ID_HEX] = '\0';
	return true;
}

void raas_keys_free(struct raas_keyring *k)
{
	for (size_t i = 0; i < k->n; i++)
		raas_free(k->keys[i].customer);
	raas_free(k->keys);
	k->keys = NULL;
	k->n = k->cap = 0;
}

static raas_rc grow(struct raas_keyring *k)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		struct raas_key *p = raas_realloc(k->keys, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		k->keys = p;
		k->cap = cap;
	}
	return RAAS_OK;
}

struct raas_key *raas_keys_find(const struct raas_keyring *k, const char *id)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->keys[i].id, id))
			return &k->keys[i];
	return NULL;
}

const struct raas_key *raas_keys_check(const struct raas_keyring *k, const char *text, size_t len)
{
	char id[RAAS_KEY_ID_HEX + 1];
	unsigned char secret[RAAS_KEY_SECRET_BYTES];
	struct raas_hash h;
	const struct raas_key *key;

	if (!raas_key_text_id(text, len, id) || !(key = raas_keys_find(k, id)) ||
	    raas_hex_decode(text + 4 + RAAS_KEY_ID_HEX, 2 * RAAS_KEY_SECRET_BYTES, secret,
	                    sizeof secret) != RAAS_OK)
		return NULL;
	raas_sha256(secret, sizeof secret, &h);
	if (!raas_equal_secret(h.b, key->hash.b, RAAS_HASH_BYTES) ||
	    key->revoked_us != RAAS_KEY_NOT_REVOKED)
		return NULL;
	return key;
}

raas_rc raas_keys_make(struct raas_keyring *k, enum raas_role role, const char *customer,
                       int64_t now, char text[RAAS_KEY_TEXT_LEN + 1], struct raas_err *err)
{
	unsigned char raw[RAAS_KEY_ID_HEX / 2 + RAAS_KEY_SECRET_BYTES];
	struct raas_key *key;
	raas_rc rc;

	if (role == RAAS_ROLE_CLIENT && !customer)
		return raas_err_set(err, RAAS_E_INPUT, "customer", "a client key needs a customer");
	if (customer && role != RAAS_ROLE_CLIENT && role != RAAS_ROLE_INGEST)
		return raas_err_set(err, RAAS_E_INPUT, "customer",
		                    "only client and ingest keys are bound to a customer");
	if (customer && !valid_customer(customer))
		return raas_err_set(err, RAAS_E_INPUT, "customer",
		                    "a customer id is 1 to 128 characters A-Z a-z 0-9 . _ : -");
	if (grow(k))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	do {
		if ((rc = raas_random_bytes(raw, sizeof raw, err)))
			return rc;
		raas_hex_encode(raw, RAAS_KEY_ID_HEX / 2, text + 3);
		text[3 + RAAS_KEY_ID_HEX] = '\0';
	} while (raas_keys_find(k, text + 3)); /* 64 random bits: practically never */
	key = &k->keys[k->n];
	memset(key, 0, sizeof *key);
	memcpy(key->id, text + 3, RAAS_KEY_ID_HEX + 1);
	key->role = role;
	if (customer && !(key->customer = raas_strdup(customer)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	raas_sha256(raw + RAAS_KEY_ID_HEX / 2, RAAS_KEY_SECRET_BYTES, &key->hash);
	key->created_us = now;
	key->revoked_us = RAAS_KEY_NOT_REVOKED;
	k->n++;
	memcpy(text, "rk_", 3);
	text[3 + RAAS_KEY_ID_HEX] = '_';
	raas_hex_encode(raw + RAAS_KEY_ID_HEX / 2, RAAS_KEY_SECRET_BYTES,
	                text + 4 + RAAS_KEY_ID_HEX);
	text[RAAS_KEY_TEXT_LEN] = '\0';
	return RAAS_OK;
}

static raas_rc write_time_or_null(struct raas_buf *b, int64_t us)
{
	char t[RAAS_TIME_FORMAT_MAX];

	if (us == RAAS_KEY_NOT_REVOKED)
		return raas_buf_puts(b, "null");
	raas_time_format(us, 0, t);
	return raas_buf_printf(b, "\"%s\"", t);
}

raas_rc raas_key_write_json(struct raas_buf *b, const struct raas_key *key)
{
	raas_rc rc;

	if ((rc = raas_buf_printf(b, "{\"id\":\"%s\",\"role\":\"%s\",\"customer\":", key->id,
	                          raas_role_name(key->role))) ||
	    (rc = key->customer ? raas_json_write_string(b, key->customer, strlen(key->customer))
	                        : raas_buf_puts(b, "null")) ||
	    (rc = raas_buf_puts(b, ",\"created\":")) ||
	    (rc = write_time_or_null(b, key->created_us)) ||
	    (rc = raas_buf_puts(b, ",\"revoked\":")) ||
	    (rc = write_time_or_null(b, key->revoked_us)) || (rc = raas_buf_putc(b, '}')))
		return rc;
	return RAAS_OK;
}

raas_rc raas_keys_save(const char *dir, const char *tenant, const struct raas_keyring *k,
                       struct raas_err *err)
{
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	raas_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < k->n && !rc; i++) {
		char hash[2 * RAAS_HASH_BYTES + 1];
		raas_hex_encode(k->keys[i].hash.b, RAAS_HASH_BYTES, hash);
		hash[2 * RAAS_HASH_BYTES] = '\0';
		if (!(rc = raas_key_write_json(&b, &k->keys[i]))) {
			b.len--; /* reopen the object for the hash */
			rc = raas_buf_printf(&b, ",\"sha256\":\"%s\"}\n", hash);
		}
	}
	if (rc)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	else
		rc = raas_store_write_tenant_file(dir, tenant, KEYS_FILE, b.data ? b.data : "",
		                                  b.len, err);
	raas_buf_free(&b);
	return rc;
}

static raas_rc time_field(const struct raas_json *obj, const char *name, bool nullable, int64_t *us)
{
	const struct raas_json *v = raas_json_get(obj, name);
	struct raas_err ignored;

	if (v && nullable && v->type == RAAS_JSON_NULL) {
		*us = RAAS_KEY_NOT_REVOKED;
		return RAAS_OK;
	}
	if (!v || v->type != RAAS_JSON_STRING ||
	    raas_time_parse(v->u.str, v->len, us, &ignored) != RAAS_OK)
		return RAAS_E_STORAGE;
	return RAAS_OK;
}

/* Reads one line of the keys file into key. */
static raas_rc parse_line(struct raas_arena *arena, const char *line, size_t len,
                          struct raas_key *key)
{
	struct raas_json *doc;
	struct raas_err err;
	const struct raas_json *id, *role, *customer, *hash;

	memset(key, 0, sizeof *key);
	if (raas_json_parse(arena, line, len, NULL, &doc, &err) != RAAS_OK ||
	    doc->type != RAAS_JSON_OBJECT || !(id = raas_json_get(doc, "id")) ||
	    id->type != RAAS_JSON_STRING || id->len != RAAS_KEY_ID_HEX ||
	    !is_hex(id->u.str, RAAS_KEY_ID_HEX) || !(role = raas_json_get(doc, "role")) ||
	    role->type != RAAS_JSON_STRING ||
	    raas_role_parse(role->u.str, role->len, &key->role) != RAAS_OK ||
	    !(customer = raas_json_get(doc, "customer")) ||
	    (customer->type != RAAS_JSON_NULL &&
	     (customer->type != RAAS_JSON_STRING || !valid_customer(customer->u.str))) ||
	    !(hash = raas_json_get(doc, "sha256")) || hash->type != RAAS_JSON_STRING ||
	    raas_hex_decode(hash->u.str, hash->len, key->hash.b, RAAS_HASH_BYTES) != RAAS_OK ||
	    hash->len != 2 * RAAS_HASH_BYTES ||
	    time_field(doc, "created", false, &key->created_us) ||
	    time_field(doc, "revoked", true, &key->revoked_us))
		return RAAS_E_STORAGE;
	/* The binding rules of raas_keys_make hold in the file too. */
	if ((key->role == RAAS_ROLE_CLIENT && customer->type != RAAS_JSON_STRING) ||
	    (customer->type == RAAS_JSON_STRING && key->role != RAAS_ROLE_CLIENT &&
	     key->role != RAAS_ROLE_INGEST))
		return RAAS_E_STORAGE;
	memcpy(key->id, id->u.str, RAAS_KEY_ID_HEX + 1);
	if (customer->type == RAAS_JSON_STRING && !(key->customer = raas_strdup(customer->u.str)))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

raas_rc raas_keys_load(const char *dir, const char *tenant, struct raas_keyring *out,
                       struct raas_err *err)
{
	struct raas_buf b;
	struct raas_arena arena;
	raas_rc rc;
	size_t lineno = 0;

	memset(out, 0, sizeof *out);
	raas_buf_init(&b, (size_t)1 << 30);
	raas_arena_init(&arena, 0);
	rc = raas_store_read_tenant_file(dir, tenant, KEYS_FILE, &b, err);
	if (rc == RAAS_E_INPUT) {
		rc = RAAS_OK; /* no keys yet */
		goto out;
	}
	for (const char *p = b.data; !rc && p && p < b.data + b.len;) {
		const char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(b.data + b.len - p);
		lineno++;
		raas_arena_reset(&arena);
		if ((rc = grow(out))) {
			rc = raas_err_set(err, rc, NULL, "out of memory");
			break;
		}
		rc = parse_line(&arena, p, n, &out->keys[out->n]);
		if (rc == RAAS_OK && raas_keys_find(out, out->keys[out->n].id))
			rc = RAAS_E_STORAGE;
		if (rc) {
			raas_free(out->keys[out->n].customer);
			rc = rc == RAAS_E_NOMEM
			             ? raas_err_set(err, rc, NULL, "out of memory")
			             : raas_err_set(err, RAAS_E_STORAGE, NULL,
			                            "tenant %s: keys file damaged at line %zu",
			                            tenant, lineno);
			break;
		}
		out->n++;
		p += n + 1;
	}
out:
	if (rc)
		raas_keys_free(out);
	raas_buf_free(&b);
	raas_arena_free(&arena);
	return rc;
}

raas_rc raas_keys_update(const char *dir, const char *tenant,
                         raas_rc (*change)(struct raas_keyring *k, void *ctx, struct raas_err *err),
                         void *ctx, struct raas_keyring *out, struct raas_err *err)
{
	int fd;
	raas_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = raas_store_lock_tenant_file(dir, tenant, KEYS_FILE, &fd, err)))
		return rc;
	if (!(rc = raas_keys_load(dir, tenant, out, err)) && !(rc = change(out, ctx, err)))
		rc = raas_keys_save(dir, tenant, out, err);
	raas_store_unlock_tenant_file(fd);
	if (rc)
		raas_keys_free(out);
	return rc;
}

raas_rc raas_keys_make_change(struct raas_keyring *k, void *ctx, struct raas_err *err)
{
	struct raas_keys_make_args *a = ctx;

	return raas_keys_make(k, a->role, a->customer, a->now, a->text, err);
}
