/**
 * BTF, the BPF Type Format: a writer for raw type data and {@link io.ebpf4j.btf.LoadedBtf}, BTF held by the
 * kernel. The full parser, sanitizer and CO-RE engine grow here.
 */
package io.ebpf4j.btf;
