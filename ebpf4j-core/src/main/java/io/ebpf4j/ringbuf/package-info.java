/**
 * BPF ring buffers, both directions. {@link io.ebpf4j.ringbuf.RingBufferReader} consumes one or many
 * {@code BPF_MAP_TYPE_RINGBUF} maps through one epoll, handing each record to a {@link io.ebpf4j.ringbuf.RecordHandler}
 * as a zero-copy view of the mapped ring. {@link io.ebpf4j.ringbuf.UserRingBuffer} produces records into a
 * {@code BPF_MAP_TYPE_USER_RINGBUF} map for a program's {@code bpf_user_ringbuf_drain}.
 */
package io.ebpf4j.ringbuf;
