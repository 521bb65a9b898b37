/* Unit tests for the model catalog: loading, order and lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/catalog.h"

static const char *const item_order[18] = {
	"achievement_orientation", "resilience",           "oral_communication_listening",
	"written_communication",   "interpersonal_skills", "execution",
	"emotional_control",       "coordination",         "general_knowledge",
	"professional_knowledge",  "job_knowledge",        "job_skills",
	"information_gathering",   "needs_analysis",       "tailored_solutions",
	"proactive_selling",       "customer_retention",   "customer_relationship",
};

static void test_default_items_in_model_order(void **state)
{
	(void)state;
	const struct catalog *c = catalog_default();
	assert_non_null(c);
	assert_ptr_equal(catalog_default(), c); /* loaded once */
	assert_int_equal(catalog_item_count(c), 18);
	size_t exam = 0;
	for (size_t i = 0; i < 18; i++) {
		const struct catalog_item *it = catalog_item_at(c, i);
		assert_non_null(it);
		assert_string_equal(it->code, item_order[i]);
		assert_int_equal(it->position, i);
		assert_non_null(it->category);
		if (it->assessment == CATALOG_ASSESS_EXAM) {
			exam++;
			assert_true(it->subtopic_count >= 3);
			assert_string_equal(it->category->code, "professional");
		} else {
			assert_int_equal(it->subtopic_count, 0);
		}
	}
	assert_int_equal(exam, 4);
	assert_null(catalog_item_at(c, 18));
	assert_string_equal(catalog_item_at(c, 0)->category->code, "basic");
	assert_string_equal(catalog_item_at(c, 17)->category->code, "functional");
	assert_string_equal(catalog_item_at(c, 8)->name_zh, "通用基础知识");
	assert_string_equal(catalog_assessment_code(catalog_item_at(c, 8)->assessment), "exam");
	assert_string_equal(catalog_assessment_code(catalog_item_at(c, 0)->assessment), "behaviour");

	assert_int_equal(catalog_category_count(c), 3);
	assert_string_equal(catalog_category_at(c, 1)->code, "professional");
	assert_ptr_equal(catalog_category_find(c, "职能行为能力"), catalog_category_at(c, 2));
}

static void test_subtopics(void **state)
{
	(void)state;
	const struct catalog *c = catalog_default();
	assert_int_equal(catalog_subtopic_count(c), 14);
	static const size_t per_item[4] = {4, 4, 3, 3};
	size_t seen = 0;
	for (size_t e = 0; e < 4; e++) {
		const struct catalog_item *it = catalog_item_at(c, 8 + e);
		assert_int_equal(it->subtopic_count, per_item[e]);
		for (size_t k = 0; k < it->subtopic_count; k++) {
			const struct catalog_subtopic *st = catalog_item_subtopic(c, it, k);
			assert_non_null(st);
			assert_ptr_equal(st->item, it);
			assert_int_equal(st->position, k);
			assert_int_equal(st->index, seen);
			assert_ptr_equal(catalog_subtopic_at(c, seen), st);
			seen++;
		}
		assert_null(catalog_item_subtopic(c, it, it->subtopic_count));
	}
	assert_int_equal(seen, 14);
	assert_null(catalog_item_subtopic(c, catalog_item_at(c, 0), 0));
	const struct catalog_subtopic *first = catalog_subtopic_at(c, 0);
	assert_string_equal(first->code, "telecom_industry_overview");
	assert_string_equal(first->name_zh, "电信行业概况");
	assert_string_equal(catalog_subtopic_at(c, 13)->code, "business_english");
}

static void test_lookups(void **state)
{
	(void)state;
	const struct catalog *c = catalog_default();
	const struct catalog_item *gk = catalog_item_find(c, "general_knowledge");
	assert_non_null(gk);
	assert_ptr_equal(catalog_item_find(c, "通用基础知识"), gk);
	assert_ptr_equal(catalog_item_find(c, "  通用基础知识\t"), gk);
	assert_ptr_equal(catalog_item_find(c, "\xE3\x80\x80通用基础知识\xC2\xA0"), gk); /* U+3000, U+00A0 */
	assert_ptr_equal(catalog_item_find(c, "General_Knowledge"), gk);
	assert_null(catalog_item_find(c, "general knowledge"));
	assert_null(catalog_item_find(c, "通用基础"));
	assert_null(catalog_item_find(c, ""));
	assert_null(catalog_item_find(c, NULL));
	assert_ptr_equal(catalog_item_find(c, "成就导向"), catalog_item_at(c, 0));

	const struct catalog_subtopic *laws = catalog_subtopic_find(c, gk, "laws_and_regulations");
	assert_non_null(laws);
	assert_ptr_equal(catalog_subtopic_find(c, gk, " 法律法规 "), laws);
	assert_ptr_equal(catalog_subtopic_find_any(c, "法律法规"), laws);
	/* a subtopic of another item is rejected */
	const struct catalog_item *pk = catalog_item_find(c, "professional_knowledge");
	assert_null(catalog_subtopic_find(c, pk, "laws_and_regulations"));
	assert_null(catalog_subtopic_find(c, pk, "法律法规"));
	assert_non_null(catalog_subtopic_find(c, pk, "市场营销专业知识"));
	assert_null(catalog_subtopic_find(c, gk, "nonsense"));
	assert_null(catalog_subtopic_find(c, NULL, "laws_and_regulations"));

	static const char *const levels[4][2] = {
		{"junior", "初级"}, {"intermediate", "中级"}, {"senior", "高级"}, {"expert", "资深"}};
	assert_int_equal(catalog_level_count(c), 4);
	for (int i = 0; i < 4; i++) {
		const struct catalog_level *lv = catalog_level_find(c, levels[i][0]);
		assert_non_null(lv);
		assert_int_equal(lv->rank, i);
		assert_ptr_equal(catalog_level_find(c, levels[i][1]), lv);
		assert_ptr_equal(catalog_level_at(c, (size_t)i), lv);
		assert_string_equal(lv->name_zh, levels[i][1]);
	}
	assert_null(catalog_level_find(c, "master"));
	assert_null(catalog_level_at(c, 4));

	static const char *const types[4][2] = {
		{"single", "单选"}, {"multiple", "多选"}, {"truefalse", "判断"}, {"fill", "填空"}};
	for (int i = 0; i < 4; i++) {
		enum catalog_qtype t = CATALOG_QTYPE_FILL, u = CATALOG_QTYPE_SINGLE;
		assert_true(catalog_qtype_find(types[i][0], &t));
		assert_true(catalog_qtype_find(types[i][1], &u));
		assert_int_equal(t, i);
		assert_int_equal(u, i);
		assert_string_equal(catalog_qtype_code(t), types[i][0]);
		assert_string_equal(catalog_qtype_name_zh(t), types[i][1]);
	}
	enum catalog_qtype t;
	assert_false(catalog_qtype_find("essay", &t));
	assert_false(catalog_qtype_find("", &t));
	assert_true(catalog_qtype_find(" Single ", &t));
	assert_int_equal(t, CATALOG_QTYPE_SINGLE);
}

static void test_trim(void **state)
{
	(void)state;
	size_t n;
	const char *s = " \t\xE3\x80\x80x y\xEF\xBB\xBF\r\n";
	const char *t = catalog_trim(s, strlen(s), &n);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "x y", 3);
	t = catalog_trim("   ", 3, &n);
	assert_int_equal(n, 0);
	/* an invalid byte is content */
	t = catalog_trim(" \xFF ", 3, &n);
	assert_int_equal(n, 1);
	assert_int_equal((unsigned char)*t, 0xFF);
}

static void test_load_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"[]",
		"{\"categories\":[],\"levels\":[],\"items\":[]}",
		"{\"categories\":[{\"code\":\"c\",\"name_zh\":\"甲\"}],"
		"\"levels\":[{\"code\":\"l\",\"name_zh\":\"乙\"}],"
		"\"items\":[{\"code\":\"i\",\"name_zh\":\"丙\",\"category\":\"nope\",\"assessment\":\"exam\"}]}",
		"{\"categories\":[{\"code\":\"c\",\"name_zh\":\"甲\"}],"
		"\"levels\":[{\"code\":\"l\",\"name_zh\":\"乙\"}],"
		"\"items\":[{\"code\":\"i\",\"name_zh\":\"丙\",\"category\":\"c\",\"assessment\":\"exam\"}]}",
		"{\"categories\":[{\"code\":\"c\",\"name_zh\":\"甲\"}],"
		"\"levels\":[{\"code\":\"l\",\"name_zh\":\"乙\"}],"
		"\"items\":[{\"code\":\"i\",\"name_zh\":\"丙\",\"category\":\"c\",\"assessment\":\"exam\","
		"\"subtopics\":[{\"code\":\"s\",\"name_zh\":\"丁\"},{\"code\":\"s\",\"name_zh\":\"戊\"}]}]}",
		"{\"categories\":[{\"code\":\" c\",\"name_zh\":\"甲\"}],\"levels\":[],\"items\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct catalog *c = (struct catalog *)1;
		char err[256];
		assert_false(catalog_load(bad[i], strlen(bad[i]), &c, err, sizeof err));
		assert_null(c);
		assert_true(strlen(err) > 0);
	}
	const char *good = "{\"categories\":[{\"code\":\"c\",\"name_zh\":\"甲\"}],"
			   "\"levels\":[{\"code\":\"l\",\"name_zh\":\"乙\"}],"
			   "\"items\":[{\"code\":\"i\",\"name_zh\":\"丙\",\"category\":\"c\","
			   "\"assessment\":\"exam\",\"subtopics\":[{\"code\":\"s\",\"name_zh\":\"丁\"}]},"
			   "{\"code\":\"j\",\"name_zh\":\"己\",\"category\":\"甲\",\"assessment\":\"behaviour\"}]}";
	struct catalog *c = NULL;
	char err[256];
	assert_true(catalog_load(good, strlen(good), &c, err, sizeof err));
	assert_int_equal(catalog_item_count(c), 2);
	assert_int_equal(catalog_subtopic_count(c), 1);
	assert_ptr_equal(catalog_subtopic_find(c, catalog_item_find(c, "丙"), "丁"), catalog_subtopic_at(c, 0));
	catalog_free(c);
	catalog_free(NULL);
}

static void test_load_from_repo_file(void **state)
{
	(void)state;
	FILE *f = fopen(EXAMD_SOURCE_DIR "/model/competency-model.json", "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	struct catalog *c = NULL;
	char err[256];
	assert_true(catalog_load(buf, n, &c, err, sizeof err));
	assert_int_equal(catalog_item_count(c), 18);
	assert_int_equal(catalog_subtopic_count(c), 14);
	catalog_free(c);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_items_in_model_order),
		cmocka_unit_test(test_subtopics),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_from_repo_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
