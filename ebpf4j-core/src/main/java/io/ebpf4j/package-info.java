/** The root of ebpf4j: the exception hierarchy and small shared types. */
package io.ebpf4j;
