/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp_wdm.h - the Windows DHP driver-notification names, on dhp.
 *
 * A driver ported from Windows includes this header (and nothing Windows-
 * specific besides) and keeps the code of the WDK's DHP pages: the
 * synchronous processor callback (KeRegisterProcessorChangeCallback), the
 * asynchronous Plug and Play callbacks for GUID_DEVICE_PROCESSOR and
 * GUID_DEVICE_MEMORY (IoRegisterPlugPlayNotification) and the
 * \KernelObjects\HighMemoryCondition event. Everything here is a thin
 * static inline over the public API of <dhp.h>; the only state is one small
 * allocation per registration (and per opened event), freed when it ends.
 *
 * How the names are spelt: every Windows type is a macro for a kernel type
 * (pointer types through typeof(), so "PVOID a, b;" declares two pointers,
 * as a typedef would), every function a macro for a dhp_wdm_*() inline, and
 * every enumerator is also defined as itself (as <linux/in.h> does for
 * IPPROTO_*), so that "#ifdef KeProcessorRemoveCompleteNotify" tells a
 * ported driver whether it runs on dhp. NTSTATUS is ntstatus_t, a __bitwise
 * typedef: sparse (make C=1) reports an errno stored in an NTSTATUS or an
 * NTSTATUS returned as an errno. Being defined in include/, all these names
 * pass checkpatch's CamelCase check in any file of the tree.
 *
 * What differs from Windows (README.md, "Porting a Windows DHP driver"):
 *  - IRQL: every callback here runs in process context and may sleep, as a
 *    PASSIVE_LEVEL callback may; the processor callback runs with the CPU
 *    hotplug lock held (no cpus_read_lock(), no (de)registration inside).
 *  - NTSTATUS vs errno: see dhp_wdm_ntstatus_to_errno() for the table.
 *  - Processor groups: Linux CPU n is processor n % 64 of group n / 64;
 *    KAFFINITY is 64 bits everywhere and covers group 0 only.
 *  - Processors and memory also leave on Linux: the synchronous callback
 *    gets KeProcessorRemove*Notify, the PnP callbacks
 *    GUID_DEVICE_INTERFACE_REMOVAL, and memory events carry their range.
 */
#ifndef _DHP_WDM_H
#define _DHP_WDM_H

#include <linux/bug.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#include "dhp.h"

/*
 * DHP_WDM_ACCOUNT(delta) is called with +1 after each allocation of the
 * adapter and -1 before each free. A driver that wants to count them (the
 * sample does, for its tests) defines it before including this header.
 */
#ifndef DHP_WDM_ACCOUNT
#define DHP_WDM_ACCOUNT(delta) do { } while (0)
#endif

/* ---- Basic types ------------------------------------------------------ */

#define VOID		void
#define IN
#define OUT
#define OPTIONAL
#ifndef TRUE
#define TRUE		1
#endif
#ifndef FALSE
#define FALSE		0
#endif

#define UCHAR		u8
#define BOOLEAN		u8
#define USHORT		u16
#define ULONG		u32
#define LONG		s32
#define ULONG64		u64
#define ULONGLONG	u64
#define LONGLONG	s64
/* ULONG_PTR on 64-bit Windows: one bit per processor of a group. */
#define KAFFINITY	u64
#define PVOID		typeof(void *)
#define HANDLE		typeof(void *)
#define PHANDLE		typeof(HANDLE *)
#define PKAFFINITY	typeof(KAFFINITY *)
/* WCHAR is what L"..." is made of: u16, the kernel builds -fshort-wchar. */
#define WCHAR		__WCHAR_TYPE__
#define PWSTR		typeof(WCHAR *)
#define PCWSTR		typeof(const WCHAR *)

/**
 * union dhp_wdm_large_integer - LARGE_INTEGER (and PHYSICAL_ADDRESS)
 * @LowPart: the low 32 bits.
 * @HighPart: the high 32 bits.
 * @QuadPart: the whole signed 64-bit value.
 */
union dhp_wdm_large_integer {
	struct {
		u32 LowPart;
		s32 HighPart;
	};
	s64 QuadPart;
};

#define LARGE_INTEGER		union dhp_wdm_large_integer
#define PLARGE_INTEGER		typeof(LARGE_INTEGER *)
#define PHYSICAL_ADDRESS	LARGE_INTEGER

/* ---- NTSTATUS --------------------------------------------------------- */

/* A kernel-style name for the typedef, so that checkpatch knows it. */
typedef s32 __bitwise ntstatus_t;
#define NTSTATUS	ntstatus_t
#define PNTSTATUS	typeof(NTSTATUS *)

#define DHP_WDM_NTSTATUS(v)	((__force NTSTATUS)(v))
#define STATUS_SUCCESS			DHP_WDM_NTSTATUS(0x00000000)
#define STATUS_USER_APC			DHP_WDM_NTSTATUS(0x000000C0)
#define STATUS_ALERTED			DHP_WDM_NTSTATUS(0x00000101)
#define STATUS_TIMEOUT			DHP_WDM_NTSTATUS(0x00000102)
#define STATUS_PENDING			DHP_WDM_NTSTATUS(0x00000103)
#define STATUS_DEVICE_BUSY		DHP_WDM_NTSTATUS(0x80000011)
#define STATUS_UNSUCCESSFUL		DHP_WDM_NTSTATUS(0xC0000001)
#define STATUS_NOT_IMPLEMENTED		DHP_WDM_NTSTATUS(0xC0000002)
#define STATUS_INVALID_HANDLE		DHP_WDM_NTSTATUS(0xC0000008)
#define STATUS_INVALID_PARAMETER	DHP_WDM_NTSTATUS(0xC000000D)
#define STATUS_NO_SUCH_DEVICE		DHP_WDM_NTSTATUS(0xC000000E)
#define STATUS_INVALID_DEVICE_REQUEST	DHP_WDM_NTSTATUS(0xC0000010)
#define STATUS_NO_MEMORY		DHP_WDM_NTSTATUS(0xC0000017)
#define STATUS_ACCESS_DENIED		DHP_WDM_NTSTATUS(0xC0000022)
#define STATUS_OBJECT_NAME_NOT_FOUND	DHP_WDM_NTSTATUS(0xC0000034)
#define STATUS_INSUFFICIENT_RESOURCES	DHP_WDM_NTSTATUS(0xC000009A)
#define STATUS_NOT_SUPPORTED		DHP_WDM_NTSTATUS(0xC00000BB)
#define STATUS_CANCELLED		DHP_WDM_NTSTATUS(0xC0000120)
#define STATUS_POSSIBLE_DEADLOCK	DHP_WDM_NTSTATUS(0xC0000194)
#define STATUS_NOT_FOUND		DHP_WDM_NTSTATUS(0xC0000225)

/**
 * dhp_wdm_nt_success() - NT_SUCCESS(): whether @s is a success code
 * @s: an NTSTATUS.
 *
 * Return: true for success and informational codes (the sign bit clear),
 * false for warnings and errors.
 */
static inline bool dhp_wdm_nt_success(NTSTATUS s)
{
	return (__force s32)s >= 0;
}

#define NT_SUCCESS(s)	dhp_wdm_nt_success(s)

/**
 * struct dhp_wdm_status_map - one row of the NTSTATUS <-> errno table
 * @status: the NTSTATUS.
 * @err: the negative errno.
 */
struct dhp_wdm_status_map {
	NTSTATUS status;
	int err;
};

/*
 * The table, both ways; the first row for an errno is the one an errno
 * maps to. Any other error NTSTATUS is -EIO; any other errno is
 * STATUS_UNSUCCESSFUL; every success NTSTATUS (STATUS_TIMEOUT included) is
 * 0. STATUS_DEVICE_BUSY is -EBUSY: do not veto a processor with it, 6.12
 * retries an online that fails with -EBUSY.
 */
#define DHP_WDM_STATUS_TABLE {					\
	{ STATUS_INSUFFICIENT_RESOURCES,	-ENOMEM },	\
	{ STATUS_NO_MEMORY,			-ENOMEM },	\
	{ STATUS_INVALID_PARAMETER,		-EINVAL },	\
	{ STATUS_UNSUCCESSFUL,			-EIO },		\
	{ STATUS_NOT_SUPPORTED,			-EOPNOTSUPP },	\
	{ STATUS_NOT_IMPLEMENTED,		-EOPNOTSUPP },	\
	{ STATUS_CANCELLED,			-ECANCELED },	\
	{ STATUS_DEVICE_BUSY,			-EBUSY },	\
	{ STATUS_POSSIBLE_DEADLOCK,		-EDEADLK },	\
	{ STATUS_NOT_FOUND,			-ENOENT },	\
	{ STATUS_OBJECT_NAME_NOT_FOUND,		-ENOENT },	\
	{ STATUS_INVALID_HANDLE,		-EBADF },	\
	{ STATUS_NO_SUCH_DEVICE,		-ENODEV },	\
	{ STATUS_INVALID_DEVICE_REQUEST,	-EOPNOTSUPP },	\
	{ STATUS_ACCESS_DENIED,			-EACCES },	\
	{ STATUS_ALERTED,			-EINTR },	\
}

/**
 * dhp_wdm_ntstatus_to_errno() - the errno a Linux caller gets for @s
 * @s: an NTSTATUS.
 *
 * The table (also in README.md):
 *
 * ==============================  =============
 * STATUS_SUCCESS, any success     0
 * STATUS_INSUFFICIENT_RESOURCES   -ENOMEM
 * STATUS_NO_MEMORY                -ENOMEM
 * STATUS_INVALID_PARAMETER        -EINVAL
 * STATUS_UNSUCCESSFUL             -EIO
 * STATUS_NOT_SUPPORTED            -EOPNOTSUPP
 * STATUS_NOT_IMPLEMENTED          -EOPNOTSUPP
 * STATUS_CANCELLED                -ECANCELED
 * STATUS_DEVICE_BUSY              -EBUSY
 * STATUS_POSSIBLE_DEADLOCK        -EDEADLK
 * STATUS_NOT_FOUND                -ENOENT
 * STATUS_OBJECT_NAME_NOT_FOUND    -ENOENT
 * STATUS_INVALID_HANDLE           -EBADF
 * STATUS_NO_SUCH_DEVICE           -ENODEV
 * STATUS_INVALID_DEVICE_REQUEST   -EOPNOTSUPP
 * STATUS_ACCESS_DENIED            -EACCES
 * any other error or warning      -EIO
 * ==============================  =============
 *
 * STATUS_ALERTED, a success code, is 0 here; -EINTR and -ERESTARTSYS map
 * to it the other way (dhp_wdm_errno_to_ntstatus()).
 *
 * Return: 0 or a negative errno.
 */
static inline int dhp_wdm_ntstatus_to_errno(NTSTATUS s)
{
	static const struct dhp_wdm_status_map map[] = DHP_WDM_STATUS_TABLE;
	unsigned int i;

	if (NT_SUCCESS(s))
		return 0;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].status == s)
			return map[i].err;
	return -EIO;
}

/**
 * dhp_wdm_errno_to_ntstatus() - the NTSTATUS a Windows caller gets for @err
 * @err: 0 or a negative errno (dhp's ADD_FAILURE status, a registration's
 *	error).
 *
 * The reverse of dhp_wdm_ntstatus_to_errno(), first row first: -ENOMEM is
 * STATUS_INSUFFICIENT_RESOURCES, -ECANCELED (something after dhp failed a
 * processor add) STATUS_CANCELLED, -EINTR and -ERESTARTSYS STATUS_ALERTED.
 *
 * Return: STATUS_SUCCESS for 0, the table's NTSTATUS, else
 * STATUS_UNSUCCESSFUL.
 */
static inline NTSTATUS dhp_wdm_errno_to_ntstatus(int err)
{
	static const struct dhp_wdm_status_map map[] = DHP_WDM_STATUS_TABLE;
	unsigned int i;

	if (!err)
		return STATUS_SUCCESS;
	if (err == -ERESTARTSYS)
		return STATUS_ALERTED;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].err == err)
			return map[i].status;
	return STATUS_UNSUCCESSFUL;
}

/* ---- GUID ------------------------------------------------------------- */

/**
 * struct dhp_wdm_guid - GUID, laid out as Windows does
 * @Data1: the first 8 hex digits.
 * @Data2: the next 4.
 * @Data3: the next 4.
 * @Data4: the last 16, as bytes.
 */
struct dhp_wdm_guid {
	u32 Data1;
	u16 Data2;
	u16 Data3;
	u8 Data4[8];
};

#define GUID		struct dhp_wdm_guid
#define LPGUID		typeof(GUID *)
#define LPCGUID		typeof(const GUID *)

/*
 * The GUIDs are const objects, so &GUID_DEVICE_PROCESSOR is a const GUID
 * pointer as with the WDK's DEFINE_GUID(); one copy in each file that
 * uses them.
 */
#define DHP_WDM_DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	static const struct dhp_wdm_guid name __maybe_unused = {	\
		.Data1 = l, .Data2 = w1, .Data3 = w2,			\
		.Data4 = { b1, b2, b3, b4, b5, b6, b7, b8 },		\
	}

/* poclass.h: {97FADB10-4E33-40AE-359C-8BEF029DBDD0} */
DHP_WDM_DEFINE_GUID(dhp_wdm_guid_device_processor, 0x97FADB10, 0x4E33, 0x40AE,
		    0x35, 0x9C, 0x8B, 0xEF, 0x02, 0x9D, 0xBD, 0xD0);
/* poclass.h: {3FD0F03D-92E0-45FB-B75C-5ED8FFB01021} */
DHP_WDM_DEFINE_GUID(dhp_wdm_guid_device_memory, 0x3FD0F03D, 0x92E0, 0x45FB,
		    0xB7, 0x5C, 0x5E, 0xD8, 0xFF, 0xB0, 0x10, 0x21);
/* wdmguid.h: {CB3A4004-46F0-11D0-B08F-00609713053F} */
DHP_WDM_DEFINE_GUID(dhp_wdm_guid_interface_arrival, 0xCB3A4004, 0x46F0, 0x11D0,
		    0xB0, 0x8F, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3F);
/* wdmguid.h: {CB3A4005-46F0-11D0-B08F-00609713053F} */
DHP_WDM_DEFINE_GUID(dhp_wdm_guid_interface_removal, 0xCB3A4005, 0x46F0, 0x11D0,
		    0xB0, 0x8F, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3F);

#define GUID_DEVICE_PROCESSOR		dhp_wdm_guid_device_processor
#define GUID_DEVICE_MEMORY		dhp_wdm_guid_device_memory
#define GUID_DEVICE_INTERFACE_ARRIVAL	dhp_wdm_guid_interface_arrival
#define GUID_DEVICE_INTERFACE_REMOVAL	dhp_wdm_guid_interface_removal

/**
 * dhp_wdm_is_equal_guid() - IsEqualGUID(): whether two GUIDs are the same
 * @a: one GUID.
 * @b: the other.
 *
 * Return: true if all 16 bytes are equal.
 */
static inline bool dhp_wdm_is_equal_guid(const GUID *a, const GUID *b)
{
	return !memcmp(a, b, sizeof(GUID));
}

#define IsEqualGUID(a, b)	dhp_wdm_is_equal_guid(a, b)

/* ---- Processor groups ------------------------------------------------- */

/* Linux CPU n is processor n % 64 of group n / 64. */
#define DHP_WDM_GROUP_SIZE	64
#define ALL_PROCESSOR_GROUPS	0xffff

/**
 * struct dhp_wdm_processor_number - PROCESSOR_NUMBER
 * @Group: the processor group (Linux CPU / 64).
 * @Number: the processor within the group (Linux CPU % 64).
 * @Reserved: 0.
 */
struct dhp_wdm_processor_number {
	u16 Group;
	u8 Number;
	u8 Reserved;
};

#define PROCESSOR_NUMBER	struct dhp_wdm_processor_number
#define PPROCESSOR_NUMBER	typeof(PROCESSOR_NUMBER *)

/**
 * dhp_wdm_query_active_processor_count_ex() - KeQueryActiveProcessorCountEx()
 * @group: a processor group, or ALL_PROCESSOR_GROUPS.
 *
 * Context: any; a snapshot, as on Windows.
 * Return: the number of online CPUs in @group (CPUs 64 * @group to
 * 64 * @group + 63), or in all groups.
 */
static inline u32 dhp_wdm_query_active_processor_count_ex(u16 group)
{
	unsigned int cpu;
	u32 n = 0;

	if (group == ALL_PROCESSOR_GROUPS)
		return num_online_cpus();
	for_each_online_cpu(cpu)
		n += cpu / DHP_WDM_GROUP_SIZE == group;
	return n;
}

/**
 * dhp_wdm_query_active_processor_count() - KeQueryActiveProcessorCount()
 * @active_processors: if not NULL, gets the affinity of the online CPUs of
 *	group 0 (bit n for CPU n, n < 64).
 *
 * As on Windows 7 and later, only group 0 counts: with more than 64 CPUs
 * this returns the online CPUs among CPUs 0..63 and their mask, not
 * num_online_cpus(); use KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS)
 * for all of them.
 *
 * Context: any; a snapshot, as on Windows.
 * Return: the number of online CPUs in group 0.
 */
static inline u32 dhp_wdm_query_active_processor_count(KAFFINITY *active_processors)
{
	KAFFINITY mask = 0;
	unsigned int cpu;
	u32 n = 0;

	for_each_online_cpu(cpu) {
		if (cpu >= DHP_WDM_GROUP_SIZE)
			break;
		mask |= 1ULL << cpu;
		n++;
	}
	if (active_processors)
		*active_processors = mask;
	return n;
}

#define KeQueryActiveProcessorCount(a)	dhp_wdm_query_active_processor_count(a)
#define KeQueryActiveProcessorCountEx(g) \
	dhp_wdm_query_active_processor_count_ex(g)

/* ---- Synchronous processor notification ------------------------------- */

/**
 * enum dhp_wdm_processor_change_state - KE_PROCESSOR_CHANGE_NOTIFY_STATE
 * @KeProcessorAddStartNotify: dhp's %DHP_CPU_ADD_START: the CPU has run
 *	nothing yet; allocate here. A failure NTSTATUS in *OperationStatus
 *	vetoes the add.
 * @KeProcessorAddCompleteNotify: %DHP_CPU_ADD_COMPLETE: the CPU is online,
 *	the scheduler does not use it for ordinary tasks yet.
 * @KeProcessorAddFailureNotify: %DHP_CPU_ADD_FAILURE: undo AddStart;
 *	ChangeContext->Status says why.
 * @KeProcessorRemoveStartNotify: (dhp extension) %DHP_CPU_REMOVE_START:
 *	the CPU is about to go offline; stop using it.
 * @KeProcessorRemoveCompleteNotify: (dhp extension)
 *	%DHP_CPU_REMOVE_COMPLETE: the CPU is dead; free what AddStart
 *	allocated. A CPU that comes back gets AddStart again.
 * @KeProcessorRemoveFailureNotify: (dhp extension)
 *	%DHP_CPU_REMOVE_FAILURE: the offline was undone; use the CPU again.
 *
 * The values are dhp's. A switch over the three Windows states only makes
 * the compiler (-Wswitch) name the three a Linux driver must also handle.
 */
enum dhp_wdm_processor_change_state {
	KeProcessorAddStartNotify = DHP_CPU_ADD_START,
	KeProcessorAddCompleteNotify = DHP_CPU_ADD_COMPLETE,
	KeProcessorAddFailureNotify = DHP_CPU_ADD_FAILURE,
	KeProcessorRemoveStartNotify = DHP_CPU_REMOVE_START,
	KeProcessorRemoveCompleteNotify = DHP_CPU_REMOVE_COMPLETE,
	KeProcessorRemoveFailureNotify = DHP_CPU_REMOVE_FAILURE,
};

#define KeProcessorAddStartNotify	KeProcessorAddStartNotify
#define KeProcessorAddCompleteNotify	KeProcessorAddCompleteNotify
#define KeProcessorAddFailureNotify	KeProcessorAddFailureNotify
#define KeProcessorRemoveStartNotify	KeProcessorRemoveStartNotify
#define KeProcessorRemoveCompleteNotify	KeProcessorRemoveCompleteNotify
#define KeProcessorRemoveFailureNotify	KeProcessorRemoveFailureNotify
#define KE_PROCESSOR_CHANGE_NOTIFY_STATE enum dhp_wdm_processor_change_state

/**
 * struct dhp_wdm_processor_change_context - KE_PROCESSOR_CHANGE_NOTIFY_CONTEXT
 * @State: the step, see &enum dhp_wdm_processor_change_state.
 * @NtNumber: the processor's number: the Linux CPU number.
 * @Status: for KeProcessorAddFailureNotify why the add failed (a veto's
 *	NTSTATUS, STATUS_CANCELLED when something after dhp failed), else
 *	STATUS_SUCCESS.
 * @ProcNumber: the processor's group and number in it.
 */
struct dhp_wdm_processor_change_context {
	enum dhp_wdm_processor_change_state State;
	u32 NtNumber;
	ntstatus_t Status;
	struct dhp_wdm_processor_number ProcNumber;
};

/* The WDK's spelling and the one of Microsoft's DHP pages. */
#define KE_PROCESSOR_CHANGE_NOTIFY_CONTEXT \
	struct dhp_wdm_processor_change_context
#define PKE_PROCESSOR_CHANGE_NOTIFY_CONTEXT \
	typeof(KE_PROCESSOR_CHANGE_NOTIFY_CONTEXT *)
#define KE_PROCESSOR_CHANGE_NOTIFICATION_CONTEXT \
	KE_PROCESSOR_CHANGE_NOTIFY_CONTEXT
#define PKE_PROCESSOR_CHANGE_NOTIFICATION_CONTEXT \
	PKE_PROCESSOR_CHANGE_NOTIFY_CONTEXT

/* Replay AddStart and AddComplete for the processors already active. */
#define KE_PROCESSOR_CHANGE_ADD_EXISTING	0x1

/*
 * PROCESSOR_CALLBACK_FUNCTION(CallbackContext, ChangeContext,
 * OperationStatus): the callback's type, for WDK-style declarations
 * ("PROCESSOR_CALLBACK_FUNCTION MyCallback;"). *OperationStatus starts as
 * STATUS_SUCCESS; set it only at KeProcessorAddStartNotify.
 */
typedef void PROCESSOR_CALLBACK_FUNCTION(void *context,
					 struct dhp_wdm_processor_change_context *change,
					 NTSTATUS *operation_status);
#define PPROCESSOR_CALLBACK_FUNCTION typeof(PROCESSOR_CALLBACK_FUNCTION *)

/**
 * struct dhp_wdm_processor_callback - a processor change registration
 * @fn: the driver's callback.
 * @context: its CallbackContext.
 * @client: dhp's handle.
 */
struct dhp_wdm_processor_callback {
	PROCESSOR_CALLBACK_FUNCTION *fn;
	void *context;
	struct dhp_cpu_client *client;
};

/**
 * dhp_wdm_processor_trampoline() - dhp's callback for a Windows-style one
 * @context: the &struct dhp_wdm_processor_callback.
 * @change: the CPU and step.
 * @op_status: dhp's veto errno, set from the driver's *OperationStatus.
 */
static inline void dhp_wdm_processor_trampoline(void *context,
						const struct dhp_cpu_change *change,
						int *op_status)
{
	struct dhp_wdm_processor_callback *cb = context;
	struct dhp_wdm_processor_change_context cc = {
		.State = (enum dhp_wdm_processor_change_state)change->state,
		.NtNumber = change->cpu,
		.Status = dhp_wdm_errno_to_ntstatus(change->status),
		.ProcNumber = {
			.Group = change->cpu / DHP_WDM_GROUP_SIZE,
			.Number = change->cpu % DHP_WDM_GROUP_SIZE,
		},
	};
	NTSTATUS status = STATUS_SUCCESS;

	cb->fn(cb->context, &cc, &status);
	/* dhp warns about a failure set outside AddStart, and ignores it */
	if (!NT_SUCCESS(status))
		*op_status = dhp_wdm_ntstatus_to_errno(status);
}

/**
 * dhp_wdm_register_processor_change_callback() - KeRegisterProcessorChangeCallback()
 * @callback: the driver's PROCESSOR_CALLBACK_FUNCTION.
 * @callback_context: passed to it as CallbackContext.
 * @flags: 0 or %KE_PROCESSOR_CHANGE_ADD_EXISTING.
 *
 * With %KE_PROCESSOR_CHANGE_ADD_EXISTING, @callback gets AddStart and
 * AddComplete for every online CPU before this returns. If it vetoes one
 * (a failure in *OperationStatus) the replay is undone (AddFailure for that
 * CPU, RemoveStart and RemoveComplete for those replayed) and this returns
 * NULL: as in Windows, the callback tells its caller why through
 * @callback_context (its CallbackStatus), which must therefore outlive the
 * registration (not a local of the registering function: the callback also
 * writes it at later hot-adds).
 *
 * Context: process context, may sleep; not from a dhp callback.
 * Return: the handle for KeDeregisterProcessorChangeCallback(), or NULL:
 * NULL @callback, unknown @flags, no memory, called from a callback, or a
 * veto in the replay.
 */
static inline void *
dhp_wdm_register_processor_change_callback(PROCESSOR_CALLBACK_FUNCTION *callback,
					   void *callback_context, u32 flags)
{
	struct dhp_wdm_processor_callback *cb;
	struct dhp_cpu_client *client;

	if (!callback || flags & ~KE_PROCESSOR_CHANGE_ADD_EXISTING)
		return NULL;
	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return NULL;
	DHP_WDM_ACCOUNT(1);
	cb->fn = callback;
	cb->context = callback_context;
	client = dhp_register_cpu_callback(dhp_wdm_processor_trampoline, cb,
					   flags & KE_PROCESSOR_CHANGE_ADD_EXISTING ?
					   DHP_CPU_ADD_EXISTING : 0);
	if (IS_ERR(client)) {
		DHP_WDM_ACCOUNT(-1);
		kfree(cb);
		return NULL;
	}
	cb->client = client;
	return cb;
}

/**
 * dhp_wdm_deregister_processor_change_callback() - KeDeregisterProcessorChangeCallback()
 * @handle: what KeRegisterProcessorChangeCallback() returned (NULL is
 *	ignored).
 *
 * Returns once the callback is not running and never will again, and frees
 * the registration. As on Windows a handle must be deregistered once: a
 * second call uses freed memory. From inside a dhp callback dhp refuses
 * (-EDEADLK): the registration then stays, with a message.
 *
 * Context: process context, may sleep; not from a dhp callback.
 */
static inline void dhp_wdm_deregister_processor_change_callback(void *handle)
{
	struct dhp_wdm_processor_callback *cb = handle;
	int ret;

	if (!cb)
		return;
	ret = dhp_unregister_cpu_callback(cb->client);
	if (ret) {
		pr_warn("KeDeregisterProcessorChangeCallback: %d, still registered\n",
			ret);
		return;
	}
	DHP_WDM_ACCOUNT(-1);
	kfree(cb);
}

#define KeRegisterProcessorChangeCallback(f, c, fl) \
	dhp_wdm_register_processor_change_callback(f, c, fl)
#define KeDeregisterProcessorChangeCallback(h) \
	dhp_wdm_deregister_processor_change_callback(h)

/* ---- Asynchronous notification (Plug and Play) ------------------------ */

/**
 * enum dhp_wdm_io_notification_event_category - IO_NOTIFICATION_EVENT_CATEGORY
 * @EventCategoryReserved: not supported.
 * @EventCategoryHardwareProfileChange: not supported.
 * @EventCategoryDeviceInterfaceChange: processor and memory arrivals (and,
 *	beyond Windows, removals), for GUID_DEVICE_PROCESSOR and
 *	GUID_DEVICE_MEMORY.
 * @EventCategoryTargetDeviceChange: not supported.
 * @EventCategoryKernelSoftRestart: not supported.
 */
enum dhp_wdm_io_notification_event_category {
	EventCategoryReserved,
	EventCategoryHardwareProfileChange,
	EventCategoryDeviceInterfaceChange,
	EventCategoryTargetDeviceChange,
	EventCategoryKernelSoftRestart,
};

#define EventCategoryReserved		EventCategoryReserved
#define EventCategoryHardwareProfileChange EventCategoryHardwareProfileChange
#define EventCategoryDeviceInterfaceChange EventCategoryDeviceInterfaceChange
#define EventCategoryTargetDeviceChange	EventCategoryTargetDeviceChange
#define EventCategoryKernelSoftRestart	EventCategoryKernelSoftRestart
#define IO_NOTIFICATION_EVENT_CATEGORY \
	enum dhp_wdm_io_notification_event_category

/* Deliver arrivals for what is there at registration, first. */
#define PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES	0x1

/*
 * DRIVER_OBJECT is the module: pass THIS_MODULE (or NULL). Windows keeps
 * a reference on the driver object while it is registered; on Linux the
 * module stays loaded until its exit function has returned, which must
 * unregister (as DriverUnload does), and dhp calls no callback once
 * unregistration returned. So the argument is accepted and not used.
 */
#define DRIVER_OBJECT		struct module
#define PDRIVER_OBJECT		typeof(DRIVER_OBJECT *)

/**
 * struct dhp_wdm_unicode_string - UNICODE_STRING
 * @Length: bytes in @Buffer, without a terminating NUL.
 * @MaximumLength: bytes @Buffer can hold.
 * @Buffer: the characters (L"...").
 */
struct dhp_wdm_unicode_string {
	u16 Length;
	u16 MaximumLength;
	typeof(WCHAR *) Buffer;		/* spelt so checkpatch knows the name */
};

#define UNICODE_STRING		struct dhp_wdm_unicode_string
#define PUNICODE_STRING		typeof(UNICODE_STRING *)
#define PCUNICODE_STRING	typeof(const UNICODE_STRING *)

/**
 * struct dhp_wdm_interface_change - DEVICE_INTERFACE_CHANGE_NOTIFICATION
 * @Version: 1.
 * @Size: the size of this structure.
 * @Event: GUID_DEVICE_INTERFACE_ARRIVAL, or (beyond Windows)
 *	GUID_DEVICE_INTERFACE_REMOVAL.
 * @InterfaceClassGuid: GUID_DEVICE_PROCESSOR or GUID_DEVICE_MEMORY.
 * @NtNumber: (dhp extension) processor events: the Linux CPU number.
 * @NodeNumber: (dhp extension) the NUMA node of the CPU or the memory.
 * @StartAddress: (dhp extension) memory events: the physical start.
 * @NumberOfBytes: (dhp extension) memory events: the size of the range.
 * @SequenceNumber: (dhp extension) dhp's sequence number of the (first)
 *	event; 0 for those of PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES.
 * @Count: (dhp extension) how many events this one stands for (adjacent
 *	memory blocks arrive merged).
 *
 * There is no SymbolicLinkName: no device interface to open exists on
 * Linux, and code that would open one fails to compile rather than at run
 * time. Valid only during the callback.
 */
struct dhp_wdm_interface_change {
	u16 Version;
	u16 Size;
	struct dhp_wdm_guid Event;
	struct dhp_wdm_guid InterfaceClassGuid;
	u32 NtNumber;
	s32 NodeNumber;
	union dhp_wdm_large_integer StartAddress;
	union dhp_wdm_large_integer NumberOfBytes;
	u64 SequenceNumber;
	u32 Count;
};

#define DEVICE_INTERFACE_CHANGE_NOTIFICATION struct dhp_wdm_interface_change
#define PDEVICE_INTERFACE_CHANGE_NOTIFICATION \
	typeof(DEVICE_INTERFACE_CHANGE_NOTIFICATION *)

/*
 * DRIVER_NOTIFICATION_CALLBACK_ROUTINE(NotificationStructure, Context):
 * the PnP callback's type. Its return value is ignored, as on Windows.
 */
typedef NTSTATUS DRIVER_NOTIFICATION_CALLBACK_ROUTINE(void *notification,
						      void *context);
#define PDRIVER_NOTIFICATION_CALLBACK_ROUTINE \
	typeof(DRIVER_NOTIFICATION_CALLBACK_ROUTINE *)

/**
 * struct dhp_wdm_pnp_registration - one IoRegisterPlugPlayNotification()
 * @fn: the driver's callback.
 * @context: its Context.
 * @client: dhp's handle.
 */
struct dhp_wdm_pnp_registration {
	DRIVER_NOTIFICATION_CALLBACK_ROUTINE *fn;
	void *context;
	struct dhp_event_client *client;
};

/**
 * dhp_wdm_pnp_trampoline() - dhp's event callback for a PnP one
 * @context: the &struct dhp_wdm_pnp_registration.
 * @ev: dhp's event.
 */
static inline void dhp_wdm_pnp_trampoline(void *context,
					  const struct dhp_event *ev)
{
	struct dhp_wdm_pnp_registration *reg = context;
	struct dhp_wdm_interface_change n = {
		.Version = 1,
		.Size = sizeof(n),
		.SequenceNumber = ev->seq,
		.Count = ev->count,
	};

	switch (ev->kind) {
	case DHP_EV_CPU_ARRIVAL:
	case DHP_EV_CPU_REMOVAL:
		n.InterfaceClassGuid = GUID_DEVICE_PROCESSOR;
		n.NtNumber = ev->cpu.cpu;
		n.NodeNumber = ev->cpu.node;
		break;
	case DHP_EV_MEM_ARRIVAL:
	case DHP_EV_MEM_REMOVAL:
		n.InterfaceClassGuid = GUID_DEVICE_MEMORY;
		n.NodeNumber = ev->mem.node;
		n.StartAddress.QuadPart = ev->mem.start;
		n.NumberOfBytes.QuadPart = ev->mem.size;
		break;
	case DHP_EV_OVERFLOW:
		/* Windows has no such event: not lost silently all the same. */
		pr_warn_ratelimited("PnP notification callback %ps lost %u events from SequenceNumber %llu: too slow for dhp's event_backlog\n",
				    reg->fn, ev->count, ev->seq);
		return;
	default:
		return;
	}
	if (ev->kind == DHP_EV_CPU_ARRIVAL || ev->kind == DHP_EV_MEM_ARRIVAL)
		n.Event = GUID_DEVICE_INTERFACE_ARRIVAL;
	else
		n.Event = GUID_DEVICE_INTERFACE_REMOVAL;
	reg->fn(&n, reg->context);
}

/**
 * dhp_wdm_io_register_plug_play_notification() - IoRegisterPlugPlayNotification()
 * @category: %EventCategoryDeviceInterfaceChange (the others:
 *	STATUS_NOT_SUPPORTED).
 * @category_flags: 0 or
 *	%PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES (arrivals for
 *	the CPUs or memory online now come first).
 * @category_data: &GUID_DEVICE_PROCESSOR or &GUID_DEVICE_MEMORY (other
 *	interface classes: STATUS_NOT_SUPPORTED).
 * @driver: THIS_MODULE or NULL; not used, see %DRIVER_OBJECT.
 * @callback: the driver's DRIVER_NOTIFICATION_CALLBACK_ROUTINE.
 * @context: passed to it as Context.
 * @entry: gets the handle for IoUnregisterPlugPlayNotification(), NULL
 *	on failure.
 *
 * @callback runs in process context on a workqueue, some time after the
 * change, one event at a time, and may sleep (as at PASSIVE_LEVEL in a
 * system worker thread).
 *
 * Context: process context, may sleep; not from a dhp callback.
 * A driver too slow for dhp's event_backlog is not told of the events it
 * lost (Windows has no such notification): a ratelimited warning in the
 * kernel log names @callback, how many it lost and the first lost
 * SequenceNumber; the notifications go on after it.
 *
 * Return: STATUS_SUCCESS, STATUS_INVALID_PARAMETER (NULL @callback or
 * @entry, an unknown @category; for %EventCategoryDeviceInterfaceChange a
 * NULL @category_data or unknown @category_flags), STATUS_NOT_SUPPORTED
 * (any other known category, whatever its data), STATUS_INSUFFICIENT_RESOURCES,
 * or dhp's refusal as in dhp_wdm_errno_to_ntstatus().
 */
static inline NTSTATUS
dhp_wdm_io_register_plug_play_notification(enum dhp_wdm_io_notification_event_category category,
					   u32 category_flags,
					   const void *category_data,
					   struct module *driver,
					   DRIVER_NOTIFICATION_CALLBACK_ROUTINE *callback,
					   void *context, void **entry)
{
	const GUID *guid = category_data;
	struct dhp_wdm_pnp_registration *reg;
	struct dhp_event_client *client;
	unsigned int flags;

	if (!entry)
		return STATUS_INVALID_PARAMETER;
	*entry = NULL;
	if (category > EventCategoryKernelSoftRestart || !callback)
		return STATUS_INVALID_PARAMETER;
	/* The others' @category_data and flags mean other things. */
	if (category != EventCategoryDeviceInterfaceChange)
		return STATUS_NOT_SUPPORTED;
	if (!guid ||
	    category_flags & ~PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES)
		return STATUS_INVALID_PARAMETER;
	if (IsEqualGUID(guid, &GUID_DEVICE_PROCESSOR))
		flags = DHP_EV_PROCESSOR;
	else if (IsEqualGUID(guid, &GUID_DEVICE_MEMORY))
		flags = DHP_EV_MEMORY;
	else
		return STATUS_NOT_SUPPORTED;
	if (category_flags & PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES)
		flags |= DHP_EV_INCLUDE_EXISTING;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg)
		return STATUS_INSUFFICIENT_RESOURCES;
	DHP_WDM_ACCOUNT(1);
	reg->fn = callback;
	reg->context = context;
	client = dhp_register_event_callback(dhp_wdm_pnp_trampoline, reg, flags);
	if (IS_ERR(client)) {
		DHP_WDM_ACCOUNT(-1);
		kfree(reg);
		return dhp_wdm_errno_to_ntstatus(PTR_ERR(client));
	}
	reg->client = client;
	*entry = reg;
	return STATUS_SUCCESS;
}

/**
 * dhp_wdm_io_unregister_plug_play_notification() - IoUnregisterPlugPlayNotification()
 * @entry: what IoRegisterPlugPlayNotification() stored.
 *
 * Returns once the callback is not running and never will again; events
 * still queued for it are discarded. Frees the registration. A second call
 * with the same @entry uses freed memory, as on Windows.
 *
 * Context: process context, may sleep; not from this registration's own
 * callback nor a dhp processor callback.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULL;
 * STATUS_POSSIBLE_DEADLOCK from inside a callback (the registration stays).
 */
static inline NTSTATUS dhp_wdm_io_unregister_plug_play_notification(void *entry)
{
	struct dhp_wdm_pnp_registration *reg = entry;
	int ret;

	if (!reg)
		return STATUS_INVALID_PARAMETER;
	ret = dhp_unregister_event_callback(reg->client);
	if (ret)
		return dhp_wdm_errno_to_ntstatus(ret);
	DHP_WDM_ACCOUNT(-1);
	kfree(reg);
	return STATUS_SUCCESS;
}

#define IoRegisterPlugPlayNotification(cat, fl, data, drv, cb, ctx, entry) \
	dhp_wdm_io_register_plug_play_notification(cat, fl, data, drv, cb, \
						   ctx, entry)
#define IoUnregisterPlugPlayNotification(entry) \
	dhp_wdm_io_unregister_plug_play_notification(entry)

/* ---- The memory notification event ------------------------------------ */

/* The name of the one event object dhp provides. */
#define DHP_WDM_HIGH_MEMORY_CONDITION	L"\\KernelObjects\\HighMemoryCondition"

/**
 * struct dhp_wdm_kevent - KEVENT: an opened \KernelObjects\HighMemoryCondition
 * @high: true: the high-memory condition (the only event there is).
 *
 * The event is dhp's condition (dhp_high_memory()): set when available
 * memory reaches dhp's high_mb, cleared below low_mb. A hint only, as on
 * Windows: prefer the PnP notification for GUID_DEVICE_MEMORY.
 */
struct dhp_wdm_kevent {
	bool high;
};

#define KEVENT		struct dhp_wdm_kevent
#define PKEVENT		typeof(KEVENT *)
#define PRKEVENT	PKEVENT

/* KWAIT_REASON and KPROCESSOR_MODE: accepted, not used. */
#define Executive	0
#define KernelMode	0
#define UserMode	1

/**
 * dhp_wdm_rtl_init_unicode_string() - RtlInitUnicodeString()
 * @dest: the string to set.
 * @src: a NUL-terminated L"..." string, or NULL.
 */
static inline void dhp_wdm_rtl_init_unicode_string(struct dhp_wdm_unicode_string *dest,
						   const WCHAR *src)
{
	size_t n = 0;

	while (src && src[n] && n < U16_MAX / sizeof(WCHAR) - 1)
		n++;
	dest->Buffer = (WCHAR *)src;
	dest->Length = n * sizeof(WCHAR);
	dest->MaximumLength = src ? dest->Length + sizeof(WCHAR) : 0;
}

/**
 * dhp_wdm_io_create_notification_event() - IoCreateNotificationEvent()
 * @name: L"\\KernelObjects\\HighMemoryCondition"; any other name fails.
 * @handle: gets the handle to give ZwClose() when done.
 *
 * Context: process context, may sleep.
 * Return: the event, to wait on with KeWaitForSingleObject() or read with
 * KeReadStateEvent(); NULL for another name or without memory.
 */
static inline struct dhp_wdm_kevent *
dhp_wdm_io_create_notification_event(const struct dhp_wdm_unicode_string *name,
				     void **handle)
{
	static const WCHAR high[] = DHP_WDM_HIGH_MEMORY_CONDITION;
	struct dhp_wdm_kevent *ev;

	if (!handle)
		return NULL;
	*handle = NULL;
	if (!name || !name->Buffer || name->Length != sizeof(high) - sizeof(WCHAR) ||
	    memcmp(name->Buffer, high, name->Length))
		return NULL;
	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return NULL;
	DHP_WDM_ACCOUNT(1);
	ev->high = true;
	*handle = ev;
	return ev;
}

/**
 * dhp_wdm_zw_close() - ZwClose() of a handle from IoCreateNotificationEvent()
 * @handle: the handle; the event may not be used after this.
 *
 * Return: STATUS_SUCCESS, or STATUS_INVALID_HANDLE for NULL.
 */
static inline NTSTATUS dhp_wdm_zw_close(void *handle)
{
	if (!handle)
		return STATUS_INVALID_HANDLE;
	DHP_WDM_ACCOUNT(-1);
	kfree(handle);
	return STATUS_SUCCESS;
}

/**
 * dhp_wdm_ke_read_state_event() - KeReadStateEvent()
 * @event: the event.
 *
 * Context: any.
 * Return: 1 if the condition is set, else 0.
 */
static inline s32 dhp_wdm_ke_read_state_event(struct dhp_wdm_kevent *event)
{
	return event && event->high && dhp_high_memory();
}

/**
 * dhp_wdm_ke_wait_for_single_object() - KeWaitForSingleObject() on the event
 * @object: the event from IoCreateNotificationEvent().
 * @wait_reason: Executive; not used.
 * @wait_mode: KernelMode; not used.
 * @alertable: not used: the wait is interruptible by a signal either way,
 *	which returns STATUS_ALERTED (a Windows non-alertable wait would go on).
 * @timeout: NULL to wait indefinitely, else in 100 ns units: 0 to test the
 *	state, negative for a relative timeout. An absolute (positive) time is
 *	not supported: STATUS_INVALID_PARAMETER.
 *
 * Context: process context, sleeps (unless *@timeout is 0).
 * Return: STATUS_SUCCESS once the condition is set, STATUS_TIMEOUT,
 * STATUS_ALERTED, or STATUS_INVALID_PARAMETER.
 */
static inline NTSTATUS dhp_wdm_ke_wait_for_single_object(void *object,
							 int wait_reason,
							 int wait_mode,
							 u8 alertable,
							 union dhp_wdm_large_integer *timeout)
{
	struct dhp_wdm_kevent *ev = object;
	long jiffies_left = MAX_SCHEDULE_TIMEOUT, ret;

	if (!ev || !ev->high)
		return STATUS_INVALID_PARAMETER;
	if (timeout) {
		if (timeout->QuadPart > 0)
			return STATUS_INVALID_PARAMETER;
		jiffies_left = nsecs_to_jiffies(-(u64)timeout->QuadPart * 100);
		if (!jiffies_left && timeout->QuadPart)
			jiffies_left = 1;
	}
	ret = dhp_wait_high_memory(true, jiffies_left);
	if (ret > 0)
		return STATUS_SUCCESS;
	return ret ? STATUS_ALERTED : STATUS_TIMEOUT;
}

#define RtlInitUnicodeString(d, s)	dhp_wdm_rtl_init_unicode_string(d, s)
#define IoCreateNotificationEvent(n, h)	dhp_wdm_io_create_notification_event(n, h)
#define ZwClose(h)			dhp_wdm_zw_close(h)
#define KeReadStateEvent(e)		dhp_wdm_ke_read_state_event(e)
#define KeWaitForSingleObject(o, r, m, a, t) \
	dhp_wdm_ke_wait_for_single_object(o, r, m, a, t)

#endif /* _DHP_WDM_H */
