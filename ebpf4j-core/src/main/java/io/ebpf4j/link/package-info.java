/**
 * Attachments: one {@link io.ebpf4j.link.Link} per program attached to a hook. Links detach when closed;
 * {@link io.ebpf4j.link.BpfLink}s (the kernel's bpf_link objects) can also be pinned, reopened, updated to
 * another program and detached while others hold them.
 */
package io.ebpf4j.link;
