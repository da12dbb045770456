// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_kunit: the unit tests of dhp's pure logic as the KUnit suite
 * "dhp_logic", run when the module loads: the IRQ spread (dhp_spread.h),
 * memory event merging, the high-memory hysteresis and the synchronous
 * protocol's step rule (dhp_logic.h), compiled here as dhp.ko compiles
 * them. The cases are logic_cases.h, shared with the host program
 * unit/logic_test.c; this file maps their macros onto KUnit. A second
 * suite, "dhp_wdm", checks what only a kernel compiles: dhp_wdm.h's
 * translations. Built only for
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

#include "dhp_wdm.h"

/*
 * The suite "dhp_wdm", kernel-only: the translations of the Windows
 * porting kit (dhp_wdm.h, which the host cannot compile). The
 * oracle is typed in here: README.md's NTSTATUS table with the values of
 * the WDK's ntstatus.h, and Windows' groups of 64 processors.
 */
static const struct {
	u32 status;
	int err;
	bool back;	/* the first row of its errno: the errno comes back */
} wdm_rows[] = {
	{ 0xC000009A, -ENOMEM, true },		/* INSUFFICIENT_RESOURCES */
	{ 0xC0000017, -ENOMEM, false },		/* NO_MEMORY */
	{ 0xC000000D, -EINVAL, true },		/* INVALID_PARAMETER */
	{ 0xC0000001, -EIO, true },		/* UNSUCCESSFUL */
	{ 0xC00000BB, -EOPNOTSUPP, true },	/* NOT_SUPPORTED */
	{ 0xC0000002, -EOPNOTSUPP, false },	/* NOT_IMPLEMENTED */
	{ 0xC0000120, -ECANCELED, true },	/* CANCELLED */
	{ 0x80000011, -EBUSY, true },		/* DEVICE_BUSY, a warning */
	{ 0xC0000194, -EDEADLK, true },		/* POSSIBLE_DEADLOCK */
	{ 0xC0000225, -ENOENT, true },		/* NOT_FOUND */
	{ 0xC0000034, -ENOENT, false },		/* OBJECT_NAME_NOT_FOUND */
	{ 0xC0000008, -EBADF, true },		/* INVALID_HANDLE */
	{ 0xC000000E, -ENODEV, true },		/* NO_SUCH_DEVICE */
	{ 0xC0000010, -EOPNOTSUPP, false },	/* INVALID_DEVICE_REQUEST */
	{ 0xC0000022, -EACCES, true },		/* ACCESS_DENIED */
	/* success and informational codes are no failure */
	{ 0x00000000, 0, true },		/* SUCCESS */
	{ 0x00000101, 0, false },		/* ALERTED */
	{ 0x00000102, 0, false },		/* TIMEOUT */
	/* any other error or warning */
	{ 0xC0001234, -EIO, false },
	{ 0x80001234, -EIO, false },
};

static void lc_wdm_ntstatus_and_errno(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wdm_rows); i++) {
		KUNIT_ASSERT_EQ_MSG(test, wdm_rows[i].err,
				    dhp_wdm_ntstatus_to_errno((__force NTSTATUS)wdm_rows[i].status),
				    "NTSTATUS %#x", wdm_rows[i].status);
		if (wdm_rows[i].back)
			KUNIT_ASSERT_EQ_MSG(test, wdm_rows[i].status,
					    (__force u32)dhp_wdm_errno_to_ntstatus(wdm_rows[i].err),
					    "errno %d", wdm_rows[i].err);
	}
	/* a wait cut short, either way it is said; and an unknown errno */
	KUNIT_EXPECT_EQ(test, 0x101U, (__force u32)dhp_wdm_errno_to_ntstatus(-EINTR));
	KUNIT_EXPECT_EQ(test, 0x101U,
			(__force u32)dhp_wdm_errno_to_ntstatus(-ERESTARTSYS));
	KUNIT_EXPECT_EQ(test, 0xC0000001U,
			(__force u32)dhp_wdm_errno_to_ntstatus(-EXDEV));
}

static struct dhp_wdm_processor_change_context wdm_seen;
static NTSTATUS wdm_reply;

static void wdm_record(void *context,
		       struct dhp_wdm_processor_change_context *change,
		       NTSTATUS *operation_status)
{
	wdm_seen = *change;
	*operation_status = wdm_reply;
}

/* One dhp step through the processor trampoline; the errno it returns. */
static int wdm_step(unsigned int cpu, enum dhp_cpu_state state, int status,
		    u32 reply)
{
	struct dhp_wdm_processor_callback cb = { .fn = wdm_record };
	struct dhp_cpu_change change = {
		.cpu = cpu, .state = state, .status = status,
	};
	int op = 0;

	memset(&wdm_seen, 0xff, sizeof(wdm_seen));
	wdm_reply = (__force NTSTATUS)reply;
	dhp_wdm_processor_trampoline(&cb, &change, &op);
	return op;
}

static void lc_wdm_processor_trampoline(struct kunit *test)
{
	/* CPU 70 is processor 6 of group 1; AddFailure's status */
	KUNIT_EXPECT_EQ(test, 0, wdm_step(70, DHP_CPU_ADD_FAILURE, -ECANCELED,
					  0));
	KUNIT_EXPECT_EQ(test, 70U, wdm_seen.NtNumber);
	KUNIT_EXPECT_EQ(test, 1, (int)wdm_seen.ProcNumber.Group);
	KUNIT_EXPECT_EQ(test, 6, (int)wdm_seen.ProcNumber.Number);
	KUNIT_EXPECT_EQ(test, (int)DHP_CPU_ADD_FAILURE, (int)wdm_seen.State);
	KUNIT_EXPECT_EQ(test, 0xC0000120U, (__force u32)wdm_seen.Status);
	/* a veto at AddStart is the errno of its NTSTATUS; a success is none */
	KUNIT_EXPECT_EQ(test, -ENOMEM, wdm_step(3, DHP_CPU_ADD_START, 0,
						0xC0000017));
	KUNIT_EXPECT_EQ(test, 3, (int)wdm_seen.ProcNumber.Number);
	KUNIT_EXPECT_EQ(test, 0U, (__force u32)wdm_seen.Status);
	KUNIT_EXPECT_EQ(test, 0, wdm_step(3, DHP_CPU_ADD_START, 0, 0x101));
	KUNIT_EXPECT_EQ(test, -EBUSY, wdm_step(64, DHP_CPU_ADD_START, 0,
					       0x80000011));
	KUNIT_EXPECT_EQ(test, 1, (int)wdm_seen.ProcNumber.Group);
	KUNIT_EXPECT_EQ(test, 0, (int)wdm_seen.ProcNumber.Number);
}

#define LC_ENTRY(case_)		{ .run_case = lc_##case_, .name = #case_ }
#define LC_END			{}

/* A case defined but not listed is an unused function: a build warning. */
static struct kunit_case dhp_logic_cases[] = LC_ALL_CASES;

static struct kunit_suite dhp_logic_suite = {
	.name = "dhp_logic",
	.test_cases = dhp_logic_cases,
};

static struct kunit_case dhp_wdm_cases[] = {
	LC_ENTRY(wdm_ntstatus_and_errno),
	LC_ENTRY(wdm_processor_trampoline),
	{}
};

static struct kunit_suite dhp_wdm_suite = {
	.name = "dhp_wdm",
	.test_cases = dhp_wdm_cases,
};

kunit_test_suites(&dhp_logic_suite, &dhp_wdm_suite);

MODULE_DESCRIPTION("KUnit tests of dhp's pure logic");
MODULE_LICENSE("GPL");
