// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of dhp's pure logic, built and run on the host: the IRQ
 * spread (dhp_spread.h), memory event merging, the high-memory hysteresis
 * and the synchronous protocol's step rule (dhp_logic.h). The headers are
 * the ones dhp.ko compiles. The cases are ../logic_cases.h, shared with the
 * KUnit suite (../dhp_kunit.c); this file maps their macros onto the
 * kselftest harness, one TEST per case.
 */
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#define __percpu	/* a sparse address space, nothing to the host */

#include "kselftest_harness.h"
#include "include/dhp.h"
#include "dhp_logic.h"
#include "dhp_spread.h"

#define LC_CASE(name)			TEST(name)
#define LC_EXPECT_EQ(want, got)		EXPECT_EQ(want, got)
#define LC_EXPECT_TRUE(cond)		EXPECT_TRUE(cond)
#define LC_EXPECT_FALSE(cond)		EXPECT_FALSE(cond)
#define LC_ASSERT_EQ(want, got)		ASSERT_EQ(want, got)
#define LC_ASSERT_TRUE(cond)		ASSERT_TRUE(cond)
#define LC_ASSERT_MSG(cond, fmt, ...) do {				\
	bool lc_ok_ = (cond);						\
									\
	if (!lc_ok_)							\
		TH_LOG("%s: " fmt, #cond, ##__VA_ARGS__);		\
	ASSERT_TRUE(lc_ok_);						\
} while (0)

#include "../logic_cases.h"

/*
 * The KUnit suite runs the cases of LC_ALL_CASES: each must be a TEST here
 * (else this does not compile) and each TEST but this one must be listed.
 */
TEST(all_cases_listed)
{
#define LC_ENTRY(case_)	case_
#define LC_END		NULL
	static void (*const listed[])(struct __test_metadata *) = LC_ALL_CASES;
	const struct __test_metadata *t;
	unsigned int tests = 0;

	for (t = _metadata->fixture->tests; t; t = t->next)
		tests++;
	ASSERT_EQ(ARRAY_SIZE(listed) - 1, tests - 1);
}

TEST_HARNESS_MAIN
