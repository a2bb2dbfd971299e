/* keys.h — a tenant's API keys and their roles (server.md "Keys and roles").
 *
 * A key's text is `rk_` + 16 hex digits of id + `_` + 64 hex digits of secret (256 random
 * bits). The id is public (listings, logs); the secret is shown once, when the key is made,
 * and only its SHA-256 is kept, in DIR/tenants/t-NAME/keys (docs/formats/keys.md). Checking
 * a key finds it by id and compares the hashes in constant time. A revoked key stays in the
 * file (so that its id is never reused and the listing shows when it was revoked).
 */
#ifndef RAAS_SERVER_KEYS_H
#define RAAS_SERVER_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "evidence/crypto.h"
#include "raas/error.h"

#define RAAS_KEY_ID_HEX 16
#define RAAS_KEY_SECRET_BYTES 32
#define RAAS_KEY_TEXT_LEN (3 + RAAS_KEY_ID_HEX + 1 + 2 * RAAS_KEY_SECRET_BYTES)
#define RAAS_KEY_NOT_REVOKED INT64_MIN

enum raas_role {
	RAAS_ROLE_ADMIN,
	RAAS_ROLE_FINANCE,
	RAAS_ROLE_CSM,
	RAAS_ROLE_INGEST,
	RAAS_ROLE_CLIENT,
	RAAS_ROLE_AUDITOR,
};

struct raas_key {
	char id[RAAS_KEY_ID_HEX + 1];
	enum raas_role role;
	char *customer; /* the customer it is bound to, or NULL */
	struct raas_hash hash;
	int64_t created_us;
	int64_t revoked_us; /* RAAS_KEY_NOT_REVOKED while valid */
};

struct raas_keyring {
	struct raas_key *keys;
	size_t n, cap;
};

/* "admin", "finance", "csm", "ingest", "client", "auditor". */
const char *raas_role_name(enum raas_role role);
/* RAAS_E_INPUT for an unknown name. */
RAAS_WUR raas_rc raas_role_parse(const char *name, size_t len, enum raas_role *out);

/* Reads tenant's keys (none when it has no keys file). RAAS_E_STORAGE for a damaged file. */
RAAS_WUR raas_rc raas_keys_load(const char *dir, const char *tenant, struct raas_keyring *out,
                                struct raas_err *err);
/* Writes the keyring as tenant's keys file, atomically and durably. */
RAAS_WUR raas_rc raas_keys_save(const char *dir, const char *tenant, const struct raas_keyring *k,
                                struct raas_err *err);
void raas_keys_free(struct raas_keyring *k);
/* A read-modify-write of tenant's keys file under its lock (other processes may change it
 * too): reads the file, calls change(ring, ctx, err), and saves the result when change
 * returned RAAS_OK. *out is then the keyring as saved (new; free with raas_keys_free). */
RAAS_WUR raas_rc raas_keys_update(const char *dir, const char *tenant,
                                  raas_rc (*change)(struct raas_keyring *k, void *ctx,
                                                    struct raas_err *err),
                                  void *ctx, struct raas_keyring *out, struct raas_err *err);

/* Makes a key: appends it to k and writes its text (RAAS_KEY_TEXT_LEN characters and a NUL)
 * into text. A `client` key must be bound to a customer, an `ingest` key may be, the others
 * must not: RAAS_E_INPUT otherwise. The caller saves the keyring. */
RAAS_WUR raas_rc raas_keys_make(struct raas_keyring *k, enum raas_role role, const char *customer,
                                int64_t now, char text[RAAS_KEY_TEXT_LEN + 1],
                                struct raas_err *err);
/* The arguments of raas_keys_make for raas_keys_update (text receives the key). */
struct raas_keys_make_args {
	enum raas_role role;
	const char *customer;
	int64_t now;
	char text[RAAS_KEY_TEXT_LEN + 1];
};
/* raas_keys_update's change that makes the key of ctx (a struct raas_keys_make_args). */
RAAS_WUR raas_rc raas_keys_make_change(struct raas_keyring *k, void *ctx, struct raas_err *err);
/* The valid (not revoked) key whose text is the len bytes at text, or NULL. */
const struct raas_key *raas_keys_check(const struct raas_keyring *k, const char *text, size_t len);
/* The key with that id (revoked or not), or NULL. */
struct raas_key *raas_keys_find(const struct raas_keyring *k, const char *id);
/* Whether text has the shape of a key, and its id (for a lookup across tenants). */
bool raas_key_text_id(const char *text, size_t len, char id[RAAS_KEY_ID_HEX + 1]);

/* Appends {"id","role","customer","created","revoked"} (times in UTC, null when none). */
RAAS_WUR raas_rc raas_key_write_json(struct raas_buf *b, const struct raas_key *key);

#endif
