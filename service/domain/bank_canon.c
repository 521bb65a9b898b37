/* Canonical forms of a question: answer letters, its JSON, and the content hash that versions it. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/bank_parse.h"

/* ---- canonical forms ---- */

void bank_answer_letters(unsigned mask, char out[BANK_MAX_OPTIONS + 1])
{
	size_t n = 0;
	for (int i = 0; i < BANK_MAX_OPTIONS; i++)
		if (mask & (1u << i))
			out[n++] = (char)('A' + i);
	out[n] = '\0';
}

json_t *bank_answer_to_json(const struct bank_question *q)
{
	char letters[BANK_MAX_OPTIONS + 1];
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
		bank_answer_letters(q->answer_mask, letters);
		return json_string(letters);
	case CATALOG_QTYPE_MULTIPLE: {
		json_t *a = json_array();
		bank_answer_letters(q->answer_mask, letters);
		for (size_t i = 0; a && letters[i]; i++) {
			char one[2] = {letters[i], '\0'};
			if (json_array_append_new(a, json_string(one)) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		return json_boolean(q->answer_bool);
	case CATALOG_QTYPE_FILL: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < q->fill_count; i++) {
			if (json_array_append_new(a, json_string(q->fill_answers[i])) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	}
	return NULL;
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bank_question_to_json(const struct bank_question *q)
{
	if (!q || !q->item || !q->subtopic || !q->level)
		return NULL;
	json_t *options = json_array();
	for (size_t i = 0; options && i < q->option_count; i++) {
		if (json_array_append_new(options, json_string(q->options[i])) != 0) {
			json_decref(options);
			options = NULL;
		}
	}
	json_t *points = q->points_centi % 100 == 0 ? json_integer(q->points_centi / 100)
						    : json_real((double)q->points_centi / 100.0);
	json_t *answer = bank_answer_to_json(q);
	json_t *stem = json_string(q->stem);
	if (!options || !points || !answer || !stem) {
		json_decref(options);
		json_decref(points);
		json_decref(answer);
		json_decref(stem);
		return NULL;
	}
	/* json_pack's "o" steals the references, also on failure. */
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "item", q->item->code, "subtopic",
			 q->subtopic->code, "level", q->level->code, "type", catalog_qtype_code(q->type), "stem", stem,
			 "options", options, "answer", answer, "points", points, "explanation",
			 string_or_null(q->explanation), "external_id", string_or_null(q->external_id));
}

/* Each value as "<length>:<bytes>\n" so no two different contents can
 * produce the same byte stream. */
static bool hash_put(EVP_MD_CTX *md, const char *tag, const char *s, size_t n)
{
	char head[64];
	int k = snprintf(head, sizeof head, "%s %zu:", tag, n);
	return EVP_DigestUpdate(md, head, (size_t)k) == 1 && EVP_DigestUpdate(md, s, n) == 1 &&
	       EVP_DigestUpdate(md, "\n", 1) == 1;
}

static bool hash_str_field(EVP_MD_CTX *md, const char *tag, const char *s)
{
	return hash_put(md, tag, s ? s : "", s ? strlen(s) : 0);
}

bool bank_question_content_hash(const struct bank_question *q, char out[BANK_HASH_HEX_LEN + 1])
{
	out[0] = '\0';
	if (!q || !q->item || !q->subtopic || !q->level)
		return false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return false;
	bool ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	ok = ok && hash_str_field(md, "v", "examd-question-1");
	ok = ok && hash_str_field(md, "item", q->item->code);
	ok = ok && hash_str_field(md, "subtopic", q->subtopic->code);
	ok = ok && hash_str_field(md, "level", q->level->code);
	ok = ok && hash_str_field(md, "type", catalog_qtype_code(q->type));
	ok = ok && hash_str_field(md, "stem", q->stem);
	char num[32];
	snprintf(num, sizeof num, "%zu", q->option_count);
	ok = ok && hash_str_field(md, "options", num);
	for (size_t i = 0; ok && i < q->option_count; i++)
		ok = hash_str_field(md, "option", q->options[i]);
	switch (q->type) {
	case CATALOG_QTYPE_SINGLE:
	case CATALOG_QTYPE_MULTIPLE: {
		char letters[BANK_MAX_OPTIONS + 1];
		bank_answer_letters(q->answer_mask, letters);
		ok = ok && hash_str_field(md, "answer", letters);
		break;
	}
	case CATALOG_QTYPE_TRUEFALSE:
		ok = ok && hash_str_field(md, "answer", q->answer_bool ? "true" : "false");
		break;
	case CATALOG_QTYPE_FILL:
		snprintf(num, sizeof num, "%zu", q->fill_count);
		ok = ok && hash_str_field(md, "answers", num);
		for (size_t i = 0; ok && i < q->fill_count; i++)
			ok = hash_str_field(md, "answer", q->fill_answers[i]);
		break;
	}
	snprintf(num, sizeof num, "%" PRId64, q->points_centi);
	ok = ok && hash_str_field(md, "points_centi", num);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < dlen; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[2 * dlen] = '\0';
	return true;
}
