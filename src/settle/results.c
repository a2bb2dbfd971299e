/* results.c — which events decide a result, and what the result's status is at a view
 * (settlement.md "Which events decide a result", "Result lifecycle", "The results listing").
 *
 * Each event added to a ledger is reduced to facts, one per result definition it can
 * matter to: an achieving event that passes `where` (with its entity text and value), a
 * reversal or an attribution (with its entity text). Facts are sorted by (definition,
 * entity, event time, event id), so that evaluating a view is one pass over them: in each
 * entity's group the first visible achieving fact decides, the visible reversals and
 * attributions around it decide its status. Nothing here depends on the order events were
 * added in.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "base/number.h"
#include "settle/ledger_impl.h"

static const char *const status_names[] = {
        [RAAS_RESULT_INVALID] = "invalid",     [RAAS_RESULT_REVERSED] = "reversed",
        [RAAS_RESULT_VOIDED] = "voided",       [RAAS_RESULT_DISPUTED] = "disputed",
        [RAAS_RESULT_CONFIRMED] = "confirmed", [RAAS_RESULT_PENDING] = "pending",
};

const char *raas_result_status_name(enum raas_result_status s)
{
	return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : NULL;
}

raas_rc raas_result_status_parse(const char *s, enum raas_result_status *out)
{
	for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
		if (!strcmp(s, status_names[i])) {
			*out = (enum raas_result_status)i;
			return RAAS_OK;
		}
	return RAAS_E_INPUT;
}

/* ---- the ledger's container ---- */

raas_rc raas_ledger_new(const char *contract_id, struct raas_ledger **out)
{
	struct raas_ledger *l = raas_calloc(1, sizeof *l);

	if (!l || !(l->id = raas_strdup(contract_id))) {
		raas_free(l);
		return RAAS_E_NOMEM;
	}
	raas_arena_init(&l->arena, 0);
	*out = l;
	return RAAS_OK;
}

static void eval_free(struct eval *e)
{
	if (!e)
		return;
	raas_free(e->results);
	raas_free(e->by_id);
	raas_arena_free(&e->arena);
	raas_free(e);
}

void raas_ledger_free(struct raas_ledger *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nversions; i++)
		raas_contract_free(l->versions[i].c);
	raas_free(l->versions);
	raas_free(l->facts);
	raas_free(l->actions);
	for (size_t i = 0; i < l->nevals; i++)
		eval_free(l->evals[i]);
	raas_free(l->evals);
	raas_free(l->owns);
	raas_arena_free(&l->arena);
	raas_free(l->id);
	raas_free(l);
}

/* Forgets every cached evaluation (the inputs changed). */
static void drop_cache(struct raas_ledger *l)
{
	for (size_t i = 0; i < l->nevals; i++)
		eval_free(l->evals[i]);
	l->nevals = 0;
	l->nowns = 0;
}

raas_rc raas_ledger_add_version(struct raas_ledger *l, struct raas_contract *c, uint32_t version,
                                int64_t applied_us, int64_t effective_us, struct raas_err *err)
{
	if (l->nversions == l->cap_versions) {
		size_t cap = l->cap_versions ? 2 * l->cap_versions : 4;
		struct version *v = raas_realloc(l->versions, cap * sizeof *v);
		if (!v) {
			raas_contract_free(c);
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		}
		l->versions = v;
		l->cap_versions = cap;
	}
	if (l->nversions > 0) {
		/* Facts are indexed by the first version's definitions: a later version may
		 * change prices only (contracts.md "Versions"). A store never holds one that does
		 * more; a bundle might. */
		struct raas_problems problems = {0};
		raas_rc vrc =
		        raas_contract_check_version(l->versions[l->nversions - 1].c, c, &problems);
		bool nomem = problems.out_of_memory;
		raas_problems_free(&problems);
		if (vrc || c->nresults != l->versions[0].c->nresults) {
			raas_contract_free(c);
			if (nomem)
				return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
			return raas_err_set(
			        err, RAAS_E_INPUT, NULL,
			        "version %u of contract %s changes more than prices, fees, "
			        "minimum, cap, end and the dispute terms",
			        version, l->id);
		}
	}
	if (l->nversions == 0) {
		effective_us = c->start_us; /* the first version governs from start */
		for (uint32_t i = 0; i < c->nresults; i++) {
			const struct raas_result_def *d = &c->results[i];
			const char *on[3] = {d->on,
			                     d->reversed_by.present ? d->reversed_by.on : NULL,
			                     d->requires.present ? d->requires.on : NULL};
			for (int k = 0; k < 3; k++) {
				bool seen = !on[k];
				for (size_t j = 0; j < l->ntypes && !seen; j++)
					seen = !strcmp(l->types[j].name, on[k]);
				if (!seen)
					l->types[l->ntypes++] = (struct wanted_type){
					        .name = on[k], .len = strlen(on[k])};
			}
		}
	}
	l->versions[l->nversions++] = (struct version){
	        .c = c, .no = version, .applied_us = applied_us, .effective_us = effective_us};
	drop_cache(l);
	return RAAS_OK;
}

size_t raas_ledger_version_count(const struct raas_ledger *l)
{
	return l->nversions;
}

const char *raas_ledger_contract(const struct raas_ledger *l)
{
	return l->id;
}

const char *raas_ledger_customer(const struct raas_ledger *l)
{
	return l->nversions ? l->versions[0].c->customer : NULL;
}

static bool same(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && !memcmp(a, b, blen);
}

bool raas_ledger_wants(const struct raas_ledger *l, const char *type, size_t len)
{
	for (size_t i = 0; i < l->ntypes; i++)
		if (l->types[i].len == len && !memcmp(l->types[i].name, type, len))
			return true;
	return false;
}

/* ---- facts ---- */

/* The value at a dotted property path, or NULL. */
static const struct raas_json *at_path(const struct raas_json *props, const struct raas_path *p)
{
	const char *s = p->text, *end = p->text + p->len;
	const struct raas_json *v = props;

	while (v && s < end) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		size_t n = dot ? (size_t)(dot - s) : (size_t)(end - s);
		if (v->type != RAAS_JSON_OBJECT)
			return NULL;
		v = raas_json_getn(v, s, n);
		s += n + 1;
	}
	return v;
}

/* The entity text of the event for definition d (contracts.md "Entity values"). */
static raas_rc entity_of(struct raas_ledger *l, const struct raas_result_def *d,
                         const struct raas_json *props, struct fact *f)
{
	const struct raas_json *v = at_path(props, &d->entity);
	char text[RAAS_NUM_MAX_PLAIN + 2];
	struct raas_num num;
	size_t n;

	if (!v) {
		f->estate = ENTITY_MISSING;
		return RAAS_OK;
	}
	if (v->type == RAAS_JSON_STRING) {
		f->entity = raas_arena_strndup(&l->arena, v->u.str, v->len);
		f->entity_len = v->len;
	} else if (v->type == RAAS_JSON_NUMBER) {
		if (raas_num_parse(v->u.str, v->len, RAAS_NUM_JSON, &num, NULL) ||
		    !(n = raas_num_format(&num, text, sizeof text))) {
			f->estate = ENTITY_BAD; /* cannot happen: ingestion bounds numbers */
			return RAAS_OK;
		}
		f->entity = raas_arena_strndup(&l->arena, text, n);
		f->entity_len = (uint32_t)n;
	} else {
		f->estate = ENTITY_BAD;
		return RAAS_OK;
	}
	f->estate = ENTITY_OK;
	return f->entity ? RAAS_OK : RAAS_E_NOMEM;
}

/* The result value of an achieving event (contracts.md `value`). */
static void value_of(const struct raas_result_def *d, const struct raas_json *props, struct fact *f)
{
	const struct raas_json *v = at_path(props, &d->value);
	struct raas_num num;
	raas_rc rc;

	if (!v) {
		f->vstate = VALUE_MISSING;
		return;
	}
	if (v->type != RAAS_JSON_NUMBER && v->type != RAAS_JSON_STRING) {
		f->vstate = VALUE_BAD;
		return;
	}
	rc = raas_num_parse(v->u.str, v->len,
	                    v->type == RAAS_JSON_NUMBER ? RAAS_NUM_JSON : RAAS_NUM_TEXT, &num,
	                    NULL);
	if (rc) {
		/* A string that is not a number is not a decimal; one whose plain form is too
		 * long is out of range. */
		f->vstate = raas_num_plain_length(v->u.str, v->len, RAAS_NUM_TEXT) == SIZE_MAX
		                    ? VALUE_BAD
		                    : VALUE_RANGE;
		return;
	}
	f->vstate = raas_num_to_dec(&num, &f->value) ? VALUE_RANGE : VALUE_OK;
}

static raas_rc push_fact(struct raas_ledger *l, const struct fact *f)
{
	if (l->nfacts == l->cap_facts) {
		size_t cap = l->cap_facts ? 2 * l->cap_facts : 256;
		struct fact *p = raas_realloc(l->facts, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		l->facts = p;
		l->cap_facts = cap;
	}
	l->facts[l->nfacts++] = *f;
	return RAAS_OK;
}

/* Whether a matcher (reversed_by, requires) takes the event. */
static bool matches(const struct raas_matcher *m, const struct raas_event *ev)
{
	return m->present && same(m->on, ev->type, ev->type_len) &&
	       (!m->where || raas_expr_eval(m->where, ev->properties));
}

raas_rc raas_ledger_add_event(struct raas_ledger *l, const struct raas_event *ev,
                              int64_t received_us, struct raas_err *err)
{
	const struct raas_contract *c;
	const char *id = NULL;
	raas_rc rc = RAAS_OK;

	if (!l->nversions)
		return RAAS_OK;
	c = l->versions[0].c;
	for (uint32_t i = 0; i < c->nresults && !rc; i++) {
		const struct raas_result_def *d = &c->results[i];
		struct fact f = {.time_us = ev->time_us,
		                 .received_us = received_us,
		                 .def = (uint16_t)i,
		                 .estate = ENTITY_NONE};
		bool achieve = same(d->on, ev->type, ev->type_len) &&
		               (!d->where || raas_expr_eval(d->where, ev->properties));
		bool reverse = matches(&d->reversed_by, ev);
		bool require = matches(&d->requires, ev);
		if (!achieve && !reverse && !require)
			continue;
		if (!id && !(id = raas_arena_strndup(&l->arena, ev->id, ev->id_len)))
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		f.event_id = id;
		f.id_len = ev->id_len;
		if (d->has_entity && (rc = entity_of(l, d, ev->properties, &f)))
			break;
		if (achieve) {
			f.role = ROLE_ACHIEVE;
			f.vstate = VALUE_NONE;
			if (d->has_value)
				value_of(d, ev->properties, &f);
			if ((rc = push_fact(l, &f)))
				break;
		}
		/* A reversal or an attribution must carry the entity (contracts.md). */
		f.vstate = VALUE_NONE;
		f.value = raas_dec_zero();
		if (reverse && f.estate == ENTITY_OK) {
			f.role = ROLE_REVERSE;
			if ((rc = push_fact(l, &f)))
				break;
		}
		if (require && f.estate == ENTITY_OK) {
			f.role = ROLE_REQUIRE;
			if ((rc = push_fact(l, &f)))
				break;
		}
	}
	if (rc)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	l->sorted = false;
	drop_cache(l);
	return RAAS_OK;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	return r ? r : (alen > blen) - (alen < blen);
}

/* ---- disputes ---- */

raas_rc raas_ledger_add_dispute_action(struct raas_ledger *l, const struct raas_dispute_action *a,
                                       struct raas_err *err)
{
	struct action *x;

	if (l->nactions == l->cap_actions) {
		size_t cap = l->cap_actions ? 2 * l->cap_actions : 16;
		struct action *p = raas_realloc(l->actions, cap * sizeof *p);
		if (!p)
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		l->actions = p;
		l->cap_actions = cap;
	}
	x = &l->actions[l->nactions];
	x->at_us = a->at_us;
	x->kind = (uint8_t)a->kind;
	x->outcome = (uint8_t)a->outcome;
	x->seq = l->nactions;
	x->result_len = (uint32_t)strlen(a->result);
	if (!(x->dispute = raas_arena_strndup(&l->arena, a->dispute, strlen(a->dispute))) ||
	    !(x->result = raas_arena_strndup(&l->arena, a->result, x->result_len)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	l->nactions++;
	l->actions_sorted = false;
	drop_cache(l);
	return RAAS_OK;
}

static int action_cmp(const void *pa, const void *pb)
{
	const struct action *a = pa, *b = pb;
	int r = bytes_cmp(a->result, a->result_len, b->result, b->result_len);

	if (r)
		return r;
	if (a->at_us != b->at_us)
		return a->at_us < b->at_us ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

void ledger_disputes(struct raas_ledger *l, const struct raas_contract *c, const char *id,
                     size_t id_len, const struct view *v, struct dstate *out)
{
	size_t lo = 0, hi = l->nactions;

	memset(out, 0, sizeof *out);
	out->resolved_us = NO_TIME;
	if (!l->nactions)
		return;
	if (!l->actions_sorted) {
		qsort(l->actions, l->nactions, sizeof *l->actions, action_cmp);
		l->actions_sorted = true;
	}
	while (lo < hi) { /* the first action of the result */
		size_t mid = lo + (hi - lo) / 2;
		if (bytes_cmp(l->actions[mid].result, l->actions[mid].result_len, id, id_len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < l->nactions && !out->voided; i++) {
		const struct action *a = &l->actions[i];
		if (bytes_cmp(a->result, a->result_len, id, id_len))
			break;
		if (!view_sees(v, a->at_us))
			continue;
		/* The open dispute may have resolved by itself before this action. */
		if (out->open && a->at_us >= time_add(out->opened_us, c->resolve_within_us)) {
			out->open = false;
			out->automatic = true;
			out->outcome = (uint8_t)c->dispute_default;
			out->resolved_us = time_add(out->opened_us, c->resolve_within_us);
			out->voided = c->dispute_default == RAAS_DISPUTE_VOIDED;
			if (out->voided)
				break;
		}
		if (a->kind == RAAS_DISPUTE_OPEN && !out->open) {
			out->count++;
			out->open = true;
			out->dispute = a->dispute;
			out->opened_us = a->at_us;
			out->resolved_us = NO_TIME;
			out->automatic = false;
		} else if (a->kind == RAAS_DISPUTE_RESOLVE && out->open &&
		           !strcmp(a->dispute, out->dispute)) {
			out->open = false;
			out->outcome = a->outcome;
			out->resolved_us = a->at_us;
			out->voided = a->outcome == RAAS_DISPUTE_VOIDED;
		}
	}
	/* A deadline takes effect at its instant: resolved by the clock at the view's clock. */
	if (out->open && v->cutoff >= time_add(out->opened_us, c->resolve_within_us)) {
		out->open = false;
		out->automatic = true;
		out->outcome = (uint8_t)c->dispute_default;
		out->resolved_us = time_add(out->opened_us, c->resolve_within_us);
		out->voided = c->dispute_default == RAAS_DISPUTE_VOIDED;
	}
}

void raas_ledger_dispute_state(struct raas_ledger *l, const char *result, int64_t now,
                               struct raas_dispute_state *out)
{
	struct view v = {.cutoff = now, .inclusive = true};
	const struct version *newest = ledger_newest(l, v);
	struct dstate d;

	memset(out, 0, sizeof *out);
	out->resolved_us = NO_TIME;
	if (!newest)
		return;
	ledger_disputes(l, newest->c, result, strlen(result), &v, &d);
	out->count = d.count;
	out->open = d.open;
	out->dispute = d.dispute;
	out->opened_us = d.opened_us;
	out->resolved_us = d.resolved_us;
	out->automatic = d.automatic;
	out->outcome = (enum raas_dispute_default)d.outcome;
}

/* Facts in group order: definition, entity (facts without one last, each its own
 * group), event time, event id, role. */
static int fact_cmp(const void *pa, const void *pb)
{
	const struct fact *a = pa, *b = pb;
	int r;

	if (a->def != b->def)
		return a->def < b->def ? -1 : 1;
	if ((a->estate == ENTITY_OK) != (b->estate == ENTITY_OK))
		return a->estate == ENTITY_OK ? -1 : 1;
	if (a->estate == ENTITY_OK &&
	    (r = bytes_cmp(a->entity, a->entity_len, b->entity, b->entity_len)))
		return r;
	if (a->time_us != b->time_us)
		return a->time_us < b->time_us ? -1 : 1;
	if ((r = bytes_cmp(a->event_id, a->id_len, b->event_id, b->id_len)))
		return r;
	return (a->role > b->role) - (a->role < b->role);
}

static void sort_facts(struct raas_ledger *l)
{
	if (!l->sorted && l->nfacts)
		qsort(l->facts, l->nfacts, sizeof *l->facts, fact_cmp);
	l->sorted = true;
}

static bool same_group(const struct fact *a, const struct fact *b)
{
	return a->def == b->def && a->estate == ENTITY_OK && b->estate == ENTITY_OK &&
	       a->entity_len == b->entity_len && !memcmp(a->entity, b->entity, a->entity_len);
}

/* ---- evaluating a view ---- */

struct builder {
	struct raas_ledger *l;
	struct eval *e;
	size_t cap;
	int64_t term_end;
};

/* Appends "CONTRACT/NAME:" and text, written with one more '@' when it starts with '@'
 * (prefix_at: an invalid result's "@EVENT_ID"). */
static const char *make_id(struct eval *e, const char *contract, const char *name, bool prefix_at,
                           const char *text, size_t len, uint32_t *id_len)
{
	size_t clen = strlen(contract), nlen = strlen(name);
	bool extra = prefix_at || (len > 0 && text[0] == '@');
	size_t total = clen + 1 + nlen + 1 + (extra ? 1 : 0) + len;
	char *p = raas_arena_alloc(&e->arena, total + 1), *q;

	if (!p)
		return NULL;
	q = p;
	memcpy(q, contract, clen);
	q += clen;
	*q++ = '/';
	memcpy(q, name, nlen);
	q += nlen;
	*q++ = ':';
	if (extra)
		*q++ = '@';
	memcpy(q, text, len);
	q[len] = '\0';
	*id_len = (uint32_t)total;
	return p;
}

static struct result *new_result(struct builder *b)
{
	struct eval *e = b->e;

	if (e->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct result *r = raas_realloc(e->results, cap * sizeof *r);
		if (!r)
			return NULL;
		e->results = r;
		b->cap = cap;
	}
	memset(&e->results[e->n], 0, sizeof e->results[e->n]);
	return &e->results[e->n++];
}

static const char *reasonf(struct eval *e, const char *fmt, const char *a, const char *b)
{
	struct raas_buf buf;
	const char *s = NULL;

	raas_buf_init(&buf, 4096);
	if (raas_buf_printf(&buf, fmt, a, b) == RAAS_OK)
		s = raas_arena_strndup(&e->arena, buf.data, buf.len);
	raas_buf_free(&buf);
	return s;
}

/* Decides the status of a result whose deciding fact is facts[k], in the group
 * [first, end) of an entity (or alone). */
static raas_rc decide(struct builder *b, struct result *r, size_t first, size_t end)
{
	const struct raas_contract *c = b->e->newest->c;
	const struct raas_result_def *d = &c->results[r->def];
	const struct fact *facts = b->l->facts, *dec = &facts[r->decider];
	const struct view *v = &b->e->view;
	int64_t reversal = NO_TIME;
	bool attributed = false;
	char when[RAAS_TIME_FORMAT_MAX];

	r->achieved_us = dec->time_us;
	r->confirmed_us = NO_TIME;
	for (size_t i = first; i < end; i++) {
		const struct fact *f = &facts[i];
		if (!view_sees(v, f->received_us))
			continue;
		if (f->role == ROLE_REVERSE && f->time_us >= dec->time_us && reversal == NO_TIME)
			reversal = f->time_us;
		if (f->role == ROLE_REQUIRE && f->time_us <= dec->time_us &&
		    f->time_us >= dec->time_us - d->requires.within_us)
			attributed = true;
	}
	r->status = RAAS_RESULT_INVALID;
	if (dec->estate == ENTITY_MISSING || dec->estate == ENTITY_BAD) {
		r->reason =
		        reasonf(b->e,
		                dec->estate == ENTITY_MISSING
		                        ? "the entity property %s is missing%s"
		                        : "the entity property %s is not a string or a number%s",
		                d->entity.text, "");
	} else if (dec->time_us < c->start_us) {
		raas_time_format(c->start_us, c->tz_offset_min, when);
		r->reason = reasonf(b->e, "achieved before the contract's start (%s)%s", when, "");
	} else if (dec->time_us >= b->term_end) {
		raas_time_format(b->term_end, c->tz_offset_min, when);
		r->reason =
		        reasonf(b->e, "achieved at or after the contract's end (%s)%s", when, "");
	} else if (d->requires.present && !attributed) {
		r->reason =
		        reasonf(b->e, "no %s event of this entity in the attribution window (%s)",
		                d->requires.on, "requires");
	} else if (dec->vstate == VALUE_MISSING) {
		r->reason = reasonf(b->e, "the value property %s is missing%s", d->value.text, "");
	} else if (dec->vstate == VALUE_BAD) {
		r->reason = reasonf(b->e, "the value property %s is not a decimal number%s",
		                    d->value.text, "");
	} else if (dec->vstate == VALUE_RANGE) {
		r->reason =
		        reasonf(b->e, "the value property %s is out of range%s", d->value.text, "");
	} else {
		int64_t until = d->has_clawback ? time_add(dec->time_us, d->clawback_us)
		                                : time_add(dec->time_us, d->hold_us);
		r->reason = NULL;
		r->confirmed_us = time_add(dec->time_us, d->hold_us);
		r->bill_start = ledger_period_start(c, b->term_end, r->confirmed_us);
		r->has_value = dec->vstate == VALUE_OK;
		r->value = dec->value;
		if (reversal != NO_TIME && reversal < until) {
			r->status = RAAS_RESULT_REVERSED;
			return RAAS_OK;
		}
		if (b->l->nactions) {
			struct dstate ds;
			ledger_disputes(b->l, c, r->id, r->id_len, v, &ds);
			if (ds.voided) {
				r->status = RAAS_RESULT_VOIDED;
				return RAAS_OK;
			}
			if (ds.open) {
				r->status = RAAS_RESULT_DISPUTED;
				return RAAS_OK;
			}
		}
		r->status =
		        v->cutoff >= r->confirmed_us ? RAAS_RESULT_CONFIRMED : RAAS_RESULT_PENDING;
		return RAAS_OK;
	}
	return r->reason ? RAAS_OK : RAAS_E_NOMEM;
}

/* Adds the results of the group [first, end) of facts. */
static raas_rc build_group(struct builder *b, size_t first, size_t end)
{
	const struct raas_contract *c = b->e->newest->c;
	struct fact *facts = b->l->facts;
	const struct raas_result_def *d = &c->results[facts[first].def];
	struct result *r;

	if (facts[first].estate == ENTITY_OK) {
		size_t k = first;
		while (k < end && !(facts[k].role == ROLE_ACHIEVE &&
		                    view_sees(&b->e->view, facts[k].received_us)))
			k++;
		if (k == end)
			return RAAS_OK;
		if (!(r = new_result(b)))
			return RAAS_E_NOMEM;
		r->def = facts[first].def;
		r->decider = k;
		r->first = first;
		r->end = end;
		r->id = make_id(b->e, b->l->id, d->name, false, facts[k].entity,
		                facts[k].entity_len, &r->id_len);
		if (!r->id)
			return RAAS_E_NOMEM;
		return decide(b, r, first, end);
	}
	/* Without an entity every achieving event is its own result. */
	for (size_t k = first; k < end; k++) {
		if (facts[k].role != ROLE_ACHIEVE || !view_sees(&b->e->view, facts[k].received_us))
			continue;
		if (!(r = new_result(b)))
			return RAAS_E_NOMEM;
		r->def = facts[k].def;
		r->decider = k;
		r->first = k;
		r->end = k + 1;
		r->id = make_id(b->e, b->l->id, d->name, facts[k].estate != ENTITY_NONE,
		                facts[k].event_id, facts[k].id_len, &r->id_len);
		if (!r->id)
			return RAAS_E_NOMEM;
		raas_rc rc = decide(b, r, k, k + 1);
		if (rc)
			return rc;
	}
	return RAAS_OK;
}

static int result_cmp(const void *pa, const void *pb)
{
	const struct result *a = pa, *b = pb;

	if (a->achieved_us != b->achieved_us)
		return a->achieved_us < b->achieved_us ? -1 : 1;
	return bytes_cmp(a->id, a->id_len, b->id, b->id_len);
}

static int id_cmp(const void *pa, const void *pb)
{
	const struct result *a = *(const struct result *const *)pa;
	const struct result *b = *(const struct result *const *)pb;

	return bytes_cmp(a->id, a->id_len, b->id, b->id_len);
}

int64_t ledger_term_end(const struct eval *e)
{
	const struct raas_contract *c = e->newest->c;

	return c->has_end ? c->end_us : FOREVER;
}

static raas_rc compute_eval(struct raas_ledger *l, struct eval *e)
{
	struct builder b = {.l = l, .e = e};
	raas_rc rc = RAAS_OK;

	e->newest = ledger_newest(l, e->view);
	if (!e->newest)
		return RAAS_OK;
	b.term_end = ledger_term_end(e);
	sort_facts(l);
	for (size_t i = 0; i < l->nfacts && !rc;) {
		size_t j = i + 1;
		if (l->facts[i].estate == ENTITY_OK)
			while (j < l->nfacts && same_group(&l->facts[i], &l->facts[j]))
				j++;
		else
			while (j < l->nfacts && l->facts[j].def == l->facts[i].def &&
			       l->facts[j].estate != ENTITY_OK)
				j++;
		rc = build_group(&b, i, j);
		i = j;
	}
	if (rc)
		return rc;
	if (e->n)
		qsort(e->results, e->n, sizeof *e->results, result_cmp);
	return RAAS_OK;
}

const struct version *ledger_newest(const struct raas_ledger *l, struct view v)
{
	const struct version *newest = NULL;

	for (size_t i = 0; i < l->nversions; i++)
		if (view_sees(&v, l->versions[i].applied_us))
			newest = &l->versions[i];
	return newest;
}

/* Builds e's index by id (its results are final once computed). */
static raas_rc index_ids(struct eval *e)
{
	if (e->by_id)
		return RAAS_OK;
	if (!(e->by_id = raas_calloc(e->n + 1, sizeof *e->by_id)))
		return RAAS_E_NOMEM;
	for (size_t i = 0; i < e->n; i++)
		e->by_id[i] = &e->results[i];
	if (e->n)
		qsort(e->by_id, e->n, sizeof *e->by_id, id_cmp);
	return RAAS_OK;
}

raas_rc ledger_eval(struct raas_ledger *l, struct view v, const struct eval **out,
                    struct raas_err *err)
{
	struct eval *e;
	raas_rc rc;

	for (size_t i = 0; i < l->nevals; i++)
		if (l->evals[i]->view.cutoff == v.cutoff &&
		    l->evals[i]->view.inclusive == v.inclusive) {
			*out = l->evals[i];
			return RAAS_OK;
		}
	if (l->nevals == l->cap_evals) {
		size_t cap = l->cap_evals ? 2 * l->cap_evals : 8;
		struct eval **p = raas_realloc(l->evals, cap * sizeof *p);
		if (!p)
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		l->evals = p;
		l->cap_evals = cap;
	}
	if (!(e = raas_calloc(1, sizeof *e)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	e->view = v;
	raas_arena_init(&e->arena, 0);
	if ((rc = compute_eval(l, e))) {
		eval_free(e);
		return raas_err_set(err, rc, NULL, "out of memory");
	}
	l->evals[l->nevals++] = e;
	*out = e;
	return RAAS_OK;
}

/* The result with this id in e, or NULL. */
static const struct result *find_result(const struct eval *e, const char *id, size_t len)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct result *r = e->by_id[mid];
		int c = bytes_cmp(r->id, r->id_len, id, len);
		if (c == 0)
			return r;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the listing ---- */

static bool same_state(const struct result *a, const struct result *b)
{
	return a->status == b->status && a->achieved_us == b->achieved_us &&
	       a->confirmed_us == b->confirmed_us && a->has_value == b->has_value &&
	       (!a->has_value || raas_dec_cmp(a->value, b->value) == 0);
}

/* The late flag (settlement.md "Result lifecycle"): the result's status or billing differs
 * from what it was at the end of the correction window of its period. */
static raas_rc is_late(struct raas_ledger *l, const struct eval *e, const struct result *r,
                       bool *late, struct raas_err *err)
{
	const struct raas_contract *c = e->newest->c;
	const struct raas_result_def *d = &c->results[r->def];
	int64_t end = ledger_term_end(e), xc;
	struct raas_period p;
	const struct eval *then;
	const struct result *old;
	raas_rc rc;

	ledger_period_at(c, end, ledger_period_start(c, end, time_add(r->achieved_us, d->hold_us)),
	                 &p);
	xc = time_add(p.end_us, c->corrections_within_us);
	*late = false;
	if (e->view.cutoff < xc)
		return RAAS_OK;
	if ((rc = ledger_eval(l, (struct view){.cutoff = xc, .inclusive = false}, &then, err)))
		return rc;
	if (index_ids((struct eval *)then))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	old = then->newest ? find_result(then, r->id, r->id_len) : NULL;
	*late = !old || !same_state(old, r);
	return RAAS_OK;
}

static raas_rc write_time(struct raas_buf *b, int64_t us, int tz)
{
	char t[RAAS_TIME_FORMAT_MAX];
	size_t n;

	if (us == NO_TIME)
		return raas_buf_puts(b, "null");
	n = raas_time_format(us, tz, t);
	if (raas_buf_putc(b, '"') || raas_buf_append(b, t, n) || raas_buf_putc(b, '"'))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

/* Writes the ids of the facts of r's group with this role that the view sees and keep()
 * accepts, as a JSON array. */
static raas_rc write_ids(struct raas_buf *b, const struct raas_ledger *l, const struct eval *e,
                         const struct result *r, int which)
{
	const struct raas_contract *c = e->newest->c;
	const struct raas_result_def *d = &c->results[r->def];
	bool any = false;
	raas_rc rc;

	if ((rc = raas_buf_putc(b, '[')))
		return rc;
	for (size_t i = r->first; i < r->end; i++) {
		const struct fact *f = &l->facts[i];
		bool keep = false;
		if (!view_sees(&e->view, f->received_us))
			continue;
		switch (which) {
		case 0: /* achieved */
			keep = i == r->decider;
			break;
		case 1: /* reversed: the reversals seen */
			keep = f->role == ROLE_REVERSE && f->time_us >= r->achieved_us;
			break;
		case 2: /* attributed: in the window */
			keep = f->role == ROLE_REQUIRE && f->time_us <= r->achieved_us &&
			       f->time_us >= r->achieved_us - d->requires
			.within_us;
			break;
		default: /* ignored: later achieving events of the entity */
			keep = f->role == ROLE_ACHIEVE && i > r->decider;
			break;
		}
		if (!keep)
			continue;
		if ((any && (rc = raas_buf_putc(b, ','))) ||
		    (rc = raas_json_write_string(b, f->event_id, f->id_len)))
			return rc;
		any = true;
	}
	return raas_buf_putc(b, ']');
}

static raas_rc write_result(struct raas_buf *b, const struct raas_ledger *l, const struct eval *e,
                            const struct result *r)
{
	const struct raas_contract *c = e->newest->c;
	int tz = c->tz_offset_min;
	char num[RAAS_DEC_FORMAT_MAX];
	raas_rc rc = RAAS_OK;

	if (raas_buf_puts(b, "{\"id\":") || raas_json_write_string(b, r->id, r->id_len) ||
	    raas_buf_puts(b, ",\"name\":") ||
	    raas_json_write_string(b, c->results[r->def].name, strlen(c->results[r->def].name)) ||
	    raas_buf_printf(b, ",\"status\":\"%s\",\"late\":%s,\"achieved_at\":",
	                    raas_result_status_name((enum raas_result_status)r->status),
	                    r->late ? "true" : "false") ||
	    write_time(b, r->achieved_us, tz) || raas_buf_puts(b, ",\"confirmed_at\":") ||
	    write_time(b, r->confirmed_us, tz) || raas_buf_puts(b, ",\"value\":"))
		return RAAS_E_NOMEM;
	if (r->has_value && r->status != RAAS_RESULT_INVALID) {
		size_t n = raas_dec_format(r->value, num);
		rc = raas_buf_putc(b, '"');
		rc = rc ? rc : raas_buf_append(b, num, n);
		rc = rc ? rc : raas_buf_putc(b, '"');
	} else
		rc = raas_buf_puts(b, "null");
	if (rc || raas_buf_puts(b, ",\"reason\":"))
		return RAAS_E_NOMEM;
	if (r->reason)
		rc = raas_json_write_string(b, r->reason, strlen(r->reason));
	else
		rc = raas_buf_puts(b, "null");
	if (rc || raas_buf_puts(b, ",\"events\":{\"achieved\":") || write_ids(b, l, e, r, 0) ||
	    raas_buf_puts(b, ",\"reversed\":") || write_ids(b, l, e, r, 1) ||
	    raas_buf_puts(b, ",\"attributed\":") || write_ids(b, l, e, r, 2) ||
	    raas_buf_puts(b, ",\"ignored\":") || write_ids(b, l, e, r, 3) ||
	    raas_buf_puts(b, "}}\n"))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

raas_rc raas_ledger_result_at(struct raas_ledger *l, const char *id, int64_t now,
                              struct raas_result_info *out, struct raas_err *err)
{
	const struct eval *e;
	const struct result *r;
	struct raas_period p;
	raas_rc rc;

	if ((rc = ledger_eval(l, (struct view){.cutoff = now, .inclusive = true}, &e, err)))
		return rc;
	if (index_ids((struct eval *)e)) /* (the index is a cache of e's final results) */
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	if (!e->newest || !(r = find_result(e, id, strlen(id))))
		return raas_err_set(err, RAAS_E_INPUT, id, "no such result at this clock");
	out->status = (enum raas_result_status)r->status;
	out->confirmed_us = r->confirmed_us;
	out->lock_us = out->dispute_until_us = NO_TIME;
	if (r->confirmed_us != NO_TIME) {
		if ((rc = raas_ledger_period(l, r->confirmed_us, now, &p, err)))
			return rc;
		out->lock_us = p.lock_us;
		out->dispute_until_us = time_add(p.lock_us, e->newest->c->dispute_within_us);
	}
	return RAAS_OK;
}

raas_rc raas_ledger_results(struct raas_ledger *l, int64_t now,
                            const struct raas_results_filter *filter, struct raas_buf *out,
                            struct raas_err *err)
{
	const struct eval *e;
	int64_t want = 0;
	raas_rc rc;

	if ((rc = ledger_eval(l, (struct view){.cutoff = now, .inclusive = true}, &e, err)))
		return rc;
	if (!e->newest)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "contract %s was not applied yet at this clock", l->id);
	if (filter && filter->by_period) {
		if (filter->period_instant < e->newest->c->start_us)
			return raas_err_set(err, RAAS_E_INPUT, "--period",
			                    "before the contract's start");
		want = ledger_period_start(e->newest->c, ledger_term_end(e),
		                           filter->period_instant);
	}
	for (size_t i = 0; i < e->n; i++) {
		struct result r = e->results[i];
		if (filter && filter->by_status && r.status != filter->status)
			continue;
		if (filter && filter->by_period &&
		    (r.confirmed_us == NO_TIME ||
		     ledger_period_start(e->newest->c, ledger_term_end(e), r.confirmed_us) != want))
			continue;
		if ((rc = is_late(l, e, &r, &r.late, err)))
			return rc;
		/* is_late may have grown l->evals; e itself stays where it is. */
		if ((rc = write_result(out, l, e, &r)))
			return raas_err_set(err, rc, NULL, "the listing does not fit in memory");
	}
	return RAAS_OK;
}
