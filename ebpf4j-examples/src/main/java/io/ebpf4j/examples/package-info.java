/** Small programs that use ebpf4j the way a user would; README.md quotes them. */
package io.ebpf4j.examples;
