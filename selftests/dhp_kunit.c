// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_kunit: the unit tests of dhp's pure logic as the KUnit suite
 * "dhp_logic", run when the module loads: the IRQ spread (dhp_spread.h),
 * memory event merging, the high-memory hysteresis and the synchronous
 * protocol's step rule (dhp_logic.h), compiled here as dhp.ko compiles
 * them. The cases are logic_cases.h, shared with the host program
 * unit/logic_test.c; this file maps their macros onto KUnit. Built only for
 * kernels with KUnit (Kbuild); selftests/dhp_kunit.sh runs it in a guest
 * and prints the results as plain KTAP.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/types.h>

#include "dhp.h"
#include "../dhp_logic.h"
#include "../dhp_spread.h"

#define LC_CASE(name)			static void lc_##name(struct kunit *test)
#define LC_EXPECT_EQ(want, got)		KUNIT_EXPECT_EQ(test, want, got)
#define LC_EXPECT_TRUE(cond)		KUNIT_EXPECT_TRUE(test, cond)
#define LC_EXPECT_FALSE(cond)		KUNIT_EXPECT_FALSE(test, cond)
#define LC_ASSERT_EQ(want, got)		KUNIT_ASSERT_EQ(test, want, got)
#define LC_ASSERT_TRUE(cond)		KUNIT_ASSERT_TRUE(test, cond)
#define LC_ASSERT_MSG(cond, fmt, ...) \
	KUNIT_ASSERT_TRUE_MSG(test, cond, fmt, ##__VA_ARGS__)

#include "logic_cases.h"

#define LC_ENTRY(case_)		{ .run_case = lc_##case_, .name = #case_ }
#define LC_END			{}

/* A case defined but not listed is an unused function: a build warning. */
static struct kunit_case dhp_logic_cases[] = LC_ALL_CASES;

static struct kunit_suite dhp_logic_suite = {
	.name = "dhp_logic",
	.test_cases = dhp_logic_cases,
};

kunit_test_suite(dhp_logic_suite);

MODULE_DESCRIPTION("KUnit tests of dhp's pure logic");
MODULE_LICENSE("GPL");
