/* A shared library with one function the uprobe tests probe by library name and by path. */
__attribute__((noinline)) int ebpf4j_lib_add(int a, int b)
{
	__asm__ volatile("");
	return a + b;
}
