/**
 * What a BPF object file says, before anything is loaded: the section-name table that gives each program its
 * type, and (growing) the object, program and map specs read from an ELF file.
 */
package io.ebpf4j.object;
