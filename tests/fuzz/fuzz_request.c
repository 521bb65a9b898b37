/* libFuzzer target for the request-side input decoding of the handlers: the
 * request target (URI parse, path decode, query string, route match, path
 * parameters) and the JSON/CSV body decoders; built and run by tests/fuzz/run.sh.
 *
 * Input layout: byte 0 picks the decoder by (byte % 6); the ASCII digits
 * '0'..'5' map to 0..5, which is what the seeds in corpus-request/ use.
 *   '0' request target: byte 1 picks the method, (byte - '0') mod 9 over
 *       GET HEAD POST PUT DELETE OPTIONS TRACE CONNECT PATCH ('0'..'8');
 *       bytes 2.. are the request target "path[?query][#fragment]" (cut at
 *       a NUL). It is split by head_split_target as http/request.c does.
 *       Then, as api_dispatch does:
 *       evhttp_uridecode(path) (refused if empty or holding a %00),
 *       evhttp_parse_query_str(query), router_match over a copy of api_routes,
 *       and the parameter/query checks the matched handler starts with.
 *   '1' blueprint_parse, exam professional_knowledge / senior  } bytes 1.. are
 *   '2' modelver_parse                                         } the body, read
 *   '5' attempt_score_json                                     } by json_loadb
 *       (JSON_REJECT_DUPLICATES); like api_json_body, only an object reaches
 *       blueprint_parse and modelver_parse.
 *   '3' ratings_parse_json, '4' ratings_parse_csv: bytes 1.. are the raw body.
 *   '6' http/headcheck.c: bytes 1.. as a client sends them (header block, then anything).
 * Bodies are exact-size heap copies, so a read past the end hits ASan.
 *
 * Besides the sanitizers, the target traps on broken contracts of the
 * headers and of what the API layer builds from the results: router status
 * vs. index and params, a status without a message, a message the error reply
 * cannot carry (json_pack refuses invalid UTF-8, turning a 400 into a 503), a
 * result that cannot be turned into JSON, rating rows that break the row rules. */
#include <sys/queue.h> /* TAILQ_*, before libevent's fallback definitions */

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "domain/attempt.h"
#include "domain/blueprint.h"
#include "domain/catalog.h"
#include "domain/modelver.h"
#include "domain/ratings.h"
#include "http/headcheck.h"
#include "http/request.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void drive_head(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                                 \
	do {                                                                                                        \
		if (!(cond)) {                                                                                      \
			fprintf(stderr, "fuzz_request: contract broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                    \
		}                                                                                                   \
	} while (0)

/* How the handler of a route reads its path parameters. */
enum param_kind {
	P_NONE,
	P_TEXT,       /* a username: passed to SQL as text */
	P_ID,         /* util_parse_long 1..9e18 on each parameter */
	P_VERSION,    /* util_parse_long 1..1e9 */
	P_ITEM_LEVEL, /* catalog_item_find, catalog_level_find */
};

/* The (method, pattern) list of api_routes in service/api/routes.c, in its
 * order (the first match wins), with how each handler reads its parameters.
 * Keep in sync: run.sh warns when the two lists differ. */
static const struct {
	const char *method;
	const char *pattern;
	enum param_kind params;
} route_list[] = {
	{"GET", "/healthz", P_NONE},
	{"GET", "/readyz", P_NONE},
	{"GET", "/metrics", P_NONE},
	{"POST", "/api/v1/login", P_NONE},
	{"POST", "/api/v1/logout", P_NONE},
	{"GET", "/api/v1/me", P_NONE},
	{"POST", "/api/v1/users", P_NONE},
	{"GET", "/api/v1/users", P_NONE},
	{"PATCH", "/api/v1/users/{username}", P_TEXT},
	{"POST", "/api/v1/banks", P_NONE},
	{"GET", "/api/v1/banks/lint", P_NONE},
	{"GET", "/api/v1/questions", P_NONE},
	{"DELETE", "/api/v1/questions/{id}", P_ID},
	{"GET", "/api/v1/questions/{id}/impact", P_ID},
	{"POST", "/api/v1/questions/{id}/activate", P_ID},
	{"GET", "/api/v1/blueprints", P_NONE},
	{"GET", "/api/v1/blueprints/{item}/{level}", P_ITEM_LEVEL},
	{"PUT", "/api/v1/blueprints/{item}/{level}", P_ITEM_LEVEL},
	{"GET", "/api/v1/blueprints/{item}/{level}/stats", P_ITEM_LEVEL},
	{"GET", "/api/v1/blueprints/{item}/{level}/results", P_ITEM_LEVEL},
	{"GET", "/api/v1/questions/{id}/stats", P_ID},
	{"GET", "/api/v1/exams", P_NONE},
	{"POST", "/api/v1/attempts", P_NONE},
	{"GET", "/api/v1/attempts", P_NONE},
	{"GET", "/api/v1/attempts/{id}", P_ID},
	{"PUT", "/api/v1/attempts/{id}/answers/{question_id}", P_ID},
	{"POST", "/api/v1/attempts/{id}/submit", P_ID},
	{"POST", "/api/v1/attempts/{id}/close", P_ID},
	{"POST", "/api/v1/attempts/{id}/void", P_ID},
	{"POST", "/api/v1/sessions", P_NONE},
	{"GET", "/api/v1/sessions", P_NONE},
	{"GET", "/api/v1/sessions/{id}", P_ID},
	{"GET", "/api/v1/sessions/{id}/roster", P_ID},
	{"GET", "/api/v1/sessions/{id}/overrides", P_ID},
	{"POST", "/api/v1/sessions/{id}/overrides", P_ID},
	{"POST", "/api/v1/sessions/{id}/attempts", P_ID},
	{"GET", "/api/v1/employees/{username}/profile", P_TEXT},
	{"GET", "/api/v1/employees/{username}/profile.svg", P_TEXT},
	{"GET", "/api/v1/employees/{username}/report.pdf", P_TEXT},
	{"GET", "/api/v1/employees/{username}/trends", P_TEXT},
	{"GET", "/api/v1/departments/{department}/trends", P_TEXT},
	{"GET", "/api/v1/departments/{department}/report.pdf", P_TEXT},
	{"GET", "/api/v1/profiles", P_NONE},
	{"GET", "/api/v1/profiles/gaps", P_NONE},
	{"GET", "/api/v1/profiles/readiness", P_NONE},
	{"GET", "/api/v1/profiles/summary", P_NONE},
	{"GET", "/api/v1/raters/quality", P_NONE},
	{"POST", "/api/v1/behaviour-ratings", P_NONE},
	{"POST", "/api/v1/model/versions", P_NONE},
	{"GET", "/api/v1/audit", P_NONE},
	{"GET", "/api/v1/model", P_NONE},
	{"GET", "/api/v1/model/versions", P_NONE},
	{"GET", "/api/v1/model/versions/{n}", P_VERSION},
};
#define NROUTES ((int)(sizeof route_list / sizeof route_list[0]))

/* The table router_match reads, filled from route_list (no handlers, no roles). */
static struct route routes[NROUTES];

/* The methods evhttp knows (enum evhttp_cmd_type). */
static const char *const methods[9] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};

static const struct catalog *cat;
static const struct catalog_item *exam_item;
static const struct catalog_level *exam_level;

/* True when s can go into a JSON reply: jansson refuses invalid UTF-8. */
static bool json_text_ok(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
}

/* An error message for req_reply_error: non-empty, terminated, valid UTF-8. */
static void check_message(const char *msg, size_t cap)
{
	CHECK(memchr(msg, '\0', cap) != NULL);
	CHECK(msg[0] != '\0');
	CHECK(json_text_ok(msg));
}

static size_t pattern_params(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; *p; p++)
		n += *p == '{';
	return n;
}

/* ------------------------------------------------------------ request target */

static void check_query(const char *qs)
{
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(qs, &q) == 0) {
		struct evkeyval *kv;
		TAILQ_FOREACH(kv, &q, next)
		{
			CHECK(kv->key && kv->value);
			(void)strlen(kv->key);
			(void)strlen(kv->value);
		}
		/* The lookups the list handlers make on their filters. */
		const char *v;
		long n;
		if ((v = evhttp_find_header(&q, "item")))
			(void)catalog_item_find(cat, v);
		if ((v = evhttp_find_header(&q, "level")))
			(void)catalog_level_find(cat, v);
		if ((v = evhttp_find_header(&q, "subtopic")))
			(void)catalog_subtopic_find_any(cat, v);
		if ((v = evhttp_find_header(&q, "limit")))
			(void)util_parse_long(v, 1, 1000, &n);
		if ((v = evhttp_find_header(&q, "grade")))
			(void)util_parse_long(v, 1, 4, &n);
	}
	evhttp_clear_headers(&q);
}

static void check_route(const char *method, const char *path)
{
	struct req r;
	memset(&r, 0, sizeof r);
	int index = 12345;
	enum router_match m = router_match(routes, NROUTES, method, path, r.params, &r.nparams, &index);
	if (m != ROUTER_FOUND) {
		CHECK(m == ROUTER_NOT_FOUND || m == ROUTER_BAD_METHOD);
		CHECK(index == -1);
		CHECK(r.nparams == 0);
		for (int i = 0; i < REQ_MAX_PARAMS; i++)
			CHECK(r.params[i] == NULL);
		return;
	}
	CHECK(index >= 0 && index < NROUTES);
	const struct route *rt = &routes[index];
	CHECK(!strcmp(rt->method, method) || (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET")));
	CHECK(r.nparams >= 0 && r.nparams <= REQ_MAX_PARAMS);
	CHECK((size_t)r.nparams == pattern_params(rt->pattern));
	for (int i = 0; i < REQ_MAX_PARAMS; i++) {
		if (i >= r.nparams) {
			CHECK(r.params[i] == NULL);
			continue;
		}
		CHECK(r.params[i] != NULL); /* NULL only when strndup ran out of memory */
		CHECK(r.params[i][0] != '\0');
		CHECK(strchr(r.params[i], '/') == NULL);
	}
	long n;
	switch (route_list[index].params) {
	case P_NONE:
	case P_TEXT:
		break;
	case P_ID:
		for (int i = 0; i < r.nparams; i++)
			if (util_parse_long(r.params[i], 1, 9000000000000000000L, &n))
				CHECK(n >= 1);
		break;
	case P_VERSION:
		if (util_parse_long(r.params[0], 1, 1000000000, &n))
			CHECK(n >= 1 && n <= 1000000000);
		break;
	case P_ITEM_LEVEL:
		(void)catalog_item_find(cat, r.params[0]);
		(void)catalog_level_find(cat, r.params[1]);
		break;
	}
	for (int i = 0; i < REQ_MAX_PARAMS; i++)
		free(r.params[i]);
}

/* What api_dispatch does with the path and query of the request URI. */
static void dispatch(const char *method, const char *raw_path, const char *qs)
{
	if (raw_path) {
		size_t len = 0;
		char *path = evhttp_uridecode(raw_path, 0, &len);
		if (path && strlen(path) == len && len)
			check_route(method, path);
		free(path);
	}
	if (qs)
		check_query(qs);
}

static void drive_target(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	const char *method = methods[(uint8_t)(data[0] - '0') % 9];
	size_t len = size - 1;
	char *target = malloc(len + 1);
	if (!target)
		return;
	memcpy(target, data + 1, len);
	target[len] = '\0';

	const char *path, *query;
	head_split_target(target, &path, &query);
	CHECK(path != NULL);
	dispatch(method, path, query);
	free(target);
}

/* ------------------------------------------------------------ JSON bodies */

static void drive_blueprint(json_t *body)
{
	struct blueprint bp;
	char msg[256];
	msg[0] = '\0';
	enum blueprint_status st = blueprint_parse(cat, exam_item, exam_level, body, &bp, msg, sizeof msg);
	if (st != BLUEPRINT_OK) {
		CHECK(st == BLUEPRINT_BAD_FIELD || st == BLUEPRINT_INVALID);
		check_message(msg, sizeof msg);
		return;
	}
	CHECK(bp.item == exam_item && bp.level == exam_level);
	CHECK(bp.ndraws >= 1 && bp.ndraws <= BLUEPRINT_MAX_DRAWS);
	CHECK(bp.time_limit_seconds >= BLUEPRINT_MIN_SECONDS && bp.time_limit_seconds <= BLUEPRINT_MAX_SECONDS);
	CHECK(bp.max_attempts >= 1 && bp.max_attempts <= BLUEPRINT_MAX_ATTEMPTS);
	CHECK(blueprint_grading_valid(bp.grading));
	for (size_t i = 0; i < bp.ndraws; i++) {
		const struct blueprint_draw *d = &bp.draws[i];
		CHECK(d->subtopic && d->level);
		CHECK(d->subtopic->item == exam_item);
		CHECK(d->level->rank <= exam_level->rank);
		CHECK(d->count >= 1 && d->count <= BLUEPRINT_MAX_COUNT);
	}
	json_t *draws = blueprint_draws_json(&bp);
	CHECK(draws != NULL && json_array_size(draws) == bp.ndraws);
	char *text = json_dumps(draws, JSON_COMPACT);
	CHECK(text != NULL);
	free(text);
	json_decref(draws);
}

static void drive_modelver(json_t *body)
{
	json_t sentinel, *out = &sentinel; /* must be reset */
	char msg[256];
	enum modelver_status st = modelver_parse(cat, body, &out, msg, sizeof msg);
	if (st != MODELVER_OK) {
		CHECK(st == MODELVER_BAD_FIELD || st == MODELVER_INVALID);
		CHECK(out == NULL);
		check_message(msg, sizeof msg);
		return;
	}
	CHECK(json_is_object(out));
	CHECK(json_is_string(json_object_get(out, "note")));
	CHECK(json_is_array(json_object_get(out, "required_levels")));
	CHECK(json_is_array(json_object_get(out, "subtopic_weights")));
	json_t *bands = json_object_get(out, "exam_bands");
	CHECK(!bands || json_array_size(bands) == MODELVER_BAND_COUNT);
	char *text = json_dumps(out, JSON_COMPACT);
	CHECK(text != NULL);
	free(text);
	json_decref(out);
}

static void drive_attempt(json_t *input)
{
	json_t sentinel, *out = &sentinel;
	char err[256];
	err[0] = '\0';
	enum score_status st = attempt_score_json(input, &out, err, sizeof err);
	if (st != SCORE_OK) {
		CHECK(out == NULL);
		CHECK(err[0] != '\0' || st == SCORE_ERR_NOMEM);
		return;
	}
	CHECK(json_is_object(out));
	CHECK(json_is_string(json_object_get(out, "standard_score")));
	json_int_t rounded = json_integer_value(json_object_get(out, "rounded"));
	CHECK(rounded >= 0 && rounded <= 100);
	json_int_t band = json_integer_value(json_object_get(out, "band"));
	CHECK(band >= SCORE_BAND_MIN && band <= SCORE_BAND_MAX);
	CHECK(json_is_array(json_object_get(out, "subtopic_scores")));
	CHECK(json_is_object(json_object_get(out, "question_scores")));
	char *text = json_dumps(out, JSON_COMPACT);
	CHECK(text != NULL);
	free(text);
	json_decref(out);
}

/* ------------------------------------------------------------ rating imports */

static void check_ratings(const struct rating_batch *b, enum ratings_status st)
{
	if (st == RATINGS_NOMEM)
		return; /* partial results by design */
	CHECK(st == RATINGS_OK || st == RATINGS_INVALID);
	CHECK((st == RATINGS_OK) == (b->error_total == 0));
	CHECK(b->error_count <= b->error_total);
	CHECK(b->error_count <= RATINGS_MAX_ERRORS);
	CHECK(b->count <= RATINGS_MAX_ROWS);
	CHECK(b->rows_rejected <= b->rows_seen);
	CHECK(b->count + b->rows_rejected == b->rows_seen); /* every row read is kept or rejected */
	for (size_t i = 0; i < b->error_count; i++) {
		CHECK(b->errors[i].column && b->errors[i].message);
		CHECK(b->errors[i].message[0] != '\0');
	}
	for (size_t i = 0; i < b->count; i++) {
		const struct rating_row *r = &b->rows[i];
		CHECK(r->row >= 1);
		CHECK(r->employee && r->employee[0] && strlen(r->employee) <= RATINGS_MAX_EMPLOYEE);
		CHECK(r->item && r->item->assessment == CATALOG_ASSESS_BEHAVIOUR);
		CHECK(r->score >= RATINGS_MIN_SCORE && r->score <= RATINGS_MAX_SCORE);
		CHECK(r->relation && ratings_relation_find(r->relation) &&
		      !strcmp(ratings_relation_find(r->relation), r->relation));
		CHECK(r->period && r->period[0] && strlen(r->period) <= RATINGS_MAX_PERIOD);
		CHECK(!r->rated_at || ratings_timestamp_valid(r->rated_at));
		CHECK(!r->note || strlen(r->note) <= RATINGS_MAX_NOTE);
		CHECK(!r->rater || strlen(r->rater) <= RATINGS_MAX_RATER);
	}
	/* What the handler sends: the rows to the database, or the errors to the client. */
	json_t *j = st == RATINGS_OK ? ratings_rows_json(b, "fuzzer") : ratings_errors_json(b);
	CHECK(j != NULL);
	CHECK(json_array_size(j) == (st == RATINGS_OK ? b->count : b->error_count));
	char *text = json_dumps(j, JSON_COMPACT);
	CHECK(text != NULL);
	free(text);
	json_decref(j);
}

/* ------------------------------------------------------------ entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cat) {
		for (int i = 0; i < NROUTES; i++)
			routes[i] = (struct route){.method = route_list[i].method, .pattern = route_list[i].pattern};
		cat = catalog_default();
		CHECK(cat != NULL);
		exam_item = catalog_item_find(cat, "professional_knowledge");
		exam_level = catalog_level_find(cat, "senior");
		CHECK(exam_item && exam_item->assessment == CATALOG_ASSESS_EXAM && exam_level);
	}
	if (size == 0)
		return 0;
	if (data[0] == '6') {
		drive_head(data + 1, size - 1);
		return 0;
	}
	unsigned which = data[0] % 6u;
	if (which == 0) {
		drive_target(data + 1, size - 1);
		return 0;
	}
	size_t len = size - 1;
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	if (which == 3 || which == 4) {
		struct rating_batch b;
		enum ratings_status st =
			which == 3 ? ratings_parse_json(cat, buf, len, &b) : ratings_parse_csv(cat, buf, len, &b);
		check_ratings(&b, st);
		ratings_free(&b);
		free(buf);
		return 0;
	}
	json_error_t jerr;
	json_t *body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!body)
		return 0;
	switch (which) {
	case 1:
		if (json_is_object(body))
			drive_blueprint(body);
		break;
	case 2:
		if (json_is_object(body))
			drive_modelver(body);
		break;
	default:
		drive_attempt(body);
		break;
	}
	json_decref(body);
	return 0;
}

/* '6': the header-time checks of http/headcheck.c on bytes 1.. as they arrive from a client. */
static void drive_head(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	size_t blen = head_block_length(buf, size, NULL);
	CHECK(blen <= size);
	if (blen) {
		CHECK(buf[blen - 1] == '\n');
		struct head h;
		enum head_verdict v = head_check(buf, blen, "X-Examd-Refused", &h);
		if (v == HEAD_OK) {
			CHECK(h.target_off + h.target_len <= blen);
			CHECK(h.path_len <= h.target_len && h.target_len > 0);
			CHECK(h.method[0] != '\0');
			CHECK(h.content_length >= -1);
			CHECK(!h.chunked);
		} else {
			CHECK(h.status >= 400 && h.status < 600 && h.status != 500);
			CHECK(h.code && h.message && *h.code && *h.message);
		}
	}
	free(buf);
}
