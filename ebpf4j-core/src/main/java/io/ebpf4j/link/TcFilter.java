package io.ebpf4j.link;

/**
 * A {@code cls_bpf} filter on a clsact hook, as netlink lists it.
 *
 * @param priority     its priority (lower runs first)
 * @param handle       its handle within that priority
 * @param name         the name given at attach time (ebpf4j gives the program's name)
 * @param programId    the program it runs
 * @param directAction whether the program's return value is the verdict ({@code da})
 */
public record TcFilter(int priority, int handle, String name, int programId, boolean directAction) {
    static TcFilter of(io.ebpf4j.kernel.RtNetlink.BpfFilter f) {
        return new TcFilter(f.priority(), f.handle(), f.name(), f.progId(), f.directAction());
    }
}
