/*
 * The process the uprobe and USDT tests probe. It prints "ready", waits for one line on stdin (so the test can
 * attach first), then calls each probed function N times (N = argv[1]) and prints "done SUM".
 */
#include <stdio.h>
#include <stdlib.h>
#if __has_include(<sys/sdt.h>)
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#else
/* Without systemtap-sdt-dev the program has no USDT probes; the uprobe tests still run, the USDT ones skip. */
#define STAP_PROBE1(provider, name, a) ((void) (a))
#define STAP_PROBE3(provider, name, a, b, c) ((void) (a), (void) (b), (void) (c))
#endif

int ebpf4j_lib_add(int a, int b);

/*
 * USDT semaphores (sdt.h gives every probe one when _SDT_HAS_SEMAPHORES is set): the kernel raises a probe's
 * semaphore while a uprobe with its ref_ctr_offset is attached. Only "guarded" tests its semaphore.
 */
unsigned short ebpf4j_args_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short ebpf4j_guarded_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short ebpf4j_twice_semaphore __attribute__((unused)) __attribute__((section(".probes")));

__attribute__((noinline)) int ebpf4j_target_add(int a, int b)
{
	__asm__ volatile("");
	return a + b;
}

__attribute__((noinline)) long ebpf4j_target_mul(long a, long b)
{
	__asm__ volatile("");
	return a * b;
}

__attribute__((noinline)) void ebpf4j_usdt_site(int i)
{
	/* volatile keeps the third argument in memory, so its operand is a memory reference like -8(%rsp). */
	volatile long in_memory = 1000L * i;
	short small = (short) -i;
	STAP_PROBE3(ebpf4j, args, i, small, in_memory);
	if (ebpf4j_guarded_semaphore)
		STAP_PROBE1(ebpf4j, guarded, i + 7);
}

/* One probe, two sites: inlined into two functions, so the note section has two entries for ebpf4j:twice. */
static inline __attribute__((always_inline)) void ebpf4j_twice(long v)
{
	STAP_PROBE1(ebpf4j, twice, v);
}

__attribute__((noinline)) void ebpf4j_twice_a(int i)
{
	ebpf4j_twice(i);
}

__attribute__((noinline)) void ebpf4j_twice_b(int i)
{
	ebpf4j_twice(2L * i);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	char line[64];
	/* Loaded and linked: the test may now look at our memory map and attach. */
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	long sum = 0;
	for (int i = 1; i <= n; i++) {
		sum += ebpf4j_target_add(i, 10);
		sum += ebpf4j_target_mul(i, 3);
		sum += ebpf4j_lib_add(i, 100);
		ebpf4j_usdt_site(i);
		ebpf4j_twice_a(i);
		ebpf4j_twice_b(i);
	}
	printf("done %ld\n", sum);
	fflush(stdout);
	return 0;
}
