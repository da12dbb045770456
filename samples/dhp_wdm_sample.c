// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_wdm_sample: the driver code of the WDK's DHP pages, on Linux.
 *
 * sync_processor_callback() is the seed's (001) SyncProcessorCallback,
 * async_processor_callback() and async_memory_callback() the seed's (003)
 * AsyncProcessorCallback and AsyncMemoryCallback, driver_entry() registers
 * them as the seeds (001, 002) do and driver_unload() unregisters them
 * (002). Only <dhp_wdm.h> is included for them: every Windows name the
 * seeds use (types, functions, states, GUIDs, fields, status codes) is kept,
 * and so are the seeds' statements, in order, with their comments; the
 * "..." of the pages are filled in. The driver's own identifiers, which the
 * seeds spell in CamelCase (SyncProcessorCallback, CallbackStatus,
 * ProcessorNotificationEntry, ...), are spelt in snake_case: checkpatch
 * --strict accepts CamelCase only for names defined in include/, which is
 * where dhp_wdm.h gives the Windows ones. Renamed back, the seeds' text
 * compiles the same. What the filled-in code does:
 *  - AddStart allocates the processor's data on its node (and vetoes with
 *    STATUS_INSUFFICIENT_RESOURCES when that fails, or when the veto_cpu
 *    parameter names the processor); AddComplete counts the processors and
 *    lets per-processor work run there; AddFailure frees. Beyond Windows,
 *    RemoveStart stops the work and RemoveComplete frees.
 *  - A memory arrival grows the driver's buffer by 1/2048 of the new memory
 *    (512 KiB per GiB, at most 16 MiB in all).
 *  - A thread waits on \KernelObjects\HighMemoryCondition, as the seed (004)
 *    describes, and counts how often it found the condition set.
 *
 * Module parameters:
 *   veto_cpu (int, 0644)   the next AddStart of this CPU is vetoed, once
 *                          (-1, the default: none); at load time it vetoes
 *                          the KE_PROCESSOR_CHANGE_ADD_EXISTING replay,
 *                          and the load fails with that status
 *   pnp_flags (uint, 0444) EventCategoryFlags of both PnP registrations (0
 *                          as in the seed; 1 to include existing ones)
 *
 * debugfs, /sys/kernel/debug/dhp_wdm_sample/ (read-only):
 *   stats   "key value" lines: allocs and frees (per-processor data and
 *           buffers), adapter_allocs and adapter_frees (dhp_wdm.h's
 *           registrations and event), vetoes, each state's count, the last
 *           KeQueryActiveProcessorCount() and affinity, PnP arrivals and
 *           removals per GUID, buffer size, high-memory wake-ups
 *   cpus    "cpu node scheduled" for each processor with data
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/topology.h>

/* Count what the adapter allocates, to check it frees it all. */
static atomic_long_t wdm_adapter_allocs, wdm_adapter_frees;
#define DHP_WDM_ACCOUNT(delta) \
	atomic_long_inc((delta) > 0 ? &wdm_adapter_allocs : &wdm_adapter_frees)

#include "dhp_wdm.h"

static int veto_cpu = -1;
module_param(veto_cpu, int, 0644);
MODULE_PARM_DESC(veto_cpu, "veto the next AddStart of this CPU (-1: none)");

static unsigned int pnp_flags;
module_param(pnp_flags, uint, 0444);
MODULE_PARM_DESC(pnp_flags, "EventCategoryFlags for IoRegisterPlugPlayNotification (0 or 1)");

#define WDM_BUFFER_INITIAL	(64UL << 10)
#define WDM_BUFFER_MAX		(16UL << 20)

/* What the driver keeps per processor, from AddStart to AddFailure. */
struct wdm_processor {
	int node;
	bool scheduled;		/* per-processor work may run here */
};

static DEFINE_PER_CPU(struct wdm_processor *, wdm_processors);

/* Written in the callbacks (serialized by dhp), read by debugfs. */
static unsigned long wdm_allocs, wdm_frees, wdm_vetoes;
static unsigned long wdm_states[KeProcessorRemoveFailureNotify + 1];
static ULONG wdm_processor_count;
static KAFFINITY wdm_active_processors;
static unsigned long wdm_cpu_arrivals, wdm_cpu_removals;
static unsigned long wdm_cpu_existing, wdm_mem_existing;
static unsigned long wdm_mem_arrivals, wdm_mem_removals;
static u64 wdm_mem_arrived, wdm_mem_removed;
static unsigned long wdm_high_memory_wakeups;

/* The buffer that grows with memory; wdm_buffer_lock serializes growth. */
static DEFINE_MUTEX(wdm_buffer_lock);
static void *wdm_buffer;
static size_t wdm_buffer_size;

/*
 * The seed's callback_context: the status the callback passes back to the
 * caller of KeRegisterProcessorChangeCallback. It must outlive the
 * registration, since the callback also sets it at later hot-adds.
 */
static NTSTATUS sync_callback_status;
static PVOID processor_change_handle;
static PVOID processor_notification_entry;
static PVOID memory_notification_entry;
static PKEVENT high_memory_event;
static HANDLE high_memory_handle;
static struct task_struct *wdm_high_memory_thread;
static struct dentry *wdm_dir;

static void wdm_count(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

/* AddStart's "allocate any per-processor data structures". */
static bool wdm_processor_alloc(ULONG processor_number)
{
	struct wdm_processor *p;

	p = kzalloc_node(sizeof(*p), GFP_KERNEL, cpu_to_node(processor_number));
	if (!p)
		return false;
	p->node = cpu_to_node(processor_number);
	per_cpu(wdm_processors, processor_number) = p;
	wdm_count(&wdm_allocs);
	return true;
}

/* AddFailure's "clean up and free any per-processor resources". */
static void wdm_processor_free(ULONG processor_number)
{
	struct wdm_processor *p = per_cpu(wdm_processors, processor_number);

	if (!p)
		return;
	per_cpu(wdm_processors, processor_number) = NULL;
	kfree(p);
	wdm_count(&wdm_frees);
}

/* The test's veto: the next AddStart of veto_cpu, once. */
static bool wdm_veto_armed(ULONG processor_number)
{
	if (READ_ONCE(veto_cpu) != (int)processor_number)
		return false;
	WRITE_ONCE(veto_cpu, -1);
	return true;
}

static void wdm_set_scheduled(ULONG processor_number, bool on)
{
	struct wdm_processor *p = per_cpu(wdm_processors, processor_number);

	if (p)
		WRITE_ONCE(p->scheduled, on);
}

// Synchronous notification callback function
static VOID
sync_processor_callback(IN PVOID callback_context,
			IN PKE_PROCESSOR_CHANGE_NOTIFICATION_CONTEXT change_context,
			IN PNTSTATUS operation_status)
{
	PNTSTATUS callback_status;
	ULONG processor_number;
	ULONG processor_count;
	KAFFINITY active_processors;

	// The callback_context contains a pointer to a
	// variable that contains an NTSTATUS code. This
	// is used to pass back any error status to the
	// caller of KeRegisterProcessorChangeCallback.
	callback_status = (PNTSTATUS)callback_context;

	// Get the processor number of the new processor
	processor_number = change_context->NtNumber;

	wdm_count(&wdm_states[change_context->State]);

	// Switch on the state of the add operation
	switch (change_context->State) {
	// Before the operating system has added the new processor
	case KeProcessorAddStartNotify:

		// Allocate any per-processor data
		// structures for the new processor.
		// Assign any other per-processor resources
		// to the new processor.
		// Perform any other necessary preparation
		// for execution of the driver code
		// on the new processor.

		// If an error occurs such that continuing
		// to add the processor would be fatal
		// (for example, an allocation failure of a
		// per-processor data structure), set the
		// status to an appropriate NTSTATUS code.
		if (wdm_veto_armed(processor_number) ||
		    !wdm_processor_alloc(processor_number)) {
			wdm_count(&wdm_vetoes);

			// This returns the status to the operating system.
			*operation_status = STATUS_INSUFFICIENT_RESOURCES;

			// This returns the status to the caller of the
			// KeRegisterProcessorChangeCallback function.
			*callback_status = STATUS_INSUFFICIENT_RESOURCES;
		}

		break;

	// The operating system has successfully added the new processor
	case KeProcessorAddCompleteNotify:

		//
		// The following can be performed either here or
		// in an asynchronous notification callback function.
		//

		// Get the current processor count and affinity
		processor_count = KeQueryActiveProcessorCount(&active_processors);

		// Adjust any resource allocations that are based
		// on the number of processors.
		WRITE_ONCE(wdm_processor_count, processor_count);
		WRITE_ONCE(wdm_active_processors, active_processors);

		// Begin scheduling any per-processor threads
		// on the new processor.
		wdm_set_scheduled(processor_number, true);

		break;

	// The operating system has failed to add the new processor
	case KeProcessorAddFailureNotify:

		// Clean up and free any per-processor
		// resources that were allocated for the
		// specified processor during the
		// KeProcessorAddStartNotify state.
		pr_info("processor %u add failed: status %#x\n", processor_number,
			(__force u32)change_context->Status);
		wdm_processor_free(processor_number);

		break;

	// Linux only: the processor is going offline.
	case KeProcessorRemoveStartNotify:
		wdm_set_scheduled(processor_number, false);
		break;

	// Linux only: it is gone; free as at KeProcessorAddFailureNotify.
	case KeProcessorRemoveCompleteNotify:
		wdm_processor_free(processor_number);
		break;

	// Linux only: the offline was undone.
	case KeProcessorRemoveFailureNotify:
		wdm_set_scheduled(processor_number, true);
		break;
	}
}

// Asynchronous processor notification callback function
static NTSTATUS
async_processor_callback(IN PVOID notification_structure, IN PVOID context)
{
	PDEVICE_INTERFACE_CHANGE_NOTIFICATION notification;
	ULONG processor_count;
	KAFFINITY active_processors;

	notification = (PDEVICE_INTERFACE_CHANGE_NOTIFICATION)notification_structure;

	// Verify that this notification is about a processor
	// that is being added to the hardware partition.
	if (IsEqualGUID(&notification->Event, &GUID_DEVICE_INTERFACE_ARRIVAL)) {
		// Get the current processor count and affinity
		processor_count = KeQueryActiveProcessorCount(&active_processors);

		// Adjust any resource allocations that are based
		// on the number of processors.
		WRITE_ONCE(wdm_processor_count, processor_count);
		WRITE_ONCE(wdm_active_processors, active_processors);

		// Adjust any load balancing algorithms
		if (IsEqualGUID(&notification->InterfaceClassGuid,
				&GUID_DEVICE_PROCESSOR))
			wdm_count(notification->SequenceNumber ?
				  &wdm_cpu_arrivals : &wdm_cpu_existing);
	} else if (IsEqualGUID(&notification->Event,
			       &GUID_DEVICE_INTERFACE_REMOVAL)) {
		// Linux only: a processor went offline.
		wdm_count(&wdm_cpu_removals);
	}

	// Always return success status
	return STATUS_SUCCESS;
}

/* "Increase the size of any memory buffers": by 1/2048 of the arrival. */
static void wdm_grow_buffer(ULONGLONG bytes)
{
	size_t size;
	void *buf;

	mutex_lock(&wdm_buffer_lock);
	size = min_t(u64, wdm_buffer_size + (bytes >> 11),
		     WDM_BUFFER_MAX);
	if (size > wdm_buffer_size) {
		buf = kvzalloc(size, GFP_KERNEL);
		if (buf) {
			wdm_count(&wdm_allocs);
			memcpy(buf, wdm_buffer, wdm_buffer_size);
			kvfree(wdm_buffer);
			wdm_count(&wdm_frees);
			wdm_buffer = buf;
			WRITE_ONCE(wdm_buffer_size, size);
		}
		/* else: keep the old buffer, as a driver would */
	}
	mutex_unlock(&wdm_buffer_lock);
}

// Asynchronous memory notification callback function
static NTSTATUS
async_memory_callback(IN PVOID notification_structure, IN PVOID context)
{
	PDEVICE_INTERFACE_CHANGE_NOTIFICATION notification;

	notification = (PDEVICE_INTERFACE_CHANGE_NOTIFICATION)notification_structure;

	// Verify that this notification is about memory
	// that is being added to the hardware partition.
	if (IsEqualGUID(&notification->Event, &GUID_DEVICE_INTERFACE_ARRIVAL)) {
		// Increase the size of any memory buffers
		// for optimal performance of the driver.
		if (!notification->SequenceNumber) {
			/* memory there at registration: sized at load */
			wdm_count(&wdm_mem_existing);
		} else {
			wdm_grow_buffer(notification->NumberOfBytes.QuadPart);
			/* counted once handled: the tests wait for the count */
			wdm_count(&wdm_mem_arrivals);
			WRITE_ONCE(wdm_mem_arrived, wdm_mem_arrived +
				   notification->NumberOfBytes.QuadPart);
		}
	} else if (IsEqualGUID(&notification->Event,
			       &GUID_DEVICE_INTERFACE_REMOVAL)) {
		// Linux only: memory went offline; the buffer stays.
		wdm_count(&wdm_mem_removals);
		WRITE_ONCE(wdm_mem_removed, wdm_mem_removed +
			   notification->NumberOfBytes.QuadPart);
	}

	// Always return success status
	return STATUS_SUCCESS;
}

/*
 * The memory notification event (004): a thread waits for
 * \KernelObjects\HighMemoryCondition to be set and counts it, then waits
 * for it to clear (polling: there is no event for that) before the next
 * wait. A second at most between looks at kthread_should_stop().
 */
static int wdm_high_memory_waiter(void *unused)
{
	LARGE_INTEGER timeout = { .QuadPart = -10000000LL };	/* 1 s */
	NTSTATUS status;

	while (!kthread_should_stop()) {
		status = KeWaitForSingleObject(high_memory_event, Executive,
					       KernelMode, FALSE, &timeout);
		if (status != STATUS_SUCCESS)
			continue;
		wdm_count(&wdm_high_memory_wakeups);
		while (!kthread_should_stop() &&
		       KeReadStateEvent(high_memory_event))
			schedule_timeout_interruptible(HZ / 10);
	}
	return 0;
}

static int wdm_stats_show(struct seq_file *m, void *v)
{
	static const char *const names[] = {
		"add_start", "add_complete", "add_failure",
		"remove_start", "remove_complete", "remove_failure",
	};
	unsigned int i;

	seq_printf(m, "allocs %lu\nfrees %lu\nvetoes %lu\n",
		   READ_ONCE(wdm_allocs), READ_ONCE(wdm_frees),
		   READ_ONCE(wdm_vetoes));
	seq_printf(m, "adapter_allocs %ld\nadapter_frees %ld\n",
		   atomic_long_read(&wdm_adapter_allocs),
		   atomic_long_read(&wdm_adapter_frees));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		seq_printf(m, "%s %lu\n", names[i], READ_ONCE(wdm_states[i]));
	seq_printf(m, "processor_count %u\nactive_processors %#llx\n",
		   READ_ONCE(wdm_processor_count),
		   (unsigned long long)READ_ONCE(wdm_active_processors));
	seq_printf(m, "cpu_arrivals %lu\ncpu_existing %lu\ncpu_removals %lu\n",
		   READ_ONCE(wdm_cpu_arrivals), READ_ONCE(wdm_cpu_existing),
		   READ_ONCE(wdm_cpu_removals));
	seq_printf(m, "mem_arrivals %lu\nmem_existing %lu\nmem_removals %lu\n",
		   READ_ONCE(wdm_mem_arrivals), READ_ONCE(wdm_mem_existing),
		   READ_ONCE(wdm_mem_removals));
	seq_printf(m, "mem_arrived_mb %llu\nmem_removed_mb %llu\n",
		   READ_ONCE(wdm_mem_arrived) >> 20,
		   READ_ONCE(wdm_mem_removed) >> 20);
	seq_printf(m, "buffer_kb %zu\nhigh_memory %d\nhigh_memory_wakeups %lu\n",
		   READ_ONCE(wdm_buffer_size) >> 10,
		   KeReadStateEvent(high_memory_event),
		   READ_ONCE(wdm_high_memory_wakeups));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdm_stats);

static int wdm_cpus_show(struct seq_file *m, void *v)
{
	struct wdm_processor *p;
	unsigned int cpu;

	/* The hotplug lock keeps each processor's data alive meanwhile. */
	cpus_read_lock();
	seq_puts(m, "# cpu node scheduled\n");
	for_each_possible_cpu(cpu) {
		p = per_cpu(wdm_processors, cpu);
		if (p)
			seq_printf(m, "%u %d %d\n", cpu, p->node,
				   READ_ONCE(p->scheduled));
	}
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdm_cpus);

/* Frees what registration left: processors' data and the buffer. */
static void wdm_free_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		wdm_processor_free(cpu);
	if (wdm_buffer) {
		kvfree(wdm_buffer);
		wdm_count(&wdm_frees);
		wdm_buffer = NULL;
		wdm_buffer_size = 0;
	}
}

// Unregister for asynchronous notifications, then the rest
static VOID driver_unload(IN PDRIVER_OBJECT driver_object)
{
	NTSTATUS status;

	if (wdm_high_memory_thread)
		kthread_stop(wdm_high_memory_thread);
	wdm_high_memory_thread = NULL;
	if (high_memory_handle)
		ZwClose(high_memory_handle);
	high_memory_handle = NULL;
	high_memory_event = NULL;

	if (memory_notification_entry) {
		status = IoUnregisterPlugPlayNotification(memory_notification_entry);
		WARN_ON(!NT_SUCCESS(status));
		memory_notification_entry = NULL;
	}
	if (processor_notification_entry) {
		status = IoUnregisterPlugPlayNotification(processor_notification_entry);
		WARN_ON(!NT_SUCCESS(status));
		processor_notification_entry = NULL;
	}
	if (processor_change_handle)
		KeDeregisterProcessorChangeCallback(processor_change_handle);
	processor_change_handle = NULL;

	/* No callback runs any more: what is left is ours to free. */
	wdm_free_all();
}

static NTSTATUS driver_entry(IN PDRIVER_OBJECT driver_object,
			     IN PUNICODE_STRING registry_path)
{
	UNICODE_STRING event_name;
	NTSTATUS status;

	wdm_buffer = kvzalloc(WDM_BUFFER_INITIAL, GFP_KERNEL);
	if (!wdm_buffer)
		return STATUS_INSUFFICIENT_RESOURCES;
	wdm_count(&wdm_allocs);
	wdm_buffer_size = WDM_BUFFER_INITIAL;

	// Register for synchronous notification: the callback
	// sizes the processors already active first.
	sync_callback_status = STATUS_SUCCESS;
	processor_change_handle =
		KeRegisterProcessorChangeCallback(sync_processor_callback,
						  &sync_callback_status,
						  KE_PROCESSOR_CHANGE_ADD_EXISTING);
	if (!processor_change_handle) {
		status = NT_SUCCESS(sync_callback_status) ?
			 STATUS_UNSUCCESSFUL : sync_callback_status;
		pr_err("KeRegisterProcessorChangeCallback: NULL, CallbackStatus %#x\n",
		       (__force u32)sync_callback_status);
		goto fail;
	}

	// Register for asynchronous notifications
	status = IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
						pnp_flags,
						&GUID_DEVICE_PROCESSOR,
						driver_object,
						async_processor_callback,
						NULL,
						&processor_notification_entry);
	if (!NT_SUCCESS(status))
		goto fail;

	status = IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
						pnp_flags,
						&GUID_DEVICE_MEMORY,
						driver_object,
						async_memory_callback,
						NULL,
						&memory_notification_entry);
	if (!NT_SUCCESS(status))
		goto fail;

	// The memory notification event
	RtlInitUnicodeString(&event_name, L"\\KernelObjects\\HighMemoryCondition");
	high_memory_event = IoCreateNotificationEvent(&event_name, &high_memory_handle);
	if (!high_memory_event) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	wdm_high_memory_thread = kthread_run(wdm_high_memory_waiter, NULL,
					     "dhp_wdm_highmem");
	if (IS_ERR(wdm_high_memory_thread)) {
		wdm_high_memory_thread = NULL;
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	return STATUS_SUCCESS;

fail:
	driver_unload(driver_object);
	pr_err("%s: status %#x; allocs %lu frees %lu, adapter allocs %ld frees %ld\n",
	       __func__, (__force u32)status, wdm_allocs, wdm_frees,
	       atomic_long_read(&wdm_adapter_allocs),
	       atomic_long_read(&wdm_adapter_frees));
	return status;
}

static int __init wdm_sample_init(void)
{
	NTSTATUS status = driver_entry(THIS_MODULE, NULL);

	if (!NT_SUCCESS(status))
		return dhp_wdm_ntstatus_to_errno(status);
	wdm_dir = debugfs_create_dir("dhp_wdm_sample", NULL);
	debugfs_create_file("stats", 0444, wdm_dir, NULL, &wdm_stats_fops);
	debugfs_create_file("cpus", 0444, wdm_dir, NULL, &wdm_cpus_fops);
	return 0;
}

static void __exit wdm_sample_exit(void)
{
	debugfs_remove_recursive(wdm_dir);
	driver_unload(THIS_MODULE);
	pr_info("unloaded: allocs %lu frees %lu, adapter allocs %ld frees %ld\n",
		wdm_allocs, wdm_frees, atomic_long_read(&wdm_adapter_allocs),
		atomic_long_read(&wdm_adapter_frees));
}

module_init(wdm_sample_init);
module_exit(wdm_sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp sample: the WDK's DHP driver code, built with dhp_wdm.h");
