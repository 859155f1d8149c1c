/**
 * The only code in ebpf4j that makes system calls: {@code bpf(2)} commands and their attribute layouts, libc
 * calls ({@code mmap}, {@code close}, {@code mount}, ...), errno capture and file descriptor ownership.
 * Not exported: everything above this package is pure and unit-testable.
 */
package io.ebpf4j.kernel;
