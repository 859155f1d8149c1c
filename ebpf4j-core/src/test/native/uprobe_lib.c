/*
 * A shared library with one function the uprobe tests probe by library name and by path, and (with sys/sdt.h)
 * a USDT probe without a semaphore inside it.
 */
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#else
#define STAP_PROBE2(provider, name, a, b)
#endif

__attribute__((noinline)) int ebpf4j_lib_add(int a, int b)
{
	STAP_PROBE2(ebpf4jlib, add, a, b);
	__asm__ volatile("");
	return a + b;
}
